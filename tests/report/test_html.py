from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

import pytest
from tests.report.factory import C03, C27, C40, F_CARD, F_FLOW, F_ID, F_LOG

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.html import render_html

SECTIONS = {
    "summary",
    "scorecards",
    "applicability",
    "by-law",
    "findings",
    "controls",
    "inventory",
    "transfers",
    "waivers",
    "appendix",
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("src", "href", "action", "data") and value:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(doc: str) -> _Collector:
    c = _Collector()
    c.feed(doc)
    c.close()
    return c


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_self_contained_and_complete(result: AuditResult, lang: str) -> None:
    doc = render_html(result, lang=lang)
    parsed = _parse(doc)
    assert parsed.ids >= SECTIONS
    assert "script" not in parsed.tags and "iframe" not in parsed.tags
    # Only in-page anchors: no external assets, stylesheets or links.
    assert {u[0] for u in parsed.urls} <= {"#"}, parsed.urls
    assert "url(http" not in doc and "@import" not in doc
    assert 'http-equiv="Content-Security-Policy"' in doc and "default-src 'none'" in doc
    # Inline SVG charts: the severity ring, one bar per scorecard, the flow diagram.
    assert doc.count("<svg") == 1 + len(result.scorecards) + 1
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in doc


def test_text_follows_the_language(result: AuditResult) -> None:
    en = render_html(result, lang=Lang.EN)
    zh = render_html(result, lang=Lang.ZH)
    for control in (C03, C27, C40):
        assert control.title.en in en and control.title.zh not in en
        assert control.title.zh in zh and control.title.en not in zh
        assert control.objective.zh in zh
    assert F_CARD.remediation.zh in zh and F_CARD.remediation.en not in zh
    assert F_FLOW.message.zh in zh
    assert "个人信息合规审计报告" in zh and "Personal-data compliance audit" not in zh
    assert "Findings by law and article" in en and "按法律条款归类的问题" in zh
    # Transfer reasoning, applicability reasons and route labels are localised too.
    assert "未取得单独同意（第三十九条）。" in zh and "No separate consent recorded" in en
    assert "在境内处理个人信息（第三条第一款）。" in zh
    assert "标准合同或认证" in zh and "standard contract or certification" in en
    # Inventory labels.
    assert "敏感个人信息 (金融账户)" in zh and "sensitive PI (financial account)" in en
    assert "特殊类别 (健康数据)" in zh


def test_findings_are_indexed_by_law_and_article(result: AuditResult) -> None:
    doc = render_html(result, lang=Lang.EN)
    rows = {
        (law, htmllib.unescape(ref), fid)
        for law, ref, fid in re.findall(
            r'data-law="(\w+)" data-ref="([^"]+)" data-finding="(\w+)"', doc
        )
    }
    card, id_, log, flow = F_CARD.id, F_ID.id, F_LOG.id, F_FLOW.id
    assert rows == {
        ("pipl", "PIPL Art. 51(3)", card),
        ("pipl", "PIPL Art. 51(3)", id_),
        ("pipl", "GB/T 35273-2020 6.3 ⚠", card),
        ("pipl", "GB/T 35273-2020 6.3 ⚠", id_),
        ("pipl", "PIPL Art. 51", log),
        ("pipl", "PIPL Art. 38", flow),
        ("pipl", "PIPL Art. 39", flow),
        ("pipl", "XBP Art. 5", flow),
        ("pipl", "ACME-RULES 7", flow),
        ("gdpr", "GDPR Art. 32(1)(a)", card),
        ("gdpr", "GDPR Art. 32(1)(a)", id_),
        ("gdpr", "GDPR Art. 5(1)(f)", log),
        ("ccpa", "Cal. Civ. Code §1798.150(a)(1)", card),
        ("ccpa", "Cal. Civ. Code §1798.150(a)(1)", id_),
        ("ccpa", "Cal. Civ. Code §1798.100(e)", log),
    }
    # The law's own articles come first, in natural order.
    pipl = [
        htmllib.unescape(r)
        for law, r in re.findall(r'data-law="(\w+)" data-ref="([^"]+)"', doc)
        if law == "pipl"
    ]
    assert list(dict.fromkeys(pipl))[:4] == [
        "PIPL Art. 38",
        "PIPL Art. 39",
        "PIPL Art. 51",
        "PIPL Art. 51(3)",
    ]


def test_values_are_escaped(result: AuditResult) -> None:
    doc = render_html(result, lang=Lang.EN)
    assert "<b>unescaped?</b>" not in doc
    assert "&lt;b&gt;unescaped?&lt;/b&gt;" in doc


def test_waivers_expired_and_in_force(result: AuditResult) -> None:
    doc = render_html(result, lang=Lang.EN)
    section = doc[doc.index('id="waivers"') : doc.index('id="appendix"')]
    assert section.count("in force") == 1 and section.count("expired") == 2  # + the note
    assert "SEC-42" in section and "2026-01-31" in section


def test_incomplete_run_is_flagged_first(incomplete: AuditResult) -> None:
    doc = render_html(incomplete, lang=Lang.ZH)
    assert doc.index('id="run-errors"') < doc.index('id="summary"')
    assert "本次审计不完整" in doc and "retention probe failed" in doc
    assert 'class="verdict incomplete"' in doc


def test_empty_sections_say_so(result: AuditResult) -> None:
    bare = result.model_copy(
        update={"inventory": (), "transfers": (), "waivers": (), "findings": ()}
    )
    doc = render_html(bare, lang=Lang.EN)
    for text in (
        "The audit recorded no data inventory.",
        "The audit recorded no cross-border transfers.",
        "No waivers were in force.",
        "No findings.",
    ):
        assert text in doc
    assert 'class="verdict pass"' in doc


def test_reporter_plugin_and_shop(shop_result: AuditResult) -> None:
    rep = reporter("html")
    assert rep.suffix == ".html"
    doc = rep.render(shop_result, lang=Lang.ZH).decode("utf-8")
    assert "PIPL Art. 51(3)" in doc and "敏感个人信息静态加密存储" in doc
    parsed = _parse(doc)
    assert parsed.ids >= SECTIONS
