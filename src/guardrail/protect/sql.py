# ruff: noqa: S608 - identifiers are quoted by the dialect's preparer; values are bound.
"""Protecting SQL tables in place: SQLite (default), PostgreSQL, MySQL/MariaDB.

Rows are read and updated in key order, one chunk per transaction; the chunk's updates and the
checkpoint (``guardrail_protect_state``) commit together, so a crash at any point loses at
most the open chunk and a resumed run neither skips nor repeats a row. Driver messages for
data statements are reduced to the error class and SQLSTATE: some drivers echo the offending
value, and values here are personal data.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from guardrail.errors import ConfigError, ConnectorError, GuardrailError, redact_url
from guardrail.model.protect import (
    DeterministicTransform,
    EncryptTransform,
    GeneralizeTransform,
    PseudonymizeTransform,
    ShredTransform,
    SuppressTransform,
    TablePolicy,
)
from guardrail.protect.engine import ChunkRunner, TableRun, TableState

__all__ = ["STATE_TABLE", "SqlSource"]

STATE_TABLE = "guardrail_protect_state"
_INTERNAL = frozenset({STATE_TABLE, "guardrail_subject_keys"})
_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _token_chars(octets: int, overhead: int) -> int:
    """Characters of a ``gr1:`` token over ``octets`` bytes of plaintext."""
    return 4 + -(-4 * (overhead + octets) // 3)


class SqlSource:
    """A database whose tables ``protect`` updates in place."""

    def __init__(self, source: str, *, base_dir: Path, writable: bool) -> None:
        self._writable = writable
        if "://" not in source:
            path = Path(source) if Path(source).is_absolute() else base_dir / source
            self.display = str(path)
            self._check_sqlite_file(path)
            url = f"sqlite:///{path}"
        else:
            url = source
            self.display = redact_url(source)
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConnectorError(
                f"cannot parse database URL {self.display}",
                hint="write it like postgresql://user@host/db, sqlite:///shop.db or a file path",
            ) from None
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            db = parsed.database or ""
            if not db or db == ":memory:":
                raise ConnectorError(
                    f"{self.display} names no database file", hint="write sqlite:///path/to.db"
                )
            path = Path(db) if Path(db).is_absolute() else base_dir / db
            self._check_sqlite_file(path)
            parsed = parsed.set(database=str(path))
        elif backend in _DRIVERS:
            if "+" not in parsed.drivername:
                parsed = parsed.set(drivername=f"{backend}+{_DRIVERS[backend]}")
        else:
            raise ConnectorError(
                f"unsupported database '{backend}' in {self.display}",
                hint="use sqlite, postgresql, mysql or mariadb (or a CSV/Parquet file)",
            )
        self.dialect = "mysql" if backend == "mariadb" else backend
        connect_args: dict[str, Any] = {}
        if self.dialect == "mysql":
            connect_args["charset"] = "utf8mb4"
        if self.dialect != "sqlite":
            connect_args["connect_timeout"] = 10
        try:
            self._engine: Engine = sa.create_engine(
                parsed, poolclass=sa.pool.NullPool, connect_args=connect_args
            )
        except (NoSuchModuleError, ImportError):
            extra = "postgres" if self.dialect == "postgresql" else "mysql"
            raise ConnectorError(
                f"the database driver for {self.display} is not installed",
                hint=f"pip install 'guardrail[{extra}]'",
            ) from None
        if self.dialect == "sqlite":

            @sa.event.listens_for(self._engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.execute("PRAGMA busy_timeout = 30000")

        prep = self._engine.dialect.identifier_preparer
        self._q = prep.quote
        self._ph = "?" if self.dialect == "sqlite" else "%s"
        self._inspector: Any = None

    def _check_sqlite_file(self, path: Path) -> None:
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except FileNotFoundError:
            raise ConnectorError(
                f"database file not found: {path}", hint="check the path"
            ) from None
        except OSError as exc:
            raise ConnectorError(f"cannot read {path} ({exc.strerror})") from None
        if head != _SQLITE_MAGIC:
            raise ConnectorError(
                f"{path} is not a SQLite database (or is corrupt)",
                hint="point at a SQLite 3 file, a CSV/Parquet file, or a database URL",
            )

    # -- errors --------------------------------------------------------------------------

    def _schema_error(self, action: str, exc: BaseException) -> ConnectorError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = _redact_all(detail[0])[:200] if detail else type(exc).__name__
        return ConnectorError(
            f"{action} failed for {self.display}: {first}",
            hint="check the URL, that the server runs and that the user may read and update",
        )

    def _data_error(self, table: str, exc: BaseException) -> GuardrailError:
        orig = getattr(exc, "orig", None) or exc
        code = getattr(orig, "sqlstate", None) or (
            orig.args[0] if getattr(orig, "args", None) and isinstance(orig.args[0], int) else None
        )
        what = type(orig).__name__ + (f" {code}" if code else "")
        return GuardrailError(
            f"protecting '{table}' in {self.display} stopped: the database refused an update "
            f"({what})",
            hint="fix the cause and rerun the same command: it resumes after the last "
            "committed chunk",
        )

    # -- schema --------------------------------------------------------------------------

    def _inspect(self) -> Any:
        if self._inspector is None:
            try:
                self._inspector = sa.inspect(self._engine)
            except SQLAlchemyError as exc:
                raise self._schema_error("connecting", exc) from None
        return self._inspector

    def table_names(self) -> list[str]:
        try:
            return [t for t in self._inspect().get_table_names() if t not in _INTERNAL]
        except SQLAlchemyError as exc:
            raise self._schema_error("reading the schema", exc) from None

    def _columns(self, table: str) -> list[dict[str, Any]]:
        try:
            cols: list[dict[str, Any]] = self._inspect().get_columns(table)
        except SQLAlchemyError as exc:
            raise self._schema_error("reading the schema", exc) from None
        return cols

    def columns_of(self, table: str) -> list[str]:
        return [str(c["name"]) for c in self._columns(table)]

    def _key(self, table: str, policy: TablePolicy) -> tuple[list[str], list[Any]]:
        cols = {str(c["name"]): c for c in self._columns(table)}
        if policy.key:
            names = list(policy.key)
        else:
            try:
                names = list(self._inspect().get_pk_constraint(table)["constrained_columns"] or [])
            except SQLAlchemyError as exc:
                raise self._schema_error("reading the schema", exc) from None
        if not names:
            if self.dialect == "sqlite" and not self._without_rowid(table):
                return ["rowid"], [int]
            raise ConfigError(
                f"table '{table}' has no primary key",
                hint="add one, or name unique key columns with 'key: [...]' in the policy",
            )
        types: list[Any] = []
        for n in names:
            try:
                types.append(cols[n]["type"].python_type)
            except (NotImplementedError, KeyError):
                types.append(str)
        return names, types

    def _without_rowid(self, table: str) -> bool:
        with self._engine.connect() as conn:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar()
        return bool(sql) and "WITHOUT ROWID" in str(sql).upper()

    # -- state ---------------------------------------------------------------------------

    def load_state(self, table: str) -> TableState | None:
        try:
            if STATE_TABLE not in self._inspect().get_table_names():
                return None
            with self._engine.connect() as conn:
                text = conn.exec_driver_sql(
                    f"SELECT state FROM {self._q(STATE_TABLE)} WHERE table_name = {self._ph}",
                    (table,),
                ).scalar()
        except SQLAlchemyError as exc:
            raise self._schema_error("reading the protect state", exc) from None
        if text is None:
            return None
        try:
            return TableState.from_json(str(text))
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"the protect state of '{table}' in {self.display} is corrupt",
                hint=f"inspect the {STATE_TABLE} table",
            ) from None

    def _ensure_state_table(self) -> None:
        meta = sa.MetaData()
        sa.Table(
            STATE_TABLE,
            meta,
            sa.Column("table_name", sa.String(255), primary_key=True),
            sa.Column("state", sa.Text, nullable=False),
            sa.Column("updated_at", sa.String(40), nullable=False),
        )
        try:
            meta.create_all(self._engine)
        except SQLAlchemyError as exc:
            raise self._schema_error("creating the protect state table", exc) from None

    def _save_state(self, conn: Connection, table: str, state: TableState) -> None:
        now = datetime.now(UTC).isoformat()
        t, ph = self._q(STATE_TABLE), self._ph
        res = conn.exec_driver_sql(
            f"UPDATE {t} SET state = {ph}, updated_at = {ph} WHERE table_name = {ph}",
            (state.to_json(), now, table),
        )
        if res.rowcount == 0:
            conn.exec_driver_sql(
                f"INSERT INTO {t} (table_name, state, updated_at) VALUES ({ph}, {ph}, {ph})",
                (table, state.to_json(), now),
            )

    # -- preflight -----------------------------------------------------------------------

    def preflight(self, table: str, runner: ChunkRunner, policy: TablePolicy) -> None:
        """Refuse columns that cannot hold the output (typed servers) before any write."""
        keys, _ = self._key(table, policy)
        for k in keys:
            if k in runner.transformers:
                raise ConfigError(
                    f"{table}.{k} is the key that addresses rows; it cannot be transformed",
                    hint="protect a copy of the column, or name other key columns with 'key:'",
                )
        if self.dialect == "sqlite":
            return
        cols = {str(c["name"]): c for c in self._columns(table)}
        for name in runner.transformers:
            spec = policy.columns[name]
            col = cols[name]
            ctype = col["type"]
            if isinstance(spec, SuppressTransform):
                if not col.get("nullable", True):
                    raise ConfigError(
                        f"{table}.{name} is NOT NULL, so it cannot be suppressed",
                        hint="allow NULL in the column or choose another transform",
                    )
                continue
            if not isinstance(ctype, sa.String) or isinstance(ctype, sa.Enum):
                raise ConfigError(
                    f"{table}.{name} is {ctype}; '{spec.transform}' writes text",
                    hint=self._alter_hint(table, name),
                )
            tokens = isinstance(
                spec,
                (EncryptTransform, DeterministicTransform, ShredTransform, PseudonymizeTransform),
            )
            if tokens and isinstance(ctype, (sa.CHAR, sa.NCHAR)):
                raise ConfigError(
                    f"{table}.{name} is a fixed-width {ctype}; padded tokens would not decrypt",
                    hint=self._alter_hint(table, name),
                )
            length = getattr(ctype, "length", None)
            if length is None:
                continue
            need = self._needed_length(table, name, spec)
            if need > length:
                raise ConfigError(
                    f"{table}.{name} holds at most {length} characters; '{spec.transform}' "
                    f"needs {need}",
                    hint=self._alter_hint(table, name),
                )

    def _needed_length(self, table: str, column: str, spec: Any) -> int:
        if isinstance(spec, PseudonymizeTransform):
            return 52
        if isinstance(spec, GeneralizeTransform):
            return 7 if spec.age_band is not None else 0
        if not isinstance(spec, (EncryptTransform, DeterministicTransform, ShredTransform)):
            return 0
        fn = "octet_length" if self.dialect == "postgresql" else "length"
        try:
            with self._engine.connect() as conn:
                octets = conn.exec_driver_sql(
                    f"SELECT max({fn}({self._q(column)})) FROM {self._q(table)}"
                ).scalar()
        except SQLAlchemyError as exc:
            raise self._schema_error(f"measuring {table}.{column}", exc) from None
        overhead = {"encrypt": 5 + 12 + 16, "deterministic": 5 + 16, "shred": 17 + 12 + 16}
        return _token_chars(int(octets or 0), overhead[spec.transform])

    def _alter_hint(self, table: str, column: str) -> str:
        if self.dialect == "postgresql":
            return f'widen it first: ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE text'
        return f"widen it first: ALTER TABLE `{table}` MODIFY `{column}` TEXT"

    # -- the run -------------------------------------------------------------------------

    def run_table(self, run: TableRun) -> int:
        table, runner, state, options = run.table, run.runner, run.state, run.options
        keys, key_types = self._key(table, run.policy)
        targets = list(runner.transformers)
        reads = [c for c in runner.read_columns if c not in keys]
        q, ph = self._q, self._ph
        tq = q(table)
        key_sql = self._key_sql(keys)
        cols_sql = ", ".join(q(c) for c in reads)
        after = (
            f"{key_sql} > {ph}"
            if len(keys) == 1
            else f"({key_sql}) > ({', '.join(ph for _ in keys)})"
        )
        limit = int(options.chunk_size)
        first_sql = f"SELECT {key_sql}, {cols_sql} FROM {tq} ORDER BY {key_sql} LIMIT {limit}"
        next_sql = (
            f"SELECT {key_sql}, {cols_sql} FROM {tq} WHERE {after} ORDER BY {key_sql} LIMIT {limit}"
        )
        update_sql = (
            f"UPDATE {tq} SET {', '.join(f'{q(c)} = {ph}' for c in targets)} WHERE "
            + " AND ".join(f"{self._key_sql([k])} = {ph}" for k in keys)
        )
        first_sql, next_sql, update_sql = map(self._bindable, (first_sql, next_sql, update_sql))
        total = self._count(table)
        last: tuple[Any, ...] | None = (
            _key_from_json(state.position, key_types) if run.resume and state.position else None
        )
        nk = len(keys)
        done = state.rows_done if run.resume else 0
        if not options.dry_run:
            self._ensure_state_table()
            state.start(resume=run.resume)
            self._commit_state(table, state)
        run.advance(done, total)
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        while True:
            try:
                with self._engine.begin() as conn:
                    # The raw DB-API cursor of this transaction: plain tuples, no Row objects.
                    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                    try:
                        if last is None:
                            cur.execute(first_sql)
                        else:
                            cur.execute(next_sql, last)
                        rows = cur.fetchall()
                        if not rows:
                            break
                        cols = list(zip(*rows, strict=True))
                        key_cols = cols[:nk]
                        columns: dict[str, Sequence[Any]] = {
                            c: cols[nk + i] for i, c in enumerate(reads)
                        }
                        for j, k in enumerate(keys):  # a key may be a subject or quasi-identifier
                            if k in runner.read_columns:
                                columns[k] = key_cols[j]
                        labels: Sequence[object] = (
                            key_cols[0]
                            if nk == 1
                            else ["/".join(str(v) for v in k) for k in zip(*key_cols, strict=True)]
                        )
                        new = runner.run(columns, labels)
                        last = tuple(r[-1] for r in key_cols)
                        done += len(rows)
                        if not options.dry_run:
                            changed = runner.changed_rows()
                            if changed:
                                params = _params(
                                    [new[c] for c in targets], key_cols, changed, len(rows)
                                )
                                # Drivers iterate the parameters; no list needed.
                                cur.executemany(update_sql, params)  # type: ignore[arg-type]
                            state.rows_done, state.position = done, _key_to_json(last)
                            self._save_state(conn, table, state)
                    finally:
                        cur.close()
            except (SQLAlchemyError, dbapi_error) as exc:
                raise self._data_error(table, exc) from None
            run.advance(done, total)
            if len(rows) < limit:
                break
        if not options.dry_run:
            state.finish()
            self._commit_state(table, state)
        return done

    def _commit_state(self, table: str, state: TableState) -> None:
        """Save ``state`` in a transaction of its own."""
        try:
            with self._engine.begin() as conn:
                self._save_state(conn, table, state)
        except SQLAlchemyError as exc:
            raise self._data_error(table, exc) from None

    def _key_sql(self, keys: Sequence[str]) -> str:
        """The key columns as a SQL list (SQLite's implicit ``rowid`` unquoted)."""
        return ", ".join("rowid" if k == "rowid" else self._q(k) for k in keys)

    def _bindable(self, sql: str) -> str:
        """``sql`` for the dialect's driver: pyformat drivers need a literal % doubled."""
        if self.dialect == "sqlite":
            return sql
        return sql.replace("%", "%%").replace("%%s", "%s")

    def _count(self, table: str) -> int:
        try:
            with self._engine.connect() as conn:
                return int(
                    conn.exec_driver_sql(f"SELECT count(*) FROM {self._q(table)}").scalar_one()
                )
        except SQLAlchemyError as exc:
            raise self._schema_error(f"counting '{table}'", exc) from None

    def read_rows(
        self,
        table: str,
        policy: TablePolicy,
        columns: Sequence[str],
        *,
        rows: Sequence[str] = (),
        limit: int = 10,
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Key labels and raw values of ``columns`` for ``rows`` (key values) or the first
        ``limit`` rows (for ``guardrail reveal``)."""
        keys, key_types = self._key(table, policy)
        q, ph = self._q, self._ph
        key_sql = self._key_sql(keys)
        cols_sql = ", ".join(q(c) for c in columns)
        sql = f"SELECT {key_sql}, {cols_sql} FROM {q(table)}"
        params: list[Any] = []
        if rows:
            if len(keys) != 1:
                raise ConfigError(
                    f"table '{table}' has a composite key; select rows with --limit",
                )
            sql += f" WHERE {key_sql} IN ({', '.join(ph for _ in rows)})"
            for r in rows:
                try:
                    params.append(_convert(r, key_types[0]))
                except ValueError:
                    raise ConfigError(f"'{r[:40]}' is not a key of table '{table}'") from None
        sql += f" ORDER BY {key_sql} LIMIT {int(limit if not rows else len(rows))}"
        try:
            with self._engine.connect() as conn:
                result = conn.exec_driver_sql(self._bindable(sql), tuple(params)).fetchall()
        except SQLAlchemyError as exc:
            raise self._data_error(table, exc) from None
        nk = len(keys)
        labels = ["/".join(str(v) for v in r[:nk]) for r in result]
        values = [dict(zip(columns, r[nk:], strict=True)) for r in result]
        return labels, values

    def close(self) -> None:
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlSource({self.display!r})"


def _params(
    values: list[list[Any]], keys: list[tuple[Any, ...]], changed: list[int], n: int
) -> Iterable[tuple[Any, ...]]:
    """UPDATE parameters (new values, then key values) for the ``changed`` rows."""
    cols: list[Sequence[Any]] = [*values, *keys]
    if len(changed) == n:
        return zip(*cols, strict=True)
    if len(changed) == 1:
        i = changed[0]
        return [tuple(c[i] for c in cols)]
    pick = operator.itemgetter(*changed)
    return list(zip(*(pick(c) for c in cols), strict=True))


def _redact_all(text: str) -> str:
    import re

    return re.sub(r"://([^/@:\s]*):[^/@\s]*@", r"://\1:***@", text)


def _key_to_json(key: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for v in key:
        if isinstance(v, (int, str)) and not isinstance(v, bool):
            out.append(v)
        elif isinstance(v, (datetime, date)):
            out.append(v.isoformat())
        elif isinstance(v, Decimal):
            out.append(format(v, "f"))
        else:
            out.append(str(v))
    return out


def _convert(value: Any, kind: Any) -> Any:
    if kind is int:
        return int(value)
    if kind is datetime:
        return datetime.fromisoformat(str(value))
    if kind is date:
        return date.fromisoformat(str(value))
    if kind is Decimal:
        return Decimal(str(value))
    return value


def _key_from_json(position: Any, kinds: list[Any]) -> tuple[Any, ...]:
    if not isinstance(position, list) or len(position) != len(kinds):
        raise ConfigError(
            "the protect checkpoint does not match the table's key",
            hint="the key columns changed since the interrupted run; restore them to resume",
        )
    return tuple(_convert(v, k) for v, k in zip(position, kinds, strict=True))
