"""Processing sets: distinct subject ids read from a SQL table (SQLite and real servers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from guardrail.connectors import open_source
from guardrail.errors import ConnectorError

ROWS = [
    (1, 1, "11010519491231002X"),
    (2, 0, None),
    (3, 1, None),
    (4, 1, "440306199003071232"),
    (5, 1, "31010120001231456X"),
]


def _check(url: str) -> None:
    conn = open_source(url)
    try:
        assert sorted(conn.column_values("customers", "id")) == ["1", "2", "3", "4", "5"]
        assert sorted(conn.column_values("customers", "id", where={"opt_in": 1})) == [
            "1",
            "3",
            "4",
            "5",
        ]
        assert sorted(
            conn.column_values("customers", "id", where={"opt_in": 1}, not_null=["id_number"])
        ) == ["1", "4", "5"]
        with pytest.raises(ConnectorError, match=r"reading 'customers\.nope'"):
            list(conn.column_values("customers", "nope"))
    finally:
        conn.close()


def test_sqlite(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.db")
    db.execute("CREATE TABLE customers (id INTEGER, opt_in INTEGER, id_number TEXT)")
    db.executemany("INSERT INTO customers VALUES (?,?,?)", ROWS)
    db.commit()
    db.close()
    _check(f"sqlite:///{tmp_path / 'x.db'}")


@pytest.mark.integration
@pytest.mark.parametrize("server", ["pg", "mysql"])
def test_servers(server: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_database" if server == "pg" else "mysql_database")
    engine = sa.create_engine(url)  # the fixtures hand out driver-qualified URLs
    with engine.begin() as c:
        c.execute(
            sa.text("CREATE TABLE customers (id INTEGER, opt_in INTEGER, id_number VARCHAR(18))")
        )
        c.execute(
            sa.text("INSERT INTO customers VALUES (:a, :b, :c)"),
            [{"a": a, "b": b, "c": cc} for a, b, cc in ROWS],
        )
    engine.dispose()
    _check(url)


def test_files_refuse(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("x\n")
    with pytest.raises(ConnectorError, match="processing sets are read from SQL tables"):
        list(open_source("a.log", base_dir=tmp_path).column_values("a.log", "x"))
