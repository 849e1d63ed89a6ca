from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.report.factory import C03, C27, F_CARD, F_LOG, make_result

from guardrail.errors import ConfigError
from guardrail.model.common import ArticleRef, Lang
from guardrail.report._common import (
    Labels,
    article_key,
    evidence_line,
    framework_of,
    refs_in,
    run_uuid,
    severity_order,
)


def test_every_label_has_both_languages() -> None:
    en, zh = Labels("en"), Labels("zh")
    assert en.names() == zh.names()
    for key in en.names():
        assert en(key).strip() and zh(key).strip(), key


def test_a_missing_label_names_the_file_and_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"'no_such_label'.*labels\.yaml") as info:
        Labels("en")("no_such_label")
    assert info.value.hint == "add it with an en and a zh text"


@pytest.mark.parametrize(
    ("text", "framework"),
    [
        ("PIPL 51(3)", "pipl"),
        ("GB/T 35273-2020 6.3", "pipl"),
        ("XBP 5", "pipl"),
        ("NDSR 21(3)", "pipl"),
        ("GDPR 32(1)(a)", "gdpr"),
        ("GDPR-RECITAL 26", "gdpr"),
        ("CAL-CIV 1798.82(a)", "ccpa"),
        ("CPPA-REGS 7012", "ccpa"),
        ("ACME-RULES 7", None),
    ],
)
def test_framework_of(text: str, framework: str | None) -> None:
    assert framework_of(ArticleRef.parse(text)) == framework


def test_refs_split_by_law() -> None:
    assert [str(r) for r in refs_in(C03, "pipl")] == ["PIPL Art. 51(3)", "GB/T 35273-2020 6.3 ⚠"]
    assert [str(r) for r in refs_in(C03, "gdpr")] == ["GDPR Art. 32(1)(a)"]
    assert [str(r) for r in refs_in(C03, "ccpa")] == ["Cal. Civ. Code §1798.150(a)(1)"]
    # An instrument no law claims stays with the finding's own framework.
    assert [str(r) for r in refs_in(C27, "pipl")][-1] == "ACME-RULES 7"
    assert refs_in(C27, "gdpr") == ()


def test_articles_sort_naturally() -> None:
    refs = [ArticleRef.parse(t) for t in ("GDPR 33(1)", "GDPR 5(1)(c)", "GDPR 32(1)(a)", "GDPR 13")]
    assert [r.provision for r in sorted(refs, key=article_key)] == [
        "5(1)(c)",
        "13",
        "32(1)(a)",
        "33(1)",
    ]


def test_severity_order_puts_open_critical_first() -> None:
    ordered = severity_order(make_result().findings)
    assert [f.id[0] for f in ordered] == ["a", "d", "b", "c"]


def test_evidence_line_is_masked_and_complete() -> None:
    line = evidence_line(F_CARD.evidence[0], Lang.EN)
    assert line == (
        "Sampled column values — @ shop_db.payments.card_number — 596 × CREDIT_CARD — "
        "sampled=1000; declared_field_protection=true; ratio=0.596; owner=null — "
        "621200********9199 · =cmd|' /C calc'!A0"
    )
    assert evidence_line(F_LOG.evidence[0], Lang.ZH).startswith("日志扫描 — @ logs/debug.log:31")


def test_run_uuid_depends_on_inputs_and_time() -> None:
    a = make_result()
    assert run_uuid(a) == run_uuid(make_result())
    changed = a.model_copy(update={"inputs": a.inputs[:1]})
    assert run_uuid(changed) != run_uuid(a)
    later = a.model_copy(update={"at": a.at.replace(year=2027)})
    assert run_uuid(later) != run_uuid(a)
    assert run_uuid(a).version == 5


@given(st.lists(st.from_regex(r"[1-9][0-9]{0,2}(\([1-9a-z]\)){0,3}", fullmatch=True), min_size=2))
def test_article_order_is_total_and_numeric(provisions: list[str]) -> None:
    refs = [ArticleRef(instrument="GDPR", provision=p) for p in provisions]
    ordered = sorted(refs, key=article_key)
    numbers = [int(r.provision.split("(")[0]) for r in ordered]
    assert numbers == sorted(numbers)
