"""The executor-side functions on Arrow batches, without Spark: merging out of order, error
reporting that never quotes values, URL parsing, error mapping, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import guardrail.spark as gs
from guardrail.detect import scan_table
from guardrail.errors import ConfigError, ConnectorError, InputError, RuleExecutionError
from guardrail.privacy.spec import parse_spec
from guardrail.spark import _dp_worker as dpw
from guardrail.spark import _scan_worker as sw
from guardrail.spark.dp import _sums
from guardrail.spark.scan import _collect
from guardrail.spark.session import is_local_master, spark_errors
from guardrail.spark.sources import parse_source, table_name_of
from guardrail.testing import Canaries


def _with_ids(table: pa.Table, part: int, start: int = 0) -> pa.RecordBatch:
    ids = [(part << sw.POSITION_BITS) | (start + i) for i in range(table.num_rows)]
    return table.append_column(sw.ROW, pa.array(ids, pa.int64())).to_batches()[0]


def _run_tasks(tasks: list[list[pa.RecordBatch]], job: sw.ScanJob) -> pa.Table:
    out = []
    for batches in tasks:
        out.extend(sw.scan_partition(iter(batches), job))
    return pa.Table.from_batches(out, schema=sw.output_schema())


def test_out_of_order_tasks_keep_the_single_pass_preview() -> None:
    """Partition 1 is scanned before partition 0, and in chunks: counts add up, and each
    preview is the one one pass over all rows shows (a whole-value e-mail before an e-mail
    inside text, the first row before later ones) — what Evidence.add alone would not do."""
    first = pa.table(
        {
            "contact": ["write to ann.lee@example.com today", "n/a", "bob@example.org"],
            "phone": ["13812345678", "13912345678", None],
        }
    )
    second = pa.table(
        {
            "contact": ["cy@example.net", "dee@example.com", "call 13712345678"],
            "phone": ["+86 137 1234 5678", "", "13612345678"],
        }
    )
    whole = pa.concat_tables([first, second])
    job = sw.ScanJob(
        columns=(sw.ScanColumn("contact"), sw.ScanColumn("phone")), detections=True, chunk_rows=2
    )
    p0 = _with_ids(first, 0)
    p1 = _with_ids(second, 1)
    result = _run_tasks([[p1.slice(0, 2), p1.slice(2)], [p0.slice(0, 1), p0.slice(1)]], job)
    found = _collect(result, job.columns, "people", None, None, None, 0.5)
    want = scan_table(whole, name="people", detections=True)
    assert found.reports == want.reports
    assert found.reports[0].masked_preview == want.reports[0].masked_preview
    for name, arr in want.columns.items():
        got = found.detections[name]
        assert (got.rows, got.starts, got.ends, got.entities) == (
            arr.rows,
            arr.starts,
            arr.ends,
            arr.entities,
        )
        assert len(got.previews) == len(arr.rows)


def test_task_errors_name_the_problem_never_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    c = Canaries(seed=3)
    secret = c.cn_resident_id()
    batch = _with_ids(pa.table({"id_number": [secret]}), 0)
    bad = sw.ScanJob(columns=(sw.ScanColumn("id_number"),), entities=("NOT_AN_ENTITY",))
    result = _run_tasks([[batch]], bad)
    with pytest.raises(ConfigError, match="unknown entity"):
        _collect(result, bad.columns, "t", None, None, None, 0.5)

    def crash(arr: Any) -> Any:
        raise ValueError(f"cannot read {secret}")

    monkeypatch.setattr(sw, "normalise", crash)
    job = sw.ScanJob(columns=(sw.ScanColumn("id_number"),))
    result = _run_tasks([[batch]], job)
    text = str(result.to_pylist())
    c.assert_absent(text)
    with pytest.raises(RuleExecutionError, match=r"a Spark task crashed \(ValueError\)") as err:
        _collect(result, job.columns, "t", None, None, None, 0.5)
    c.assert_absent(str(err.value))


def test_dp_shards_report_errors_without_values(monkeypatch: pytest.MonkeyPatch) -> None:
    c = Canaries(seed=5)
    card = c.card()
    spec = parse_spec(
        """
