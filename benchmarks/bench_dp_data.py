"""The seeded synthetic orders table of the DP benchmarks (../shared/reference/differential-privacy.md §1).

10,000,000 orders by ≈1.69 M users: orders per user Zipf(2) truncated at 10,000 (mean ≈ 5.9,
median 1); 34 provinces with Zipf(1) weights, each user shopping in a home province 85 % of
the time; 50 categories; lognormal amounts (mean ≈ 66, p99 ≈ 410).

Generated into a cache folder, never into the repository:
``$GUARDRAIL_BENCH_CACHE`` or ``~/.cache/guardrail-bench/dp-orders-<rows>-<seed>/`` holding
``user.npy``, ``province.npy``, ``category.npy``, ``amount.npy`` and ``orders.parquet`` (for
engines that read files).

    python benchmarks/bench_dp_data.py                 # 10 M rows
    python benchmarks/bench_dp_data.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

SEED = 20261111
ROWS = 10_000_000
PROVINCES = 34
CATEGORIES = 50
MAX_ORDERS = 10_000
HOME_SHARE = 0.85
COLUMNS = ("user", "province", "category", "amount")


def cache_dir(rows: int = ROWS, seed: int = SEED) -> Path:
    root = os.environ.get("GUARDRAIL_BENCH_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "guardrail-bench"
    return base / f"dp-orders-{rows}-{seed}"


def generate(rows: int = ROWS, seed: int = SEED) -> dict[str, np.ndarray]:
    """The table as numpy columns (deterministic for a given ``rows`` and ``seed``)."""
    rng = np.random.default_rng(seed)
    chunks = []
    total = 0
    while total < rows:
        c = rng.zipf(2.0, 1_000_000)
        c = c[c <= MAX_ORDERS]
        need = rows - total
        cs = np.cumsum(c)
        if cs[-1] >= need:
            k = int(np.searchsorted(cs, need))
            c = c[: k + 1].copy()
            c[-1] -= int(cs[k] - need)
            c = c[c > 0]
        chunks.append(c)
        total += int(c.sum())
    per_user = np.concatenate(chunks)
    n_users = per_user.size
    user = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    weights = 1.0 / np.arange(1, PROVINCES + 1)
    weights /= weights.sum()
    home = rng.choice(PROVINCES, size=n_users, p=weights)
    province = home[user]
    away = rng.random(rows) >= HOME_SHARE
    province[away] = rng.choice(PROVINCES, size=int(away.sum()), p=weights)
    order = rng.permutation(rows)
    return {
        "user": user[order],
        "province": province[order].astype(np.int64),
        "category": rng.integers(0, CATEGORIES, rows, dtype=np.int64),
        "amount": np.round(rng.lognormal(3.69, 1.0, rows), 2),
    }


def load(rows: int = ROWS, seed: int = SEED, *, parquet: bool = False) -> dict[str, np.ndarray]:
    """The cached table (generated on first use); ``parquet`` also writes orders.parquet."""
    folder = cache_dir(rows, seed)
    paths = {c: folder / f"{c}.npy" for c in COLUMNS}
    if not all(p.is_file() for p in paths.values()):
        folder.mkdir(parents=True, exist_ok=True)
        data = generate(rows, seed)
        for c, p in paths.items():
            tmp = p.with_suffix(".tmp.npy")
            np.save(tmp, data[c])
            tmp.replace(p)
    data = {c: np.load(p) for c, p in paths.items()}
    if parquet:
        parquet_path(rows, seed, data)
    return data


def parquet_path(
    rows: int = ROWS, seed: int = SEED, data: dict[str, np.ndarray] | None = None
) -> Path:
    path = cache_dir(rows, seed) / "orders.parquet"
    if not path.is_file():
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = data or load(rows, seed)
        table = pa.table(
            {"user_id": data["user"], "province": data["province"], "amount": data["amount"]}
        )
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
    return path


def describe(data: dict[str, np.ndarray]) -> str:
    per_user = np.bincount(data["user"])
    per_user = per_user[per_user > 0]
    a = data["amount"]
    return (
        f"{data['user'].size:,} orders, {per_user.size:,} users "
        f"(orders/user mean {per_user.mean():.2f}, median {np.median(per_user):.0f}, "
        f"p99 {np.percentile(per_user, 99):.0f}, max {per_user.max():,}); "
        f"amount mean {a.mean():.1f}, p99 {np.percentile(a, 99):.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=ROWS)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = load(args.rows, args.seed, parquet=True)
    print(f"{cache_dir(args.rows, args.seed)}: {describe(data)} ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
