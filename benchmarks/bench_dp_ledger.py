"""The privacy ledger's hot paths against Opacus' own accountants, in one run.

* **Charge** (reserve + record one release) on a dataset that already holds N entries,
  SQLite and PostgreSQL (when ``GUARDRAIL_TEST_PG`` or the default local server answers).
  Reference: Opacus' ``RDPAccountant.get_epsilon`` on the same history, the accounting a
  charge cannot avoid; the ratio is what the database, locking and bookkeeping add.
* **Final statement** (PRV) of a dataset with N releases. Reference: Opacus'
  ``PRVAccountant`` on the uncomposed history (one entry per release; the research report
  measured 16.8 s for 1000 *identical* entries, heterogeneous ones are far slower);
  guardrail composes the sample-rate-1 Gaussian releases into one first (exact), so the
  statement stays fast.

    python benchmarks/bench_dp_ledger.py
"""

from __future__ import annotations

import os
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from _common import median_of, report

if TYPE_CHECKING:
    from guardrail.privacy.ledger import Ledger

AT = datetime(2026, 11, 22, tzinfo=UTC)
PG = os.environ.get("GUARDRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _charge(ledger: object, z: float, key: str) -> None:
    from guardrail.model.privacy import Release
    from guardrail.privacy.ledger import Charge, Ledger

    assert isinstance(ledger, Ledger)
    res = ledger.reserve(
        "bench",
        Charge(mechanism="gaussian", epsilon=1.0, delta=1e-6, noise_multiplier=z),
        privacy_unit="user",
        request_key=key,
        description="bench",
        at=AT,
    )
    ledger.commit(
        res,
        Release(
            id=res.id,
            dataset="bench",
            description="bench",
            query_digest=key,
            privacy_unit="user",
            mechanism="gaussian",
            epsilon=1.0,
            delta=1e-6,
            noise_multiplier=z,
            created=AT,
        ),
    )


def _pg_url() -> str | None:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(
            PG.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as c:
            c.execute(sa.text("DROP DATABASE IF EXISTS gr_bench_ledger WITH (FORCE)"))
            c.execute(sa.text("CREATE DATABASE gr_bench_ledger"))
        engine.dispose()
    except Exception:  # noqa: BLE001 - no server: skip that backend
        return None
    return PG.rsplit("/", 1)[0] + "/gr_bench_ledger"


def main() -> None:
    from guardrail.privacy.accounting import RDP_ORDERS
    from guardrail.privacy.ledger import Ledger

    warnings.simplefilter("ignore")
    from opacus.accountants import PRVAccountant, RDPAccountant

    orders = [float(a) for a in RDP_ORDERS]
    rows = []
    backends: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        backends.append(("SQLite", f"sqlite:///{Path(tmp) / 'ledger.db'}"))
        pg = _pg_url()
        if pg:
            backends.append(("PostgreSQL", pg))
        else:
            print("PostgreSQL: skipped (no server)")
        for name, url in backends:
            ledger = Ledger(url)
            done = 0
            history: list[tuple[float, float, int]] = []
            counter = iter(range(10**9))
            for n in (10, 1000):
                history += _fill_more(ledger, done, n - done)
                done = n

                def charge(led: Ledger = ledger, it: object = counter) -> None:
                    _charge(led, 10.0, f"t{next(it)}")  # type: ignore[call-overload]

                t = median_of(charge, 7)
                acct = RDPAccountant()
                acct.history = list(history)
                ref = median_of(lambda a=acct: a.get_epsilon(delta=1e-3, alphas=orders), 7)
                rows.append(
                    {
                        "measure": f"charge a release, {name}, {n} entries (ms)",
                        "guardrail": t * 1000,
                        "reference": ref * 1000,
                        "reference is": "Opacus RDP get_epsilon, same history",
                        "ratio": t / ref,
                    }
                )
                history += [(10.0, 1.0, 1)] * 7
                done += 7
            if name == "SQLite":
                t = median_of(lambda led=ledger: led.budget("bench", accountant="prv"), 3)
                rows.append(
                    {
                        "measure": f"PRV statement, {len(history)} releases (s)",
                        "guardrail": t,
                        "reference": "",
                        "reference is": "(Opacus PRV uncomposed: see the 100-release row)",
                        "ratio": "",
                    }
                )
                # Opacus' PRV on uncomposed heterogeneous entries grows fast (≈13 min for
                # 1000 here), so the side-by-side uses the first 100 releases.
                small = Ledger(f"sqlite:///{Path(tmp) / 'small.db'}")
                small_history = _fill_more(small, 0, 100)
                t = median_of(lambda led=small: led.budget("bench", accountant="prv"), 3)
                prv = PRVAccountant()
                prv.history = small_history
                with np.errstate(all="ignore"):
                    ref = median_of(lambda p=prv: p.get_epsilon(delta=1e-3), 1)
                small.close()
                rows.append(
                    {
                        "measure": "PRV statement, 100 releases (s)",
                        "guardrail": t,
                        "reference": ref,
                        "reference is": "Opacus PRV on the uncomposed history",
                        "ratio": t / ref,
                    }
                )
            ledger.close()
    report("privacy ledger", rows)


def _fill_more(ledger: Ledger, start: int, n: int) -> list[tuple[float, float, int]]:
    rng = np.random.default_rng(start)
    out = []
    if start == 0:
        from guardrail.model.privacy import DatasetBudget

        ledger.ensure_dataset(
            "bench", privacy_unit="user", budget=DatasetBudget(epsilon=1e9, delta=1e-3), at=AT
        )
    for i in range(n):
        z = float(rng.uniform(3, 30))
        _charge(ledger, z, f"fill{start + i}")
        out.append((z, 1.0, 1))
    return out


if __name__ == "__main__":
    main()
