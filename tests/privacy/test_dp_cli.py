"""``guardrail dp query|budget|schema`` through click and as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.cli.test_cli import invoke
from tests.privacy.conftest import orders

AT = "2026-11-22T00:00:00Z"
GUARDRAIL = str(Path(sys.executable).with_name("guardrail"))

SPEC = """\
dataset: shop
table: orders
user_column: user_id
privacy_unit: customer
group_by: [province]
partitions: {public: [0, 1, 2, 3, 4]}
epsilon: 1.0
delta: 1.0e-6
budget: {epsilon: 1.5, delta: 1.0e-5}
aggregates:
  - {name: orders, kind: count}
  - {name: revenue, kind: sum, column: amount}
  - {name: basket, kind: mean, column: amount}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    data = orders(3000, seed=21)
    table = pa.table(data)
    pq.write_table(table, tmp_path / "orders.parquet")
    pacsv.write_csv(table, tmp_path / "orders.csv")
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute("CREATE TABLE orders (user_id INTEGER, province INTEGER, amount REAL, note TEXT)")
    db.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, 'x')",
        zip(
            data["user_id"].tolist(),
            data["province"].tolist(),
            data["amount"].tolist(),
            strict=True,
        ),
    )
    db.commit()
    db.close()
    (tmp_path / "query.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def _q(files: Path, source: str, *args: str) -> tuple[int, str, str]:
    return invoke(
        "dp",
        "query",
        str(files / source) if "://" not in source else source,
        "--spec",
        str(files / "query.yaml"),
        "--ledger",
        f"sqlite:///{files / 'ledger.db'}",
        "--at",
        AT,
        *args,
    )


def test_table_output_on_parquet(files: Path) -> None:
    code, out, err = _q(files, "orders.parquet")
    assert code == 0, err
    assert "Release rel_" in out and "ε=1, δ=1e-06" in out
    for word in ("orders", "revenue", "basket", "count", "sum", "mean", "95% CI", "Exp. bias"):
        assert word in out
    assert "Dataset 'shop': spent ε=" in out and "remaining" in out
    assert "Traceback" not in err


def test_csv_output_is_exact(files: Path) -> None:
    code, out, err = _q(files, "orders.csv", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "release_id",
        "province",
        "aggregate",
        "statistic",
        "value",
        "std",
        "ci_low",
        "ci_high",
        "expected_bias",
    ]
    assert len(rows) == 15
    assert {(r["province"], r["aggregate"]) for r in rows} == {
        (str(p), a) for p in range(5) for a in ("orders", "revenue", "basket")
    }
    for r in rows:
        assert float(r["ci_low"]) <= float(r["value"]) <= float(r["ci_high"])
    assert len({r["release_id"] for r in rows}) == 1


def test_json_output_is_schema_valid_and_retries_are_free(files: Path) -> None:
    code, out, err = _q(files, "orders.parquet", "--format", "json")
    assert code == 0, err
    release = json.loads(out)
    code, schema_text, _ = invoke("dp", "schema", "release")
    assert code == 0
    jsonschema.validate(release, json.loads(schema_text))
    assert release["dataset"] == "shop" and release["mechanism"] == "gaussian"
    assert release["epsilon"] == 1.0 and release["noise"] and release["bounds"]["auto"]
    code, again, _ = _q(files, "orders.parquet", "--format", "json")
    assert json.loads(again) == release
    code, fresh, _ = _q(files, "orders.parquet", "--format", "json", "--new-release")
    assert code == 0 and json.loads(fresh)["id"] != release["id"]


def test_over_budget_exits_1_with_one_line(files: Path) -> None:
    assert _q(files, "orders.parquet")[0] == 0
    assert _q(files, "orders.parquet", "--new-release")[0] == 0
    code, out, err = _q(files, "orders.parquet", "--new-release")
    assert code == 1
    assert err.startswith("error: dataset 'shop' would reach ε=") and err.count("\n") == 1
    assert out == ""


def test_sqlite_source_reads_only_the_needed_columns(files: Path) -> None:
    code, out, err = _q(files, "shop.db", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["province"] for r in rows} == {"0", "1", "2", "3", "4"}


def test_example_shop_database(shop_template: Path, tmp_path: Path) -> None:
    spec = tmp_path / "q.yaml"
    spec.write_text(
        "dataset: shop\ntable: orders\nuser_column: customer_id\nprivacy_unit: customer\n"
        "group_by: [status]\npartitions: {public: [paid, shipped, delivered, refunded]}\n"
        "epsilon: 1.0\nbudget: {epsilon: 3}\n"
        "aggregates:\n  - {name: orders, kind: count}\n"
        "  - {name: spend, kind: sum, column: total, per_user: sum}\n"
        "  - {name: buyers, kind: distinct_users}\n",
        encoding="utf-8",
    )
    code, out, err = invoke(
        "dp",
        "query",
        str(shop_template / "data" / "shop.db"),
        "--spec",
        str(spec),
        "--ledger",
        f"sqlite:///{tmp_path / 'l.db'}",
        "--format",
        "json",
    )
    assert code == 0, err
    rel = json.loads(out)
    assert {tuple(c["key"]) for c in rel["cells"]} == {
        ("paid",),
        ("shipped",),
        ("delivered",),
        ("refunded",),
    }


def test_input_errors_exit_2_with_one_line(files: Path, tmp_path: Path) -> None:
    code, _, err = _q(files, "missing.parquet")
    assert code == 2 and "file not found" in err and err.count("\n") == 1
    code, _, err = _q(files, "shop.db", "--table", "nope")
    assert code == 2 and "no table named 'nope'" in err
    bad = files / "query.yaml"
    bad.write_text(SPEC.replace("kind: count", "kind: counts"), encoding="utf-8")
    code, _, err = _q(files, "orders.parquet")
    assert code == 2 and f"{bad}:11" in err and err.count("\n") == 1
    code, _, err = invoke(
        "dp", "query", str(files / "orders.parquet"), "--spec", str(bad), "--ledger", "oracle://x/y"
    )
    assert code == 2


def test_output_file_and_chinese_labels(files: Path) -> None:
    target = files / "out" / "release.csv"
    code, out, err = _q(files, "orders.parquet", "--format", "csv", "-o", str(target))
    assert code == 0 and out == "", err
    assert target.read_text(encoding="utf-8").startswith("release_id,province")
    assert [p.name for p in target.parent.iterdir()] == ["release.csv"]
    code, out, _ = _q(files, "orders.parquet", "--lang", "zh")
    assert code == 0 and "数值" in out and "置信区间" in out and "剩余 ε" in out


def test_budget_command(files: Path) -> None:
    led = ["--ledger", f"sqlite:///{files / 'ledger.db'}"]
    code, out, _ = invoke("dp", "budget", *led)
    assert code == 0 and "no datasets yet" in out
    code, _, err = invoke("dp", "budget", "shop", "--set", "--epsilon", "2", *led)
    assert code == 2 and "--privacy-unit" in err
    code, out, err = invoke(
        "dp",
        "budget",
        "shop",
        "--set",
        "--epsilon",
        "1.5",
        "--delta",
        "1e-5",
        "--privacy-unit",
        "customer",
        "--at",
        AT,
        *led,
    )
    assert code == 0, err
    assert _q(files, "orders.parquet")[0] == 0
    code, out, _ = invoke("dp", "budget", *led, "--format", "json")
    doc = json.loads(out)
    (ds,) = doc["datasets"]
    assert ds["dataset"] == "shop" and 0 < ds["epsilon_spent"] <= 1.0 and "entries" not in ds
    code, out, _ = invoke("dp", "budget", "shop", *led)
    assert code == 0 and "rel_" in out and "cumulative" in out
    code, out, _ = invoke("dp", "budget", "shop", "--accountant", "prv", "--format", "json", *led)
    prv = json.loads(out)
    assert prv["accountant"] == "prv" and prv["epsilon_spent"] <= ds["epsilon_spent"] + 0.011
    code, _, err = invoke("dp", "budget", "shop", "--set", "--epsilon", "0.1", *led)
    assert code == 2 and "below what is spent" in err
    code, out, _ = invoke("dp", "schema", "budget")
    jsonschema.validate(prv, json.loads(out))


def test_real_subprocess(files: Path) -> None:
    args = [
        GUARDRAIL,
        "dp",
        "query",
        str(files / "orders.parquet"),
        "--spec",
        str(files / "query.yaml"),
        "--ledger",
        f"sqlite:///{files / 'ledger.db'}",
        "--format",
        "csv",
    ]
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("release_id,province,aggregate")
    assert proc.stderr == ""


@pytest.mark.integration
def test_postgresql_source_and_ledger(files: Path, pg_database: str) -> None:
    import sqlalchemy as sa

    data = orders(2000, seed=21)
    engine = sa.create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE orders (user_id BIGINT, province INT, amount NUMERIC(12,2))")
        )
        conn.execute(
            sa.text("INSERT INTO orders VALUES (:u, :p, :a)"),
            [
                {"u": int(u), "p": int(p), "a": float(a)}
                for u, p, a in zip(data["user_id"], data["province"], data["amount"], strict=True)
            ],
        )
    engine.dispose()
    code, out, err = invoke(
        "dp",
        "query",
        pg_database,
        "--spec",
        str(files / "query.yaml"),
        "--ledger",
        pg_database,
        "--format",
        "json",
        "--at",
        AT,
    )
    assert code == 0, err
    rel = json.loads(out)
    assert rel["source"].endswith("#orders") and len(rel["cells"]) == 15
    code, out, _ = invoke("dp", "budget", "shop", "--ledger", pg_database, "--format", "json")
    assert json.loads(out)["entries"][0]["id"] == rel["id"]


@pytest.mark.integration
def test_ledger_passwords_are_never_printed(pg_database: str) -> None:
    url = pg_database.replace("postgres@", "postgres:s3cretpw@", 1)
    assert "s3cretpw" in url
    code, out, err = invoke("dp", "budget", "--ledger", url)
    assert code == 0, err
    assert "s3cretpw" not in out + err and "***" in out
    code, out, err = invoke("dp", "budget", "nope", "--ledger", url)
    assert code == 2 and "s3cretpw" not in out + err
