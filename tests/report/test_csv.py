from __future__ import annotations

import csv
import io

from tests.report.factory import F_CARD, F_FLOW, F_ID, F_LOG

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.csv import CSV_COLUMNS


def _rows(result: AuditResult, lang: str = "en") -> list[dict[str, str]]:
    data = reporter("csv").render(result, lang=Lang(lang))
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def test_one_row_per_finding_and_framework(result: AuditResult) -> None:
    rows = _rows(result)
    assert [(r["finding_id"], r["framework"]) for r in rows] == [
        (F_CARD.id, "pipl"),
        (F_CARD.id, "gdpr"),
        (F_CARD.id, "ccpa"),
        (F_FLOW.id, "pipl"),
        (F_ID.id, "pipl"),
        (F_ID.id, "gdpr"),
        (F_ID.id, "ccpa"),
        (F_LOG.id, "pipl"),
        (F_LOG.id, "gdpr"),
        (F_LOG.id, "ccpa"),
    ]
    card = rows[0]
    assert card["articles"] == "PIPL Art. 51(3); GB/T 35273-2020 6.3 ⚠"
    assert rows[1]["articles"] == "GDPR Art. 32(1)(a)"
    assert card["location"] == "stack.yaml:91" and card["target_kind"] == "field"
    log = rows[-1]
    assert (log["status"], log["waiver_owner"], log["waiver_expires"]) == (
        "waived",
        "sec-team@example.com",
        "2027-03-31",
    )


def test_cells_follow_the_language(result: AuditResult) -> None:
    rows = _rows(result, "zh")
    assert rows[0]["title"] == "敏感个人信息静态加密存储"
    assert rows[0]["remediation"] == "使用 AES-256-GCM 加密该字段。"


def test_formulas_are_neutralised(result: AuditResult) -> None:
    first = _rows(result)[0]
    # The masked sample starting with '=' sits inside the evidence cell, which starts with
    # text; a cell that starts with a formula character is prefixed.
    assert first["evidence"].endswith("=cmd|' /C calc'!A0")
    f = result.findings[0].model_copy(update={"fix_command": '=HYPERLINK("x")'})
    rows = _rows(result.model_copy(update={"findings": (f,)}))
    assert rows[0]["fix_command"] == '\'=HYPERLINK("x")'
