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
from guardrail.model.consent import (
    Channel,
    ConsentAction,
    ConsentCatalog,
    MissingReason,
    NoticeVersion,
)
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


def test_events_built_without_validation_equal_validated_events(
    registry: ConsentRegistry,
) -> None:
    """Events read back from the registry are built without re-validation (a hot path); each
    kind of row gives exactly what validation gives."""
    registry.record("c", "marketing", at=T0, separate_consent=True, region="CN")
    registry.record(
        "kid",
        "marketing",
        at=T0,
        minor_age=12,
        guardian="parent",
        evidence="signature",
        evidence_ref="form-7",
        expires_at=T0 + timedelta(days=30),
        channel="app",
    )
    registry.record("c", None, "opt_out", at=T0 + timedelta(days=1), gpc=True)
    registry.record_gpc("d", at=T0)
    registry.erase("d", at=T0 + timedelta(days=2))
    events = [registry.event(seq) for seq in range(1, registry.head[0] + 1)]
    assert {e.action.value for e in events} >= {"given", "opt_out", "gpc", "erased"}
    assert any(e.erased for e in events)
    for event in events:
        checked = type(event).model_validate(event.model_dump())
        assert event == checked
        assert event.model_dump_json() == checked.model_dump_json()
        assert all(
            type(getattr(event, k)) is type(getattr(checked, k)) for k in type(event).model_fields
        )


def test_trusted_constructor_falls_back_when_the_fast_path_disagrees() -> None:
    from pydantic import BaseModel

    from guardrail.model._base import trusted_constructor

    class Point(BaseModel):
        x: int
        label: str = "p"

    fast = trusted_constructor(Point, {"x": 1, "label": "a"})
    assert fast({"x": 2, "label": "b"}) == Point(x=2, label="b")
    # A probe that validation would change ("3" -> 3) makes the fast path unequal: the
    # supported model_construct is used instead.
    slow = trusted_constructor(Point, {"x": "3", "label": "a"})
    assert slow.__name__ == "slow" and fast.__name__ == "fast"
    with pytest.raises(TypeError, match="every field"):
        trusted_constructor(Point, {"x": 1})


_SIMPLE_CALLS = [
    {"purpose": "marketing", "separate_consent": True},
    {"purpose": "analytics", "action": "refused", "channel": "app"},
    {"purpose": "marketing", "action": ConsentAction.WITHDRAWN, "channel": Channel.API},
    {"purpose": "marketing", "notice_version": "2024-01", "gpc": True},
    {"purpose": "sensitive_pi", "at": None},
    {
        "purpose": "analytics",
        "at": datetime(2026, 5, 1, 17, 30, tzinfo=timezone(timedelta(hours=8))),
    },
]
_OTHER_CALLS = [
    {"purpose": "marketing", "region": "CN"},
    {"purpose": "marketing", "minor_age": 12, "guardian": "parent"},
    {"purpose": "marketing", "expires_at": T0 + timedelta(days=3)},
    {"purpose": None, "action": "opt_out"},
    {"purpose": "marketing", "separate_consent": 1},
    {"purpose": "marketing", "action": "GIVEN"},
]


