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


# -- the DP benchmarks' query (bench_dp.py, bench_spark_dp.py) ---------------------------------

#: Privacy parameters and the anchors' bounds: ≤ K provinces per user, ≤ M orders per user and
#: province, amounts clamped to [0, UPPER].
DP_EPSILON, DP_DELTA = 1.0, 1e-6
DP_K, DP_M, DP_UPPER = 3, 10, 500.0


def dp_spec(bounds: bool, provinces: int) -> Any:
    """DP ``COUNT(*)`` and ``SUM(amount)`` per province (public keys ``0..provinces-1``).

    ``bounds=False`` lets guardrail choose the bounds; ``bounds=True`` uses K, M and UPPER.
    """
    from guardrail.privacy.spec import parse_spec

    keys = ", ".join(str(i) for i in range(provinces))
    text = f"""
dataset: bench
user_column: user_id
group_by: [province]
partitions: {{public: [{keys}]}}
epsilon: {DP_EPSILON}
delta: {DP_DELTA}
budget: {{epsilon: 1000000, delta: 1.0e-3}}
aggregates:
  - {{name: orders, kind: count}}
  - {{name: revenue, kind: sum, column: amount}}
"""
    if bounds:
        clamp = f"clamp: {{amount: [0, {DP_UPPER}]}}"
        text += f"bounds: {{max_partitions: {DP_K}, max_rows_per_partition: {DP_M}, {clamp}}}\n"
    return parse_spec(text)
