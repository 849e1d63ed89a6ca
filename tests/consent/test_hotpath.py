"""The per-call shortcuts of record() and status() give exactly what the plain code gives:
precomputed notice starts, the per-date period shift cache, the shared JSON encoder, plain
driver tuples instead of ``StateRow``s, and the registry's hot connection after a rotation
or a changed catalog."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.consent import ConsentRegistry
from guardrail.consent.catalog import CompiledCatalog, CompiledPurpose, add_period
from guardrail.consent.events import content_digest, from_us, to_us
from guardrail.consent.state import StateRow, derive
from guardrail.crypto import Keyring
from guardrail.errors import InputError
from guardrail.model.consent import ConsentCatalog, MissingReason, NoticeVersion
from guardrail.model.stack import Period

T0 = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
_MIN_US = to_us(datetime(1900, 1, 1, tzinfo=UTC))
_MAX_US = to_us(datetime(2200, 1, 1, tzinfo=UTC))


@settings(max_examples=300, deadline=None)
@given(
    at_us=st.integers(_MIN_US, _MAX_US),
    years=st.integers(0, 5),
    months=st.integers(0, 30),
    days=st.integers(0, 400),
)
def test_expiry_equals_calendar_arithmetic(at_us: int, years: int, months: int, days: int) -> None:
    period = Period(years=years, months=months, days=days)
    purpose = _purpose_with(period)
    assert purpose.expiry_us(at_us) == to_us(add_period(from_us(at_us), period))


def test_expiry_cache_is_keyed_by_period_and_date() -> None:
    # Same instant, different validity: the cached shift of one period is not reused for
    # another; month ends and leap days are clamped per date.
    jan31 = to_us(datetime(2024, 1, 31, 23, 59, 59, 999_999, tzinfo=UTC))
    one_month = _purpose_with(Period(months=1))
    two_years = _purpose_with(Period(years=2))
    assert from_us(one_month.expiry_us(jan31) or 0) == datetime(
        2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC
    )
    assert from_us(two_years.expiry_us(jan31) or 0) == datetime(
        2026, 1, 31, 23, 59, 59, 999_999, tzinfo=UTC
    )
    feb29 = to_us(datetime(2024, 2, 29, tzinfo=UTC))
    assert from_us(two_years.expiry_us(feb29) or 0) == datetime(2026, 2, 28, tzinfo=UTC)
    assert _purpose_with(None).expiry_us(jan31) is None


def test_notice_in_force_us_matches_dates(catalog: ConsentCatalog) -> None:
    compiled = CompiledCatalog(catalog)
    cst = timezone(timedelta(hours=8))
    for n in catalog.notices:
        midnight = datetime(n.effective.year, n.effective.month, n.effective.day, tzinfo=UTC)
        for at in (
            midnight - timedelta(microseconds=1),
            midnight,
            midnight + timedelta(hours=23, minutes=59),
            (midnight - timedelta(hours=1)).astimezone(cst),  # the effective day in UTC+8 only
        ):
            assert compiled.notice_in_force_us(to_us(at)) == compiled.notice_in_force(at)
    assert compiled.notice_in_force_us(to_us(datetime(1990, 1, 1, tzinfo=UTC))) == (
        catalog.notices[0].version
    )


def test_content_digest_bytes_unchanged() -> None:
    content = ("0" * 32, "gr1:x", "marketing", "given", 1, 2, "2026-03", "web", 1, 0, "CN", None)
    content += (None, None, "réf \u2028", None)
    raw = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert content_digest(content) == sha256(b"guardrail.consent.event.v1\n" + raw).digest()


def test_status_folds_driver_tuples_like_state_rows(registry: ConsentRegistry) -> None:
    registry.record("c", "marketing", at=T0, separate_consent=True)
    registry.record("c", None, "opt_out", at=T0 + timedelta(days=1))
    registry.record("c", "analytics", "refused", at=T0 + timedelta(days=2), region="CN")
    subjects = [registry.pseudonym("c")]
    tuples = registry.store.state_tuples(subjects)
    rows = registry.store.state_rows(subjects)
    assert [tuple(r) for r in rows] == [tuple(t) for t in tuples] and len(rows) == 3
    assert all(type(r) is StateRow for r in rows)
    at = T0 + timedelta(days=3)
    for p in registry.catalog.purposes:
        compiled = registry._compiled.purpose(p.id)
        assert compiled is not None
        expected = derive(rows, compiled, registry._compiled, at)
        assert derive(tuples, compiled, registry._compiled, at) == expected
        assert registry.status("c", p.id, at=at) == expected


def test_changed_catalog_is_honoured_by_a_reopened_registry(
    make_registry: Callable[..., ConsentRegistry],
    registry: ConsentRegistry,
    catalog: ConsentCatalog,
) -> None:
    registry.record("c", "marketing", at=T0, separate_consent=True)
    assert registry.status("c", "marketing", at=T0 + timedelta(days=1)).valid
    url = f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}"
    newer = NoticeVersion(
        version="2026-05",
        effective=date(2026, 5, 15),
        url="https://shop.example/privacy/2026-09",
        reconsent=("marketing",),
    )
    changed = catalog.model_copy(update={"notices": (*catalog.notices, newer)})
    changed = ConsentCatalog.model_validate(changed.model_dump())
    reopened = make_registry(url, catalog=changed)
    after = datetime(2026, 5, 20, tzinfo=UTC)
    assert reopened.status("c", "marketing", at=after).reason is MissingReason.NOTICE_CHANGED
    event = reopened.record("c", "marketing", at=after, separate_consent=True)
    assert event.notice_version == "2026-05"
    assert reopened.status("c", "marketing", at=after + timedelta(hours=1)).valid
    assert reopened.verify().ok


def test_rotated_key_is_honoured_on_the_hot_path(
    make_registry: Callable[..., ConsentRegistry], registry: ConsentRegistry, keyring: Keyring
) -> None:
    registry.record("c", "analytics", at=T0)
    assert registry.status("c", "analytics", at=T0).valid  # hot connection and cache in use
    url = f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}"
    rotated = make_registry(url, keyring=keyring.rotate())
    assert rotated.pseudonym("c") != registry.pseudonym("c")
    rotated.record("c", "analytics", "withdrawn", at=T0 + timedelta(days=1))
    when = T0 + timedelta(days=2)
    assert rotated.status("c", "analytics", at=when).reason is MissingReason.WITHDRAWN
    assert [e.action.value for e in rotated.history("c")] == ["given", "withdrawn"]
    assert rotated.verify().ok


def test_unknown_purpose_and_future_time_still_rejected(registry: ConsentRegistry) -> None:
    head = registry.head
    with pytest.raises(InputError, match="unknown purpose"):
        registry.record("c", "no_such_purpose", at=T0)
    with pytest.raises(InputError, match="future"):
        registry.record("c", "analytics", at=datetime(2099, 1, 1, tzinfo=UTC))
    assert registry.head == head


def _purpose_with(validity: Period | None) -> CompiledPurpose:
    return CompiledPurpose(
        id="p",
        consent_based=True,
        separate_required=False,
        sale_or_share=False,
        limitable=False,
        validity=validity,
        reconsent=(),
    )
