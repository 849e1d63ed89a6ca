from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from guardrail.model.stack import Flow, Period, Stack, frameworks_for_region


@pytest.mark.parametrize(
    ("text", "years", "months", "days"),
    [("P3Y", 3, 0, 0), ("P6M", 0, 6, 0), ("P30D", 0, 0, 30), ("P1Y6M", 1, 6, 0), ("P2W", 0, 0, 14)],
)
def test_period_parse(text: str, years: int, months: int, days: int) -> None:
    p = Period.parse(text)
    assert (p.years, p.months, p.days) == (years, months, days)


@pytest.mark.parametrize("bad", ["3 years", "P", "PT5H", "P-1Y", ""])
def test_period_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        Period.parse(bad)


def test_period_before_clamps_month_end() -> None:
    at = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert Period.parse("P1M").before(at) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert Period.parse("P1Y").before(at) == datetime(2025, 3, 31, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("CN", {"pipl"}),
        ("HK", set()),
        ("DE", {"gdpr"}),
        ("NO", {"gdpr"}),
        ("EU", {"gdpr"}),
        ("US-CA", {"ccpa"}),
        ("US", set()),
        ("US-NY", set()),
    ],
)
def test_frameworks_for_region(region: str, expected: set[str]) -> None:
    assert frameworks_for_region(region) == expected


def _flow(a: str, b: str) -> Flow:
    return Flow.model_validate(
        {"id": "f", "from": "x", "to": "y", "from_region": a, "to_region": b}
    )


def test_cross_border() -> None:
    assert _flow("CN", "US").cross_border
    assert not _flow("DE", "FR").cross_border
    assert _flow("DE", "CN").cross_border
    assert not _flow("US-CA", "US-NY").cross_border


MINIMAL = {"organization": {"name": "Shop", "established_in": ["CN"]}}


def test_minimal_stack() -> None:
    s = Stack.model_validate(MINIMAL)
    assert s.organization.name == "Shop" and s.flows == ()


def test_dangling_reference_is_an_error() -> None:
    data = {
        **MINIMAL,
        "flows": [{"id": "f", "from": "a", "to": "b", "from_region": "CN", "to_region": "US"}],
    }
    with pytest.raises(ValidationError, match="unknown system"):
        Stack.model_validate(data)
    deferred = Stack.model_validate(data, context={"defer_references": True})
    assert deferred.reference_problems()[0][0] == ("flows", 0, "from")


def test_credentials_in_url_are_refused() -> None:
    data = {
        **MINIMAL,
        "datastores": [{"id": "db", "url": "postgresql://u:Pw-c4nary@h/db", "region": "CN"}],
    }
    with pytest.raises(ValidationError, match="environment variable") as info:
        Stack.model_validate(data)
    assert "Pw-c4nary" not in str(info.value)


def test_consent_processing_set_names_a_known_datastore() -> None:
    data = {
        **MINIMAL,
        "datastores": [{"id": "db", "url": "sqlite:///x.db", "region": "CN"}],
        "consent": {
            "url": "sqlite:///c.db",
            "processing": [
                {"purpose": "marketing", "datastore": "db", "table": "t", "column": "id"},
                {"purpose": "analytics", "datastore": "dw", "table": "t", "column": "id"},
            ],
        },
    }
    deferred = Stack.model_validate(data, context={"defer_references": True})
    assert deferred.reference_problems() == [
        (
            ("consent", "processing", 1, "datastore"),
            "consent processing set for 'analytics' names unknown datastore 'dw'",
        )
    ]


def test_every_manifest_section_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "manifest.md").read_text("utf-8")
    missing = {name for name in Stack.model_fields if f"### `{name}`" not in doc}
    assert missing == set()
