from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from guardrail.connectors import open_source, redact_url, scheme_of
from guardrail.errors import ConnectorError


def _db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, phone TEXT, seen_at TEXT, photo BLOB)"
    )
    conn.executemany(
        "INSERT INTO people VALUES (?,?,?,?)",
        [
            (1, "13812345678", "2020-01-01 00:00:00", b"\x89PNG"),
            (2, None, "2026-01-01 00:00:00", None),
            (3, "13912345678", "2019-05-05 10:00:00", None),
        ],
    )
    conn.commit()
    conn.close()
    return path


def test_scheme_and_redaction() -> None:
    assert scheme_of("postgresql+psycopg://u@h/db") == "postgresql"
    assert scheme_of("mysql+pymysql://u@h/db") == "mysql"
    assert scheme_of("logs/app.log") is None
    assert scheme_of("C:/data/x.db") is None
    assert redact_url("postgresql://user:s3cret@host/db") == "postgresql://user:***@host/db"


def test_sqlite_reflect_sample_probe(tmp_path: Path) -> None:
    conn = open_source(f"sqlite:///{_db(tmp_path / 'x.db')}")
    try:
        (table,) = conn.tables()
        assert table.name == "people" and table.row_count == 3
        assert [c.name for c in table.columns] == ["id", "phone", "seen_at", "photo"]
        sample = conn.sample(table, limit=2)
        assert sample.rows == 2
        assert list(sample.column("phone").values) == ["13812345678", None]
        assert list(sample.column("photo").values) == [None, None]  # binary is not text
        assert "13812345678" not in repr(sample)
        cutoff = datetime(2021, 1, 1, tzinfo=UTC)
        assert conn.count_older_than(table, "seen_at", cutoff) == 2
    finally:
        conn.close()


def test_sqlite_is_read_only(tmp_path: Path) -> None:
    path = _db(tmp_path / "x.db")
    conn = open_source(str(path))  # a bare path to a SQLite file works too
    engine = conn._engine  # type: ignore[attr-defined]
    import sqlalchemy as sa

    with pytest.raises(sa.exc.OperationalError, match="readonly"), engine.begin() as c:
        c.execute(sa.text("DELETE FROM people"))
    conn.close()


def test_sqlite_errors(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="database file not found"):
        open_source("sqlite:///nope.db", base_dir=tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite")
    with pytest.raises(ConnectorError, match="not a SQLite database"):
        open_source("sqlite:///junk.db", base_dir=tmp_path)
    with pytest.raises(ConnectorError, match="no connector for 'ftp://'"):
        open_source("ftp://example.com/x")


def test_unreachable_server_message_hides_password() -> None:
    with pytest.raises(ConnectorError) as info:
        conn = open_source("postgresql://bob:Pw-c4nary@127.0.0.1:1/db")
        conn.tables()
    assert "Pw-c4nary" not in str(info.value)
    assert "***" in str(info.value)


@pytest.mark.integration
def test_postgresql_roundtrip(pg_database: str, shop_template: Path) -> None:
    from tests.examples_support import load_servers

    counts = load_servers(shop_template / "data" / "shop.db", pg_database)
    assert counts["customers"] == 2000
    conn = open_source(pg_database)
    try:
        tables = {t.name: t for t in conn.tables()}
        assert set(counts) == set(tables)
        sample = conn.sample(tables["customers"], limit=50, strategy="random")
        assert sample.rows == 50
        cutoff = datetime(2026, 1, 1, tzinfo=UTC)
        assert conn.count_older_than(tables["orders"], "created_at", cutoff) > 0
    finally:
        conn.close()


@pytest.mark.integration
def test_mariadb_roundtrip(mysql_database: str, shop_template: Path) -> None:
    from tests.examples_support import load_servers

    counts = load_servers(shop_template / "data" / "shop.db", mysql_database)
    conn = open_source(mysql_database)
    try:
        tables = {t.name: t for t in conn.tables()}
        assert set(counts) == set(tables)
        sample = conn.sample(tables["support_tickets"], limit=20)
        assert any("您好" in (v or "") for v in sample.column("body").values)
        cutoff = datetime(2026, 1, 1, tzinfo=UTC)
        assert conn.count_older_than(tables["orders"], "created_at", cutoff) > 0
    finally:
        conn.close()


# -- sampling, plans, comments, read-only sessions and time limits ----------------------------


def _numbers_db(path: Path, rows: int = 500) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i}") for i in range(rows)])
    conn.commit()
    conn.close()
    return path


def test_sqlite_random_sampling(tmp_path: Path) -> None:
    conn = open_source(str(_numbers_db(tmp_path / "n.db")))
    try:
        (table,) = conn.tables()
        first = conn.sample(table, limit=20)
        assert list(first.column("id").values) == [str(i) for i in range(20)]
        rnd = conn.sample(table, limit=20, strategy="random")
        ids = [int(v) for v in rnd.column("id").values if v is not None]
        assert rnd.rows == 20 and len(set(ids)) == 20 and rnd.strategy == "random"
        assert ids != list(range(20))  # a random draw of 20 of 500 rows in order: ~never
        small = conn.sample(table, limit=1000, strategy="random")  # more than the table
        assert small.rows == 500
        with pytest.raises(ConnectorError, match="unknown sampling strategy 'middle'"):
            conn.sample(table, limit=5, strategy="middle")  # type: ignore[arg-type]
    finally:
        conn.close()


def test_sampling_plan_per_table_limits() -> None:
    from guardrail.connectors.base import SamplingPlan

    plan = SamplingPlan(limit=100, per_table={"orders": 10, "audit_log": 0})
    assert [plan.limit_for(t) for t in ("orders", "audit_log", "users")] == [10, 0, 100]