dataset: t
user_column: user_id
epsilon: 1.0
budget: {epsilon: 10, delta: 1.0e-3}
bounds: {max_partitions: 1, max_rows_per_partition: 2, clamp: {amount: [0, 10]}}
aggregates: [{name: revenue, kind: sum, column: amount}]
"""
    )
    ids = pa.array([0, 1], pa.int64())
    batch = pa.table({"user_id": [1, 2], "amount": ["3", f"{card} yuan"], dpw_row(): ids})
    job = dpw.RoundJob(
        spec=spec,
        kind="totals",
        row_column=dpw_row(),
        blocks=(dpw.BlockState(scale=1.0, bound=10.0, edges=None),),
    )
    out = pa.Table.from_batches(list(dpw.run_round(iter(batch.to_batches()), job)))
    c.assert_absent(str(out.to_pylist()))
    with pytest.raises(InputError, match="'amount' holds values that are not numbers"):
        _sums(out)

    def crash(self: Any, job: Any) -> Any:
        raise KeyError(card)

    monkeypatch.setattr(dpw.ShardPlan, "outputs", crash)
    good = pa.table({"user_id": [1, 2], "amount": [3.0, 4.0], dpw_row(): ids})
    out = pa.Table.from_batches(list(dpw.run_round(iter(good.to_batches()), job)))
    c.assert_absent(str(out.to_pylist()))
    with pytest.raises(RuleExecutionError, match=r"\(KeyError\)"):
        _sums(out)


def dpw_row() -> str:
    return "__guardrail_row__"


def test_shards_sum_exactly_to_one_plan() -> None:
    """Users split over shards (rows arriving out of order): the shards' unit totals add up
    to the totals of one plan over every row."""
    from guardrail.privacy import plan_query

    rng = np.random.default_rng(2)
    n = 4000
    users = rng.integers(0, 300, n)
    table = pa.table(
        {
            "user_id": users,
            "province": rng.integers(0, 4, n),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            dpw_row(): np.arange(n, dtype=np.int64),
        }
    )
    spec = parse_spec(
        """
dataset: t
user_column: user_id
group_by: [province]
partitions: {public: [0, 1, 2, 3]}
epsilon: 1.0
budget: {epsilon: 10, delta: 1.0e-3}
bounds: {max_partitions: 2, max_rows_per_partition: 3, clamp: {amount: [0, 100]}}
aggregates:
  - {name: revenue, kind: sum, column: amount}
  - {name: basket, kind: mean, column: amount}