@pytest.mark.parametrize(
    ("call", "simple"), [(c, True) for c in _SIMPLE_CALLS] + [(c, False) for c in _OTHER_CALLS]
)
def test_record_fast_path_stores_what_the_validating_path_stores(
    registry: ConsentRegistry,
    call: dict[str, object],
    simple: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """record() skips building a ConsentRequest for common events; the stored event must be
    the one the validating path stores, and uncommon events must take that path."""
    from guardrail.consent import registry as module

    kwargs = {"at": T0, **call}
    validated: list[int] = []
    real = module._request

    def counting(**fields: object) -> object:
        validated.append(1)
        return real(**fields)

    monkeypatch.setattr(module, "_request", counting)
    subject = "client-7"
    try:
        fast = registry.record(subject, **kwargs)  # type: ignore[arg-type]
    except InputError:
        fast = None
    took_fast = not validated
    assert took_fast == simple
    fields = {k: v for k, v in kwargs.items() if k != "at"}
    fields["occurred_at"] = kwargs["at"]
    try:
        slow = registry.record_request(real(subject=subject, **fields))
    except InputError:
        slow = None
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        skip = {"seq", "event_id", "digest", "chain"}
        assert fast.model_dump(exclude=skip) == slow.model_dump(exclude=skip)
        # what record() returns is what the registry reads back, field for field
        assert fast == registry.event(fast.seq)
        assert fast.model_dump_json() == registry.event(fast.seq).model_dump_json()
    assert registry.verify().ok


@pytest.mark.parametrize(
    ("subject", "purpose", "action", "message"),
    [
        ("", "marketing", "given", "subject identifier"),
        ("a\x00b", "marketing", "given", "subject"),
        (" c ", "no_such_purpose", "given", "unknown purpose"),
        ("c", "marketing", "erased", "erase"),
        ("c", "marketing", "bogus", "action"),
        ("c", "Bad Slug!", "given", "purpose"),
    ],
)
def test_record_rejects_what_validation_rejects(
    registry: ConsentRegistry, subject: str, purpose: str, action: str, message: str
) -> None:
    head = registry.head
    with pytest.raises(InputError, match=message):
        registry.record(subject, purpose, action, at=T0)
    assert registry.head == head


def test_look_ups_read_only_rows_that_can_decide_and_agree_with_all_rows(
    registry: ConsentRegistry,
) -> None:
    """status() asks the database only for rows of its purpose, of every purpose, with an
    opt-out signal or a region, up to ``at``; the state must equal the fold of all rows."""
    import random

    rng = random.Random(11)
    purposes = [p.id for p in registry.catalog.purposes]
    actions = ["given", "given", "refused", "withdrawn", "opt_out", "opt_in", "gpc"]
    actions += ["limit_sensitive"]
    for n in range(40):
        subject = f"s{n}"
        for k in range(rng.randrange(1, 9)):
            action = rng.choice(actions)
            consent = action in ("given", "refused", "withdrawn")
            registry.record(
                subject,
                rng.choice(purposes) if consent or rng.random() < 0.5 else None,
                action,
                at=T0 + timedelta(days=k, hours=rng.randrange(24)),
                separate_consent=rng.random() < 0.8,
                gpc=rng.random() < 0.15,
                region=rng.choice([None, None, None, "CN", "DE", "US-CA"]),
                minor_age=rng.choice([None, None, None, 12, 15]),
            )
    compiled = registry._compiled
    for n in range(40):
        subject = f"s{n}"
        every_row = registry.store.state_tuples([registry.pseudonym(subject)])
        for day in (0, 3, 9):
            at = T0 + timedelta(days=day, hours=12)
            for p in purposes:
                purpose = compiled.purpose(p)
                assert purpose is not None
                assert registry.status(subject, p, at=at) == derive(
                    every_row, purpose, compiled, at
                )


@settings(max_examples=300, deadline=None)
@given(
    st.tuples(
        st.text(max_size=40),
        st.one_of(st.none(), st.text(max_size=20)),
        st.integers(-(2**63), 2**63),
        st.one_of(st.none(), st.integers(0, 1)),
        st.text(alphabet=st.characters(max_codepoint=0x10FFFF, exclude_categories=("Cs",))),
    )
)
def test_canonical_encoding_is_json_dumps(content: tuple[object, ...]) -> None:
    """The reused C encoder of event digests writes exactly what json.dumps writes."""
    from guardrail.consent.events import _ENCODE

    assert _ENCODE(content) == json.dumps(content, separators=(",", ":"), ensure_ascii=False)


def test_writers_that_remember_their_head_recover_when_another_writer_moved_it(
    make_registry: Callable[..., ConsentRegistry], registry: ConsentRegistry
) -> None:
    """Each registry links its next event to the head it wrote last; when another writer (a
    second registry on the same file, an erasure) moved the head, the append is run again
    from the head row: no event is lost, none is linked to a stale head, the chain verifies."""
    url = f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}"
    other = make_registry(url)
    for k in range(6):
        registry.record(f"a{k}", "analytics", at=T0)
        registry.record(f"b{k}", "analytics", at=T0)  # same head: the remembered one is right
        other.record(f"c{k}", "analytics", at=T0)  # moves the head under `registry`
    registry.erase("a1", at=T0 + timedelta(hours=1))
    other.record("d", "analytics", at=T0 + timedelta(hours=2))
    registry.record("e", "analytics", at=T0 + timedelta(hours=2))
    seq, _ = registry.head
    assert seq == 6 * 3 + 3
    assert [e.seq for e in registry.history("e")] == [seq]
    report = registry.verify()
    assert report.ok and report.events == seq


def test_event_ids_are_unique_across_threads_and_a_fork() -> None:
    """Event ids' random parts come from a buffered CSPRNG pool: never handed out twice,
    not shared with a forked child."""
    import os
    import re
    from concurrent.futures import ThreadPoolExecutor

    from guardrail.consent.events import new_event_id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: new_event_id(), range(5000)))
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    new_event_id()  # the pool now holds unread salts
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next salts, exit at once
        os.write(write, "".join(new_event_id()[12:] for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 1000).decode()
    os.close(read)
    parent = "".join(new_event_id()[12:] for _ in range(3))
    assert len(child) == 60 and child != parent
