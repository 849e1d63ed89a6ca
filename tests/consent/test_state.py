"""State derivation as a pure function: rule by rule, plus invariants checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.consent.catalog import CompiledCatalog, add_period
from guardrail.consent.events import to_us
from guardrail.consent.state import StateRow, derive
from guardrail.model.consent import ConsentCatalog, ConsentState, Lifecycle, MissingReason
from guardrail.model.stack import Period

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def compiled(catalog: ConsentCatalog) -> CompiledCatalog:
    return CompiledCatalog(catalog)


def row(
    seq: int,
    purpose: str | None,
    action: str,
    day: int,
    *,
    notice: str | None = "2026-03",
    sep: int = 1,
    gpc: int = 0,
    region: str | None = None,
    minor: int | None = None,
    guardian: str | None = None,
    expires: int | None = None,
) -> StateRow:
    return StateRow(
        seq,
        purpose,
        action,
        to_us(BASE + timedelta(days=day)),
        notice,
        sep,
        gpc,
        region,
        minor,
        guardian,
        expires,
    )


def state(
    compiled: CompiledCatalog, rows: list[StateRow], purpose: str, day: float
) -> ConsentState:
    p = compiled.purpose(purpose)
    assert p is not None
    return derive(
        sorted(rows, key=lambda r: (r.occurred_at, r.seq)), p, compiled, BASE + timedelta(days=day)
    )


def test_rules_in_order(compiled: CompiledCatalog) -> None:
    rows = [row(1, "marketing", "given", 0, sep=0)]
    s = state(compiled, rows, "marketing", 1)
    assert s.reason is MissingReason.SEPARATE_CONSENT_MISSING
    rows.append(row(2, "marketing", "given", 2, notice="2024-01"))
    # the older notice wins over the missing separate consent (checked first)
    assert state(compiled, rows, "marketing", 3).reason is MissingReason.NOTICE_CHANGED
    rows.append(row(3, None, "opt_out", 4))
    rows.append(row(4, "marketing", "given", 5))
    assert state(compiled, rows, "marketing", 6).reason is MissingReason.OPTED_OUT


def test_gpc_on_any_event_opts_out_of_sale_and_share(compiled: CompiledCatalog) -> None:
    rows = [row(1, "marketing", "given", 0), row(2, "analytics", "given", 1, gpc=1)]
    s = state(compiled, rows, "marketing", 2)
    assert s.reason is MissingReason.GPC_OPT_OUT and s.gpc
    assert state(compiled, rows, "analytics", 2).valid  # not a sale/share purpose
    rows.append(row(3, None, "opt_in", 3, gpc=1))  # an opt-in sent *with* the signal is no opt-in
    assert not state(compiled, rows, "marketing", 4).valid
    rows.append(row(4, None, "opt_in", 5))
    assert state(compiled, rows, "marketing", 6).valid


def test_add_period_clamps_month_ends() -> None:
    assert add_period(datetime(2024, 1, 31, tzinfo=UTC), Period(months=1)) == datetime(
        2024, 2, 29, tzinfo=UTC
    )
    assert add_period(datetime(2024, 2, 29, tzinfo=UTC), Period(years=1)) == datetime(
        2025, 2, 28, tzinfo=UTC
    )
    assert add_period(datetime(2025, 12, 15, tzinfo=UTC), Period(months=1, days=3)) == datetime(
        2026, 1, 18, tzinfo=UTC
    )


actions = st.sampled_from(
    ["given", "refused", "withdrawn", "expired", "opt_out", "opt_in", "gpc", "limit_sensitive"]
)
purposes = st.sampled_from(["marketing", "analytics", "sensitive_pi", None])
events = st.lists(
    st.tuples(purposes, actions, st.integers(0, 60), st.booleans(), st.booleans()),
    max_size=12,
)


def _rows(spec: list[tuple[str | None, str, int, bool, bool]]) -> list[StateRow]:
    out = []
    for i, (purpose, action, day, sep, gpc) in enumerate(spec, 1):
        if action in ("given", "refused", "withdrawn", "expired") and purpose is None:
            purpose = "analytics"
        out.append(row(i, purpose, action, day, sep=int(sep), gpc=int(gpc)))
    return out


@settings(max_examples=200, deadline=None)
@given(spec=events, day=st.integers(0, 70), later=events)
def test_the_past_does_not_change(
    compiled: CompiledCatalog, spec: list, day: int, later: list
) -> None:  # type: ignore[type-arg]
    """Events that occur after ``at`` never change the state at ``at``."""
    rows = _rows(spec)
    future = [
        r._replace(
            seq=r.seq + 100, occurred_at=to_us(BASE + timedelta(days=day + 1 + r.occurred_at % 5))
        )
        for r in _rows(later)
    ]
    for purpose in ("marketing", "analytics", "sensitive_pi"):
        assert state(compiled, rows, purpose, day) == state(compiled, rows + future, purpose, day)


@settings(max_examples=200, deadline=None)
@given(spec=events, day=st.integers(0, 70))
def test_valid_means_no_reason_and_a_given_consent(
    compiled: CompiledCatalog, spec: list, day: int
) -> None:  # type: ignore[type-arg]
    for purpose in ("marketing", "analytics", "sensitive_pi"):
        s = state(compiled, _rows(spec), purpose, day)
        assert s.valid == (s.reason is None)
        if s.valid and s.consent_required:
            assert s.lifecycle is Lifecycle.GIVEN


@settings(max_examples=200, deadline=None)
@given(spec=events, day=st.integers(0, 70))
def test_a_withdrawal_always_ends_consent(compiled: CompiledCatalog, spec: list, day: int) -> None:  # type: ignore[type-arg]
    rows = _rows(spec)
    rows.append(row(999, "analytics", "withdrawn", day))
    s = state(compiled, rows, "analytics", day)
    last_consent = max(
        (
            r
            for r in rows
            if r.purpose == "analytics"
            and r.action in ("given", "refused", "withdrawn", "expired")
            and r.occurred_at <= to_us(BASE + timedelta(days=day))
        ),
        key=lambda r: (r.occurred_at, r.seq),
    )
    if last_consent.seq == 999:
        assert s.reason is MissingReason.WITHDRAWN


@settings(max_examples=300, deadline=None)
@given(spec=events, day=st.integers(0, 70))
def test_states_built_without_validation_equal_validated_states(
    compiled: CompiledCatalog, spec: list, day: int
) -> None:  # type: ignore[type-arg]
    """derive() builds its ConsentState without re-validating (a hot path); the object must be
    exactly what validation would give: equal, same JSON, same set fields."""
    rows = _rows(spec)
    rows.append(row(998, "marketing", "given", day, minor=12, region="CN", expires=None))
    for purpose in ("marketing", "analytics", "sensitive_pi"):
        s = state(compiled, rows, purpose, day)
        checked = ConsentState.model_validate(s.model_dump())
        assert s == checked
        assert s.model_dump_json() == checked.model_dump_json()
        assert s.model_fields_set == checked.model_fields_set
        assert all(
            type(getattr(s, k)) is type(getattr(checked, k)) for k in ConsentState.model_fields
        )