"""
    )
    one = plan_query(table.drop_columns([dpw_row()]), spec)
    for b in one._blocks:
        b.bound = b.derived_bound
    pair_in = np.ones(one._pairs.n_pairs, dtype=bool)
    want = [t for b in one._blocks for t in one._block_totals(b, pair_in)]
    state = tuple(dpw.BlockState(scale=b.scale, bound=b.bound, edges=None) for b in one._blocks)
    job = dpw.RoundJob(spec=spec, kind="totals", row_column=dpw_row(), blocks=state)
    rows = []
    for shard in range(3):
        mine = table.filter(pa.array(users % 3 == shard))
        reversed_rows = mine.take(pa.array(np.arange(mine.num_rows)[::-1]))
        rows.extend(dpw.run_round(iter(reversed_rows.to_batches(max_chunksize=500)), job))
    out = pa.Table.from_batches(rows)
    summed = out.group_by(["req", "idx"]).aggregate([("units", "sum"), ("error", "max")])
    sums = _sums(summed.rename_columns(["req", "idx", "units", "error"]))
    keys = [dpw.totals_key(0, 0), dpw.totals_key(1, 0), dpw.totals_key(1, 1)]
    for key, total in zip(keys, want, strict=True):
        dense = np.zeros(total.size)
        idx, units = sums[key]
        dense[idx] = units
        assert np.array_equal(dense, total)


@pytest.mark.parametrize(
    ("url", "kind", "location"),
    [
        ("spark:parquet:data/orders", "parquet", "/base/data/orders"),
        ("spark:PARQUET:/abs/x.parquet", "parquet", "/abs/x.parquet"),
        ("spark:orc:s3a://bucket/lake/orders", "orc", "s3a://bucket/lake/orders"),
        ("spark:csv:file:rel.csv", "csv", "/base/rel.csv"),
        ("spark:json:hdfs://nn:8020/logs/*.json", "json", "hdfs://nn:8020/logs/*.json"),
        ("spark:table:shop.orders", "table", "shop.orders"),
        ("spark:database:shop", "database", "shop"),
    ],
)
def test_spark_urls(url: str, kind: str, location: str) -> None:
    src = parse_source(url, base_dir=Path("/base"))
    assert (src.kind, src.location) == (kind, location)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("spark://master:7077", "is a Spark master URL"),
        ("spark:delta:/x", "unknown Spark source kind 'delta'"),
        ("spark:parquet:", "names no path"),
        ("spark:table", "names no table"),
        ("spark:table:orders; drop table x", "is not a table name"),
        ("sparky:parquet:/x", "is not a spark: URL"),
    ],
)
def test_bad_spark_urls(url: str, match: str) -> None:
    with pytest.raises(ConnectorError, match=match) as err:
        parse_source(url)
    assert err.value.hint


def test_table_names_for_classification() -> None:
    assert table_name_of(parse_source("spark:parquet:/d/customers.snappy.parquet")) == "customers"
    assert table_name_of(parse_source("spark:orc:/lake/ums_member/")) == "ums_member"
    assert table_name_of(parse_source("spark:json:/logs/*.json")) == "table"
    assert table_name_of(parse_source("spark:table:crm.buyers")) == "buyers"


def test_local_masters() -> None:
    assert all(map(is_local_master, ["local", "local[2]", "local[*]", "local[4, 3]"]))
    assert not any(map(is_local_master, ["yarn", "spark://h:7077", "k8s://h", "localhost"]))


class _FakeSparkError(Exception):
    __module__ = "pyspark.errors.exceptions.captured"

    def __init__(self, condition: str, text: str) -> None:
        super().__init__(text)
        self.condition = condition

    def getCondition(self) -> str:
        return self.condition


@pytest.mark.parametrize(
    ("condition", "match"),
    [
        ("PATH_NOT_FOUND", "the path does not exist"),
        ("TABLE_OR_VIEW_NOT_FOUND", "no such table"),
        ("FAILED_READ_FILE.NO_HINT", "could not be read"),
        ("DIVIDE_BY_ZERO", r"the Spark job failed \(DIVIDE_BY_ZERO\)"),
    ],
)
def test_spark_errors_become_connector_errors(condition: str, match: str) -> None:
    c = Canaries(seed=8)
    with pytest.raises(ConnectorError, match=match) as err, spark_errors("spark:table:crm.x"):
        raise _FakeSparkError(condition, f"Malformed record: {c.email()}")
    assert str(err.value).startswith("spark:table:crm.x")
    c.assert_absent(str(err.value), repr(err.value))


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), spark_errors("x"):
        raise KeyError("not Spark's")


def test_importing_guardrail_spark_is_light() -> None:
    code = (
        "import sys, guardrail.spark, guardrail.spark.scan, guardrail.spark.dp, "
        "guardrail.spark.connector, guardrail.spark._scan_worker, guardrail.spark._dp_worker; "
        "print([m for m in ('pyspark', 'py4j', 'pandas', 'torch', 'opacus') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api() -> None:
    assert set(gs.__all__) == {
        "SparkConnector",
        "SparkQueryPlan",
        "SparkTable",
        "classify_columns",
        "get_session",
        "parse_source",
        "run_query",
        "scan_dataframe",
        "scan_findings",
    }
    assert all(callable(getattr(gs, name)) for name in gs.__all__)
    with pytest.raises(AttributeError):
        _ = gs.nothing_here
