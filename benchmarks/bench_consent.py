"""Consent registry: sustained writes and status look-ups with 10 million stored events.

The issue's targets: sustained writes >= 5,000 events/s and status look-ups >= 20,000/s on
SQLite with 10 million stored events; the same measured on the real PostgreSQL. Every figure
is measured next to its *reference* in the same run: the driver floor, i.e. the same statement
shape through the bare driver (``sqlite3`` / ``psycopg``) on the same 10M-event database, with
no validation, pseudonymisation, hashing or chaining. The ratio shows what the registry adds.

Writes are measured for one caller (each ``record()`` its own transaction) and for 8 threads
sharing one registry (the HTTP service's shape: concurrent ``record()`` calls share commits,
"group commit"), plus ``record_many`` batches (imports).

    python benchmarks/bench_consent.py                          # SQLite and PostgreSQL, 10M each
    python benchmarks/bench_consent.py --events 1000000 --backends sqlite
    python benchmarks/bench_consent.py --keep /var/tmp/cb --pg-keep   # reuse generated data

Data is generated through the registry's own append path (every event pseudonymised, digested
and chained) in batches of 20,000 per transaction, with the look-up index built once at the end.
SQLite data goes to a temporary folder (or ``--keep DIR``); PostgreSQL data to the database
``gr_bench_consent`` on ``$GUARDRAIL_TEST_PG``'s server, dropped afterwards unless ``--pg-keep``.
Nothing is committed to the repository.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import REPO, report

from guardrail.consent import ConsentRegistry
from guardrail.consent.events import content_digest, new_event_id, to_us
from guardrail.consent.store import SUBJECT_INDEX
from guardrail.crypto import Keyring
from guardrail.model.consent import ConsentRequest

CATALOG = REPO / "examples" / "consent" / "shop-catalog.yaml"
PG_ADMIN = os.environ.get("GUARDRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "gr_bench_consent"
PURPOSES = ("marketing", "analytics", "cross_border_transfer", "sensitive_pi")
ACTIONS = ("given",) * 7 + ("refused", "withdrawn", "withdrawn")
CHANNELS = ("web", "app", "mini_program")
NOTICES = ("2024-01", "2025-02", "2026-03")
START = datetime(2022, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 30, tzinfo=UTC)
BATCH = 20_000
TABLE = "guardrail_consent_events"
#: A fixed benchmark key so that kept data stays readable between runs. Benchmarks only.
KEY = bytes(range(32))


#: Page cache for the registry's look-up connection (and the floor's): the 10M-event look-up
#: index is about 1.3 GB, and this VM does not keep it in the OS page cache.
CACHE_MB = 2048


def _registry(url: str) -> ConsentRegistry:
    return ConsentRegistry(
        url,
        keyring=Keyring.from_material(KEY),
        catalog=CATALOG,
        clock=lambda: NOW,
        cache_mb=CACHE_MB,
    )


def _sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _subject_index(url: str, create: bool) -> None:
    """Loading is faster without the look-up index; it is built once at the end (a sort)."""
    import sqlalchemy as sa

    engine = sa.create_engine(_sa_url(url))
    dialect = engine.dialect.name
    with engine.begin() as conn:
        if create:
            conn.exec_driver_sql(SUBJECT_INDEX[dialect])
            if dialect == "postgresql":
                conn.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        else:
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_guardrail_consent_subject")
    if create and dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {TABLE}")  # index-only scans need it
    engine.dispose()


def generate(url: str, events: int, subjects: int, *, seed: int = 7) -> None:
    """Fill the registry with ``events`` events over ``subjects`` subjects, in time order."""
    reg = _registry(url)
    have = reg.head[0]
    reg.close()
    if have >= events:
        _subject_index(url, create=True)  # no-op when present
        return
    _subject_index(url, create=False)
    reg = _registry(url)
    rng = random.Random(seed + have)
    pseudo = reg._pseudo.pseudonym
    start_us, now_us = to_us(START), to_us(NOW)
    span_us = now_us - start_us - 1
    t0 = time.perf_counter()
    done = have
    while done < events:
        n = min(BATCH, events - done)
        base = start_us + span_us * done // events
        step = max(1, span_us // events)
        batch = []
        for i in range(n):
            purpose = PURPOSES[rng.randrange(4)]
            content = (
                new_event_id(),
                pseudo(f"cust-{rng.randrange(subjects)}"),
                purpose,
                ACTIONS[rng.randrange(10)],
                base + i * step,
                now_us,
                NOTICES[rng.randrange(3)],
                CHANNELS[rng.randrange(3)],
                int(purpose != "analytics"),
                0,
                None,
                None,
                None,
                None,
                None,
                None,
            )
            batch.append((content, content_digest(content)))
        reg.store.append(batch)
        done += n
        if done % 1_000_000 < BATCH:
            rate = (done - have) / (time.perf_counter() - t0)
            print(f"  generated {done:,} events ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    reg.close()
    t0 = time.perf_counter()
    _subject_index(url, create=True)
    print(f"  look-up index built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


# -- guardrail -----------------------------------------------------------------------------


def writes(reg: ConsentRegistry, seconds: float, subjects: int, threads: int = 1) -> float:
    """record() calls (each its own event) for ``seconds`` from ``threads`` threads."""
    counts = [0] * threads
    end = time.perf_counter() + seconds

    def work(k: int) -> None:
        rng = random.Random(100 + k)
        while time.perf_counter() < end:
            for _ in range(50):
                reg.record(
                    f"cust-{rng.randrange(subjects)}",
                    PURPOSES[rng.randrange(4)],
                    at=NOW,
                    separate_consent=True,
                )
            counts[k] += 50

    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def batched(reg: ConsentRegistry, count: int, subjects: int) -> float:
    rng = random.Random(12)
    requests = [
        ConsentRequest(
            subject=f"cust-{rng.randrange(subjects)}",
            purpose=PURPOSES[rng.randrange(4)],
            occurred_at=NOW,
            separate_consent=True,
        )
        for _ in range(count)
    ]
    t0 = time.perf_counter()
    reg.record_many(requests, batch=1000)
    return count / (time.perf_counter() - t0)


def lookups(reg: ConsentRegistry, count: int, subjects: int, seed: int = 13) -> float:
    rng = random.Random(seed)
    keys = [(f"cust-{rng.randrange(subjects)}", PURPOSES[rng.randrange(4)]) for _ in range(count)]
    t0 = time.perf_counter()
    for subject, purpose in keys:
        reg.status(subject, purpose, at=NOW)
    return count / (time.perf_counter() - t0)


# -- driver floors ---------------------------------------------------------------------------


class Floor:
    """The same statements through the bare driver, on the same database."""

    def __init__(self, url: str, reg: ConsentRegistry) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self.ph = "?" if self.sqlite else "%s"
        if self.sqlite:
            # The registry's own sqlite3 connection (same settings, same page cache). A second
            # connection would make each side's commits flush the other's page cache, which
            # a registry serving both writes and look-ups from one connection never sees.
            self.conn: Any = reg.store._main_conn()
        else:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        self.pseudo = reg._pseudo.pseudonym
        # The registry's own look-up statement (one purpose, up to an instant).
        self.lookup_sql = reg.store._state_one_sql

    def writes(self, seconds: float, subjects: int) -> float:
        ph = ", ".join([self.ph] * 20)
        insert = f"INSERT INTO {TABLE} VALUES ({ph})"
        lock = "" if self.sqlite else " FOR UPDATE"
        begin = "BEGIN IMMEDIATE" if self.sqlite else "BEGIN"
        cur = self.conn.cursor()
        cur.execute(f"SELECT max(seq) FROM {TABLE}")
        first = seq = int(cur.fetchone()[0]) + 1_000_000_000  # out of the chain's way
        rng = random.Random(9)
        n = 0
        t0 = time.perf_counter()
        end = t0 + seconds
        while time.perf_counter() < end:
            for _ in range(50):
                seq += 1
                cur.execute(begin)
                cur.execute(f"SELECT seq, chain FROM guardrail_consent_head WHERE id = 1{lock}")
                cur.fetchone()
                cur.execute(
                    insert,
                    (
                        seq,
                        new_event_id(),
                        self.pseudo(f"cust-{rng.randrange(subjects)}"),
                        "marketing",
                        "given",
                        1,
                        2,
                        "2026-03",
                        "web",
                        1,
                        0,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        b"d" * 32,
                        b"c" * 32,
                    ),
                )
                cur.execute(
                    "UPDATE guardrail_consent_head SET updated_at = updated_at WHERE id = 1"
                )
                cur.execute("COMMIT")
            n += 50
        rate = n / (time.perf_counter() - t0)
        self._remove(cur, first)
        return rate

    def _remove(self, cur: Any, first: int) -> None:
        """The floor's rows are not registry events: delete them (bypassing the append-only
        guard, which only the benchmark does) so the registry still verifies."""
        if self.sqlite:
            cur.execute("DROP TRIGGER IF EXISTS guardrail_consent_events_no_delete")
            cur.execute(f"DELETE FROM {TABLE} WHERE seq >= ?", (first,))
            cur.execute(
                f"CREATE TRIGGER guardrail_consent_events_no_delete BEFORE DELETE ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            )
        else:
            cur.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            cur.execute(f"DELETE FROM {TABLE} WHERE seq >= %s", (first,))
            cur.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")

    def lookups(self, count: int, subjects: int, seed: int = 13) -> float:
        rng = random.Random(seed)
        at_us = to_us(NOW)
        keys = [
            (self.pseudo(f"cust-{rng.randrange(subjects)}"), at_us, PURPOSES[rng.randrange(4)])
            for _ in range(count)
        ]
        cur = self.conn.cursor()
        t0 = time.perf_counter()
        for k in keys:
            cur.execute(self.lookup_sql, k)
            cur.fetchall()
        return count / (time.perf_counter() - t0)

    def warm(self) -> None:
        """Load the look-up index into this connection's cache (or the server's), as
        ``ConsentRegistry.warm()`` does for the registry's."""
        if self.sqlite:
            return  # the registry's own connection, warmed by reg.warm()
        cur = self.conn.cursor()
        try:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cur.execute("SELECT pg_prewarm('ix_guardrail_consent_subject')")
            cur.fetchall()
            return
        except Exception:  # noqa: BLE001 - no pg_prewarm: scan the index instead
            pass
        cur.execute(
            "SELECT count(*), max(seq), max(action) FROM (SELECT subject, occurred_at, seq, action "
            f"FROM {TABLE} ORDER BY subject, occurred_at, seq) s"
        )
        cur.fetchall()

    def scan(self) -> float:
        """Read every event's columns in sequence order: the I/O floor of ``verify``."""
        t0 = time.perf_counter()
        n = 0
        cur = self.conn.cursor() if self.sqlite else self.conn.cursor(name="floor_scan")
        cur.execute(f"SELECT * FROM {TABLE} ORDER BY seq")
        while True:
            chunk = cur.fetchmany(10_000)
            if not chunk:
                break
            n += len(chunk)
        cur.close()
        return n / (time.perf_counter() - t0)

    def close(self) -> None:
        if not self.sqlite:
            self.conn.close()


