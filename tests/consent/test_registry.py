"""The registry from Python: recording, state derivation per law, require(), subject rights."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from tests.consent.conftest import NOW, Clock

from guardrail.consent import ConsentMissing, ConsentRegistry
from guardrail.crypto import Keyring
from guardrail.errors import ConfigError, CryptoError, InputError
from guardrail.model.consent import ConsentAction, Lifecycle, MissingReason

T0 = NOW - timedelta(days=30)


def test_record_then_status_is_valid(registry: ConsentRegistry) -> None:
    event = registry.record("cust-1", "marketing", at=T0, separate_consent=True)
    assert (event.seq, event.action, event.notice_version) == (1, ConsentAction.GIVEN, "2026-03")
    assert event.subject.startswith("gp1:") and "cust-1" not in event.model_dump_json()
    state = registry.status("cust-1", "marketing")
    assert state.valid and state.lifecycle is Lifecycle.GIVEN and state.event_seq == 1
    assert registry.require("cust-1", "marketing") == state


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("refused", MissingReason.REFUSED),
        ("withdrawn", MissingReason.WITHDRAWN),
        ("expired", MissingReason.EXPIRED),
    ],
)
def test_require_names_the_reason(
    registry: ConsentRegistry, action: str, reason: MissingReason
) -> None:
    registry.record("cust-1", "analytics", at=T0)
    registry.record("cust-1", "analytics", action, at=T0 + timedelta(days=1))
    with pytest.raises(ConsentMissing) as info:
        registry.require("cust-1", "analytics")
    assert info.value.reason == reason.value
    assert "analytics" in info.value.message and "cust-1" not in str(info.value)


def test_never_given(registry: ConsentRegistry) -> None:
    with pytest.raises(ConsentMissing) as info:
        registry.require("cust-9", "analytics")
    assert info.value.reason == "never_given"
    assert info.value.exit_code == 1


def test_state_is_derived_at_any_instant(registry: ConsentRegistry) -> None:
    registry.record("c", "analytics", at=T0)
    registry.record("c", "analytics", "withdrawn", at=T0 + timedelta(days=10))
    assert (
        registry.status("c", "analytics", at=T0 - timedelta(seconds=1)).lifecycle
        is Lifecycle.NEVER_GIVEN
    )
    assert registry.status("c", "analytics", at=T0 + timedelta(days=5)).valid
    assert (
        registry.status("c", "analytics", at=T0 + timedelta(days=10)).reason
        is MissingReason.WITHDRAWN
    )


def test_backdated_events_count_by_occurrence(registry: ConsentRegistry) -> None:
    registry.record("c", "analytics", "withdrawn", at=T0 + timedelta(days=10))
    registry.record("c", "analytics", at=T0)  # recorded later, happened earlier
    assert registry.status("c", "analytics").reason is MissingReason.WITHDRAWN


def test_consent_validity_expires(registry: ConsentRegistry, clock: Clock) -> None:
    # marketing: consent_validity P2Y in the catalog
    given = datetime(2024, 2, 29, 10, 0, tzinfo=UTC)
    registry.record("c", "marketing", at=given, separate_consent=True, notice_version="2025-02")
    just_before = datetime(2026, 2, 28, 9, 59, tzinfo=UTC)
    state = registry.status("c", "marketing", at=just_before)
    assert state.valid and state.expires_at == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    late = registry.status("c", "marketing", at=datetime(2026, 2, 28, 10, 0, tzinfo=UTC))
    assert (late.lifecycle, late.reason) == (Lifecycle.EXPIRED, MissingReason.EXPIRED)


def test_event_level_expiry(registry: ConsentRegistry) -> None:
    registry.record("c", "analytics", at=T0, expires_at=T0 + timedelta(days=7))
    assert registry.status("c", "analytics", at=T0 + timedelta(days=6)).valid
    assert (
        registry.status("c", "analytics", at=T0 + timedelta(days=7)).reason is MissingReason.EXPIRED
    )


def test_notice_change_needs_new_consent(registry: ConsentRegistry) -> None:
    # notice 2025-02 (effective 2025-02-01) requires re-consent for marketing
    registry.record(
        "c",
        "marketing",
        at=datetime(2025, 1, 10, tzinfo=UTC),
        notice_version="2024-01",
        separate_consent=True,
    )
    before = registry.status("c", "marketing", at=datetime(2025, 1, 31, tzinfo=UTC))
    after = registry.status("c", "marketing", at=datetime(2025, 2, 1, tzinfo=UTC))
    assert before.valid and after.reason is MissingReason.NOTICE_CHANGED
    registry.record(
        "c",
        "marketing",
        at=datetime(2025, 3, 1, tzinfo=UTC),
        notice_version="2025-02",
        separate_consent=True,
    )
    assert registry.status("c", "marketing", at=datetime(2025, 3, 2, tzinfo=UTC)).valid
    # analytics is not affected by the change
    registry.record(
        "d", "analytics", at=datetime(2025, 1, 10, tzinfo=UTC), notice_version="2024-01"
    )
    assert registry.status("d", "analytics", at=datetime(2025, 6, 1, tzinfo=UTC)).valid


def test_default_notice_is_the_one_in_force(registry: ConsentRegistry) -> None:
    e = registry.record("c", "analytics", at=datetime(2025, 6, 1, tzinfo=UTC))
    assert e.notice_version == "2025-02"


def test_separate_consent_required(registry: ConsentRegistry) -> None:
    registry.record("c", "sensitive_pi", at=T0)
    with pytest.raises(ConsentMissing) as info:
        registry.require("c", "sensitive_pi")
    assert info.value.reason == "separate_consent_missing"
    assert "PIPL Art. 29" in info.value.message
    registry.record("c", "sensitive_pi", at=T0 + timedelta(days=1), separate_consent=True)
    assert registry.require("c", "sensitive_pi").separate_consent


@pytest.mark.parametrize(
    ("region", "age", "needs_guardian"),
    [
        ("CN", 13, True),  # PIPL Art. 31: under 14
        ("CN", 14, False),
        ("DE", 15, True),  # GDPR Art. 8(1): under 16
        ("DE", 16, False),
        ("US-CA", 13, True),  # the catalog applies PIPL to everyone (processing in China): < 14
        ("US-CA", 14, False),  # CCPA's < 13 only concerns sale/sharing
        (None, 15, True),  # unknown region: the strictest age (GDPR's 16)
    ],
)
def test_minors_need_a_guardian(
    registry: ConsentRegistry, region: str | None, age: int, needs_guardian: bool
) -> None:
    registry.record("kid", "analytics", at=T0, region=region, minor_age=age)
    state = registry.status("kid", "analytics")
    assert (state.reason is MissingReason.GUARDIAN_NEEDED) is needs_guardian
    registry.record(
        "kid",
        "analytics",
        at=T0 + timedelta(days=1),
        region=region,
        minor_age=age,
        guardian="parent-1",
    )
    assert registry.status("kid", "analytics").valid


def test_guardian_pseudonymised_and_needs_a_minor(registry: ConsentRegistry) -> None:
    e = registry.record("kid", "analytics", at=T0, region="CN", minor_age=10, guardian="parent-7")
    assert e.guardian == registry.pseudonym("parent-7")
    with pytest.raises(InputError, match="guardian"):
        registry.record("adult", "analytics", at=T0, guardian="parent-7")


def test_ccpa_minor_sale_needs_opt_in(
    make_registry: Callable[..., ConsentRegistry], catalog: object, tmp_path: object
) -> None:
    from guardrail.model.consent import ConsentCatalog

    assert isinstance(catalog, ConsentCatalog)
    # A catalog where 'ads' is a CCPA "share" with no consent basis under PIPL/GDPR.
    ads = catalog.purposes[0].model_copy(
        update={
            "id": "ads",
            "legal_basis": catalog.purposes[0].legal_basis.model_copy(
                update={"pipl": None, "gdpr": None}
            ),
            "separate_consent": (),
        }
    )
    cat = catalog.model_copy(update={"purposes": (*catalog.purposes, ads), "applies_to_all": ()})
    reg = make_registry(catalog=cat)
    reg.record("adult", None, "opt_in", at=T0, region="US-CA")
    assert reg.status("adult", "ads").valid and not reg.status("adult", "ads").consent_required
    # a 15-year-old Californian: sale/sharing needs affirmative opt-in (§1798.120(c))
    reg.record("teen", "ads", "refused", at=T0, region="US-CA", minor_age=15)
    teen = reg.status("teen", "ads")
    assert teen.consent_required and teen.reason is MissingReason.REFUSED
    reg.record("teen", "ads", at=T0 + timedelta(days=1), region="US-CA", minor_age=15)
    assert reg.status("teen", "ads").valid
    # a 12-year-old: the parent must authorise
    reg.record("child", "ads", at=T0, region="US-CA", minor_age=12)
    assert reg.status("child", "ads").reason is MissingReason.GUARDIAN_NEEDED


def test_opt_out_and_gpc_stop_sale_or_share(registry: ConsentRegistry) -> None:
    registry.record("c", "marketing", at=T0, separate_consent=True)
    registry.record("c", None, "opt_out", at=T0 + timedelta(days=1))
    state = registry.status("c", "marketing")
    assert (state.reason, state.opted_out, state.gpc) == (MissingReason.OPTED_OUT, True, False)
    registry.record("c", None, "opt_in", at=T0 + timedelta(days=2))
    assert registry.status("c", "marketing").valid
    registry.record_gpc("c", at=T0 + timedelta(days=3))
    state = registry.status("c", "marketing")
    assert (state.reason, state.gpc) == (MissingReason.GPC_OPT_OUT, True)
    # GPC does not touch purposes that are not sale/share
    registry.record("c", "analytics", at=T0)
    assert registry.status("c", "analytics").valid


def test_consent_collected_with_gpc_is_still_an_opt_out(registry: ConsentRegistry) -> None:
    registry.record("c", "marketing", at=T0, separate_consent=True, gpc=True)
    state = registry.status("c", "marketing")
    assert state.reason is MissingReason.GPC_OPT_OUT and state.collected_with_gpc


def test_limit_sensitive(registry: ConsentRegistry) -> None:
    registry.record("c", "sensitive_pi", at=T0, separate_consent=True)
    registry.record("c", None, "limit_sensitive", at=T0 + timedelta(days=1))
    assert registry.status("c", "sensitive_pi").reason is MissingReason.SENSITIVE_LIMITED
    registry.record("c", "sensitive_pi", at=T0 + timedelta(days=2), separate_consent=True)
    assert registry.status("c", "sensitive_pi").valid


def test_withdraw_everything_is_atomic_and_selective(registry: ConsentRegistry) -> None:
    registry.record("c", "analytics", at=T0)
    registry.record("c", "marketing", at=T0, separate_consent=True)
    registry.record("c", "sensitive_pi", "refused", at=T0)
    events = registry.withdraw("c", at=T0 + timedelta(days=1))
    assert {(e.purpose, e.action) for e in events} == {
        ("analytics", ConsentAction.WITHDRAWN),
        ("marketing", ConsentAction.WITHDRAWN),
    }
    assert [e.seq for e in events] == [4, 5]
    assert not any(s.valid for s in registry.statuses("c"))
    assert registry.withdraw("c") == ()


def test_withdraw_with_opt_out(registry: ConsentRegistry) -> None:
    registry.record("c", "analytics", at=T0)
    events = registry.withdraw("c", ["analytics"], at=T0 + timedelta(days=1), opt_out=True)
    assert [(e.purpose, e.action.value) for e in events] == [
        ("analytics", "withdrawn"),
        (None, "opt_out"),
        (None, "limit_sensitive"),
    ]


def test_history_and_erasure(registry: ConsentRegistry) -> None:
    registry.record("a", "analytics", at=T0)
    registry.record("b", "analytics", at=T0)
    registry.record("a", "marketing", at=T0, separate_consent=True, evidence_ref="form-7")
    assert [e.seq for e in registry.history("a")] == [1, 3]
    done = registry.erase("a")
    assert done.erased == 2 and done.tombstone is not None and done.tombstone.seq == 4
    assert registry.history("a") == ()
    assert registry.status("a", "analytics").lifecycle is Lifecycle.NEVER_GIVEN
    assert [e.seq for e in registry.history("b")] == [1 + 1]
    erased = registry.event(3)
    assert erased.erased and erased.subject == "" and erased.evidence_ref is None
    report = registry.verify()
    assert report.ok and report.erased == 2 and report.events == 4
    assert registry.erase("a").erased == 0


def test_statuses_all_purposes(registry: ConsentRegistry, catalog: object) -> None:
    states = registry.statuses("nobody")
    assert [s.purpose for s in states] == [
        "marketing",
        "analytics",
        "cross_border_transfer",
        "sensitive_pi",
    ]


def test_bad_input_is_an_input_error(registry: ConsentRegistry) -> None:
    with pytest.raises(InputError, match="unknown purpose 'nosuch'"):
        registry.record("c", "nosuch")
    with pytest.raises(InputError, match="unknown notice version '1999'"):
        registry.record("c", "analytics", notice_version="1999")
    with pytest.raises(InputError, match="needs a purpose"):
        registry.record("c", None, "given")
    with pytest.raises(InputError, match="action"):
        registry.record("c", "analytics", "maybe")
    with pytest.raises(InputError, match="future"):
        registry.record("c", "analytics", at=NOW + timedelta(days=1))
    with pytest.raises(InputError, match="aware"):
        registry.status("c", "analytics", at=datetime(2026, 1, 1))
    with pytest.raises(InputError, match="subject"):
        registry.record("  ", "analytics")
    with pytest.raises(InputError, match="no consent event"):
        registry.event(99)
    assert registry.head == (0, registry.head[1])


def test_keyring_must_match(
    make_registry: Callable[..., ConsentRegistry], registry: ConsentRegistry
) -> None:
    registry.record("c", "analytics", at=T0)
    url = f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}"
    with pytest.raises(ConfigError, match="keyring does not match"):
        make_registry(url, keyring=Keyring.generate())


def test_key_rotation_keeps_subjects(
    make_registry: Callable[..., ConsentRegistry], registry: ConsentRegistry, keyring: Keyring
) -> None:
    registry.record("c", "analytics", at=T0)
    url = f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}"
    rotated = make_registry(url, keyring=keyring.rotate())
    assert rotated.status("c", "analytics").valid
    rotated.record("c", "analytics", "withdrawn", at=T0 + timedelta(days=1))
    assert rotated.status("c", "analytics").reason is MissingReason.WITHDRAWN
    assert [e.action.value for e in rotated.history("c")] == ["given", "withdrawn"]
    assert rotated.erase("c").erased == 2


def test_catalog_is_stored_and_reloaded(
    make_registry: Callable[..., ConsentRegistry], registry: ConsentRegistry
) -> None:
    registry.record("c", "analytics", at=T0)
    url = f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}"
    again = make_registry(url, catalog=None)
    assert again.catalog == registry.catalog and again.status("c", "analytics").valid


def test_no_catalog_no_keyring(
    tmp_path: object, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    with ConsentRegistry(url, keyring=keyring) as reg, pytest.raises(ConfigError, match="catalog"):
        reg.record("c", "analytics")
    monkeypatch.delenv("GUARDRAIL_KEYRING", raising=False)
    with pytest.raises(CryptoError, match="GUARDRAIL_KEYRING"):
        ConsentRegistry(url)


def test_missing_or_corrupt_database(tmp_path: object, keyring: Keyring) -> None:
    from pathlib import Path

    from guardrail.errors import ConnectorError

    folder = Path(str(tmp_path))
    with pytest.raises(ConnectorError, match="not found"):
        ConsentRegistry(f"sqlite:///{folder}/nope.db", keyring=keyring, create=False)
    (folder / "junk.db").write_bytes(b"this is not sqlite at all")
    with pytest.raises(ConnectorError, match="not a SQLite database"):
        ConsentRegistry(f"sqlite:///{folder}/junk.db", keyring=keyring)
    with pytest.raises(ConfigError, match="unsupported database"):
        ConsentRegistry("mongodb://x/y", keyring=keyring)
    # A bare path is not a URL: the message names it and shows the URL to write instead.
    with pytest.raises(ConfigError, match=r"URL '.*plain\.db'") as info:
        ConsentRegistry(str(folder / "plain.db"), keyring=keyring)
    assert f"sqlite:///{folder / 'plain.db'}" in str(info.value)
    with pytest.raises(ConfigError) as info:
        ConsentRegistry("u:Pw-c4nary@host/db", keyring=keyring)
    assert "c4nary" not in str(info.value)
    # A path object is a SQLite registry at that path.
    from tests.consent.conftest import CATALOG_PATH

    with ConsentRegistry(folder / "by-path.db", keyring=keyring, catalog=CATALOG_PATH) as reg:
        assert reg.store.display == f"sqlite:///{folder / 'by-path.db'}"
        assert reg.record("customer-1", "analytics").seq == 1


def test_repr_and_pickling_hold_no_identifiers(registry: ConsentRegistry) -> None:
    from guardrail.consent.registry import _request

    req = _request(subject="13912345678", purpose="analytics", guardian="13800000000", minor_age=9)
    assert "139" not in repr(req) and "138" not in repr(req)
    assert "consent.db" in repr(registry)


def test_in_memory_registry(keyring: Keyring, catalog: object) -> None:
    with ConsentRegistry("sqlite://", keyring=keyring, catalog=catalog) as reg:  # type: ignore[arg-type]
        reg.record("c", "analytics", at=T0)
        reg.record("c", "marketing", at=T0, separate_consent=True)
        assert [e.purpose for e in reg.withdraw("c")] == ["marketing", "analytics"]
        assert reg.verify().ok and len(reg.history("c")) == 4


def test_quickstart_example_runs() -> None:
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location(
        "quickstart", REPO / "examples/consent/quickstart.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main() == {
        "covered": True,
        "minor": "guardian_needed",
        "gpc": "gpc_opt_out",
        "receipt_in_registry": True,
        "after_withdrawal": "withdrawn",
        "chain_ok": True,
        "events": 5,
    }


def test_threads_share_commits_and_one_chain(registry: ConsentRegistry) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        events = list(pool.map(lambda i: registry.record(f"t{i}", "analytics", at=T0), range(200)))
    assert sorted(e.seq for e in events) == list(range(1, 201))
    assert registry.verify().ok


def test_group_commit_hands_errors_to_their_callers_and_never_strands_one(
    registry: ConsentRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent record() calls share transactions; a failed transaction fails exactly the
    calls it carried, the writer role passes on when its rounds are used up, and no caller
    is left waiting."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from guardrail.consent import store as store_module
    from guardrail.errors import GuardrailError

    monkeypatch.setattr(store_module, "_GROUP_ROUNDS", 1)
    real = registry.store.append
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(items, **kw):  # type: ignore[no-untyped-def]
        with lock:
            calls["n"] += 1
            fail = calls["n"] % 5 == 0
        if fail:
            raise GuardrailError("injected failure")
        return real(items, **kw)

    monkeypatch.setattr(registry.store, "append", flaky)

    def one(i: int) -> int | None:
        try:
            return registry.record(f"g{i}", "analytics", at=T0).seq
        except GuardrailError:
            return None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(300)))
    stored = [r for r in results if r is not None]
    assert len(stored) == registry.head[0]
    assert sorted(stored) == list(range(1, len(stored) + 1))
    assert 0 < len(stored) < 300
    monkeypatch.setattr(registry.store, "append", real)
    assert registry.record("after", "analytics", at=T0).seq == len(stored) + 1
    assert registry.verify().ok
