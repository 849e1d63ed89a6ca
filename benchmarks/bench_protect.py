"""``protect`` of a 1M-row table with 3 protected columns vs copying the table unchanged.

    python benchmarks/bench_protect.py [--rows N] [--repeat R] [--formats sqlite,csv,parquet]

Protected columns: ``id_number`` (AES-256-GCM field token), ``email`` (AES-SIV deterministic
token) and ``card`` (HMAC-SHA256 pseudonym); the table has 8 columns.

References, measured in the same run on the same data:

* SQLite — copy every row through Python into a new table (``SELECT`` in chunks of 10,000,
  ``executemany`` ``INSERT``, one commit). protect reads in key order, updates in place and
  commits a checkpoint per chunk (the default 50,000 rows). For context, the same in-place
  statements writing the values back unchanged are also timed (an ``UPDATE`` costs more than
  appending a row to a new table).
* CSV — ``csv.reader`` to ``csv.writer`` into a new file.
* Parquet — read record batches, pass the same three columns through Python lists and back,
  write a new file (the same machinery as protect, minus the transforms). A pure-Arrow copy
  (no Python per value) is shown for context.

Target (issue #5): protect at >= 0.3x the rate of the copy. The two are measured alternately
(the machine is shared and its load drifts); rates are medians of ``--repeat`` runs and the
ratio is the median of the per-pair ratios.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report

from guardrail.crypto import Keyring
from guardrail.protect import ProtectOptions, load_policy, protect

COLUMNS = ("id", "name", "phone", "id_number", "email", "city", "card", "created_at")
POLICY = """\
context_prefix: bench
tables:
  customers:
    columns:
      id_number: {transform: encrypt}
      email: {transform: deterministic}
      card: {transform: pseudonymize}
