"""The registry on the real PostgreSQL server: same behaviour as SQLite, same tamper evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.consent.conftest import NOW

from guardrail.consent import ConsentRegistry, consent_facts
from guardrail.model.consent import ChainProblemKind, MissingReason

pytestmark = pytest.mark.integration
T0 = NOW - timedelta(days=5)
TABLE = "guardrail_consent_events"


@pytest.fixture
def raw(pg_database: str) -> Iterator[object]:
    import psycopg

    conn = psycopg.connect(pg_database.replace("+psycopg", ""), autocommit=True)
    yield conn
    conn.close()


def test_round_trip(pg_registry: ConsentRegistry) -> None:
    r = pg_registry
    r.record("a", "marketing", at=T0, separate_consent=True)
    r.record("a", "analytics", at=T0, region="CN", minor_age=12)
    r.record("b", "analytics", at=T0)
    assert r.status("a", "marketing").valid
    assert r.status("a", "analytics").reason is MissingReason.GUARDIAN_NEEDED
    assert [e.purpose for e in r.withdraw("a", at=T0 + timedelta(days=1))] == [
        "marketing",
        "analytics",
    ]
    assert r.status("a", "marketing").reason is MissingReason.WITHDRAWN
    assert r.erase("a").erased == 4
    report = r.verify()
    assert report.ok and (report.events, report.erased) == (6, 4)
    facts = consent_facts(r, at=NOW, processing={"analytics": ["b"]}, verify=True)
    analytics = facts.purpose("analytics")
    assert analytics is not None and (
        analytics.valid,
        analytics.coverage,
        facts.chain_verified,
    ) == (1, 1.0, True)


def test_append_only_on_the_server(pg_registry: ConsentRegistry, raw: object) -> None:
    import psycopg

    pg_registry.record("a", "analytics", at=T0)
    assert isinstance(raw, psycopg.Connection)
    for sql in (
        f"DELETE FROM {TABLE}",
        f"UPDATE {TABLE} SET action = 'refused'",
        f"TRUNCATE {TABLE}",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            raw.execute(sql)


def test_tampering_is_located(pg_registry: ConsentRegistry, raw: object) -> None:
    import psycopg

    assert isinstance(raw, psycopg.Connection)
    for i in range(8):
        pg_registry.record(f"s{i}", "analytics", at=T0)
    raw.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")  # what a DBA could do
    raw.execute(f"UPDATE {TABLE} SET action = 'refused' WHERE seq = 2")
    raw.execute(f"DELETE FROM {TABLE} WHERE seq = 4")
    raw.execute(f"UPDATE {TABLE} SET seq = 100 WHERE seq = 6")
    raw.execute(f"UPDATE {TABLE} SET seq = 6 WHERE seq = 7")
    raw.execute(f"UPDATE {TABLE} SET seq = 7 WHERE seq = 100")
    raw.execute(f"DELETE FROM {TABLE} WHERE seq = 8")
    report = pg_registry.verify()
    assert {(p.kind, p.seq) for p in report.problems} == {
        (ChainProblemKind.EDITED, 2),
        (ChainProblemKind.MISSING, 4),
        (ChainProblemKind.REORDERED, 6),
        (ChainProblemKind.TRUNCATED, 8),
    }


def test_receipt_anchors_on_the_server(pg_registry: ConsentRegistry) -> None:
    event = pg_registry.record("a", "analytics", at=T0)
    token = pg_registry.receipt(event.seq)
    assert pg_registry.verify(anchors=[token]).ok
