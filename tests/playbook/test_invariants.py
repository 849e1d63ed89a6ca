"""Invariants of the clocks and the engine, checked on generated inputs (hypothesis)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail.model.incident import Clock, ClockStart, IncidentType, ObligationStatus
from guardrail.playbook import check_cacao, deadline_of, to_cacao
from tests.playbook.conftest import incident, playbook

EXAMPLES = int(os.environ.get("GUARDRAIL_HYPOTHESIS_EXAMPLES", "40"))
TZS = ["Asia/Shanghai", "America/Los_Angeles", "Europe/Berlin", "UTC"]
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(start=moments, days=st.integers(1, 60), tz=st.sampled_from(TZS))
def test_calendar_days_end_at_2359_local(start: datetime, days: int, tz: str) -> None:
    clock = Clock(start=ClockStart.DISCOVERY, days=days, timezone=tz)
    end = deadline_of(start, clock)
    assert end is not None and end.tzinfo is not None
    local = end.astimezone(ZoneInfo(tz))
    assert (local.hour, local.minute) == (23, 59)
    assert local.date() == start.astimezone(ZoneInfo(tz)).date() + timedelta(days=days)
    assert end > start


@given(start=moments, hours=st.integers(1, 96), tz=st.sampled_from(TZS))
def test_hour_clocks_are_elapsed_time(start: datetime, hours: int, tz: str) -> None:
    clock = Clock(start=ClockStart.AWARENESS, hours=hours, timezone=tz)
    assert deadline_of(start.astimezone(ZoneInfo(tz)), clock) == start + timedelta(hours=hours)


_RANK = {
    ObligationStatus.NOT_TRIGGERED: 0,
    ObligationStatus.EXEMPT: 0,
    ObligationStatus.CONDITIONAL: 1,
    ObligationStatus.REQUIRED: 2,
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=st.integers(0, 3_000_000), b=st.integers(0, 3_000_000))
def test_more_persons_never_lift_an_obligation(stack: Any, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    small = playbook(stack, incident(persons={"by_region": {"CN": lo, "US-CA": lo // 3}}))
    large = playbook(stack, incident(persons={"by_region": {"CN": hi, "US-CA": hi // 3}}))
    for o in small.obligations:
        assert _RANK[o.status] <= _RANK[large.obligation(o.id).status], o.id


counts = st.one_of(st.none(), st.integers(0, 2_000_000))
incidents = st.fixed_dictionaries(
    {
        "type": st.sampled_from([t.value for t in IncidentType]),
        "persons": st.fixed_dictionaries(
            {},
            optional={
                "CN": counts,
                "DE": counts,
                "US-CA": counts,
            },
        ).map(lambda d: {"by_region": d}),
        "encryption": st.fixed_dictionaries(
            {
                "encrypted": st.sampled_from([True, False, None]),
                "key_exposed": st.sampled_from([True, False, None]),
            }
        ),
        "discovered_at": moments.map(lambda d: d.isoformat()),
        "cii": st.booleans(),
        "role": st.sampled_from(["controller", "processor"]),
        "data": st.fixed_dictionaries({"complete": st.booleans()}),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=incidents)
def test_any_incident_gives_a_sound_playbook(
    stack: Any, cacao_validator: Any, fields: dict[str, Any]
) -> None:
    fields = dict(fields)
    fields["aware_at"] = fields["discovered_at"]
    if fields["role"] == "processor":
        fields["controller"] = "Controller Ltd"
        if fields["type"] == "vendor_breach":
            fields["role"] = "controller"
    pb = playbook(stack, incident(**fields))
    for o in pb.obligations:
        if o.deadline is not None:
            assert o.status.active
            assert o.start_at is not None and o.deadline >= o.start_at, o.id
        if o.status is ObligationStatus.CONDITIONAL:
            assert o.conditions, o.id
    doc = to_cacao(pb, lang="zh")
    assert check_cacao(doc) == []
    assert cacao_validator(doc) == []
