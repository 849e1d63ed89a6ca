"""Markdown (golden files) and HTML renderings, in English and Chinese."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from guardrail.model.common import Lang
from guardrail.playbook import load_incident, render_html, render_markdown
from guardrail.playbook.content import CA_HEADINGS, CA_TITLE
from tests.playbook.conftest import LEAK, incident, playbook, with_org

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GUARDRAIL_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def leak(stack: Any) -> Any:
    return playbook(stack, load_incident(LEAK, stack))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_matches_golden(leak: Any, lang: str) -> None:
    got = render_markdown(leak, lang=lang)
    path = GOLDEN / f"customer-leak.{lang}.md"
    if UPDATE:
        path.write_text(got, "utf-8")
    assert got == path.read_text("utf-8"), (
        f"rerun with GUARDRAIL_UPDATE_GOLDEN=1 and review {path.name}"
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_states_the_clocks(leak: Any, lang: str) -> None:
    md = render_markdown(leak, lang=lang)
    for needle in (
        "2026-06-12 06:40 CST (2026-06-11 22:40 UTC)",  # IRM, 4 h after discovery
        "2026-06-15 03:15 CEST (2026-06-15 01:15 UTC)",  # GDPR, 72 h after awareness
        "2026-07-11 23:59 PDT (2026-07-12 06:59 UTC)",  # California residents
        "2026-07-26 23:59 PDT (2026-07-27 06:59 UTC)",  # Attorney General (latest)
        "<!-- guardrail:clock gdpr-authority PT72H -->",
        "<!-- guardrail:clock irm-report PT4H -->",
    ):
        assert needle in md
    # Both languages' notices, the chosen one first; California keeps its statutory title.
    kinds = re.findall(r"<!-- guardrail:notice kind=(\w+) lang=(\w+) -->", md)
    other = "zh" if lang == "en" else "en"
    assert kinds == [
        (k, lg) for k in ("authority_report", "subject_notice", "ca_notice") for lg in (lang, other)
    ]
    assert md.count(CA_TITLE) >= 2
    for heading in CA_HEADINGS:
        assert f"#### {heading}" in md


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag not in {"meta", "br", "hr", "img", "link", "input"}:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}>")
        else:
            self.stack.pop()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_is_self_contained_and_balanced(leak: Any, lang: str) -> None:
    html = render_html(leak, lang=lang)
    checker = _Checker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert "script" not in checker.tags and "link" not in checker.tags
    assert 'src="http' not in html and "url(" not in html
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    assert "font: 11pt" in html  # §1798.82(d): at least 10-point type
    for heading in CA_HEADINGS:
        assert f"<h4>{heading}" in html


def test_values_cannot_inject_markup(stack: Any) -> None:
    hostile = with_org(stack, name="Evil <script>alert(1)</script> | *Shop*")
    pb = playbook(hostile, incident(title="<img src=x onerror=alert(1)>"))
    html = render_html(pb, lang=Lang.EN)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    md = render_markdown(pb, lang=Lang.EN)
    assert "<script>" not in md and "<img" not in md
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; \\| \\*Shop\\*" in md


def test_scenario_shows_relative_times(stack: Any) -> None:
    from guardrail.model.incident import IncidentType
    from guardrail.playbook import scenario_incident
    from tests.playbook.conftest import AT

    pb = playbook(stack, scenario_incident(stack, IncidentType.EXFILTRATION, AT), scenario=True)
    md = render_markdown(pb, lang="en")
    assert (
        "T0 + 1 h" in md
        and "2026-06-11" not in md.split("## Deadlines")[1].split("## Decisions")[0]
    )
    assert "≤ 72 hours after awareness" in md and "≤ 4 hours after discovery" in md
    zh = render_markdown(pb, lang="zh")
    assert "知悉后72小时内" in zh and "发现后4小时内" in zh


def test_free_text_is_masked(stack: Any) -> None:
    pb = playbook(
        stack,
        incident(description="Customer 13812345678 (zhang.wei@example.cn) called about it."),
    )
    assert pb.incident.description == "Customer 138****5678 (z***@example.cn) called about it."
