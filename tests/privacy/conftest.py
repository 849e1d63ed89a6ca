"""Fixtures for the DP tests: ledgers on SQLite (and the real servers), small seeded data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from guardrail.privacy.ledger import Ledger

AT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as led:
        yield led


def orders(
    n_users: int = 2000, *, seed: int = 7, provinces: int = 5, heavy: int = 0
) -> dict[str, np.ndarray]:
    """Seeded orders: Zipf(2) orders per user (capped), a home province, lognormal amounts.

    ``heavy`` adds one user (id ``n_users``) with that many orders, all in province 0.
    """
    rng = np.random.default_rng(seed)
    per_user = np.minimum(rng.zipf(2.0, n_users), 200)
    user = np.repeat(np.arange(n_users), per_user)
    home = rng.integers(0, provinces, n_users)
    prov = home[user]
    move = rng.random(user.size) < 0.15
    prov[move] = rng.integers(0, provinces, int(move.sum()))
    amount = np.round(rng.lognormal(3.7, 1.0, user.size), 2)
    if heavy:
        user = np.concatenate([user, np.full(heavy, n_users)])
        prov = np.concatenate([prov, np.zeros(heavy, dtype=prov.dtype)])
        amount = np.concatenate([amount, np.full(heavy, 400.0)])
    return {"user_id": user, "province": prov, "amount": amount}