"""


def gen(n: int):  # type: ignore[no-untyped-def]
    cities = ["深圳", "北京", "上海", "Berlin", "San Francisco"]
    for i in range(1, n + 1):
        yield (
            i,
            f"张{i % 997}",
            f"138{i:08d}",
            f"110105{19490101 + i % 28:08d}{i % 1000:03d}X",
            f"user{i}@example.cn",
            cities[i % 5],
            f"62284800{i:08d}",
            f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00",
        )


def make_sqlite(path: Path, n: int) -> None:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, id_number TEXT, "
        "email TEXT, city TEXT, card TEXT, created_at TEXT)"
    )
    db.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?)", gen(n))
    db.commit()
    db.close()


def make_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(gen(n))


def make_parquet(path: Path, n: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetWriter(
        path, pa.schema([(c, pa.int64() if c == "id" else pa.string()) for c in COLUMNS])
    ) as w:
        batch: list[tuple[object, ...]] = []
        for r in gen(n):
            batch.append(r)
            if len(batch) == 100_000:
                w.write_table(
                    pa.table(dict(zip(COLUMNS, map(list, zip(*batch, strict=True)), strict=True)))
                )
                batch = []
        if batch:
            w.write_table(
                pa.table(dict(zip(COLUMNS, map(list, zip(*batch, strict=True)), strict=True)))
            )


def copy_sqlite(src: Path) -> None:
    db = sqlite3.connect(src)
    db.execute("DROP TABLE IF EXISTS customers_copy")
    db.execute(
        "CREATE TABLE customers_copy (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, id_number TEXT, "
        "email TEXT, city TEXT, card TEXT, created_at TEXT)"
    )
    cur = db.execute("SELECT * FROM customers")
    while chunk := cur.fetchmany(10_000):
        db.executemany("INSERT INTO customers_copy VALUES (?,?,?,?,?,?,?,?)", chunk)
    db.commit()
    db.close()


def rewrite_sqlite(src: Path) -> None:
    """The same statements as protect (key-order SELECT, UPDATE in place, commit per 50,000
    rows) writing the values back unchanged: the I/O floor of an in-place run."""
    db = sqlite3.connect(src)
    last = 0
    while rows := db.execute(
        "SELECT rowid, id_number, email, card FROM customers WHERE rowid > ? ORDER BY rowid "
        "LIMIT 50000",
        (last,),
    ).fetchall():
        last = rows[-1][0]
        db.executemany(
            "UPDATE customers SET id_number = ?, email = ?, card = ? WHERE rowid = ?",
            [(r[1], r[2], r[3], r[0]) for r in rows],
        )
        db.commit()
    db.close()


def copy_csv(src: Path, dst: Path) -> None:
    with (
        src.open(encoding="utf-8", newline="") as i,
        dst.open("w", encoding="utf-8", newline="") as o,
    ):
        csv.writer(o, lineterminator="\n").writerows(csv.reader(i))


def copy_parquet_python(src: Path, dst: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(src)
    with pq.ParquetWriter(dst, pf.schema_arrow) as w:
        for batch in pf.iter_batches(batch_size=10_000):
            cols = list(batch.columns)
            for c in ("id_number", "email", "card"):
                i = batch.schema.names.index(c)
                cols[i] = pa.array(batch.column(i).to_pylist(), type=pa.string())
            w.write_table(pa.Table.from_arrays(cols, names=batch.schema.names))


def copy_parquet_arrow(src: Path, dst: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(pq.read_table(src), dst)


def paired(ours, ref, repeat: int, prepare_ours=None, prepare_ref=None):  # type: ignore[no-untyped-def]
    """Interleave the two measurements (the machine is shared: load drifts between runs).

    Returns (median time of ours, median time of the reference, median of the per-pair
    ratios ref/ours).
    """
    t_ours, t_ref, ratios = [], [], []
    for _ in range(repeat):
        for fn, prep, out in ((ref, prepare_ref, t_ref), (ours, prepare_ours, t_ours)):
            if prep is not None:
                prep()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        ratios.append(t_ref[-1] / t_ours[-1])
    return statistics.median(t_ours), statistics.median(t_ref), statistics.median(ratios)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="sqlite,csv,parquet")
    args = ap.parse_args()
    n, rep = args.rows, args.repeat
    formats = args.formats.split(",")
    work = Path(tempfile.mkdtemp(prefix="gr-bench-protect-"))
    rows: list[dict[str, object]] = []
    try:
        (work / "protect.yaml").write_text(POLICY)
        policy = load_policy(work / "protect.yaml")
        kr = Keyring.generate()

        def run(target: Path) -> None:
            protect(str(target), policy, keyring=kr, options=ProtectOptions())

        def add(
            fmt: str, timing: tuple[float, float, float], ref_name: str, target: bool = True
        ) -> None:
            ours, ref, ratio = timing
            rows.append(
                {
                    "format": fmt,
                    "rows": n,
                    "protect (rows/s)": n / ours,
                    "reference (rows/s)": n / ref,
                    "reference is": ref_name,
                    "ratio": ratio,
                    "target": (">= 0.3x" + (" ✔" if ratio >= 0.3 else " ✘"))
                    if target
                    else "(context)",
                }
            )

        def compare(
            fmt: str,
            target: Path,
            reference: Callable[[], object],
            repeat: int,
            fresh: Callable[[], object],
            ref_name: str,
            *,
            is_target: bool = True,
        ) -> None:
            """Time ``protect`` on ``target`` against ``reference``, both from ``fresh()``."""
            timing = paired(lambda: run(target), reference, repeat, fresh, fresh)
            add(fmt, timing, ref_name, target=is_target)

        def fresh_copy(pristine: Path, target: Path) -> Callable[[], None]:
            """Restore ``target`` from ``pristine`` and drop protect's sidecar state."""

            def fresh() -> None:
                shutil.copy(pristine, target)
                for p in work.glob(f"{target.name}.guardrail-protect*"):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()

            return fresh

        if "sqlite" in formats:
            pristine = work / "pristine.db"
            make_sqlite(pristine, n)
            db = work / "shop.db"
            fresh_db = lambda: shutil.copy(pristine, db)  # noqa: E731
            compare(
                "SQLite",
                db,
                lambda: copy_sqlite(db),
                rep,
                fresh_db,
                "Python row copy into a new table",
            )
            compare(
                "SQLite",
                db,
                lambda: rewrite_sqlite(db),
                1,
                fresh_db,
                "in-place rewrite of unchanged values (same statements)",
                is_target=False,
            )
        if "csv" in formats:
            pristine = work / "pristine.csv"
            make_csv(pristine, n)
            target = work / "customers.csv"
            compare(
                "CSV",
                target,
                lambda: copy_csv(target, work / "copy.csv"),
                rep,
                fresh_copy(pristine, target),
                "csv.reader -> csv.writer copy",
            )
        if "parquet" in formats:
            pristine = work / "pristine.parquet"
            make_parquet(pristine, n)
            target = work / "customers.parquet"
            fresh_parquet = fresh_copy(pristine, target)
            compare(
                "Parquet",
                target,
                lambda: copy_parquet_python(target, work / "copy.parquet"),
                rep,
                fresh_parquet,
                "batch copy, 3 columns through Python lists",
            )
            compare(
                "Parquet",
                target,
                lambda: copy_parquet_arrow(target, work / "copy2.parquet"),
                1,
                fresh_parquet,
                "pure-Arrow read/write (no Python per value)",
                is_target=False,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report("protect: 1M-row table, 3 protected columns", rows)


if __name__ == "__main__":
    main()
