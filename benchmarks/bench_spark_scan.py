"""Table scan on Spark (local[2]) vs the single-machine path, same run: customers_100000.parquet.

The pii-eval table: 100,000 rows x 8 string columns (800,000 cells). Modes, each the median
of ``--repeat`` runs:

* **guardrail on Spark** — ``guardrail.spark.classify_columns`` (column verdicts) and
  ``scan_dataframe(detections=True)`` (every detection per cell, masked previews) on
  ``spark.read.parquet(...)``: every row, and the default 10,000-row sample;
* **guardrail, one process** — reading the Parquet file + ``detect.scan_table`` in the same
  three modes (the results are compared: they must be identical);
* **Presidio's Spark sample pattern** — a pandas UDF that calls Presidio's ``AnalyzerEngine``
  once per cell (stock Presidio: blank spaCy pipeline, predefined recognizers; one engine per
  Python worker, built before the timing), on the first ``--presidio-rows`` rows of every
  column, its cells/s extrapolated to the 800,000 cells.

    python benchmarks/bench_spark_scan.py [--repeat 3] [--master local[2]] [--presidio-rows 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Module level: with postponed annotations, PySpark resolves the pandas UDF's type hints
# ("pd.Series") in this module's globals.
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, machine, report

PARQUET = SHARED / "datasets" / "pii-eval" / "customers_100000.parquet"
CELLS = 800_000


def median_time(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def cells(scan: Any) -> dict[str, tuple[Any, ...]]:
    """Every detection per cell, by column: row, span and entity."""
    return {n: (a.rows, a.starts, a.ends, a.entities) for n, a in scan.columns.items()}


def one_process(sample: int | None, detections: bool) -> Any:
    import pyarrow.parquet as pq

    from guardrail.detect import scan_table

    table = pq.read_table(PARQUET)
    return scan_table(table, name="customers", sample=sample, detections=detections)


def on_spark(df: Any, sample: int | None, detections: bool) -> Any:
    from guardrail.spark import scan_dataframe

    return scan_dataframe(df, name="customers", sample=sample, detections=detections)


def presidio_udf(df: Any, rows: int) -> float:
    """Seconds for Presidio's per-cell pandas UDF over ``rows`` rows of every column.

    Each Python worker builds its ``AnalyzerEngine`` once and keeps it (as a Spark job would,
    e.g. in a module-level cache); a warm-up pass over one column builds them before the
    timing, so the figure is Presidio's steady per-cell cost, not its start-up."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("int")  # type: ignore[call-overload,misc]
    def count_pii(texts: pd.Series) -> pd.Series:
        import guardrail.detect.presidio as gp

        # The worker process outlives the task: keep its analyzer on a module it imports.
        analyzer = gp.__dict__.get("_bench_stock_en")
        if analyzer is None:
            analyzer = gp.__dict__["_bench_stock_en"] = gp.stock_analyzer("en")
        return texts.map(lambda t: 0 if t is None else len(analyzer.analyze(text=t, language="en")))

    head = df.limit(rows).repartition(2).cache()
    head.count()
    head.limit(40).repartition(2).select(F.sum(count_pii(F.col(df.columns[0])))).collect()
    sums = [F.sum(count_pii(F.col(c))).alias(c) for c in df.columns]
    t0 = time.perf_counter()
    head.select(*sums).collect()
    elapsed = time.perf_counter() - t0
    head.unpersist()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--presidio-rows", type=int, default=1000)
    args = ap.parse_args()

    from guardrail.spark import get_session

    print(f"machine: {machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    t0 = time.perf_counter()
    spark = get_session(args.master, conf={"spark.driver.memory": "4g"})
    print(f"{args.master}: Spark session started in {time.perf_counter() - t0:.1f} s")
    df = spark.read.parquet(str(PARQUET))
    on_spark(df, 1000, False)  # warm the executors' Python workers
    one_process(1000, False)  # and this process's imports

    rows: list[dict[str, Any]] = []
    for label, sample, det in (
        ("every row, column verdicts", None, False),
        ("every row, every detection per cell", None, True),
        ("10,000-row sample, column verdicts", 10_000, False),
    ):
        t_spark, got = median_time(lambda s=sample, d=det: on_spark(df, s, d), args.repeat)
        t_one, want = median_time(lambda s=sample, d=det: one_process(s, d), args.repeat)
        # Column reports always; per-cell detections when asked for (without them
        # ``scan_table`` returns no columns while Spark's scan still carries its evidence).
        same = got.reports == want.reports and (not det or cells(got) == cells(want))
        rows.append(
            {
                "mode": label,
                "Spark s": t_spark,
                "one process s": t_one,
                "one process / Spark": t_one / t_spark,
                "Spark cells/s": (sample or 100_000) * 8 / t_spark,
                "results": "identical" if same else "DIFFERENT",
            }
        )
        print("  ", rows[-1], flush=True)
    t_presidio = presidio_udf(df, args.presidio_rows)
    per_cell = t_presidio / (args.presidio_rows * 8)
    full = rows[0]["Spark s"]
    rows.append(
        {
            "mode": f"Presidio per-cell pandas UDF ({args.presidio_rows:,} rows, extrapolated)",
            "Spark s": per_cell * CELLS,
            "one process s": "—",
            "one process / Spark": "—",
            "Spark cells/s": 1 / per_cell,
            "results": f"guardrail on Spark {per_cell * CELLS / full:.0f}x faster",
        }
    )
    report(f"Table scan on Spark ({args.master}) vs one process", rows)
    spark.stop()


if __name__ == "__main__":
    main()
