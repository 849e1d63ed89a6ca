"""Table classification: guardrail vs stock Presidio on customers_100000.parquet, same run.

    python benchmarks/bench_detect_table.py [--repeat 3] [--presidio-rows 300]

The file holds 100,000 rows x 8 string columns (name, email, phone, address, id_number,
credit_card, ip, order_note). A column counts as classified correctly when guardrail's most
confident entity is the expected one (order_note: free text — correct when it reports the
personal data it holds, PHONE_NUMBER / EMAIL_ADDRESS / PERSON, and nothing else).

guardrail, measured three ways:

* end to end in a fresh process: ``guardrail scan customers_100000.parquet --sample 10000
  --columns-only --format jsonl`` (interpreter start, imports, Parquet read, classification,
  output) — wall and CPU time of the child process;
* in process: reading the first 10,000 rows + ``scan_table`` (its default sample);
* in process, every row: Parquet read + ``scan_table(sample=None)`` — all 800,000 cells.

Reference, in the same run: presidio-structured's ``PandasAnalysisBuilder`` with stock
Presidio (blank spaCy pipeline, predefined recognizers) on the first ``--presidio-rows`` rows —
its column labels and its cells/s, extrapolated to the whole table (the pii-eval README
measured the full presidio-structured scan at 704 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, machine, report

PARQUET = SHARED / "datasets" / "pii-eval" / "customers_100000.parquet"
EXPECTED = {
    "name": "PERSON",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "address": "ADDRESS",
    "id_number": "CN_RESIDENT_ID",
    "credit_card": "CREDIT_CARD",
    "ip": "IP_ADDRESS",
}
FREE_TEXT = {"order_note": {"PHONE_NUMBER", "EMAIL_ADDRESS", "PERSON"}}


def correct(column: str, entities: list[str]) -> bool:
    """``entities`` ordered by confidence, most confident first."""
    if column in FREE_TEXT:
        return bool(entities) and set(entities) <= FREE_TEXT[column]
    return bool(entities) and entities[0] == EXPECTED.get(column)


def run_cli() -> tuple[float, float, dict[str, list[str]]]:
    """Wall and CPU seconds of a fresh ``guardrail scan`` process, and its verdicts."""
    exe = Path(sys.executable).with_name("guardrail")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            str(exe),
            "scan",
            str(PARQUET),
            "--sample",
            "10000",
            "--columns-only",
            "--format",
            "jsonl",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "120"},
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"guardrail scan failed: {proc.stderr.strip()}")
    verdicts = {}
    for line in proc.stdout.splitlines():
        rec = json.loads(line)
        ents = sorted(rec["entities"], key=lambda e: -e["confidence"])
        verdicts[rec["column"]] = [e["entity"] for e in ents]
    return wall, cpu, verdicts


def run_in_process(sample: int | None) -> tuple[float, float, dict[str, list[str]]]:
    import pyarrow.parquet as pq

    from guardrail import scan_table

    w0, c0 = time.perf_counter(), time.process_time()
    if sample is None:
        table = pq.read_table(PARQUET)
    else:  # the first row group(s) only, as the scan command reads a sample
        table = pq.ParquetFile(PARQUET).iter_batches(batch_size=sample).__next__()
    scan = scan_table(table, name="customers", sample=sample)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    verdicts = {
        r.column: [e.entity for e in sorted(r.entities, key=lambda e: -e.confidence)]
        for r in scan.reports
    }
    return wall, cpu, verdicts


def run_presidio(rows: int) -> tuple[float, float, dict[str, str]]:
    import pyarrow.parquet as pq
    from presidio_structured import PandasAnalysisBuilder

    from guardrail.detect.presidio import stock_analyzer

    frame = pq.read_table(PARQUET).slice(0, rows).to_pandas()
    builder = PandasAnalysisBuilder(analyzer=stock_analyzer("en"))
    builder.generate_analysis(frame.head(5), n=5)  # warm-up
    w0, c0 = time.perf_counter(), time.process_time()
    analysis = builder.generate_analysis(frame, n=rows)
    return time.perf_counter() - w0, time.process_time() - c0, dict(analysis.entity_mapping)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each guardrail mode")
    ap.add_argument("--presidio-rows", type=int, default=300, help="rows presidio-structured reads")
    args = ap.parse_args()
    print(f"# table classification benchmark — {machine()}", flush=True)

    modes = {
        "guardrail scan (fresh process, 10k-row sample)": run_cli,
        "scan_table in process (10k-row sample)": lambda: run_in_process(10_000),
        "scan_table in process (all 100k rows)": lambda: run_in_process(None),
    }
    run_in_process(1000)  # warm the imports for the in-process modes
    rows: list[dict[str, Any]] = []
    verdict_rows: list[dict[str, Any]] = []
    for label, fn in modes.items():
        walls, cpus = [], []
        verdicts: dict[str, list[str]] = {}
        for _ in range(args.repeat):
            w, c, verdicts = fn()  # type: ignore[operator]
            walls.append(w)
            cpus.append(c)
        ok = sum(correct(col, ents) for col, ents in verdicts.items())
        rows.append(
            {
                "mode": label,
                "wall s (median)": round(statistics.median(walls), 2),
                "cpu s (median)": round(statistics.median(cpus), 2),
                "columns correct": f"{ok}/8",
                "target": "8/8 in ≤ 2 s",
            }
        )
        if label.startswith("scan_table in process (10k"):
            for col in list(EXPECTED) + list(FREE_TEXT):
                verdict_rows.append(
                    {
                        "column": col,
                        "expected": EXPECTED.get(
                            col, "free text: " + "/".join(sorted(FREE_TEXT.get(col, ())))
                        ),
                        "guardrail": ", ".join(verdicts.get(col, [])) or "—",
                        "ok": "✔" if correct(col, verdicts.get(col, [])) else "✘",
                    }
                )

    pw, pc, mapping = run_presidio(args.presidio_rows)
    cells = args.presidio_rows * 8
    full = 100_000 * 8 / (cells / pw)
    p_ok = sum(
        correct(col, [mapping[col]] if col in mapping else [])
        for col in list(EXPECTED) + list(FREE_TEXT)
    )
    rows.append(
        {
            "mode": f"presidio-structured, stock Presidio ({args.presidio_rows} rows, "
            f"{round(cells / pw)} cells/s)",
            "wall s (median)": round(pw, 2),
            "cpu s (median)": round(pc, 2),
            "columns correct": f"{p_ok}/8",
            "target": f"whole table ≈ {full:,.0f} s extrapolated (README: 704 s)",
        }
    )
    for r in verdict_rows:
        r["presidio-structured"] = mapping.get(r["column"], "—")
    fastest = min(r["wall s (median)"] for r in rows[:2])
    all_rows = rows[2]["wall s (median)"]
    rows.append(
        {
            "mode": "ratio: presidio-structured (whole table, extrapolated) / guardrail",
            "wall s (median)": f"{full / all_rows:,.0f}× (all rows), {full / fastest:,.0f}× (sampled)",
            "cpu s (median)": "",
            "columns correct": "",
            "target": "",
        }
    )
    report("customers_100000.parquet: time and columns classified", rows)
    report("customers_100000.parquet: column verdicts", verdict_rows)


if __name__ == "__main__":
    main()
