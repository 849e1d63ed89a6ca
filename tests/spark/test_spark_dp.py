"""DP aggregation on Spark: the single-machine plan's noise-free results, exactly, and its
release and ledger contract (the seeded orders table of the DP benchmark, small)."""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from tests.conftest import REPO
from tests.privacy.conftest import AT

from guardrail.errors import InputError, PrivacyBudgetExceeded
from guardrail.model.privacy import QuerySpec
from guardrail.privacy import plan_query
from guardrail.privacy import run_query as local_run_query
from guardrail.privacy.aggregate import QueryPlan
from guardrail.privacy.ledger import Ledger
from guardrail.privacy.spec import parse_spec
from guardrail.spark import SparkQueryPlan, SparkTable, run_query
from guardrail.testing import Canaries, capture_logs


def _bench_data() -> Any:
    """The DP benchmark's seeded generator (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "bench_dp_data", REPO / "benchmarks" / "bench_dp_data.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench_data()
PROVINCES: int = BENCH.PROVINCES

ROWS = 30_000
KEYS = "[" + ", ".join(str(i) for i in range(PROVINCES)) + "]"

HEAD = """
dataset: bench
user_column: user_id
group_by: [province]
epsilon: 1.0
delta: 1.0e-6
budget: {epsilon: 1000, delta: 1.0e-3}
"""
AGGREGATES = """
aggregates:
  - {name: orders, kind: count}
  - {name: buyers, kind: distinct_users}
  - {name: revenue, kind: sum, column: amount}
  - {name: basket, kind: mean, column: amount, per_user: mean}
  - {name: spend, kind: sum, column: amount, per_user: sum}
  - {name: amount_h, kind: histogram, column: amount, edges: [0, 20, 50, 100, 500]}
  - {name: amount_q, kind: quantiles, column: amount, q: [0.5, 0.9], bins: 32}
