"""Fixtures of the consent tests: a fixed catalog, keys and clock, registries on SQLite and on
the real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import REPO

from guardrail.consent import ConsentRegistry
from guardrail.consent.catalog import load_catalog
from guardrail.crypto import Keyring, SigningKey
from guardrail.model.consent import ConsentCatalog

CATALOG_PATH = REPO / "examples" / "consent" / "shop-catalog.yaml"
MAPPING_PATH = REPO / "examples" / "consent" / "shop-mapping.yaml"
KANTARA = REPO / ".." / "shared" / "schemas" / "kantara-cr-1.1"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KEY = bytes(range(32))


class Clock:
    """An injected clock: ``now`` moves only when a test says so."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture(scope="session")
def catalog() -> ConsentCatalog:
    return load_catalog(CATALOG_PATH)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_material(KEY, key_id="0c0a0f0e")


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate(alg="EdDSA", kid="receipts-1")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_registry(
    tmp_path: Path, keyring: Keyring, catalog: ConsentCatalog, signing_key: SigningKey, clock: Clock
) -> Iterator[Callable[..., ConsentRegistry]]:
    opened: list[ConsentRegistry] = []

    def make(url: str | None = None, **kw: object) -> ConsentRegistry:
        params: dict[str, object] = {
            "keyring": keyring,
            "catalog": catalog,
            "signing_key": signing_key,
            "clock": clock,
        }
        params.update(kw)
        reg = ConsentRegistry(url or f"sqlite:///{tmp_path / 'consent.db'}", **params)  # type: ignore[arg-type]
        opened.append(reg)
        return reg

    yield make
    for reg in opened:
        reg.close()


@pytest.fixture
def registry(make_registry: Callable[..., ConsentRegistry]) -> ConsentRegistry:
    return make_registry()


@pytest.fixture
def pg_registry(pg_database: str, make_registry: Callable[..., ConsentRegistry]) -> ConsentRegistry:
    return make_registry(pg_database)


def raw_sqlite(registry: ConsentRegistry) -> sqlite3.Connection:
    """A direct connection with the append-only triggers dropped: what an attacker with file
    access can do."""
    url = registry.store.display
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS guardrail_consent_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS guardrail_consent_events_no_delete")
    return conn
