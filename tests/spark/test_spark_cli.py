"""``guardrail scan spark:...`` (click and a real subprocess), the spark connector, canaries."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.cli.test_cli import invoke

from guardrail.connectors import open_source
from guardrail.connectors.base import SamplingPlan
from guardrail.errors import ConnectorError
from guardrail.model.scan import Finding
from guardrail.spark import SparkConnector
from guardrail.testing import Canaries, capture_logs


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, customers_arrow: Any) -> Path:
    """A small Parquet folder (two files) cut from the pii-eval table, plus a timestamp."""
    root = tmp_path_factory.mktemp("lake") / "customers"
    root.mkdir()
    head = customers_arrow.slice(0, 120).select(["name", "email", "phone", "order_note"])
    created = pa.array(
        [dt.datetime(2020, 1, 1) + dt.timedelta(days=30 * i) for i in range(120)],
        pa.timestamp("us"),
    )
    head = head.append_column("created_at", created)
    head = head.append_column("visits", pa.array(range(120), pa.int64()))
    pq.write_table(head.slice(0, 60), root / "part-0.parquet")
    pq.write_table(head.slice(60), root / "part-1.parquet")
    return root


def test_scan_a_parquet_folder_as_json(spark: Any, lake: Path) -> None:
    code, out, err = invoke(
        "scan",
        f"spark:parquet:{lake}",
        "--format",
        "json",
        "--sample",
        "40",
        "--spark-master",
        "local[2]",
    )
    assert code == 1, err
    doc = json.loads(out)
    assert doc["source"] == f"spark:parquet:{lake}" and doc["errors"] == []
    assert {c["column"]: {e["entity"] for e in c["entities"]} for c in doc["columns"]} == {
        "name": {"PERSON"},
        "email": {"EMAIL_ADDRESS"},
        "phone": {"PHONE_NUMBER"},
        "order_note": {"EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"},
    }
    rows = {d["location"]["row"] for d in doc["detections"]}
    assert rows == set(range(40))
    assert all(d["location"]["table"] == doc["source"] for d in doc["detections"])
    assert doc["summary"]["EMAIL_ADDRESS"] >= 40


def test_columns_only_and_exit_zero(spark: Any, lake: Path) -> None:
    code, out, err = invoke(
        "scan", f"spark:parquet:{lake}", "--format", "jsonl", "--columns-only", "--exit-zero"
    )
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records and all("column" in r and "entities" in r for r in records)
    assert {r["column"] for r in records} >= {"name", "email", "phone"}


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["spark:nosuch:/x"], "unknown Spark source kind 'nosuch'"),
        (["spark://master:7077"], "is a Spark master URL"),
        (["spark:parquet:/no/such/folder"], "the path does not exist"),
        (["spark:table:nodb.nothing"], "no such"),
        (["README.md", "--spark-master", "local[2]"], "--spark-master applies to spark:"),
    ],
)
def test_bad_sources_exit_2_with_one_line(spark: Any, args: list[str], match: str) -> None:
    code, out, err = invoke("scan", *args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]
    assert "Traceback" not in err and "py4j" not in err.lower()


def test_another_master_than_the_running_one_is_a_usage_error(spark: Any, lake: Path) -> None:
    code, _, err = invoke("scan", f"spark:parquet:{lake}", "--spark-master", "local[3]")
    assert code == 2 and "already runs Spark with master 'local[2]'" in err


def test_catalog_tables_and_databases(spark: Any, lake: Path) -> None:
    spark.sql("CREATE DATABASE IF NOT EXISTS gr_shop")
    df = spark.read.parquet(str(lake))
    df.write.mode("overwrite").saveAsTable("gr_shop.members")
    df.select("order_note").write.mode("overwrite").saveAsTable("gr_shop.notes")
    conn = open_source("spark:database:gr_shop")
    assert isinstance(conn, SparkConnector)
    assert [t.name for t in conn.tables()] == ["gr_shop.members", "gr_shop.notes"]
    records = list(conn.scan_in_place(SamplingPlan(limit=30, per_table={"gr_shop.notes": 0})))
    tables = {r.table for r in records}
    assert tables == {"gr_shop.members"}
    findings = [r for r in records if isinstance(r, Finding)]
    assert findings and all(f.source == "spark:database:gr_shop" for f in findings)
    code, out, _ = invoke("scan", "spark:table:gr_shop.notes", "--format", "json")
    assert code == 1
    assert [c["column"] for c in json.loads(out)["columns"]] == ["order_note"]


def test_the_connector_protocol(spark: Any, lake: Path, customers_arrow: Any) -> None:
    conn = open_source("spark:parquet:customers", base_dir=lake.parent)
    (table,) = conn.tables()
    assert table.name == "spark:parquet:customers"
    assert [(c.name, c.type) for c in table.columns] == [
        ("name", "string"),
        ("email", "string"),
        ("phone", "string"),
        ("order_note", "string"),
        ("created_at", "timestamp_ntz"),
        ("visits", "bigint"),
    ]
    # Spark's row order: its input partitions (larger files first), then each file's rows.
    in_order = spark.read.parquet(str(lake)).toArrow()
    first = conn.sample(table, limit=5)
    assert first.column("email").values == in_order.column("email").slice(0, 5).to_pylist()
    assert first.column("visits").values == [
        str(v) for v in in_order.column("visits")[:5].to_pylist()
    ]
    random = conn.sample(table, limit=7, strategy="random")
    assert random.rows == 7 and random.strategy == "random"
    emails = in_order.column("email").to_pylist()
    rows = sorted(emails.index(v) for v in random.column("email").values)
    assert len(set(rows)) == 7 and random.column("email").values == [emails[i] for i in rows]
    cutoff = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    assert conn.count_older_than(table, "created_at", cutoff) == 13
    assert conn.count_older_than(table, "email", cutoff) == 0  # text, not timestamps
    with pytest.raises(ConnectorError, match="has no column 'nope'"):
        conn.count_older_than(table, "nope", cutoff)
    with pytest.raises(ConnectorError, match="not a timestamp, date or text column"):
        conn.count_older_than(table, "visits", cutoff)
    assert list(conn.texts()) == []
    conn.close()


def test_cli_outputs_hold_no_canary(spark: Any, tmp_path: Path) -> None:
    c = Canaries(seed=77)
    rows = {
        "buyer": [f"user{i}@example.com" for i in range(30)],
        "mobile": [f"1381234{i:04d}" for i in range(30)],
        "note": ["hello"] * 30,
    }
    rows["buyer"][3] = c.email()
    rows["mobile"][4] = c.cn_mobile()
    rows["note"][5] = f"身份证{c.cn_resident_id()}，卡号{c.card('62')}"
    path = tmp_path / "buyers.parquet"
    pq.write_table(pa.table(rows), path)
    outputs: list[str] = []
    with capture_logs() as logs:
        for fmt in ("table", "json", "jsonl", "sarif"):
            code, out, err = invoke("scan", f"spark:parquet:{path}", "--format", fmt)
            assert code == 1, err
            outputs += [out, err]
    outputs.append("\n".join(logs))
    c.assert_absent(*outputs)
    assert "5" in outputs[2] and "****" in outputs[2]  # masked previews were printed


def test_a_real_subprocess_is_quiet(lake: Path, tmp_path: Path) -> None:
    """The command line starts its own JVM: stdout holds only JSON Lines, stderr nothing
    from Spark or Java."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GUARDRAIL_SPARK_MASTER", None)
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("guardrail")),
            "scan",
            f"spark:parquet:{lake}",
            "--format",
            "jsonl",
            "--sample",
            "10",
            "--spark-master",
            "local[1]",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {r["location"]["row"] for r in records if "location" in r} == set(range(10))
    assert proc.stderr.strip() == ""
