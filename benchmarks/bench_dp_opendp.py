"""Reference for bench_dp.py: OpenDP's polars Context on the benchmark's orders table.

OpenDP 0.16 pins polars 1.36.1 while guardrail's environment has polars 2, so this script runs
in its own virtual environment and prints one JSON line; ``bench_dp.py`` calls it::

    python -m venv ~/.cache/guardrail-bench/venv-opendp
    ~/.cache/guardrail-bench/venv-opendp/bin/pip install "opendp[polars]==0.16.0" numpy pyarrow

    ~/.cache/guardrail-bench/venv-opendp/bin/python benchmarks/bench_dp_opendp.py \\
        ORDERS.parquet --rho 0.02436 --max-partitions 3 --max-rows 10 --upper 500

It does not import guardrail. The query follows the research report's sketch: truncate to
``--max-rows`` rows per user and province and ``--max-partitions`` provinces per user
(``keep="first"``: the default ``keep="sample"`` crashes in 0.16), then a DP count and a DP
sum of amounts clamped to [0, upper] per public province, with all of ρ on this one query.
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parquet")
    ap.add_argument("--rho", type=float, required=True)
    ap.add_argument("--max-partitions", type=int, default=3)
    ap.add_argument("--max-rows", type=int, default=10)
    ap.add_argument("--upper", type=float, default=500.0)
    ap.add_argument("--provinces", type=int, default=34)
    args = ap.parse_args()

    import opendp.prelude as dp
    import polars as pl

    dp.enable_features("contrib")
    frame = pl.read_parquet(args.parquet)
    n = frame.height
    t0 = time.perf_counter()
    ctx = dp.Context.compositor(
        data=frame.lazy(),
        privacy_unit=dp.unit_of(contributions=1, identifier="user_id"),
        privacy_loss=dp.loss_of(rho=args.rho),
        split_evenly_over=1,
        margins=[
            dp.polars.Margin(max_length=n),
            dp.polars.Margin(by=["province"], max_length=n, max_groups=args.provinces),
        ],
    )
    keys = pl.LazyFrame({"province": list(range(args.provinces))})
    query = (
        ctx.query()
        .truncate_per_group(args.max_rows, by=["province"])
        .truncate_num_groups(args.max_partitions, by=["province"], keep="first")
        .group_by("province")
        .agg(dp.len(), pl.col("amount").fill_null(0.0).dp.sum((0.0, args.upper)))
        .with_keys(keys)
    )
    out = query.release().collect().sort("province")
    elapsed = time.perf_counter() - t0
    cols = out.columns
    count_col = next(c for c in cols if c == "len")
    sum_col = next(c for c in cols if c == "amount")
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "province": out["province"].to_list(),
                "count": [float(x) for x in out[count_col].to_list()],
                "sum": [float(x) for x in out[sum_col].to_list()],
            }
        )
    )


if __name__ == "__main__":
    main()
