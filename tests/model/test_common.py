from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrail.model.common import ArticleRef, LocalizedText, Severity, SourceLocation


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("GDPR 33(1)", "GDPR Art. 33(1)"),
        ("PIPL 51", "PIPL Art. 51"),
        ("CAL-CIV 1798.82(a)", "Cal. Civ. Code §1798.82(a)"),
        ("CPPA-REGS 7025(b)", "11 CCR §7025(b)"),
        ("GB/T 35273-2020 6.3?", "GB/T 35273-2020 6.3 ⚠"),
        ("XBP 7(2)", "XBP Art. 7(2)"),
    ],
)
def test_article_ref_parse_and_render(text: str, rendered: str) -> None:
    assert str(ArticleRef.parse(text)) == rendered


def test_article_ref_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="instrument, space, provision"):
        ArticleRef.parse("article thirty-three")


def test_value_objects_are_frozen_and_strict() -> None:
    ref = ArticleRef(instrument="GDPR", provision="5")
    with pytest.raises(ValidationError):
        ref.provision = "6"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ArticleRef(instrument="GDPR", provision="5", extra="x")  # type: ignore[call-arg]


def test_validation_errors_hide_input() -> None:
    secret = "13912345678"
    with pytest.raises(ValidationError) as info:
        SourceLocation(path=None, line=secret)  # type: ignore[arg-type]
    assert secret not in str(info.value)


def test_severity_order() -> None:
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.MEDIUM.at_least(Severity.HIGH)
    assert [s.rank for s in Severity] == [4, 3, 2, 1, 0]


def test_localized_text() -> None:
    t = LocalizedText(en="Logs", zh="日志")
    assert t.get("zh") == "日志" and t.get("en") == "Logs"
