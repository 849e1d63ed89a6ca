"""SQL databases through SQLAlchemy: SQLite (default), PostgreSQL, MySQL/MariaDB.

Read-only on every engine: SQLite is opened with ``mode=ro``; PostgreSQL sessions default to
read-only transactions (``default_transaction_read_only``) with a ``statement_timeout``;
MySQL/MariaDB sessions run ``SET SESSION TRANSACTION READ ONLY`` and a statement time limit
(``max_statement_time`` on MariaDB, ``max_execution_time`` on MySQL). One connection is kept
for the connector's life (opening one per query costs ~80 ms with pymysql's TLS setup).

Credentials come from the URL or from the drivers' usual environment variables —
``PGPASSWORD`` (libpq reads it), ``MYSQL_PWD`` (read here and handed to PyMySQL) — and are
never printed: every message uses the redacted URL.

Schema reflection includes column and table comments (``COMMENT ON COLUMN`` in PostgreSQL,
``COMMENT '...'`` in MySQL), which column classification reads. A PostgreSQL schema other
than the search path's is chosen with ``?schema=name`` in the URL.

Sampling: ``first`` (the first rows the engine returns) or ``random`` — PostgreSQL's
``TABLESAMPLE BERNOULLI`` for large tables, a filtered ``RANDOM()``/``RAND()`` pass in
MySQL/MariaDB and SQLite (one pass, no sort), falling back to ``ORDER BY random()`` for
small tables; :class:`SamplingPlan` sets per-table limits.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from guardrail.connectors.base import (
    SampleStrategy,
    SamplingPlan,
    SourceSpec,
    TextChunk,
    redact_url,
)
from guardrail.errors import ConnectorError
from guardrail.model.data import ColumnInfo, ColumnSample, TableInfo, TableSample
from guardrail.plugins import install_hint

__all__ = ["STATEMENT_TIMEOUT_MS", "SamplingPlan", "SqlConnector"]

STATEMENT_TIMEOUT_MS = 60_000
_DEFAULT_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: Random sampling reads a fraction of a large table in one pass; this many times the
#: requested rows are aimed for, so the LIMIT is nearly always reached.
_OVERSAMPLE = 3


class SqlConnector:
    """A read-only SQL data source."""

    def __init__(self, spec: SourceSpec, *, timeout_ms: int = STATEMENT_TIMEOUT_MS) -> None:
        self._display = spec.display
        self._timeout_ms = int(timeout_ms)
        try:
            url = make_url(spec.url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ConnectorError(
                f"cannot parse database URL {self._display}",
                hint="write it like postgresql://user@host:5432/dbname or sqlite:///path/to.db",
            ) from None
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql", "mysql", "mariadb"):
            raise ConnectorError(
                f"unsupported database '{backend}' in {self._display}",
                hint="use sqlite, postgresql, mysql or mariadb",
            )
        self.dialect = backend
        self.schema: str | None = url.query.get("schema")  # type: ignore[assignment]
        if self.schema is not None:
            url = url.difference_update_query(["schema"])
        if backend == "sqlite":
            self._engine = self._sqlite_engine(url.database or "", spec.base_dir)
        else:
            if "+" not in url.drivername:
                url = url.set(drivername=f"{backend}+{_DEFAULT_DRIVERS[backend]}")
            if backend in ("mysql", "mariadb") and url.password is None:
                env_pw = os.environ.get("MYSQL_PWD")
                if env_pw:
                    url = url.set(password=env_pw)
            self._engine = self._server_engine(url)
        self._inspector: Any = None

    # -- engines -------------------------------------------------------------------------

    def _sqlite_engine(self, database: str, base_dir: Path) -> Engine:
        if not database or database == ":memory:":
            raise ConnectorError(
                f"{self._display} names no database file",
                hint="write it like sqlite:///path/to/file.db",
            )
        path = Path(database)
        if not path.is_absolute():
            path = base_dir / path
        shown = str(path)
        if not path.is_file():
            raise ConnectorError(
                f"database file not found: {shown}",
                hint="check the path (relative paths are relative to the manifest's folder)",
            )
        try:
            with path.open("rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise ConnectorError(f"cannot read {shown} ({exc.strerror})") from None
        if header != _SQLITE_MAGIC:
            raise ConnectorError(
                f"{shown} is not a SQLite database (or is corrupt)",
                hint="point the URL at a SQLite 3 file",
            )
        uri = f"file:{path.resolve()}?mode=ro"

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {self._timeout_ms}")
            conn.execute("PRAGMA query_only = ON")
            return conn

        return sa.create_engine(
            "sqlite://", creator=connect, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=0
        )

    def _server_engine(self, url: sa.URL) -> Engine:
        connect_args: dict[str, Any] = {"connect_timeout": 10}
        if self.dialect == "postgresql":
            connect_args["options"] = (
                f"-c statement_timeout={self._timeout_ms} -c default_transaction_read_only=on"
            )
        else:
            connect_args["charset"] = "utf8mb4"
        try:
            engine = sa.create_engine(
                url,
                connect_args=connect_args,
                poolclass=sa.pool.QueuePool,
                pool_size=1,
                max_overflow=0,
            )
        except (NoSuchModuleError, ImportError) as exc:
            module = getattr(exc, "name", None) or _DEFAULT_DRIVERS.get(self.dialect)
            raise ConnectorError(
                f"the database driver for {self._display} is not installed",
                hint=install_hint(module),
            ) from None
        if self.dialect in ("mysql", "mariadb"):
            timeout = self._timeout_ms

            @sa.event.listens_for(engine, "connect")
            def _readonly(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("SET SESSION TRANSACTION READ ONLY")
                try:  # MariaDB (seconds) and MySQL (milliseconds) name the limit differently
                    cur.execute(f"SET SESSION max_statement_time = {timeout / 1000:.3f}")
                except Exception:  # noqa: BLE001 - not MariaDB: try MySQL's variable
                    with contextlib.suppress(Exception):  # neither: read-only still holds
                        cur.execute(f"SET SESSION max_execution_time = {timeout}")
                cur.close()

        return engine

    # -- Connector protocol ----------------------------------------------------------------

    @property
    def display(self) -> str:
        return self._display

    def _fail(self, action: str, exc: BaseException) -> ConnectorError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = redact_url(detail[0])[:200] if detail else type(exc).__name__
        # Driver messages may echo a statement's parameters; we only bind timestamps and
        # fractions, so the first line names the server's complaint, not data.
        if "timeout" in first.lower() or "max_statement_time" in first or "canceling" in first:
            hint = "the statement hit the time limit; sample fewer rows or raise the timeout"
        else:
            hint = "check the URL, that the server is running and that the user may read the tables"
        return ConnectorError(f"{action} failed for {self._display}: {first}", hint=hint)

    def _inspect(self) -> Any:
        if self._inspector is None:
            try:
                self._inspector = sa.inspect(self._engine)
            except SQLAlchemyError as exc:
                raise self._fail("connecting", exc) from None
        return self._inspector

    def tables(self) -> list[TableInfo]:
        """Base tables with their columns, types, comments and (estimated) row counts."""
        insp = self._inspect()
        out: list[TableInfo] = []
        try:
            names = sorted(insp.get_table_names(schema=self.schema))
            estimates = self._row_estimates()
            for name in names:
                cols = tuple(
                    ColumnInfo(
                        name=c["name"],
                        type=_type_name(c["type"]),
                        comment=c.get("comment") or None,
                        nullable=bool(c.get("nullable", True)),
                    )
                    for c in insp.get_columns(name, schema=self.schema)
                )
                comment = None
                if self.dialect != "sqlite":
                    got = insp.get_table_comment(name, schema=self.schema) or {}
                    comment = got.get("text") or None
                rows = estimates.get(name)
                if rows is None:
                    try:
                        rows = self._count(name)
                    except SQLAlchemyError:
                        rows = None  # not readable by this user: sampling will say so
                out.append(
                    TableInfo(
                        name=name,
                        schema_name=self.schema,
                        columns=cols,
                        comment=comment,
                        row_count=rows,
                    )
                )
        except SQLAlchemyError as exc:
            raise self._fail("reading the schema", exc) from None
        return out

    def _row_estimates(self) -> dict[str, int]:
        """Cheap row counts from the catalog where the engine keeps them."""
        sql = {
            "postgresql": "SELECT c.relname, c.reltuples::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = COALESCE(:schema, current_schema()) "
            "AND c.relkind IN ('r','p') AND c.reltuples >= 0",
            "mysql": "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_ROWS IS NOT NULL",
        }.get("mysql" if self.dialect == "mariadb" else self.dialect)
        if sql is None:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(sa.text(sql), {"schema": self.schema})
            return {str(r[0]): int(r[1]) for r in rows}

    def _table(self, name: str, *cols: sa.ColumnClause[Any]) -> sa.TableClause:
        return sa.table(name, *cols, schema=self.schema)

    def _count(self, table: str) -> int:
        with self._engine.connect() as conn:
            stmt = sa.select(sa.func.count()).select_from(self._table(table))
            return int(conn.execute(stmt).scalar_one())

    def sample(
        self, table: TableInfo, *, limit: int = 1000, strategy: SampleStrategy = "first"
    ) -> TableSample:
        """Up to ``limit`` rows of ``table``, as strings column-wise (binary values are
        ``None``: images and blobs are not scanned as text)."""
        if strategy not in ("first", "random"):
            raise ConnectorError(
                f"unknown sampling strategy '{strategy}'", hint="use 'first' or 'random'"
            )
        cols: list[sa.ColumnClause[Any]] = [sa.column(c.name) for c in table.columns]
        stmt = sa.select(*cols).select_from(self._table(table.name))
        if strategy == "random":
            stmt = self._random(stmt, table, limit)
        stmt = stmt.limit(int(limit))
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(stmt).fetchall()
        except SQLAlchemyError as exc:
            raise self._fail(f"sampling table '{table.name}'", exc) from None
        columns = tuple(
            ColumnSample(
                name=c.name,
                values=[_to_text(r[i]) for r in rows],
                comment=c.comment,
                type=c.type,
            )
            for i, c in enumerate(table.columns)
        )
        return TableSample(
            table=table.name, columns=columns, row_count=table.row_count, strategy=strategy
        )

    def _random(self, stmt: sa.Select[Any], table: TableInfo, limit: int) -> sa.Select[Any]:
        """Random rows. Large tables are read in one filtered pass (no sort of the table)."""
        rows = table.row_count or 0
        fraction = min(1.0, _OVERSAMPLE * limit / rows) if rows else 1.0
        rand = sa.func.rand() if self.dialect in ("mysql", "mariadb") else sa.func.random()
        if fraction >= 1.0:
            return stmt.order_by(rand)
        if self.dialect == "postgresql":
            # TABLESAMPLE BERNOULLI reads each row with the given probability (percent).
            cols: list[sa.ColumnClause[Any]] = [sa.column(c.name) for c in table.columns]
            sampled = sa.tablesample(
                self._table(table.name, *cols), sa.func.bernoulli(fraction * 100), name="s"
            )
            return sa.select(*[sampled.c[c.name] for c in table.columns]).select_from(sampled)
        if self.dialect == "sqlite":
            # random() spans all 64-bit integers: compare against the matching fraction.
            bound = int(fraction * 2**63)
            return stmt.where(sa.func.abs(sa.func.random()) < bound)
        return stmt.where(rand < fraction)

    def column_values(
        self,
        table: str,
        column: str,
        *,
        where: Mapping[str, str | int | bool] | None = None,
        not_null: Sequence[str] = (),
    ) -> Iterator[str]:
        """Distinct non-null values of ``column`` where the ``where`` columns equal the given
        values (bound parameters; identifiers quoted by SQLAlchemy). Streamed in batches."""
        col: sa.ColumnClause[Any] = sa.column(column)
        stmt = sa.select(col).select_from(self._table(table)).where(col.is_not(None)).distinct()
        for name, value in (where or {}).items():
            stmt = stmt.where(sa.column(name) == sa.bindparam(f"w_{name}", value))
        for name in not_null:
            stmt = stmt.where(sa.column(name).is_not(None))
        try:
            with self._engine.connect() as conn:
                result = conn.execution_options(stream_results=True).execute(stmt)
                for batch in result.partitions(10_000):
                    for row in batch:
                        text = _to_text(row[0])
                        if text is not None:
                            yield text
        except SQLAlchemyError as exc:
            raise self._fail(f"reading '{table}.{column}'", exc) from None

    def count_older_than(self, table: TableInfo, column: str, cutoff: datetime) -> int:
        col: sa.ColumnClause[Any] = sa.column(column)
        # Timestamps without a zone are taken to be UTC.
        utc = cutoff.astimezone(UTC) if cutoff.tzinfo is not None else cutoff
        bound: Any = utc if self.dialect == "postgresql" else utc.replace(tzinfo=None)
        if self.dialect == "sqlite":
            # SQLite keeps timestamps as text; its canonical form compares lexicographically.
            bound = utc.strftime("%Y-%m-%d %H:%M:%S")
        stmt = (
            sa.select(sa.func.count())
            .select_from(self._table(table.name, col))
            .where(col < sa.bindparam("cutoff", bound))
        )
        try:
            with self._engine.connect() as conn:
                return int(conn.execute(stmt).scalar_one())
        except SQLAlchemyError as exc:
            raise self._fail(f"probing retention of '{table.name}.{column}'", exc) from None

    def texts(self) -> Iterator[TextChunk]:
        return iter(())

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> SqlConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlConnector({self._display!r})"


def _type_name(t: Any) -> str:
    try:
        return str(t)
    except Exception:  # noqa: BLE001 - an engine-specific type SQLAlchemy cannot render
        return type(t).__name__


def _to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None  # binary payloads (images, blobs) are not scanned as text
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
