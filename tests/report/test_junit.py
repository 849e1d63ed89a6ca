from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from tests.report.factory import F_CARD, make_result

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang, LocalizedText
from guardrail.report import reporter


def _cases(doc: ET.Element) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for suite in doc.iter("testsuite"):
        cases = set()
        for case in suite.iter("testcase"):
            kinds = [c.tag for c in case]
            outcome = kinds[0] if kinds else "pass"
            cases.add((case.get("name", ""), outcome))
        out[suite.get("name", "")] = cases
    return out


def _parse(result: AuditResult, lang: str = "en") -> ET.Element:
    data = reporter("junit").render(result, lang=Lang(lang))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(data)


def test_one_case_per_control_and_target(result: AuditResult) -> None:
    cases = _cases(_parse(result))
    c03 = "C03 Sensitive personal information is encrypted at rest"
    c06 = "C06 Logs contain no plaintext personal information"
    common = {
        (f"{c03} · field:shop_db.payments.card_number", "failure"),
        (f"{c03} · field:shop_db.customers.id_number", "failure"),
        (f"{c03} · 3 other targets passed", "pass"),
        (f"{c06} · file:app_logs:logs/debug.log", "skipped"),
        (f"{c06} · 1 other targets passed", "pass"),
    }
    assert cases == {
        "guardrail/pipl": common
        | {
            (
                "C27 PRC outbound transfers use the required mechanism · flow:crm-to-mailwave",
                "failure",
            ),
            ("C40 Impact assessments are done", "skipped"),
            ("C50 Retention is enforced", "error"),
        },
        "guardrail/gdpr": common
        | {
            ("C30 Protection officers are designated · 1 targets passed", "pass"),
            ("C40 Impact assessments are done", "skipped"),
            ("C50 Retention is enforced", "error"),
        },
        "guardrail/ccpa": common | {("C41 Sale/share opt-out is honoured", "skipped")},
    }


def test_counts_add_up(result: AuditResult) -> None:
    doc = _parse(result)
    for suite in doc.iter("testsuite"):
        cases = list(suite.iter("testcase"))
        assert int(suite.get("tests", "-1")) == len(cases)
        for attr, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            assert int(suite.get(attr, "-1")) == sum(1 for c in cases if c.find(tag) is not None)
    assert doc.get("tests") == str(sum(int(s.get("tests", "0")) for s in doc.iter("testsuite")))
    assert doc.get("failures") == "7" and doc.get("errors") == "2" and doc.get("skipped") == "6"


def test_failure_details(result: AuditResult) -> None:
    doc = _parse(result, "zh")
    suite = next(s for s in doc.iter("testsuite") if s.get("name") == "guardrail/pipl")
    case = next(c for c in suite.iter("testcase") if "card_number" in c.get("name", ""))
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "critical"
    assert failure.get("message") == F_CARD.message.zh
    text = failure.text or ""
    assert "法律依据: PIPL Art. 51(3), GB/T 35273-2020 6.3 ⚠" in text
    assert "621200********9199" in text and f"id: {F_CARD.id}" in text
    assert case.get("classname") == "guardrail.pipl.C03"
    waived = next(c for c in suite.iter("testcase") if "debug.log" in c.get("name", ""))
    skipped = waived.find("skipped")
    assert skipped is not None and "sec-team@example.com" in skipped.get("message", "")


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x1f", "\ufffe"])
def test_control_characters_cannot_break_the_xml(bad: str) -> None:
    result = make_result()
    f = result.findings[0].model_copy(update={"message": LocalizedText(en=f"a{bad}b", zh="x")})
    doc = _parse(result.model_copy(update={"findings": (f, *result.findings[1:])}))
    messages = [e.get("message") for e in doc.iter("failure")]
    assert "a\ufffdb" in messages
