"""DP count + sum per province with user-level bounding, against its references, in one run.

The table is the seeded synthetic orders table of ``bench_dp_data.py`` (10 M orders, ≈1.66 M
users with Zipf(2) orders each, 34 provinces). Every implementation answers the same query at
the same (ε = 1, δ = 1e-6): DP ``COUNT(*)`` and ``SUM(amount)`` per province, provinces
public. Reported per implementation: the DP path's wall time (median of ``--repeat`` runs,
data already in memory) and the median relative error per province against the true,
unbounded values, for the count and for the sum.

* **guardrail, automatic bounds** — no bounds given: the norm bounds are chosen with 10 % of
  the budget, and 5 % estimates the truncation bias (the product's default path).
* **guardrail, K=3 M=10** — the anchors' bounds (≤3 provinces per user, ≤10 orders per user
  and province, amounts clamped to [0, 500]).
* **numpy reference** — the research report's plain numpy implementation: two ``argsort``\\ s
  on packed keys for random ≤M rows and ≤K partitions per user, ``bincount``, numpy
  Gaussian noise (ρ = 0.02436 zCDP, split evenly). The speed reference.
* **OpenDP 0.16 polars Context** (``bench_dp_opendp.py`` in its own venv — OpenDP pins
  polars 1.36; set ``GUARDRAIL_BENCH_OPENDP_PYTHON`` or use the default
  ``~/.cache/guardrail-bench/venv-opendp/bin/python``), same ρ.
* **PipelineDP 0.3.1 LocalBackend** (``pip install pipeline-dp`` into the venv; not a
  guardrail dependency): NaiveBudgetAccountant(ε=1, δ=1e-6), Gaussian noise. Run once (about
  two minutes at 10 M rows) unless ``--slow-repeat`` says otherwise.
* SmartNoise SQL and Tumult Analytics cannot be installed next to guardrail's dependencies
  (they pin opendp<0.15 and pandas<3, resp. numpy<2, pandas<2 and Spark): reported as skipped.

Targets (issue #11): guardrail ≤ 1.5× the numpy reference's time, ≥ 4× faster than OpenDP,
and a median relative error no larger than PipelineDP's and OpenDP's.

    python benchmarks/bench_dp.py                    # 10 M rows, 3 repeats
    python benchmarks/bench_dp.py --rows 1000000 --repeat 5 --skip pipelinedp
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _common import DP_DELTA, DP_EPSILON, DP_K, DP_M, DP_UPPER, REPO, dp_spec, machine, report
from bench_dp_data import PROVINCES, describe, load, parquet_path

EPSILON, DELTA = DP_EPSILON, DP_DELTA
RHO = 0.02436  # (ε=1, δ=1e-6) as zCDP, as in the research report
K, M, UPPER = DP_K, DP_M, DP_UPPER
OPENDP_PYTHON = Path.home() / ".cache" / "guardrail-bench" / "venv-opendp" / "bin" / "python"

Result = tuple[float, np.ndarray, np.ndarray]  # seconds, counts, sums


def _timed(fn: Callable[[], tuple[np.ndarray, np.ndarray]]) -> Result:
    t0 = time.perf_counter()
    c, s = fn()
    return time.perf_counter() - t0, np.asarray(c, float), np.asarray(s, float)


# -- guardrail ----------------------------------------------------------------------------------


def _spec(bounds: bool) -> Any:
    return dp_spec(bounds, PROVINCES)


def guardrail_run(data: dict[str, np.ndarray], ledger: Any, bounds: bool) -> Result:
    from guardrail.privacy import run_query

    spec = _spec(bounds)
    frame = {"user_id": data["user"], "province": data["province"], "amount": data["amount"]}

    def go() -> tuple[np.ndarray, np.ndarray]:
        rel = run_query(frame, spec, ledger=ledger, at=datetime.now(UTC), fresh=True)
        c = np.zeros(PROVINCES)
        s = np.zeros(PROVINCES)
        for cell in rel.cells:
            (p,) = cell.key
            (c if cell.aggregate == "orders" else s)[int(p)] = cell.value  # type: ignore[index,arg-type]
        return c, s

    return _timed(go)


# -- numpy reference ----------------------------------------------------------------------------


def numpy_reference(data: dict[str, np.ndarray]) -> Result:
    """Research report §1.2: sort-based random bounding, bincount, numpy Gaussian noise."""
    user, prov, amount = data["user"], data["province"], data["amount"]

    def go() -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng()
        n = user.size
        pair = user * PROVINCES + prov
        order = np.argsort((pair << 31) | rng.integers(0, 2**31, n))
        ps = pair[order]
        start = np.empty(n, bool)
        start[0] = True
        np.not_equal(ps[1:], ps[:-1], out=start[1:])
        idx = np.arange(n)
        rank = idx - np.maximum.accumulate(np.where(start, idx, 0))
        pair_ids = ps[start]
        pu = pair_ids // PROVINCES
        order2 = np.argsort((pu << 31) | rng.integers(0, 2**31, pair_ids.size))
        us = pu[order2]
        st2 = np.empty(us.size, bool)
        st2[0] = True
        np.not_equal(us[1:], us[:-1], out=st2[1:])
        i2 = np.arange(us.size)
        rank2 = i2 - np.maximum.accumulate(np.where(st2, i2, 0))
        keep_pair = np.zeros(pair_ids.size, bool)
        keep_pair[order2[rank2 < K]] = True
        kept = (rank < M) & keep_pair[np.cumsum(start) - 1]
        rows = order[kept]
        pk = prov[rows]
        counts = np.bincount(pk, minlength=PROVINCES).astype(float)
        sums = np.bincount(pk, weights=np.clip(amount[rows], 0, UPPER), minlength=PROVINCES)
        l2 = np.sqrt(K)
        sigma_c = M * l2 / np.sqrt(RHO)  # ρ/2 each: σ = Δ/√(2·ρ/2)
        sigma_s = M * UPPER * l2 / np.sqrt(RHO)
        return counts + rng.normal(0, sigma_c, PROVINCES), sums + rng.normal(0, sigma_s, PROVINCES)

    return _timed(go)


# -- OpenDP (own venv) --------------------------------------------------------------------------


def opendp_python() -> Path | None:
    env = os.environ.get("GUARDRAIL_BENCH_OPENDP_PYTHON")
    path = Path(env) if env else OPENDP_PYTHON
    return path if path.is_file() else None


def opendp_run(python: Path, parquet: Path) -> Result:
    script = Path(__file__).with_name("bench_dp_opendp.py")
    args = [str(python), str(script), str(parquet), "--rho", str(RHO), "--max-partitions", str(K)]
    args += ["--max-rows", str(M), "--upper", str(UPPER), "--provinces", str(PROVINCES)]
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    order = np.argsort(doc["province"])
    return doc["seconds"], np.array(doc["count"])[order], np.array(doc["sum"])[order]


# -- PipelineDP -----------------------------------------------------------------------------------


def pipelinedp_run(data: dict[str, np.ndarray]) -> Result:
    import pipeline_dp

    def go() -> tuple[np.ndarray, np.ndarray]:
        rows = list(
            zip(
                data["user"].tolist(),
                data["province"].tolist(),
                data["amount"].tolist(),
                strict=True,
            )
        )
        accountant = pipeline_dp.NaiveBudgetAccountant(total_epsilon=EPSILON, total_delta=DELTA)
        engine = pipeline_dp.DPEngine(accountant, pipeline_dp.LocalBackend())
        params = pipeline_dp.AggregateParams(
            noise_kind=pipeline_dp.NoiseKind.GAUSSIAN,
            metrics=[pipeline_dp.Metrics.COUNT, pipeline_dp.Metrics.SUM],
            max_partitions_contributed=K,
            max_contributions_per_partition=M,
            min_value=0.0,
            max_value=UPPER,
        )
        extractors = pipeline_dp.DataExtractors(
            privacy_id_extractor=lambda r: r[0],
            partition_extractor=lambda r: r[1],
            value_extractor=lambda r: r[2],
        )
        result = engine.aggregate(
            rows, params, extractors, public_partitions=list(range(PROVINCES))
        )
        accountant.compute_budgets()
        out = dict(result)
        c = np.array([out[p].count for p in range(PROVINCES)], float)
        s = np.array([out[p].sum for p in range(PROVINCES)], float)
        return c, s

    return _timed(go)


# -- driver -------------------------------------------------------------------------------------


def rel_error(got: np.ndarray, truth: np.ndarray) -> float:
    return float(np.median(np.abs(got - truth) / truth))


def main() -> None:
    ap = argparse.ArgumentParser(description="DP count+sum per province vs references")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--slow-repeat", type=int, default=1, help="repeats for PipelineDP")
    ap.add_argument("--skip", action="append", default=[], choices=["opendp", "pipelinedp"])
    args = ap.parse_args()

    data = load(args.rows)
    print(f"data: {describe(data)}")
    truth_c = np.bincount(data["province"], minlength=PROVINCES).astype(float)
    truth_s = np.bincount(data["province"], weights=data["amount"], minlength=PROVINCES)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        import opacus.accountants  # noqa: F401
        import opendp.prelude  # noqa: F401

        imports = time.perf_counter() - t0
    from guardrail.privacy.ledger import Ledger

    runs: dict[str, list[Result]] = {}
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        guardrail_run({k: v[:1000] for k, v in data.items()}, ledger, False)  # warm-up
        for _ in range(args.repeat):
            runs.setdefault("numpy reference (K=3, M=10)", []).append(numpy_reference(data))
            runs.setdefault("guardrail, automatic bounds", []).append(
                guardrail_run(data, ledger, False)
            )
            runs.setdefault("guardrail, K=3 M=10", []).append(guardrail_run(data, ledger, True))
        ledger.close()
    py = opendp_python()
    if "opendp" in args.skip:
        notes["OpenDP 0.16 polars (K=3, M=10)"] = "skipped (--skip)"
    elif py is None:
        notes["OpenDP 0.16 polars (K=3, M=10)"] = f"skipped: no OpenDP venv at {OPENDP_PYTHON}"
    else:
        pq_path = parquet_path(args.rows)
        runs["OpenDP 0.16 polars (K=3, M=10)"] = [
            opendp_run(py, pq_path) for _ in range(args.repeat)
        ]
    try:
        import pipeline_dp  # noqa: F401

        have_pdp = True
    except ImportError:
        have_pdp = False
    if "pipelinedp" in args.skip:
        notes["PipelineDP 0.3.1 local (K=3, M=10)"] = "skipped (--skip)"
    elif not have_pdp:
        notes["PipelineDP 0.3.1 local (K=3, M=10)"] = "skipped: pip install pipeline-dp"
    else:
        runs["PipelineDP 0.3.1 local (K=3, M=10)"] = [
            pipelinedp_run(data) for _ in range(args.slow_repeat)
        ]
    notes["SmartNoise SQL"] = "skipped: pins opendp<0.15 and pandas<3"
    notes["Tumult Analytics"] = "skipped: pins numpy<2, pandas<2, needs Spark"

    ref = statistics.median(r[0] for r in runs["numpy reference (K=3, M=10)"])
    auto = statistics.median(r[0] for r in runs["guardrail, automatic bounds"])
    rows = []
    for name, rs in runs.items():
        secs = statistics.median(r[0] for r in rs)
        rows.append(
            {
                "implementation": name,
                "runs": len(rs),
                "wall s (median)": secs,
                "÷ numpy ref": secs / ref,
                "÷ guardrail auto": secs / auto,
                "median rel. error count": statistics.median(rel_error(r[1], truth_c) for r in rs),
                "median rel. error sum": statistics.median(rel_error(r[2], truth_s) for r in rs),
            }
        )
    for name, why in notes.items():
        rows.append(
            {
                "implementation": name,
                "runs": 0,
                "wall s (median)": why,
                "÷ numpy ref": "",
                "÷ guardrail auto": "",
                "median rel. error count": "",
                "median rel. error sum": "",
            }
        )
    report(f"DP count+sum per province, {args.rows:,} rows, ε=1 δ=1e-6", rows)
    load_avg = os.getloadavg()
    print(
        f"\nimport opacus+opendp once per process: {imports:.2f} s (not in the times above); "
        f"load average {load_avg[0]:.2f} {load_avg[1]:.2f}; {machine()}; repo {REPO.name}"
    )


if __name__ == "__main__":
    main()