"""
FIXED = (
    HEAD
    + f"partitions: {{public: {KEYS}}}\n"
    + "bounds: {max_partitions: 3, max_rows_per_partition: 10, clamp: {amount: [0, 500]}}\n"
    + AGGREGATES
)
# No bounds at all: value ranges, mean scales, norm bounds and partitions chosen from data.
AUTOMATIC = HEAD + "partitions: {private: {max_partitions: 40}}\n" + AGGREGATES


@pytest.fixture(scope="module")
def orders() -> pa.Table:
    data = BENCH.generate(ROWS)
    return pa.table(
        {"user_id": data["user"], "province": data["province"], "amount": data["amount"]}
    )


@pytest.fixture(scope="module")
def orders_df(spark: Any, orders: pa.Table) -> Any:
    return spark.createDataFrame(orders)


def _plans(text: str, orders: pa.Table, df: Any) -> tuple[QuerySpec, QueryPlan, QueryPlan]:
    spec = parse_spec(text)
    local = plan_query(orders, spec)
    distributed = plan_query(SparkTable(df, shards=3), spec)
    assert isinstance(distributed, SparkQueryPlan)
    return spec, local, distributed


def _exact(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert np.array_equal(a, b), f"{int((a != b).sum())} of {a.size} totals differ"


def test_bounded_totals_are_the_single_machine_totals(orders: pa.Table, orders_df: Any) -> None:
    """Fixed bounds, every aggregate kind: the per-partition integer totals of bounded
    contributions and the truncation-bias totals are identical, number for number."""
    _, local, spark = _plans(FIXED, orders, orders_df)
    assert spark.passes() == 1  # one Spark job, nothing cached
    pair_in = np.ones(local._pairs.n_pairs, dtype=bool)
    for plan in (local, spark):
        for b in plan._blocks:
            b.bound = b.agg.norm_bound or b.derived_bound
    for b1, b2 in zip(local._blocks, spark._blocks, strict=True):
        t1, t2 = local._block_totals(b1, pair_in), spark._block_totals(b2, pair_in)
        assert len(t1) == len(t2) >= 1
        for x, y in zip(t1, t2, strict=True):
            _exact(x, y)
            assert x.sum() > 0
        if b1.raw is not None:
            assert local._bias_totals(b1, pair_in) == spark._bias_totals(b2, pair_in)


def test_automatic_bounds_see_the_same_histograms(orders: pa.Table, orders_df: Any) -> None:
    """Automatic bounds and private partitions: the phase-1 histograms (value ranges,
    partitions per user), the partition-selection counts, the users' norm histograms and
    then the totals are the single-machine ones. Each plan takes the same decisions here
    (from the noise-free histograms), so every later step can be compared too."""
    _, local, spark = _plans(AUTOMATIC, orders, orders_df)
    assert spark.passes() == 4
    # Candidate partitions: the Spark plan numbers them by key; map local codes onto them.
    n = spark._pairs.n_parts
    assert n == local._pairs.n_parts == PROVINCES
    to_spark = np.array([spark._candidates.index(local._key_of(p)) for p in range(n)])  # type: ignore[union-attr]
    for plan in (local, spark):  # what release() sets up before phase 1
        plan._auto_names = []
        plan._notes = []
        plan._n_released = n
        for b in plan._blocks:
            b.share = 0.8 / len(plan._blocks)

    autos1 = QueryPlan._pre_autos(local)
    autos2 = spark._pre_autos()
    assert [a.name for a in autos1] == [a.name for a in autos2] == ["range:amount"]
    for a1, a2 in zip(autos1, autos2, strict=True):
        u1, g1 = local._histogram_units(a1)
        u2, g2 = spark._histogram_units(a2)
        assert g1 == g2
        _exact(u1, u2)
        a1.apply(u1, 0.0)
        a2.apply(u2, 0.0)

    counts1 = local._selection_counts(40)
    counts2 = spark._selection_counts(40)
    _exact(counts1[np.argsort(to_spark)], counts2)

    pair_in = np.ones(local._pairs.n_pairs, dtype=bool)
    for b1, b2 in zip(local._blocks, spark._blocks, strict=True):
        assert b1.scale == b2.scale
        assert (b1.edges is None) == (b2.edges is None)
        if b1.edges is not None:
            _exact(b1.edges, b2.edges)  # type: ignore[arg-type]
        n1, n2 = local._norm_auto(b1, pair_in), spark._norm_auto(b2, pair_in)
        h1, h2 = local._histogram_units(n1)[0], spark._histogram_units(n2)[0]
        _exact(h1, h2)
        n1.apply(h1, 0.0)
        n2.apply(h2, 0.0)
        assert b1.bound == b2.bound and b1.bound is not None

    for b1, b2 in zip(local._blocks, spark._blocks, strict=True):
        t1, t2 = local._block_totals(b1, pair_in), spark._block_totals(b2, pair_in)
        for x, y in zip(t1, t2, strict=True):
            nb = x.size // n
            x = x.reshape(n, nb)[np.argsort(to_spark)].ravel()
            _exact(x, y)
        if b1.raw is not None:
            assert local._bias_totals(b1, pair_in) == spark._bias_totals(b2, pair_in)


def test_releases_follow_the_ledger_contract(
    orders: pa.Table, orders_df: Any, tmp_path: Any
) -> None:
    """Same release shape as the single-machine path (noise scales, bounds, cells); values
    within 6σ of the exact bounded totals; a retry is answered from the ledger."""
    spec = parse_spec(FIXED)
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        local = local_run_query(orders, spec, ledger=ledger, at=AT, source="orders", fresh=True)
        rel = run_query(orders_df, spec, ledger=ledger, at=AT, source="lake:orders")
        again = run_query(orders_df, spec, ledger=ledger, at=AT, source="lake:orders")
        assert again == rel
        statement = ledger.budget("bench")
        assert statement.releases == 2 and statement.reserved == 0
    assert rel.noise == local.noise and rel.bounds == local.bounds
    assert rel.partitions == local.partitions
    assert [(c.key, c.aggregate, c.statistic) for c in rel.cells] == [
        (c.key, c.aggregate, c.statistic) for c in local.cells
    ]
    # The counts' noise is centred on the exact bounded totals.
    plan = plan_query(orders, spec)
    b = plan._blocks[0]
    b.bound = b.derived_bound
    exact = plan._block_totals(b, np.ones(plan._pairs.n_pairs, dtype=bool))[0]
    from guardrail.privacy import bounding as bd

    grid = bd.grid_for(b.bound)  # type: ignore[arg-type]
    counts = [c for c in rel.cells if c.aggregate == "orders"]
    for cell, total in zip(counts, exact * grid, strict=True):
        assert cell.std is not None and abs(cell.value - total) < 6 * cell.std  # type: ignore[operator]


def test_a_release_over_budget_draws_nothing(orders_df: Any, tmp_path: Any) -> None:
    spec = parse_spec(FIXED.replace("budget: {epsilon: 1000,", "budget: {epsilon: 0.5,"))
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        with pytest.raises(PrivacyBudgetExceeded):
            run_query(orders_df, spec, ledger=ledger, at=AT)
        statement = ledger.budget("bench")
        assert statement.epsilon_spent == 0 and statement.entries == ()


def test_bad_columns_are_input_errors(spark: Any, orders_df: Any, tmp_path: Any) -> None:
    """A missing column fails while planning; a column of text that is not numbers fails
    on the executors before any noise is drawn, and the reservation is cancelled."""
    spec = parse_spec(FIXED)
    with pytest.raises(InputError, match="no column named 'province'"):
        plan_query(SparkTable(orders_df.drop("province")), spec)
    with pytest.raises(InputError, match="do not match the column's type"):
        plan_query(
            SparkTable(orders_df),
            parse_spec(HEAD + "partitions: {public: [a, b]}\n" + AGGREGATES),
        )
    c = Canaries(seed=4)
    texts = spark.createDataFrame(
        pa.table(
            {
                "user_id": [1, 2, 3],
                "province": [0, 1, 2],
                "amount": ["12.5", f"{c.card()} yuan", "3"],
            }
        )
    )
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        with pytest.raises(InputError, match="'amount' holds values that are not numbers") as err:
            run_query(texts, spec, ledger=ledger, at=AT)
        c.assert_absent(str(err.value), repr(err.value))
        statement = ledger.budget("bench")
        assert statement.epsilon_spent == 0 and statement.reserved == 0


def test_releases_hold_no_planted_data(spark: Any, tmp_path: Any) -> None:
    """Users named by e-mail and resident ID, a rare partition named after a phone number:
    nothing planted reaches the release, the ledger, the plan's repr or the logs."""
    c = Canaries(seed=21)
    users = [f"user{i}@example.test" for i in range(2000)]
    cities = ["Shanghai", "Beijing", "Shenzhen"]
    rows = {"email": users, "city": [cities[i % 3] for i in range(2000)], "amount": [10.0] * 2000}
    planted_user, planted_id = c.email(), c.cn_resident_id()
    rare = f"Village {c.cn_mobile()}"
    rows["email"] += [planted_user] * 30 + [planted_id] * 5
    rows["city"] += [rare] * 30 + ["Shanghai"] * 5
    rows["amount"] += [12.5] * 35
    df = spark.createDataFrame(pa.table(rows))
    spec = parse_spec(
        """
dataset: crm
user_column: email
group_by: [city]
partitions: {private: {max_partitions: 1}}
epsilon: 1.0
budget: {epsilon: 50, delta: 1.0e-3}
aggregates:
  - {name: people, kind: distinct_users}
  - {name: spend, kind: sum, column: amount}
"""
    )
    with capture_logs() as logs, Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        table = SparkTable(df, name="crm")
        plan = plan_query(table, spec)
        rel = run_query(table, spec, ledger=ledger, at=AT)
        stored = ledger.releases("crm", with_cells=True)
    assert {c.key for c in rel.cells} == {(city,) for city in cities}
    assert all(math.isfinite(c.value or 0.0) for c in rel.cells)
    c.assert_absent(
        rel.model_dump_json(),
        "".join(r.model_dump_json() for r in stored),
        repr(plan),
        repr(table),
        "\n".join(logs),
        names=["release", "ledger", "plan repr", "table repr", "logs"],
    )
