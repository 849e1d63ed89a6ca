"""CLI start-up and the example audit, against their references in the same run.

* ``guardrail --help`` versus a bare ``python -c pass`` (interpreter start-up): the ratio
  shows what guardrail adds; the target is under 300 ms wall.
* ``guardrail audit examples/shop`` (a copy of the example with its generated data, consent
  registry and playbook library) versus the I/O floor: reading every sampled row of every
  table with the stdlib ``sqlite3`` and every log line. Target: < 10 s.
* ``guardrail check examples/shop`` (the CI gate: 100-row samples, no report files) versus the
  same floor. Target: < 5 s.

    python benchmarks/bench_cli.py
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO, best_of, median_of, report, run_cmd

GUARDRAIL = str(Path(sys.executable).with_name("guardrail"))


def _shop(tmp: Path) -> Path:
    """A private copy of examples/shop with everything ``generate.py`` makes."""
    shop = tmp / "shop"
    shutil.copytree(
        REPO / "examples" / "shop",
        shop,
        ignore=shutil.ignore_patterns("data", "logs", "playbooks", "__pycache__"),
    )
    generate = REPO / "examples" / "shop" / "generate.py"
    subprocess.run(
        [sys.executable, str(generate), "--out", str(shop)], check=True, capture_output=True
    )
    return shop


def _floor(shop: Path, sample: int = 1000) -> None:
    conn = sqlite3.connect(shop / "data" / "shop.db")
    for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        conn.execute(f'SELECT * FROM "{t}" LIMIT {sample}').fetchall()
    conn.close()
    for p in (shop / "logs").glob("*.log"):
        p.read_text().splitlines()


def main() -> None:
    bare = best_of(lambda: run_cmd([sys.executable, "-c", "pass"]), 10)
    helpt = best_of(lambda: run_cmd([GUARDRAIL, "--help"]), 10)
    with tempfile.TemporaryDirectory() as d:
        shop = _shop(Path(d))
        out = Path(d) / "out"
        audit = median_of(
            lambda: run_cmd([GUARDRAIL, "audit", str(shop), "--output-dir", str(out)]), 3
        )
        check = median_of(lambda: run_cmd([GUARDRAIL, "check", str(shop)]), 3)
        floor = best_of(lambda: _floor(shop), 5)
    report(
        "CLI start-up and example audit",
        [
            {
                "measure": "guardrail --help (s)",
                "guardrail": helpt,
                "reference": bare,
                "reference is": "python -c pass",
                "ratio": helpt / bare,
                "target": "< 0.3 s",
            },
            {
                "measure": "guardrail audit examples/shop (s)",
                "guardrail": audit,
                "reference": floor,
                "reference is": "sqlite3 + log read floor",
                "ratio": audit / floor,
                "target": "< 10 s",
            },
            {
                "measure": "guardrail check examples/shop (s)",
                "guardrail": check,
                "reference": floor,
                "reference is": "sqlite3 + log read floor",
                "ratio": check / floor,
                "target": "< 5 s",
            },
        ],
    )


if __name__ == "__main__":
    main()
