"""``guardrail scan`` on text, table files, SQLite and real PostgreSQL / MariaDB / Redis, in
every output format, with its exit codes — through click and as a real subprocess."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.cli.test_cli import invoke
from tests.conftest import SHARED

from guardrail.testing import Canaries, capture_logs

LOG = "ok\nuser 13812345678 called\nmail a.b@example.com 身份证11010519491231002X\n"


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    path.write_text(LOG, encoding="utf-8")
    return path


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER, name TEXT, mobile TEXT, gender TEXT)")
    conn.execute("CREATE TABLE products (id INTEGER, name TEXT, price TEXT)")
    conn.executemany(
        "INSERT INTO customers VALUES (?,?,?,?)",
        [(i, n, f"1391234{i:04d}", "F") for i, n in enumerate(["张伟", "王芳", "李娜"] * 5)],
    )
    conn.executemany(
        "INSERT INTO products VALUES (?,?,?)", [(i, f"Lamp {i}", "9.99") for i in range(15)]
    )
    conn.commit()
    conn.close()
    return path


def test_text_file_jsonl(log: Path) -> None:
    code, out, _ = invoke("scan", str(log), "--format", "jsonl")
    assert code == 1
    assert lines(out) == [
        {
            "source": str(log),
            "location": {"line": 2, "column": 6},
            "entity": "PHONE_NUMBER",
            "start": 5,
            "end": 16,
            "score": 1.0,  # "called" is a phone context word
            "preview": "138****5678",
        },
        {
            "source": str(log),
            "location": {"line": 3, "column": 6},
            "entity": "EMAIL_ADDRESS",
            "start": 5,
            "end": 20,
            "score": 0.9,
            "preview": "a***@example.com",
        },
        {
            "source": str(log),
            "location": {"line": 3, "column": 25},
            "entity": "CN_RESIDENT_ID",
            "start": 24,
            "end": 42,
            "score": 0.9,
            "preview": "110***********002X",
        },
    ]


def test_entities_min_score_and_exit_zero(log: Path) -> None:
    code, out, _ = invoke("scan", str(log), "--format", "jsonl", "--entities", "EMAIL_ADDRESS")
    assert code == 1 and [r["entity"] for r in lines(out)] == ["EMAIL_ADDRESS"]
    code, out, _ = invoke("scan", str(log), "--format", "jsonl", "--min-score", "0.8")
    assert code == 1 and [r["entity"] for r in lines(out)] == [
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CN_RESIDENT_ID",
    ]
    code, out, _ = invoke("scan", str(log), "--format", "jsonl", "--min-score", "0.95")
    assert code == 1 and [r["entity"] for r in lines(out)] == ["PHONE_NUMBER"]
    code, _, _ = invoke("scan", str(log), "--exit-zero")
    assert code == 0
    clean = log.with_name("clean.log")
    clean.write_text("nothing to see\n")
    code, out, err = invoke("scan", str(clean))
    assert code == 0 and "no personal data" in " ".join((out + err).split())


def test_json_and_table_formats(log: Path) -> None:
    code, out, _ = invoke("scan", str(log), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["source"] == str(log)
    assert doc["summary"] == {"CN_RESIDENT_ID": 1, "EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert [d["entity"] for d in doc["detections"]] == [
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CN_RESIDENT_ID",
    ]
    assert doc["columns"] == [] and doc["errors"] == []
    code, out, err = invoke("--no-color", "scan", "app.log", cwd=log.parent)
    assert code == 1
    assert "Detections (3)" in out and "app.log:2:6" in out and "138****5678" in out
    assert "1 PHONE_NUMBER" in out + err
    code, out, _ = invoke("--no-color", "scan", str(log), "--lang", "zh")
    assert "检测结果（3）" in out


def test_sarif_is_schema_valid(log: Path) -> None:
    code, out, _ = invoke("scan", str(log), "--format", "sarif")
    assert code == 1
    schema = json.loads(
        (SHARED / "schemas" / "sarif-2.1.0" / "sarif-schema-2.1.0.json").read_text("utf-8")
    )
    doc = json.loads(out)
    jsonschema.validate(doc, schema)
    assert len(doc["runs"][0]["results"]) == 3


def test_parquet_file(tmp_path: Path) -> None:
    c = Canaries(seed=21)
    rows = 30
    table = pa.table(
        {
            "customer_name": ["张伟", "王芳", "李娜"] * 10,
            "phone": [c.cn_mobile() for _ in range(rows)],
            "card": [c.card("62") for _ in range(rows)],
            "sku": [f"SKU-{i:05d}" for i in range(rows)],
        }
    )
    path = tmp_path / "customers.parquet"
    pq.write_table(table, path)
    code, out, _ = invoke("scan", str(path), "--format", "jsonl", "--sample", "10")
    assert code == 1
    recs = lines(out)
    columns = {r["column"]: r for r in recs if "entities" in r}
    detections = [r for r in recs if "entity" in r]
    assert {k: [e["entity"] for e in v["entities"]] for k, v in columns.items()} == {
        "customer_name": ["PERSON"],
        "phone": ["PHONE_NUMBER"],
        "card": ["CREDIT_CARD"],
    }
    assert set(columns["phone"]) == {
        "source",
        "table",
        "column",
        "entities",
        "categories",
        "reason",
    }
    assert {e["hit_ratio"] for e in columns["phone"]["entities"]} == {1.0}
    assert max(d["location"]["row"] for d in detections) == 9  # --sample 10
    assert {d["location"]["column"] for d in detections} == {"customer_name", "phone", "card"}
    c.assert_absent(out)


def test_sqlite_file_and_url(shop_db: Path) -> None:
    for source in (str(shop_db), f"sqlite:///{shop_db}"):
        code, out, _ = invoke("scan", source, "--format", "jsonl")
        assert code == 1
        recs = lines(out)
        columns = {(r["table"], r["column"]): r for r in recs if "entities" in r}
        assert set(columns) == {
            ("customers", "name"),
            ("customers", "mobile"),
            ("customers", "gender"),
        }
        assert columns[("customers", "gender")]["categories"] == [
            {"category": "user.demographic.gender", "confidence": 0.8}
        ]
        first = next(r for r in recs if "entity" in r)
        assert first["location"] == {"table": "customers", "column": "name", "row": 0}
        assert first["source"] == f"sqlite:///{shop_db}"


def test_columns_only(shop_db: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("scan", str(shop_db), "--format", "jsonl", "--columns-only")
    recs = lines(out)
    assert code == 1 and all("entities" in r for r in recs)
    assert {r["column"] for r in recs} == {"name", "mobile", "gender"}
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"phone": ["13812345678"] * 5, "x": ["a"] * 5}), path)
    code, out, _ = invoke("scan", str(path), "--format", "jsonl", "--columns-only")
    assert code == 1 and [r["column"] for r in lines(out)] == ["phone"]


def test_per_table_sample_limits(shop_db: Path) -> None:
    code, out, _ = invoke(
        "scan", str(shop_db), "--format", "jsonl", "--sample", "3", "--table-sample", "products=0"
    )
    recs = lines(out)
    assert code == 1
    assert {r["location"]["row"] for r in recs if "entity" in r} == {0, 1, 2}
    code, _, err = invoke("scan", str(shop_db), "--table-sample", "products")
    assert code == 2 and "--table-sample expects TABLE=N" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.log"], "no files match missing.log"),
        (["postgresql://u:Pw-c4nary@127.0.0.1:1/db"], "failed for postgresql://u:***@"),
        (["a.log", "--entities", "NOPE"], "unknown entity: NOPE"),
        (["ftp://example.com/x"], "no connector for 'ftp://'"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "a.log").write_text("x\n")
    code, out, err = invoke("scan", *args, cwd=tmp_path)
    assert code == 2, (out, err)
    assert message in err.lower() or message in err
    assert "Traceback" not in err and "Pw-c4nary" not in out + err


def test_a_corrupt_table_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    code, _, err = invoke("scan", str(bad))
    assert code == 2 and "not a readable Parquet file" in err


def test_canaries_never_leak(tmp_path: Path, shop_db: Path) -> None:
    c = Canaries(seed=77)
    conn = sqlite3.connect(shop_db)
    conn.execute(
        "UPDATE customers SET name = ?, mobile = ? WHERE id = 1", (c.name(), c.cn_mobile())
    )
    conn.commit()
    conn.close()
    log = tmp_path / "leak.log"
    log.write_text(
        f"card={c.card()} id={c.cn_resident_id()} mail={c.email()} pw={c.secret()}\n"
        f"password={c.secret()}\n"
    )
    outputs: list[str] = []
    with capture_logs() as records:
        for source in (str(log), str(shop_db)):
            for fmt in ("table", "jsonl", "json", "sarif"):
                for lang in ("en", "zh"):
                    code, out, err = invoke(
                        "--no-color", "scan", source, "--format", fmt, "--lang", lang
                    )
                    assert code == 1
                    outputs += [out, err]
    c.assert_absent(*outputs, *records)


def _run(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("guardrail")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=120, check=False, **kw
    )


def test_real_subprocess(log: Path, shop_db: Path) -> None:
    proc = _run("scan", str(log), "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr
    assert [r["entity"] for r in lines(proc.stdout)] == [
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CN_RESIDENT_ID",
    ]
    proc = _run("scan", str(shop_db), "--format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["summary"]["PHONE_NUMBER"] == 15
    proc = _run("scan", str(log.with_name("nope.log")))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_progress_bar_on_a_terminal(shop_db: Path) -> None:
    exe = Path(sys.executable).with_name("guardrail")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [str(exe), "scan", str(shop_db), "--format", "jsonl"],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            check=False,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 1
    drawn = b"".join(chunks).decode("utf-8", "replace")
    assert "sampling" in drawn or "scanning" in drawn  # the bar's description, on stderr only
    assert b"sampling" not in proc.stdout


@pytest.mark.integration
def test_postgresql_url(pg_database: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE member (id int, mobile text)"))
        c.execute(sa.text("COMMENT ON COLUMN member.mobile IS '手机号'"))
        c.execute(sa.text("INSERT INTO member VALUES (1, '13812345678'), (2, '13912345678')"))
    engine.dispose()
    code, out, _ = invoke("scan", pg_database, "--format", "jsonl", "--strategy", "random")
    assert code == 1
    recs = lines(out)
    assert [(r["table"], r["column"]) for r in recs if "entities" in r] == [("member", "mobile")]
    assert sorted(r["location"]["row"] for r in recs if "entity" in r) == [0, 1]
    proc = _run("scan", pg_database, "--format", "jsonl")
    assert proc.returncode == 1 and len(lines(proc.stdout)) == 3


@pytest.mark.integration
def test_mysql_url(mysql_database: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(mysql_database)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE ums_member (id INT, email VARCHAR(64)) COMMENT='会员表'"))
        c.execute(sa.text("INSERT INTO ums_member VALUES (1, 'a@example.com')"))
    engine.dispose()
    code, out, _ = invoke("scan", mysql_database, "--format", "jsonl")
    assert code == 1
    recs = lines(out)
    assert [(r["table"], r["column"]) for r in recs if "entities" in r] == [("ums_member", "email")]
    proc = _run("scan", mysql_database, "--format", "sarif")
    assert proc.returncode == 1 and json.loads(proc.stdout)["version"] == "2.1.0"


@pytest.mark.integration
def test_a_table_that_cannot_be_sampled_makes_the_scan_incomplete(pg_database: str) -> None:
    import uuid

    import sqlalchemy as sa

    role = f"gr_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE open_t (mobile text)"))
        c.execute(sa.text("CREATE TABLE secret_t (mobile text)"))
        c.execute(sa.text("INSERT INTO open_t VALUES ('13812345678')"))
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        c.execute(sa.text(f"GRANT SELECT ON open_t TO {role}"))
    try:
        url = pg_database.replace("postgres@", f"{role}@", 1)
        code, out, err = invoke("-q", "scan", url, "--format", "jsonl")
        assert code == 3, err  # incomplete: one table could not be read
        # Shown under --quiet, on one line however long (greppable CI logs).
        (line,) = [ln for ln in err.splitlines() if "secret_t" in ln]
        assert line.startswith("error: ") and "sampling table 'secret_t' failed" in line
        assert "permission denied" in line
        assert [r["column"] for r in lines(out) if "entities" in r] == ["mobile"]
    finally:
        with engine.begin() as c:
            c.execute(sa.text("DROP TABLE secret_t, open_t"))
            c.execute(sa.text(f"DROP ROLE {role}"))
        engine.dispose()
