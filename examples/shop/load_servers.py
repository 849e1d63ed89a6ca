"""Load the example shop's SQLite data into PostgreSQL and/or MariaDB/MySQL.

The same rows land in each server, with timestamp columns (``*_at``) typed as timestamps, so
an audit against a server must produce the same findings as against the SQLite file.

    python examples/shop/load_servers.py --url postgresql://postgres@127.0.0.1/shop \\
                                         --url mysql+pymysql://root@127.0.0.1/shop
"""

from __future__ import annotations

import argparse
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
BATCH = 2000


def _engine_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{DRIVERS.get(scheme, scheme)}://{rest}"


def _column_type(name: str, decl: str) -> Any:
    if name.endswith("_at"):
        return sa.DateTime(timezone=False)
    if decl.upper() == "INTEGER":
        return sa.BigInteger()
    if name in ("body",):
        return sa.Text()
    return sa.String(255)


def load(sqlite_path: Path, url: str) -> dict[str, int]:
    """Copy every table of ``sqlite_path`` into the database at ``url`` (replacing them)."""
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    engine = sa.create_engine(_engine_url(url))
    meta = sa.MetaData()
    tables = [
        r[0]
        for r in src.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY rowid")
    ]
    columns: dict[str, list[tuple[str, str]]] = {}
    for t in tables:
        cols = [(r[1], r[2]) for r in src.execute(f'PRAGMA table_info("{t}")')]
        columns[t] = cols
        sa.Table(
            t,
            meta,
            *[
                sa.Column(n, _column_type(n, d), primary_key=(n == "id"), autoincrement=False)
                for n, d in cols
            ],
        )
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        meta.drop_all(conn)
        meta.create_all(conn)
    for t in tables:
        table = meta.tables[t]
        names = [n for n, _ in columns[t]]
        # Names come from the SQLite catalog of the generated file, not from user input.
        # Names come from the SQLite catalog of the generated file, not from user input.
        cur = src.execute(f'SELECT {", ".join(names)} FROM "{t}" ORDER BY id')  # noqa: S608  # noqa: S608
        total = 0
        with engine.begin() as conn:
            while rows := cur.fetchmany(BATCH):
                batch = [
                    {n: _convert(n, v) for n, v in zip(names, row, strict=True)} for row in rows
                ]
                conn.execute(table.insert(), batch)
                total += len(batch)
        counts[t] = total
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    src.close()
    return counts


def _convert(name: str, value: Any) -> Any:
    if name.endswith("_at") and isinstance(value, str):
        return (
            datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).replace(tzinfo=None)
        )
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=HERE / "data" / "shop.db")
    parser.add_argument(
        "--url", action="append", required=True, help="target database URL (repeatable)"
    )
    args = parser.parse_args(argv)
    for url in args.url:
        counts = load(args.source, url)
        shown = url.split("@")[-1]
        print(f"{shown}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