# -- runs ------------------------------------------------------------------------------------


def measure(url: str, label: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    reg = _registry(url)
    floor = Floor(url, reg)
    # Steady state: the database in memory (a server's working set), as it is after a while.
    # Timing a cold cache would measure the disk; timing the same keys twice would hand the
    # second run pages the first one loaded. So: warm everything, then use fresh keys each run.
    t0 = time.perf_counter()
    reg.warm()
    floor.warm()
    print(f"  {label}: caches warmed in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    runs: dict[str, list[float]] = {
        k: [] for k in ("w1", "w8", "fw", "look", "lookf", "fl", "batch")
    }
    # One untimed round first (writes, then as many look-ups as a timed round), for both
    # sides: without it the first timed round was the slowest in every run (~11k look-ups/s
    # against 15-23k). Even with it the first look-up round can still be slow on this
    # machine; the median of the rounds is what is reported.
    if args.warmup > 0:
        writes(reg, args.warmup, args.subjects, 1)
        floor.writes(args.warmup, args.subjects)
        lookups(reg, args.lookups, args.subjects, seed=99)
        floor.lookups(args.lookups, args.subjects, seed=98)
    for r in range(args.repeat):
        runs["w1"].append(writes(reg, args.seconds, args.subjects, 1))
        runs["fw"].append(floor.writes(args.seconds, args.subjects))
        runs["w8"].append(writes(reg, args.seconds, args.subjects, 8))
        runs["look"].append(lookups(reg, args.lookups, args.subjects, seed=100 + r))
        # The same with the start-up heap frozen out of the cyclic collector's scans, as
        # `guardrail consent serve` does once it has started (gc.freeze()).
        gc.collect()
        gc.freeze()
        try:
            runs["lookf"].append(lookups(reg, args.lookups, args.subjects, seed=300 + r))
        finally:
            gc.unfreeze()
        runs["fl"].append(floor.lookups(args.lookups, args.subjects, seed=200 + r))
        runs["batch"].append(batched(reg, 20_000, args.subjects))
    verify_rate = floor_scan = None
    report_ok = None
    if args.verify:
        t0 = time.perf_counter()
        report = reg.verify()
        verify_rate = report.events / (time.perf_counter() - t0)
        report_ok = report.ok
        if not floor.sqlite:
            floor.conn.autocommit = False  # a named (server-side) cursor needs a transaction
        floor_scan = floor.scan()
    floor.close()
    reg.close()
    med = {k: statistics.median(v) for k, v in runs.items()}
    for k, v in runs.items():
        print(f"  {label} {k}: {', '.join(f'{x:,.0f}' for x in v)}", file=sys.stderr)
    if report_ok is not None:
        print(f"  {label} chain verifies after the run: {report_ok}", file=sys.stderr)
    ref_w = f"bare {'sqlite3' if url.startswith('sqlite') else 'psycopg'}, same transaction"
    ref_l = f"bare {'sqlite3' if url.startswith('sqlite') else 'psycopg'}, same indexed SELECT"
    rows = [
        _row(
            label, "writes, 1 caller: record() (events/s)", med["w1"], med["fw"], ref_w, ">= 5,000"
        ),
        _row(
            label, "writes, 8 threads: record() (events/s)", med["w8"], med["fw"], ref_w, ">= 5,000"
        ),
        _row(label, "writes, record_many(batch=1000) (events/s)", med["batch"], None, "", ""),
        _row(
            label, "status look-ups, 1 caller (per s)", med["look"], med["fl"], ref_l, ">= 20,000"
        ),
        _row(
            label,
            "status look-ups, 1 caller, start-up heap frozen as `consent serve` does (per s)",
            med["lookf"],
            med["fl"],
            ref_l,
            ">= 20,000",
        ),
    ]
    if verify_rate is not None:
        rows.append(
            _row(
                label, "verify the chain (events/s)", verify_rate, floor_scan, "bare full scan", ""
            )
        )
    return rows


def _row(
    backend: str, what: str, value: float, ref: float | None, ref_is: str, target: str
) -> dict[str, Any]:
    return {
        "backend": backend,
        "measure": what,
        "guardrail": value,
        "reference": ref if ref is not None else "",
        "reference is": ref_is,
        "ratio": value / ref if ref else "",
        "target": target,
    }


def _pg(args: argparse.Namespace) -> tuple[str, Callable[[], None]]:
    import sqlalchemy as sa

    admin = sa.create_engine(_sa_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)
        ).scalar()
        if not exists:
            c.exec_driver_sql(f'CREATE DATABASE "{PG_DB}"')
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{PG_DB}"

    def drop() -> None:
        if args.pg_keep:
            return
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        admin.dispose()

    return url, drop


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--subjects", type=int, default=2_000_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the SQLite data in")
    ap.add_argument("--pg-keep", action="store_true", help="keep the PostgreSQL database")
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each write run")
    ap.add_argument("--lookups", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of untimed writes before measuring"
    )
    ap.add_argument("--verify", action="store_true", help="verify the chain after measuring")
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    rows: list[dict[str, Any]] = []
    tmp = tempfile.TemporaryDirectory(prefix="bench-consent-")
    folder = args.keep or Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if "sqlite" in backends:
            url = f"sqlite:///{folder / f'consent-{args.events}.db'}"
            t0 = time.perf_counter()
            generate(url, args.events, args.subjects)
            print(f"sqlite data ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            if not args.generate_only:
                rows += measure(url, "SQLite (WAL)", args)
        if "postgresql" in backends:
            url, drop = _pg(args)
            try:
                t0 = time.perf_counter()
                generate(url, args.events, args.subjects)
                print(f"postgresql data ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
                if not args.generate_only:
                    rows += measure(url, "PostgreSQL", args)
            finally:
                drop()
    finally:
        tmp.cleanup()
    if rows:
        report(f"Consent registry ({args.events:,} stored events)", rows)


if __name__ == "__main__":
    main()
