"""Tamper evidence: every edit, deletion, reordering and truncation is found, by number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.consent.conftest import NOW, raw_sqlite

from guardrail.consent import ConsentRegistry
from guardrail.consent.events import GENESIS, content_digest, link
from guardrail.model.consent import ChainProblemKind as K

T0 = NOW - timedelta(days=10)
TABLE = "guardrail_consent_events"


def _fill(reg: ConsentRegistry, n: int = 10) -> None:
    for i in range(n):
        reg.record(f"c{i % 3}", "analytics", "given" if i % 2 else "withdrawn", at=T0)


def _kinds(reg: ConsentRegistry) -> set[tuple[K, int, int | None]]:
    report = reg.verify()
    assert report.ok is (not report.problems)
    return {(p.kind, p.seq, p.last_seq) for p in report.problems}


def test_intact_chain_verifies(registry: ConsentRegistry) -> None:
    _fill(registry)
    report = registry.verify()
    assert report.ok and report.events == 10 and report.head_seq == 10
    assert report.head_chain == registry.head[1]


def test_empty_registry_verifies(registry: ConsentRegistry) -> None:
    report = registry.verify()
    assert report.ok and report.events == 0 and report.head_chain == GENESIS.hex()


def test_edited_event(registry: ConsentRegistry) -> None:
    _fill(registry)
    db = raw_sqlite(registry)
    db.execute(f"UPDATE {TABLE} SET action = 'refused' WHERE seq = 4")
    assert _kinds(registry) == {(K.EDITED, 4, None)}


def test_edited_event_with_recomputed_digest(registry: ConsentRegistry) -> None:
    _fill(registry)
    db = raw_sqlite(registry)
    db.execute(f"UPDATE {TABLE} SET action = 'refused' WHERE seq = 4")
    row = registry.store.by_seq(4)
    assert row is not None
    db.execute(f"UPDATE {TABLE} SET digest = ? WHERE seq = 4", (content_digest(row.content()),))
    assert _kinds(registry) == {(K.BROKEN_LINK, 4, None)}


def test_deleted_events(registry: ConsentRegistry) -> None:
    _fill(registry)
    db = raw_sqlite(registry)
    db.execute(f"DELETE FROM {TABLE} WHERE seq IN (3, 4)")
    db.execute(f"DELETE FROM {TABLE} WHERE seq = 8")
    assert _kinds(registry) == {(K.MISSING, 3, 4), (K.MISSING, 8, 8)}


def test_deleted_and_renumbered(registry: ConsentRegistry) -> None:
    _fill(registry)
    db = raw_sqlite(registry)
    db.execute(f"DELETE FROM {TABLE} WHERE seq = 5")
    for seq in range(6, 11):
        db.execute(f"UPDATE {TABLE} SET seq = ? WHERE seq = ?", (seq - 1, seq))
    db.execute("UPDATE guardrail_consent_head SET seq = 9")
    assert _kinds(registry) == {(K.BROKEN_LINK, 5, None)}


def test_reordered_events(registry: ConsentRegistry) -> None:
    _fill(registry)
    db = raw_sqlite(registry)
    db.execute(f"UPDATE {TABLE} SET seq = 1000 WHERE seq = 6")
    db.execute(f"UPDATE {TABLE} SET seq = 6 WHERE seq = 7")
    db.execute(f"UPDATE {TABLE} SET seq = 7 WHERE seq = 1000")
    assert _kinds(registry) == {(K.REORDERED, 6, 7)}


def test_reordered_first_event(registry: ConsentRegistry) -> None:
    _fill(registry, 4)
    db = raw_sqlite(registry)
    db.execute(f"UPDATE {TABLE} SET seq = 1000 WHERE seq = 1")
    db.execute(f"UPDATE {TABLE} SET seq = 1 WHERE seq = 3")
    db.execute(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 1000")
    assert _kinds(registry) == {(K.REORDERED, 1, None), (K.REORDERED, 3, None)}


def test_truncated_tail(registry: ConsentRegistry) -> None:
    _fill(registry)
    db = raw_sqlite(registry)
    db.execute(f"DELETE FROM {TABLE} WHERE seq > 7")
    assert _kinds(registry) == {(K.TRUNCATED, 8, 10)}


def test_truncation_with_rewritten_head_is_caught_by_anchors(registry: ConsentRegistry) -> None:
    _fill(registry)
    receipt = registry.receipt(9)
    checkpoint = registry.checkpoint()
    db = raw_sqlite(registry)
    last = registry.store.by_seq(7)
    assert last is not None
    db.execute(f"DELETE FROM {TABLE} WHERE seq > 7")
    db.execute("UPDATE guardrail_consent_head SET seq = 7, chain = ?", (last.chain,))
    assert registry.verify().ok  # without anchors a clean cut is invisible ...
    report = registry.verify(anchors=[receipt, checkpoint])
    assert {(p.kind, p.seq) for p in report.problems} == {(K.ANCHOR, 9), (K.ANCHOR, 10)}


def test_foreign_anchor_is_reported(registry: ConsentRegistry) -> None:
    from guardrail.crypto import SigningKey, sign_jwt

    _fill(registry, 2)
    forged = sign_jwt(
        {"guardrail": {"kind": "consent-checkpoint", "seq": 2, "chain": "00"}},
        SigningKey.generate(),
    )
    report = registry.verify(anchors=[forged, "not-a-jwt"])
    assert [(p.kind, p.seq) for p in report.problems] == [(K.ANCHOR, 0), (K.ANCHOR, 0)]


def test_events_added_behind_the_registrys_back(registry: ConsentRegistry) -> None:
    _fill(registry, 3)
    db = raw_sqlite(registry)
    row = registry.store.by_seq(3)
    assert row is not None
    content = ("f" * 32, *row.content()[1:])
    digest = content_digest(content)
    fake = (4, *content, None, digest, link(row.chain, digest))
    db.execute(f"INSERT INTO {TABLE} VALUES ({', '.join('?' * 20)})", fake)
    assert _kinds(registry) == {(K.HEAD_MISMATCH, 4, 4)}


def test_tombstones_keep_the_chain_and_catch_hidden_edits(registry: ConsentRegistry) -> None:
    _fill(registry, 6)
    registry.erase("c1")  # events 2 and 5
    assert registry.verify().ok
    db = raw_sqlite(registry)
    # marking another event as erased (to hide an edit) breaks the tombstone's commitment
    db.execute(f"UPDATE {TABLE} SET erased_by = 7, action = 'given' WHERE seq = 3")
    assert _kinds(registry) == {(K.TOMBSTONE, 7, None)}


def test_append_only_triggers(registry: ConsentRegistry) -> None:
    import sqlite3

    _fill(registry, 2)
    db = sqlite3.connect(registry.store.display.removeprefix("sqlite:///"))
    for sql in (f"DELETE FROM {TABLE}", f"UPDATE {TABLE} SET action = 'given'"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(min_value=2, max_value=12),
    data=st.data(),
)
def test_any_single_edit_is_located(
    make_registry: object, tmp_path_factory: pytest.TempPathFactory, n: int, data: st.DataObject
) -> None:
    """Property: changing any stored field of any one event is reported at that event."""
    from collections.abc import Callable

    assert callable(make_registry)
    make: Callable[..., ConsentRegistry] = make_registry  # type: ignore[assignment]
    folder = tmp_path_factory.mktemp("edit")
    reg = make(f"sqlite:///{folder / 'c.db'}")
    for i in range(n):
        reg.record(f"s{i}", "analytics", at=T0, evidence_ref=f"ref-{i}")
    seq = data.draw(st.integers(min_value=1, max_value=n))
    column, value = data.draw(
        st.sampled_from(
            [
                ("purpose", "marketing"),
                ("action", "refused"),
                ("occurred_at", 1),
                ("recorded_at", 2),
                ("channel", "app"),
                ("separate_consent", 1),
                ("gpc", 1),
                ("evidence_ref", "other"),
                ("subject", "gp1:someone-else"),
                ("notice_version", "2024-01"),
            ]
        )
    )
    db = raw_sqlite(reg)
    db.execute(f"UPDATE {TABLE} SET {column} = ? WHERE seq = ?", (value, seq))
    db.close()
    assert _kinds(reg) == {(K.EDITED, seq, None)}
    reg.close()
