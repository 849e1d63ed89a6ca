from __future__ import annotations

from tests.report.factory import F_CARD, make_result

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.md import MAX_COMMENT_CHARS, render_markdown


def test_summary_tables_and_details(result: AuditResult) -> None:
    md = reporter("md").render(result, lang=Lang.EN).decode("utf-8")
    lines = md.splitlines()
    assert lines[0].startswith("## Personal-data compliance audit — Silkroute Goods")
    assert "❌ **Open findings need attention" in md
    assert "Open findings: **3** — 🟥 critical 2 · 🟧 high 1" in md
    assert "| PIPL | yes | 0 | 2 | 1 | 1 | 1 | 60 % |" in md
    assert "| CCPA | no | 0 | 1 | 0 | 1 | 0 | 100 % |" in md
    # One table row and one collapsed block per finding.
    assert md.count("<details>") == 4 and md.count("</details>") == 4
    assert (
        "| 🟥 critical | C03 Sensitive personal information is encrypted at rest "
        "| `field:shop_db.payments.card_number` "
        "| PIPL PIPL Art. 51(3), GB/T 35273-2020 6.3 ⚠, GDPR GDPR Art. 32(1)(a), "
        "CCPA Cal. Civ. Code §1798.150(a)(1) | open |"
    ) in md
    assert "- **PIPL**: PIPL Art. 51(3), GB/T 35273-2020 6.3 ⚠" in md


def test_markup_in_values_is_escaped(result: AuditResult) -> None:
    md = render_markdown(result, lang="en")
    # The message holds HTML and a table pipe: neither may become markup.
    assert "<b>unescaped?</b>" not in md
    assert r"\<b\>unescaped?\</b\> \| pipe" in md


def test_chinese(result: AuditResult) -> None:
    md = render_markdown(result, lang="zh")
    assert md.startswith("## 个人信息合规审计报告")
    # Markdown-special characters are escaped (rendered text is unchanged).
    assert F_CARD.message.zh.replace("_", "\\_") in md and "整改建议" in md


def test_stays_under_githubs_comment_limit() -> None:
    base = make_result()
    many = tuple(
        f.model_copy(update={"id": f"{i:032x}"}) for i in range(400) for f in base.findings[:1]
    )
    big = base.model_copy(update={"findings": many})
    full = render_markdown(big, lang="en", limit=10**9)
    assert len(full) > MAX_COMMENT_CHARS
    cut = render_markdown(big, lang="en")
    assert len(cut) <= MAX_COMMENT_CHARS
    shown = cut.count("<details>")
    assert 0 < shown < 400
    assert f"… {400 - shown} more findings are in the full report" in cut
    assert cut.rstrip().endswith("</sub>")


def test_incomplete(incomplete: AuditResult) -> None:
    md = render_markdown(incomplete, lang="en")
    assert "⚠️ **The run is incomplete" in md
    assert "- **collect:shop\\_db**: retention probe failed" in md
