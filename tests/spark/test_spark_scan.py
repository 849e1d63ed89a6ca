"""PII discovery on Spark gives the single-machine results on the same rows (pii-eval table)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from guardrail.detect import scan_table
from guardrail.detect.stream import scan_sample
from guardrail.detect.tables import TableScan
from guardrail.errors import ConfigError, InputError, UsageError
from guardrail.model.data import ColumnSample, TableSample
from guardrail.model.scan import Finding
from guardrail.spark import classify_columns, scan_dataframe, scan_findings


def _detections(scan: TableScan) -> dict[str, tuple[list[Any], ...]]:
    return {
        name: (a.rows, a.starts, a.ends, a.entities, a.scores, a.recognizers)
        for name, a in scan.columns.items()
    }


def _evidence(scan: TableScan) -> dict[str, tuple[Any, ...]]:
    out = {}
    for name, a in scan.columns.items():
        ev = a.evidence
        out[name] = (
            ev.n,
            dict(ev.full),
            dict(ev.shape),
            dict(ev.loose_shape),
            dict(ev.anywhere),
            ev.tokens,
            ev.protected,
            ev.max_len,
            dict(sorted(ev.previews.items())),
        )
    return out


def test_every_row_classified_as_on_one_machine(customers: Any, customers_arrow: Any) -> None:
    """The whole 100,000-row table: every column report is identical (entities, confidences,
    hit ratios, reasons in both languages, masked previews)."""
    spark_reports = classify_columns(customers, name="customers", sample=None)
    local = scan_table(customers_arrow, name="customers", sample=None)
    assert spark_reports == local.reports
    assert {r.column: {e.entity for e in r.entities} for r in spark_reports} == {
        "name": {"PERSON"},
        "email": {"EMAIL_ADDRESS"},
        "phone": {"PHONE_NUMBER"},
        "address": {"ADDRESS"},
        "id_number": {"CN_RESIDENT_ID"},
        "credit_card": {"CREDIT_CARD"},
        "ip": {"IP_ADDRESS"},
        "order_note": {"PHONE_NUMBER", "EMAIL_ADDRESS", "PERSON"},
    }
    assert all(r.sampled == 100_000 for r in spark_reports)


@pytest.mark.parametrize(
    ("sample", "strategy", "seed"),
    [(4000, "first", 0), (3000, "random", 5)],
)
def test_sampled_detections_per_cell_match(
    customers: Any, customers_arrow: Any, sample: int, strategy: Any, seed: int
) -> None:
    """Sampling runs in Spark and takes the very rows scan_table takes (first rows, or the
    same seeded random rows); every detection per cell is the same, in the same order."""
    got = scan_dataframe(customers, sample=sample, strategy=strategy, seed=seed, detections=True)
    want = scan_table(customers_arrow, sample=sample, strategy=strategy, seed=seed, detections=True)
    assert (got.table, got.rows, got.scanned_rows) == (want.table, 100_000, sample)
    assert got.reports == want.reports
    assert _detections(got) == _detections(want)
    assert _evidence(got) == _evidence(want)
    assert sum(len(a) for a in got.columns.values()) > 5 * sample


def test_findings_match_the_database_path(customers: Any, customers_arrow: Any) -> None:
    """scan_findings yields what scan_sample yields for the same sampled rows (what
    ``guardrail scan`` prints for a database table): findings with masked previews, in row
    order, then the column reports."""
    got = list(scan_findings(customers, source="lake", name="lake", sample=300))
    head = customers_arrow.slice(0, 300)
    sample = TableSample(
        table="lake",
        columns=tuple(
            ColumnSample(name=n, values=head.column(n).to_pylist()) for n in head.column_names
        ),
    )
    assert got == list(scan_sample(sample, source="lake"))
    findings = [f for f in got if isinstance(f, Finding)]
    assert len(findings) > 1500
    assert [r.column for r in got[len(findings) :]] == head.column_names
    only_columns = list(
        scan_findings(customers, source="lake", name="lake", sample=300, findings=False)
    )
    assert only_columns == got[len(findings) :]


def test_types_nested_values_and_schema_comments(spark: Any) -> None:
    """Numbers, dates, timestamps, binary and nulls are read as the engine reads them;
    structs, arrays and maps are scanned as JSON text; column comments in the schema (as
    Hive tables carry them) are read like database column comments."""
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("id", T.LongType()),
            T.StructField("c1", T.StringType(), metadata={"comment": "收货人手机号"}),
            T.StructField("contact", T.StructType([T.StructField("mail", T.StringType())])),
            T.StructField("tags", T.ArrayType(T.StringType())),
            T.StructField("born", T.DateType()),
            T.StructField("seen", T.TimestampType()),
            T.StructField("blob", T.BinaryType()),
            T.StructField("empty", T.StringType()),
        ]
    )
    rows = [
        (
            i,
            f"1391234{i:04d}",
            {"mail": f"user{i}@example.com"},
            ["vip", f"u{i}@example.org"],
            dt.date(1990, 1, 1 + i % 28),
            dt.datetime(2024, 5, 1, 12, 0, i % 60),
            b"\x00\x01",
            None,
        )
        for i in range(40)
    ]
    df = spark.createDataFrame(rows, schema)
    reports = {r.column: r for r in classify_columns(df, name="buyers", sample=None)}
    assert {e.entity for e in reports["c1"].entities} == {"PHONE_NUMBER"}
    assert "收货人手机号" in reports["c1"].reason_zh or "手机" in reports["c1"].reason_zh
    # Structs and arrays are read as their JSON text: the e-mail addresses inside are found.
    assert "EMAIL_ADDRESS" in {e.entity for e in reports["contact"].entities}
    assert {e.entity for e in reports["tags"].entities} == {"EMAIL_ADDRESS"}
    assert reports["empty"].entities == () and reports["empty"].non_empty == 0
    assert reports["blob"].entities == ()
    assert reports["id"].entities == ()
    # Explicit comments replace the schema's.
    plain = {r.column: r for r in classify_columns(df, sample=None, comments={"id": "编号"})}
    assert plain["c1"].reason != reports["c1"].reason


def test_entities_limit_what_executors_look_for(customers: Any) -> None:
    reports = classify_columns(customers, sample=500, entities=["EMAIL_ADDRESS"])
    found = {r.column: {e.entity for e in r.entities} for r in reports if r.entities}
    assert found["email"] == {"EMAIL_ADDRESS"}
    assert "id_number" not in found and "credit_card" not in found


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"entities": ["NOT_AN_ENTITY"]}, ConfigError, "unknown entity"),
        ({"sample": 0}, UsageError, "sample must be a positive number"),
        ({"strategy": "middle"}, UsageError, "unknown sampling strategy"),
    ],
)
def test_bad_arguments_fail_before_any_job(
    customers: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        scan_dataframe(customers, **kwargs)


def test_frames_guardrail_cannot_number_are_input_errors(spark: Any) -> None:
    df = spark.createDataFrame(pa.table({"a": ["x"], "b": ["y"]})).toDF("a", "a")
    with pytest.raises(InputError, match="two columns named 'a'"):
        classify_columns(df)
    clash = spark.createDataFrame(pa.table({"__guardrail_row__": [1]}))
    with pytest.raises(InputError, match="guardrail uses that name"):
        classify_columns(clash)


def test_an_empty_frame(spark: Any) -> None:
    table = pa.table({"email": pa.array([], pa.string()), "note": pa.array([], pa.string())})
    scan = scan_dataframe(spark.createDataFrame(table), detections=True)
    want = scan_table(table, detections=True)
    assert (scan.rows, scan.scanned_rows) == (0, 0)
    assert scan.reports == want.reports