def test_connector_is_a_context_manager(tmp_path: Path) -> None:
    with open_source(str(_numbers_db(tmp_path / "n.db"))) as conn:  # type: ignore[attr-defined]
        assert [t.name for t in conn.tables()] == ["t"]
    assert repr(conn).startswith("SqlConnector('sqlite:///")


def test_bad_urls_are_connector_errors() -> None:
    from guardrail.connectors.base import SourceSpec
    from guardrail.connectors.sql import SqlConnector

    with pytest.raises(ConnectorError, match="no connector for 'oracle://' URLs"):
        open_source("oracle://u:pw@h/db")
    with pytest.raises(ConnectorError, match="unsupported database 'oracle'"):
        SqlConnector(SourceSpec(url="oracle://u@h/db"))
    with pytest.raises(ConnectorError, match="cannot parse database URL"):
        SqlConnector(SourceSpec(url="postgresql://u@h:port/db"))
    with pytest.raises(ConnectorError, match="names no database file"):
        open_source("sqlite://")


def _refuses_writes(conn: Any, statement: str, error: type[Exception], match: str) -> None:
    """``statement`` fails on the connector's own (read-only) engine with ``error``."""
    import sqlalchemy as sa

    with pytest.raises(error, match=match), conn._engine.begin() as c:
        c.execute(sa.text(statement))


def _times_out(url: str, sleep: str, match: str) -> None:
    """A connector opened with a 200 ms statement timeout aborts ``sleep``."""
    import sqlalchemy as sa

    from guardrail.connectors.base import SourceSpec
    from guardrail.connectors.sql import SqlConnector

    quick = SqlConnector(SourceSpec(url=url), timeout_ms=200)
    try:
        with (
            pytest.raises(sa.exc.OperationalError, match=match),
            quick._engine.connect() as c,
        ):
            c.execute(sa.text(sleep))
    finally:
        quick.close()


@pytest.mark.integration
def test_postgresql_comments_schema_read_only_and_timeout(pg_database: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(pg_database.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as c:
        c.execute(sa.text("CREATE SCHEMA crm"))
        c.execute(sa.text("CREATE TABLE crm.member (id int, mobile text, note text)"))
        c.execute(sa.text("COMMENT ON TABLE crm.member IS '会员表'"))
        c.execute(sa.text("COMMENT ON COLUMN crm.member.mobile IS '手机号'"))
        c.execute(
            sa.text(
                "INSERT INTO crm.member SELECT g, '138' || lpad(g::text, 8, '0'), 'n' "
                "FROM generate_series(1, 5000) g"
            )
        )
        c.execute(sa.text("ANALYZE crm.member"))
        c.execute(sa.text("CREATE TABLE public.other (x int)"))
    admin.dispose()
    conn = open_source(pg_database + "?schema=crm")
    try:
        (table,) = conn.tables()
        assert (table.name, table.schema_name, table.comment) == ("member", "crm", "会员表")
        assert {c.name: c.comment for c in table.columns} == {
            "id": None,
            "mobile": "手机号",
            "note": None,
        }
        assert table.row_count == 5000  # the planner's estimate after ANALYZE
        rnd = conn.sample(table, limit=100, strategy="random")  # TABLESAMPLE BERNOULLI
        ids = {int(v) for v in rnd.column("id").values if v is not None}
        assert 50 <= len(ids) <= 100 and ids != set(range(1, 101))
        _refuses_writes(
            conn, "DELETE FROM crm.member", sa.exc.InternalError, "read-only transaction"
        )
    finally:
        conn.close()
    _times_out(pg_database, "SELECT pg_sleep(2)", "statement timeout")


@pytest.mark.integration
def test_mariadb_comments_read_only_timeout_and_mysql_pwd(
    mysql_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    import sqlalchemy as sa

    admin = sa.create_engine(mysql_database)
    db = mysql_database.rsplit("/", 1)[1]
    user = f"gr_{uuid.uuid4().hex[:8]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        c.execute(
            sa.text(
                "CREATE TABLE ums_member (id INT PRIMARY KEY, phone VARCHAR(20) COMMENT '手机号', "
                "nickname VARCHAR(40)) COMMENT='会员表'"
            )
        )
        c.execute(sa.text("INSERT INTO ums_member VALUES (1, '13812345678', 'x')"))
        c.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        c.execute(sa.text(f"GRANT SELECT ON `{db}`.* TO '{user}'@'%'"))
    try:
        conn = open_source(mysql_database)
        try:
            (table,) = conn.tables()
            assert table.comment == "会员表"
            assert [c.comment for c in table.columns] == [None, "手机号", None]
            _refuses_writes(conn, "DELETE FROM ums_member", sa.exc.OperationalError, "READ ONLY")
        finally:
            conn.close()
        _times_out(mysql_database, "SELECT SLEEP(2)", "max_statement_time exceeded")
        # The password from MYSQL_PWD, never from (or into) the URL and messages.
        monkeypatch.setenv("MYSQL_PWD", password)
        host = mysql_database.split("@", 1)[1]
        with_env = open_source(f"mysql+pymysql://{user}@{host}")
        try:
            assert [t.name for t in with_env.tables()] == ["ums_member"]
            assert password not in with_env.display and password not in repr(with_env)
        finally:
            with_env.close()
        monkeypatch.setenv("MYSQL_PWD", "wrong-" + password)
        with pytest.raises(ConnectorError) as info:
            open_source(f"mysql+pymysql://{user}@{host}").tables()
        assert password not in str(info.value)
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
        admin.dispose()
