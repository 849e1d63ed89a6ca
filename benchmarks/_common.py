"""Small helpers shared by the benchmark scripts (timing, reporting)."""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Minimum wall time of ``repeat`` calls (seconds): the least noisy estimate."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def median_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_cmd(args: list[str], cwd: Path | None = None) -> None:
    subprocess.run(args, check=False, capture_output=True, cwd=cwd)


def machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"


def report(name: str, rows: list[dict[str, Any]]) -> None:
    """Print a Markdown table and a JSON line (for docs/benchmarks.md)."""
    if not rows:
        return
    cols = list(rows[0])
    print(f"\n### {name}  ({machine()})\n")
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        print("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    print("\nJSON " + json.dumps({"benchmark": name, "rows": rows}, ensure_ascii=False))
    sys.stdout.flush()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)
