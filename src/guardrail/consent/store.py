"""SQL storage for the consent registry: SQLite (WAL) by default, PostgreSQL on a server.

This is the only consent module that imports SQLAlchemy. SQLAlchemy owns URLs, drivers,
pooling, the schema and the cold paths. The two hot paths (appending events, reading a
subject's events for a status look-up) run prepared SQL on driver connections the store
checks out of SQLAlchemy once and keeps (autocommit mode, explicit transactions): per call
that saves SQLAlchemy's statement and result set-up, which otherwise costs more than the
indexed query itself.

Append-only, twice over:

* Writers serialise on the chain head: SQLite takes the write lock up front
  (``BEGIN IMMEDIATE``), PostgreSQL locks the head row (``SELECT ... FOR UPDATE``). Each
  transaction reads the head, numbers and links its events, inserts them and moves the head,
  so concurrent writers (threads or processes) never fork the chain, and a writer killed
  mid-batch leaves nothing of its batch behind.
* Database triggers refuse ``DELETE`` and ``TRUNCATE`` and every ``UPDATE`` except the one
  erasure performs. Someone who can drop triggers can still edit rows; the hash chain is what
  makes that visible (``verify``).
"""

# ruff: noqa: S608 - SQL here is assembled from this module's constant identifiers and driver
# placeholders; every value is a bound parameter. (An import mapping's query: is the operator's
# own configuration, like a manifest, and runs read-only.)

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from guardrail.consent.events import COLUMNS, GENESIS, Row, link
from guardrail.consent.state import STATE_COLUMNS, StateRow, StateTuple
from guardrail.errors import ConfigError, ConnectorError, GuardrailError, redact_url

__all__ = [
    "DEFAULT_CACHE_MB",
    "SCHEMA_VERSION",
    "SUBJECT_INDEX",
    "ConsentStore",
    "Content",
    "read_source",
]

SCHEMA_VERSION = "1"
#: Page cache of the connection that serves look-ups and appends (SQLite): it grows with use,
#: up to this size, and keeps the look-up index in memory (the OS page cache may not).
DEFAULT_CACHE_MB = 1024
EVENTS = "guardrail_consent_events"
HEAD = "guardrail_consent_head"
META = "guardrail_consent_meta"
CATALOGS = "guardrail_consent_catalogs"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DRIVERS = {"postgresql": "psycopg"}
#: region, minor_age, guardian, evidence, evidence_ref, expires_at, erased_by of a common event.
_NO_EXTRAS = (None,) * 7
#: Transactions a group-commit writer runs back to back for callers that queued meanwhile
#: before it returns (the others then take over): bounds the writer's own latency.
_GROUP_ROUNDS = 8
_PG_LOCK_ID = 0x6775617264  # advisory lock serialising schema creation ("guard")

#: What a writer hands the store: ``Row`` without ``seq``, ``erased_by`` and ``chain``.
Content = tuple[Any, ...]

_metadata = sa.MetaData()
_seq_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: rowid alias

_events = sa.Table(
    EVENTS,
    _metadata,
    sa.Column("seq", _seq_type, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(32), nullable=True),
    sa.Column("subject", sa.String(128), nullable=True),
    sa.Column("purpose", sa.String(128), nullable=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("occurred_at", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
    sa.Column("notice_version", sa.String(64), nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("separate_consent", sa.SmallInteger, nullable=False),
    sa.Column("gpc", sa.SmallInteger, nullable=False),
    sa.Column("region", sa.String(8), nullable=True),
    sa.Column("minor_age", sa.SmallInteger, nullable=True),
    sa.Column("guardian", sa.String(128), nullable=True),
    sa.Column("evidence", sa.String(24), nullable=True),
    sa.Column("evidence_ref", sa.String(200), nullable=True),
    sa.Column("expires_at", sa.BigInteger, nullable=True),
    sa.Column("erased_by", sa.BigInteger, nullable=True),
    sa.Column("digest", sa.LargeBinary(32), nullable=False),
    sa.Column("chain", sa.LargeBinary(32), nullable=False),
    sa.Index("ux_guardrail_consent_event_id", "event_id", unique=True),
)
# The look-up index *covers* a status query: the subject's entries sit together, in occurrence
# order, with every column state derivation reads, so a look-up touches one or two index pages
# and never the table (events of one subject are spread over the whole table).
_STATE_INCLUDE = (
    "purpose, action, notice_version, separate_consent, gpc, region, minor_age, guardian, "
    "expires_at"
)
SUBJECT_INDEX = {
    "sqlite": f"CREATE INDEX IF NOT EXISTS ix_guardrail_consent_subject ON {EVENTS} "
    f"(subject, occurred_at, seq, {_STATE_INCLUDE})",
    "postgresql": f"CREATE INDEX IF NOT EXISTS ix_guardrail_consent_subject ON {EVENTS} "
    f"(subject, occurred_at, seq) INCLUDE ({_STATE_INCLUDE})",
}
_head = sa.Table(
    HEAD,
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("chain", sa.LargeBinary(32), nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
_meta = sa.Table(
    META,
    _metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
_catalogs = sa.Table(
    CATALOGS,
    _metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("set_at", sa.BigInteger, nullable=False),
)

_GUARD = (
    "NEW.erased_by IS NULL OR OLD.erased_by IS NOT NULL OR NEW.seq <> OLD.seq"
    " OR NEW.digest <> OLD.digest OR NEW.chain <> OLD.chain OR NEW.action <> OLD.action"
    " OR NEW.occurred_at <> OLD.occurred_at OR NEW.recorded_at <> OLD.recorded_at"
)
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {EVENTS}_no_delete BEFORE DELETE ON {EVENTS} "
    f"BEGIN SELECT RAISE(ABORT, '{EVENTS} is append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {EVENTS}_no_update BEFORE UPDATE ON {EVENTS} "
    f"WHEN {_GUARD} BEGIN SELECT RAISE(ABORT, '{EVENTS} is append-only'); END",
)
_PG_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION {EVENTS}_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR {_GUARD} THEN
    RAISE EXCEPTION '{EVENTS} is append-only';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {EVENTS}_append_only ON {EVENTS}",
    f"CREATE TRIGGER {EVENTS}_append_only BEFORE UPDATE OR DELETE ON {EVENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {EVENTS}_append_only()",
    f"DROP TRIGGER IF EXISTS {EVENTS}_no_truncate ON {EVENTS}",
    f"CREATE TRIGGER {EVENTS}_no_truncate BEFORE TRUNCATE ON {EVENTS} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {EVENTS}_append_only()",
)


class ConsentStore:
    """The registry's tables on one database. Thread-safe; one per process is enough."""

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        create: bool = True,
        base_dir: Path | None = None,
        cache_mb: int = DEFAULT_CACHE_MB,
    ) -> None:
        if isinstance(url, os.PathLike):  # a file path: a SQLite registry there
            url = "sqlite:///" + os.fspath(url)
        self.display = redact_url(url)
        self._cache_kib = max(2, int(cache_mb)) * 1024
        try:
            parsed = make_url(url)
        except ArgumentError:
            as_file = f"; for the file {self.display}: sqlite:///{self.display}"
            raise ConfigError(
                f"cannot parse consent registry URL '{self.display}'",
                hint="write it like sqlite:///consent.db or postgresql://user@host/db"
                + (as_file if "://" not in url and "@" not in url else ""),
            ) from None
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"unsupported database '{backend}' for the consent registry",
                hint="use sqlite:///path.db (default) or postgresql://user@host/db",
            )
        self.dialect = backend
        self._sqlite = backend == "sqlite"
        self._ph = "?" if backend == "sqlite" else "%s"
        self._memory = backend == "sqlite" and (parsed.database or "") in ("", ":memory:")
        if backend == "sqlite":
            self._engine = self._sqlite_engine(parsed, create=create, base_dir=base_dir)
        else:
            if "+" not in parsed.drivername:
                parsed = parsed.set(drivername=f"postgresql+{_DRIVERS['postgresql']}")
            try:
                self._engine = sa.create_engine(
                    parsed, connect_args={"connect_timeout": 10}, pool_size=8, max_overflow=8
                )
            except (NoSuchModuleError, ImportError):
                raise ConnectorError(
                    f"the PostgreSQL driver for {self.display} is not installed",
                    hint="pip install 'guardrail[postgres]'",
                ) from None
        self._prepare_sql()
        self._idle: list[Any] = []
        self._owned: list[Any] = []
        self._lock = threading.Lock()
        self._main: Any = None
        self._last_head: tuple[int, bytes] | None = None  # written last by ``_main``
        self._lookup_cursor: Any = None  # on ``_main``
        self._main_lock = threading.Lock()
        self._group = threading.Lock()  # guards _queue and _writing
        self._queue: list[list[Any]] = []
        self._writing = False
        self._dbapi_error: type[Exception] = self._engine.dialect.loaded_dbapi.Error
        self._open(create=create)

    # -- engine and schema ---------------------------------------------------------------

    def _sqlite_engine(self, url: sa.URL, *, create: bool, base_dir: Path | None) -> Engine:
        database = url.database or ""
        memory = database in ("", ":memory:")
        if memory:
            target = ":memory:"
            pool: Any = sa.pool.StaticPool
        else:
            path = Path(database)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            shown = str(path)
            if path.exists():
                if not path.is_file():
                    raise ConnectorError(f"consent registry {shown} is not a file")
                with path.open("rb") as fh:
                    header = fh.read(16)
                if header and header != _SQLITE_MAGIC:
                    raise ConnectorError(
                        f"{shown} is not a SQLite database (or is corrupt)",
                        hint="point --registry at a consent registry file",
                    )
            elif not create:
                raise ConnectorError(
                    f"consent registry not found: {shown}",
                    hint="record or import events first, or check --registry",
                )
            elif not path.parent.is_dir():
                raise ConnectorError(
                    f"the folder of consent registry {shown} does not exist",
                    hint="create the folder or choose another path",
                )
            target = str(path)
            pool = sa.pool.QueuePool

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 60000")
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives a killed process; a power cut may lose the
            # last commits but never half a transaction or a link of the chain.
            conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint (copy the WAL into the database and sync it) every 64 MiB instead of
            # every 4 MiB: the sync is what a commit waits for, and rarer checkpoints also
            # write pages that several commits touched (the head, the index edges) once.
            conn.execute("PRAGMA wal_autocheckpoint = 16384")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = MEMORY")
            if not memory:
                # Reads through a memory map skip a system call and a copy per page: random
                # index pages of a large registry cost far less (writes still go to the WAL).
                conn.execute("PRAGMA mmap_size = 8589934592")
            return conn

        kwargs: dict[str, Any] = {"creator": connect, "poolclass": pool}
        if pool is sa.pool.QueuePool:
            kwargs.update(pool_size=8, max_overflow=16)
        return sa.create_engine("sqlite://", **kwargs)

    def _prepare_sql(self) -> None:
        p = self._ph
        cols = ", ".join(COLUMNS)
        self._insert_sql = f"INSERT INTO {EVENTS} ({cols}) VALUES ({', '.join([p] * len(COLUMNS))})"
        # The common event (no region, minor, guardian, evidence, expiry; not erased): those
        # columns are left to their NULL default. The sqlite3 module runs its adaptation
        # protocol for every None and bytes parameter (attribute look-ups per value); this
        # statement binds neither (the digests go in as bytearrays).
        common = (*COLUMNS[:11], "digest", "chain")
        self._insert_common_sql = (
            f"INSERT INTO {EVENTS} ({', '.join(common)}) VALUES ({', '.join([p] * len(common))})"
        )
        self._begin_write = "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN"
        lock = "" if self.dialect == "sqlite" else " FOR UPDATE"
        self._head_sql = f"SELECT seq, chain FROM {HEAD} WHERE id = 1{lock}"
        self._move_head_sql = (
            f"UPDATE {HEAD} SET seq = {p}, chain = {p}, updated_at = {p} WHERE id = 1"
        )
        self._move_known_head_sql = (
            f"UPDATE {HEAD} SET seq = {p}, chain = {p}, updated_at = {p} "
            f"WHERE id = 1 AND seq = {p} AND chain = {p}"
        )
        self._state_sql = (
            f"SELECT {', '.join(STATE_COLUMNS)} FROM {EVENTS} WHERE subject = {p} "
            "ORDER BY occurred_at, seq"
        )
        self._state_many_sql = (
            f"SELECT {', '.join(STATE_COLUMNS)} FROM {EVENTS} WHERE subject IN ({{}}) "
            "ORDER BY occurred_at, seq"
        )
        # One purpose's look-up reads only the rows state derivation can use: up to the
        # instant asked for, of this purpose or of every purpose, and any row carrying an
        # opt-out signal or a region (both apply across purposes). The covering index holds
        # these columns, so the filter runs on index entries and fewer rows reach Python.
        relevant = (
            f"AND occurred_at <= {p} "
            f"AND (purpose = {p} OR purpose IS NULL OR gpc <> 0 OR region IS NOT NULL) "
            "ORDER BY occurred_at, seq"
        )
        self._state_one_sql = (
            f"SELECT {', '.join(STATE_COLUMNS)} FROM {EVENTS} WHERE subject = {p} {relevant}"
        )
        self._state_one_many_sql = (
            f"SELECT {', '.join(STATE_COLUMNS)} FROM {EVENTS} WHERE subject IN ({{}}) {relevant}"
        )
        self._history_sql = f"SELECT {cols} FROM {EVENTS} WHERE subject IN ({{}}) ORDER BY seq"
        self._by_event_sql = f"SELECT {cols} FROM {EVENTS} WHERE event_id = {p}"
        self._by_seq_sql = f"SELECT {cols} FROM {EVENTS} WHERE seq = {p}"
        self._range_sql = f"SELECT {cols} FROM {EVENTS} WHERE seq > {p} ORDER BY seq"
        self._window_sql = (
            f"SELECT {cols} FROM {EVENTS} WHERE seq >= {p} AND seq <= {p} ORDER BY seq"
        )
        self._upsert_meta_sql = (
            f"INSERT INTO {META} (key, value) VALUES ({p}, {p}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )

    def _open(self, *, create: bool) -> None:
        try:
            with self._engine.connect() as conn:
                present = sa.inspect(conn).has_table(EVENTS)
            if not present and not create:
                raise ConnectorError(
                    f"{self.display} holds no consent registry",
                    hint="record or import events first, or check --registry",
                )
            with self._write() as conn:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")
                if not sa.inspect(conn).has_table(EVENTS):
                    _metadata.create_all(conn, checkfirst=True)
                    conn.exec_driver_sql(SUBJECT_INDEX[self.dialect])
                    for ddl in _SQLITE_TRIGGERS if self.dialect == "sqlite" else _PG_TRIGGERS:
                        conn.exec_driver_sql(ddl)
                    conn.execute(sa.insert(_head).values(id=1, seq=0, chain=GENESIS, updated_at=0))
                    conn.execute(
                        sa.insert(_meta).values(key="schema_version", value=SCHEMA_VERSION)
                    )
                version = conn.execute(
                    sa.select(_meta.c.value).where(_meta.c.key == "schema_version")
                ).scalar()
            if version != SCHEMA_VERSION:
                raise ConfigError(
                    f"{self.display} has consent registry schema {version!r}; this guardrail "
                    f"reads schema {SCHEMA_VERSION}",
                    hint="upgrade guardrail",
                )
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise ConnectorError(
                f"cannot open consent registry {self.display} ({_why(exc)})",
                hint="check the URL, that the server is running and that you may write to it",
            ) from None
        except GuardrailError:
            self._engine.dispose()
            raise

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction holding the write lock (SQLite) from its first statement."""
        with self._engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction with one consistent snapshot."""
        with self._engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN")
            else:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            try:
                yield conn
            finally:
                conn.rollback()

    def _checkout(self) -> Any:
        """A driver connection in autocommit mode, owned by the store (not the pool)."""
        try:
            return self._idle.pop()
        except IndexError:
            pass
        fairy = self._engine.raw_connection()
        conn = fairy.driver_connection
        if self._memory:
            # One in-memory database = one connection, shared with SQLAlchemy (StaticPool);
            # such a registry is for examples and tests, used from one thread.
            self._idle.append(conn)
            return conn
        fairy.detach()
        if conn is None:
            raise GuardrailError(f"cannot connect to consent registry {self.display}")
        if self.dialect == "postgresql":
            conn.autocommit = True
        with self._lock:
            self._owned.append(conn)
        return conn

    def _checkin(self, conn: Any) -> None:
        if not self._memory:
            self._idle.append(conn)

    def _discard(self, conn: Any) -> None:
        if self._memory:
            return
        with self._lock, contextlib.suppress(Exception):
            self._owned.remove(conn)
            conn.close()

    @contextlib.contextmanager
    def _hot(self) -> Iterator[Any]:
        """The connection for the hot paths. SQLite: one long-lived connection with a large
        page cache, shared under a lock (a SQLite connection runs one statement at a time
        anyway), so the look-up index stays in memory across calls and threads. PostgreSQL:
        a pooled connection (the server caches)."""
        if self.dialect != "sqlite":
            conn = self._checkout()
            try:
                yield conn
            except BaseException:
                self._discard(conn)
                raise
            self._checkin(conn)
            return
        with self._main_lock:
            conn = self._main_conn()
            try:
                yield conn
            except self._dbapi_error:
                self._drop_main()
                raise

    def _main_conn(self) -> Any:
        """The long-lived SQLite connection of the hot paths (``_main_lock`` held). The hot
        methods take the lock themselves instead of entering :meth:`_hot`: a generator
        context manager costs more per call than the lock."""
        conn = self._main
        if conn is None:
            conn = self._checkout()
            conn.execute(f"PRAGMA cache_size = -{self._cache_kib}")
            self._main = conn
        return conn

    def _drop_main(self) -> None:
        """Discard the hot SQLite connection after a driver error (``_main_lock`` held)."""
        self._last_head = None
        self._lookup_cursor = None
        if not self._memory and self._main is not None:
            self._discard(self._main)
            self._main = None

    def warm(self) -> int:
        """Read the whole look-up index once (into the hot connection's cache, or the
        server's); returns the number of index entries. Worth it when a service starts."""
        sql = (
            "SELECT count(*), max(action) FROM (SELECT subject, occurred_at, seq, action "
            f"FROM {EVENTS} ORDER BY subject, occurred_at, seq) s"
        )
        try:
            with self._hot() as conn:
                cur = conn.cursor()
                try:
                    cur.execute(sql)
                    count = int(cur.fetchone()[0])
                finally:
                    cur.close()
        except self._dbapi_error as exc:
            raise self._failed_raw("read", exc) from None
        return count

    def close(self) -> None:
        with self._lock:
            owned, self._owned, self._idle = self._owned, [], []
            self._main = None
            self._last_head = None
            self._lookup_cursor = None
        for conn in owned:
            with contextlib.suppress(Exception):
                conn.close()
        self._engine.dispose()

    # -- writes ----------------------------------------------------------------------------

    def append(
        self, items: Sequence[tuple[Content, bytes]], *, meta: Mapping[str, str] | None = None
    ) -> list[Row]:
        """Append events atomically. ``items`` are (content, digest) pairs; content is
        ``Row.content()`` order. Returns the stored rows with their numbers and links."""
        try:
            if self._sqlite:
                with self._main_lock:
                    return self._append_sqlite(items, meta)
            with self._hot() as conn:
                return self._append_on(conn, items, meta)
        except self._dbapi_error as exc:
            raise self._failed_raw("write to", exc) from None

    def _append_sqlite(
        self, items: Sequence[tuple[Content, bytes]], meta: Mapping[str, str] | None
    ) -> list[Row]:
        """SQLite appends on the hot connection (``_main_lock`` held). The head this
        connection wrote last is remembered: the next transaction links to it without reading
        the head row, and moves the head only if it is still there (same number and chain
        value). If another writer (a process, an erasure) moved it meanwhile, that update or
        the insert fails, the transaction is rolled back and run again from the head row."""
        conn = self._main_conn()
        try:
            head = self._last_head
            rows: list[Row] | None = None
            if head is not None:
                self._last_head = None
                try:
                    rows = self._append_on(conn, items, meta, head=head)
                except (_StaleHead, sqlite3.IntegrityError):
                    rows = None  # run again from the head row
            if rows is None:
                rows = self._append_on(conn, items, meta)
        except self._dbapi_error:
            self._drop_main()
            raise
        if rows:
            self._last_head = (rows[-1].seq, rows[-1].chain)
        return rows

    def _append_on(
        self,
        conn: Any,
        items: Sequence[tuple[Content, bytes]],
        meta: Mapping[str, str] | None,
        *,
        head: tuple[int, bytes] | None = None,
    ) -> list[Row]:
        cur = conn.cursor()
        cur.execute(self._begin_write)
        try:
            if head is None:
                cur.execute(self._head_sql)
                seq, chain = cur.fetchone()
                chain = bytes(chain)
            else:
                seq, chain = head
            rows: list[Row] = []
            for content, digest in items:
                seq += 1
                chain = link(chain, digest)
                rows.append(Row._make((seq, *content, None, digest, chain)))
            if len(rows) == 1:
                row = rows[0]
                if self._sqlite and row[11:18] == _NO_EXTRAS:
                    cur.execute(
                        self._insert_common_sql,
                        (*row[:11], bytearray(row.digest), bytearray(row.chain)),
                    )
                else:
                    cur.execute(self._insert_sql, row)
            elif rows:
                cur.executemany(self._insert_sql, rows)
            if rows and head is None:
                cur.execute(self._move_head_sql, (seq, chain, rows[-1].recorded_at))
            elif rows and head is not None:
                cur.execute(
                    self._move_known_head_sql,
                    (seq, bytearray(chain), rows[-1].recorded_at, head[0], bytearray(head[1])),
                )
                if cur.rowcount != 1:
                    raise _StaleHead
            for key, value in (meta or {}).items():
                cur.execute(self._upsert_meta_sql, (key, value))
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        return rows

    def append_one(self, item: tuple[Content, bytes]) -> Row:
        """Append one event with *group commit*. A caller that finds no transaction under way
        writes its event itself; callers that arrive while one is being written queue up, and
        the writing thread, once its commit is done, writes everything that queued meanwhile
        in one more transaction (and so on, a few rounds), so concurrent callers (the HTTP
        service's threads) share commits instead of each waiting for the write lock and then
        its own commit. A single caller sees no difference.

        A waiting caller sleeps on a lock of its own, which the writer releases once that
        caller's event is stored (or failed), or to hand the queue back: only callers whose
        turn it is wake up, not every waiter after every commit."""
        slot: list[Any] = [item, None, None, None]  # item, stored row, error, wake-up lock
        group = self._group
        with group:
            self._queue.append(slot)
        while True:
            with group:
                if slot[1] is not None or slot[2] is not None:
                    break
                if not self._writing:
                    # Not stored and nobody writing: the slot is still queued; write it all.
                    self._writing = True
                    batch, self._queue = self._queue, []
                    wake = None
                else:
                    wake = slot[3] = threading.Lock()
                    wake.acquire()
            if wake is None:
                self._write_rounds(batch)
                break
            wake.acquire()  # released by the writer: stored, failed or handed back
        if slot[2] is not None:
            raise slot[2]
        return cast(Row, slot[1])

    def _write_rounds(self, batch: list[list[Any]]) -> None:
        """Write ``batch``, then (a few rounds) what queued meanwhile; wake each caller whose
        event is done. If the rounds run out, hand the queue back and wake its callers (one
        of them becomes the next writer)."""
        group = self._group
        done = False
        try:
            for _ in range(_GROUP_ROUNDS):
                try:
                    rows = self.append([s[0] for s in batch])
                    for s, row in zip(batch, rows, strict=True):
                        s[1] = row
                except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                    for s in batch:
                        s[2] = exc
                with group:
                    _wake(batch)
                    batch, self._queue = self._queue, []
                    if not batch:
                        self._writing = False
                        done = True
                if done:
                    return
            with group:  # rounds used up: hand the queue back to its waiters
                self._queue[:0] = batch
        finally:
            if not done:
                with group:
                    self._writing = False
                    _wake(self._queue)

    def erase(self, subjects: Sequence[str], tombstone: Any) -> tuple[Row, int] | None:
        """Erase every event of ``subjects`` (one person's pseudonyms) and append the tombstone ``tombstone(pairs)``
        builds from the erased ``(seq, digest)`` pairs; returns (tombstone row, count)."""
        p = self._ph
        try:
            with self._write() as conn:
                seq, chain = conn.exec_driver_sql(self._head_sql).one()
                where = self._in("subject IN ({}) AND erased_by IS NULL", subjects)
                victims = [
                    (int(s), bytes(d))
                    for s, d in conn.exec_driver_sql(
                        f"SELECT seq, digest FROM {EVENTS} WHERE {where} ORDER BY seq",
                        tuple(subjects),
                    )
                ]
                if not victims:
                    return None
                content, digest = tombstone(victims)
                seq += 1
                chain = link(bytes(chain), digest)
                row = Row._make((seq, *content, None, digest, chain))
                conn.exec_driver_sql(self._insert_sql, [row])
                conn.exec_driver_sql(self._move_head_sql, (seq, chain, row.recorded_at))
                conn.exec_driver_sql(
                    f"UPDATE {EVENTS} SET event_id = NULL, subject = NULL, guardian = NULL, "
                    f"evidence_ref = NULL, minor_age = NULL, erased_by = {p} "
                    f"WHERE {where} AND seq < {p}",
                    (seq, *subjects, seq),
                )
            return row, len(victims)
        except SQLAlchemyError as exc:
            raise self._failed("erase in", exc) from None

    def save_catalog(self, digest: str, body: str, at_us: int) -> int:
        """Store a catalog version unless it is already the current one; returns its version."""
        try:
            with self._write() as conn:
                current = conn.execute(
                    sa.select(_catalogs.c.version, _catalogs.c.digest)
                    .order_by(_catalogs.c.version.desc())
                    .limit(1)
                ).first()
                if current is not None and current.digest == digest:
                    return int(current.version)
                version = 1 if current is None else int(current.version) + 1
                conn.execute(
                    sa.insert(_catalogs).values(
                        version=version, digest=digest, body=body, set_at=at_us
                    )
                )
                return version
        except SQLAlchemyError as exc:
            raise self._failed("write to", exc) from None

    def set_meta(self, key: str, value: str) -> None:
        try:
            with self._write() as conn:
                conn.exec_driver_sql(self._upsert_meta_sql, (key, value))
        except SQLAlchemyError as exc:
            raise self._failed("write to", exc) from None

    # -- reads -----------------------------------------------------------------------------

    def _in(self, template: str, subjects: Sequence[str]) -> str:
        return template.format(", ".join([self._ph] * len(subjects)))

    def state_rows(self, subjects: Sequence[str]) -> list[StateRow]:
        """The events of a subject (its pseudonyms under every key) in occurrence order, with
        the columns state derivation needs."""
        return list(map(StateRow._make, self.state_tuples(subjects)))

    def state_tuples(
        self, subjects: Sequence[str], *, purpose: str | None = None, at_us: int | None = None
    ) -> list[StateTuple]:
        """:meth:`state_rows` as the driver's plain tuples (what a look-up folds). With
        ``purpose`` and ``at_us``: only the rows that can decide that purpose's state at that
        instant (``derive`` ignores the others)."""
        params: Sequence[Any] = subjects
        if purpose is not None and at_us is not None:
            sql = (
                self._in(self._state_one_many_sql, subjects)
                if len(subjects) > 1
                else self._state_one_sql
            )
            params = (*subjects, at_us, purpose)
        elif len(subjects) > 1:
            sql = self._in(self._state_many_sql, subjects)
        else:
            sql = self._state_sql
        if self._sqlite:
            with self._main_lock:
                try:
                    # One cursor kept for look-ups (Connection.execute would create and free
                    # a cursor per call); statements come from the connection's cache.
                    cur = self._lookup_cursor
                    if cur is None:
                        cur = self._lookup_cursor = self._main_conn().cursor()
                    fetched = cur.execute(sql, params).fetchall()
                except self._dbapi_error as exc:
                    self._drop_main()
                    raise self._failed_raw("read", exc) from None
            return cast(list[StateTuple], fetched)
        try:
            with self._hot() as conn, conn.cursor() as cur:
                cur.execute(sql, tuple(params), prepare=True)
                fetched = cur.fetchall()
        except self._dbapi_error as exc:
            raise self._failed_raw("read", exc) from None
        return cast(list[StateTuple], fetched)

    def history(self, subjects: Sequence[str]) -> list[Row]:
        return self._fetch(self._in(self._history_sql, subjects), tuple(subjects))

    def by_event_id(self, event_id: str) -> Row | None:
        rows = self._fetch(self._by_event_sql, (event_id,))
        return rows[0] if rows else None

    def by_seq(self, seq: int) -> Row | None:
        rows = self._fetch(self._by_seq_sql, (seq,))
        return rows[0] if rows else None

    def window(self, first: int, last: int) -> list[Row]:
        return self._fetch(self._window_sql, (first, last))

    def head(self) -> tuple[int, bytes]:
        try:
            with self._engine.connect() as conn:
                seq, chain = conn.exec_driver_sql(
                    f"SELECT seq, chain FROM {HEAD} WHERE id = 1"
                ).one()
            return int(seq), bytes(chain)
        except SQLAlchemyError as exc:
            raise self._failed("read", exc) from None

    def get_meta(self, key: str) -> str | None:
        try:
            with self._engine.connect() as conn:
                value = conn.execute(sa.select(_meta.c.value).where(_meta.c.key == key)).scalar()
            return None if value is None else str(value)
        except SQLAlchemyError as exc:
            raise self._failed("read", exc) from None

    def latest_catalog(self) -> tuple[int, str, str] | None:
        """(version, digest, body) of the current catalog, if any."""
        try:
            with self._engine.connect() as conn:
                row = conn.execute(
                    sa.select(_catalogs.c.version, _catalogs.c.digest, _catalogs.c.body)
                    .order_by(_catalogs.c.version.desc())
                    .limit(1)
                ).first()
            return None if row is None else (int(row.version), str(row.digest), str(row.body))
        except SQLAlchemyError as exc:
            raise self._failed("read", exc) from None

    def scan(
        self, *, after: int = 0, batch: int = 10_000
    ) -> Iterator[tuple[tuple[int, bytes], list[Row]]]:
        """Every event in sequence order, in batches, from one consistent snapshot. The first
        item pairs the head (seq, chain) read in the same snapshot with the first batch."""
        try:
            with self._read() as conn:
                seq, chain = conn.exec_driver_sql(
                    f"SELECT seq, chain FROM {HEAD} WHERE id = 1"
                ).one()
                head = (int(seq), bytes(chain))
                result = conn.execution_options(
                    stream_results=True, max_row_buffer=batch
                ).exec_driver_sql(self._range_sql, (after,))
                while True:
                    chunk = result.fetchmany(batch)
                    if not chunk:
                        break
                    yield head, [_row(r) for r in chunk]
                yield head, []
        except SQLAlchemyError as exc:
            raise self._failed("read", exc) from None

    def scan_subjects(self, *, batch: int = 10_000) -> Iterator[tuple[str, list[StateRow]]]:
        """Every live subject with its events (occurrence order), subject by subject."""
        sql = (
            f"SELECT subject, {', '.join(STATE_COLUMNS)} FROM {EVENTS} "
            "WHERE subject IS NOT NULL ORDER BY subject, occurred_at, seq"
        )
        try:
            with self._read() as conn:
                result = conn.execution_options(
                    stream_results=True, max_row_buffer=batch
                ).exec_driver_sql(sql)
                current: str | None = None
                rows: list[StateRow] = []
                while True:
                    chunk = result.fetchmany(batch)
                    if not chunk:
                        break
                    for r in chunk:
                        if r[0] != current:
                            if current is not None:
                                yield current, rows
                            current, rows = r[0], []
                        rows.append(StateRow(*r[1:]))
                if current is not None:
                    yield current, rows
        except SQLAlchemyError as exc:
            raise self._failed("read", exc) from None

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        try:
            with self._engine.connect() as conn:
                return [_row(r) for r in conn.exec_driver_sql(sql, params)]
        except SQLAlchemyError as exc:
            raise self._failed("read", exc) from None

    def _failed_raw(self, verb: str, exc: Exception) -> GuardrailError:
        return GuardrailError(
            f"cannot {verb} consent registry {self.display} ({_cause(exc)})",
            hint="check that the database is reachable and not full; nothing was half-written",
        )

    def _failed(self, verb: str, exc: SQLAlchemyError) -> GuardrailError:
        return GuardrailError(
            f"cannot {verb} consent registry {self.display} ({_why(exc)})",
            hint="check that the database is reachable and not full; nothing was half-written",
        )

    def __repr__(self) -> str:
        return f"ConsentStore({self.display!r})"


class _StaleHead(Exception):  # an internal signal; never leaves the store
    """The head moved since this connection last wrote it."""


def _wake(slots: Sequence[list[Any]]) -> None:
    """Release the wake-up lock of each waiting slot (group commit; ``_group`` held, which
    also guards the slots' lock field)."""
    for s in slots:
        wake = s[3]
        if wake is not None:
            s[3] = None
            wake.release()


def _row(r: Any) -> Row:
    t = tuple(r)
    return Row._make((*t[:-2], bytes(t[-2]), bytes(t[-1])))


def _why(exc: SQLAlchemyError) -> str:
    """A short cause without the statement or parameters (which may hold pseudonyms)."""
    orig = getattr(exc, "orig", None)
    return _cause(orig if isinstance(orig, BaseException) else exc)


def _cause(exc: BaseException) -> str:
    name = type(exc).__name__
    lines = str(exc).splitlines()
    text = lines[0] if lines else ""
    keep = ("append-only", "locked", "connect", "disk", "full", "readonly", "read-only")
    safe = text if any(k in text for k in keep) else ""
    return f"{name}: {safe[:160]}" if safe else name


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_source(
    url: str,
    *,
    table: str,
    query: str | None,
    key: str,
    after: Any = None,
    batch: int = 5000,
    base_dir: Path | None = None,
) -> tuple[int, Iterator[list[dict[str, Any]]]]:
    """Rows of a source table (or query) ordered by ``key``, after ``after``, in batches;
    with the number of rows to come. Read-only; the URL's password is never shown."""
    shown = redact_url(url)
    for name in (table, key):
        if not _IDENT.match(name):
            raise ConfigError(
                f"'{name[:40]}' is not a plain table or column name",
                hint="use letters, digits and underscores (or a query: in the mapping)",
            )
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConnectorError(
            f"cannot parse source URL {shown}",
            hint="write it like sqlite:///shop.db or postgresql://user@host/db",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise ConnectorError(f"source database not found: {path}", hint="check the path")
        with path.open("rb") as fh:
            if fh.read(16) != _SQLITE_MAGIC:
                raise ConnectorError(f"{path} is not a SQLite database (or is corrupt)")
        uri = f"file:{path.resolve()}?mode=ro"
        engine = sa.create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            poolclass=sa.pool.NullPool,
        )
    elif backend in ("postgresql", "mysql", "mariadb"):
        if "+" not in parsed.drivername:
            driver = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}[backend]
            parsed = parsed.set(drivername=f"{backend}+{driver}")
        try:
            engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
        except (NoSuchModuleError, ImportError):
            raise ConnectorError(
                f"the database driver for {shown} is not installed",
                hint="pip install 'guardrail[postgres]' or 'guardrail[mysql]'",
            ) from None
    else:
        raise ConnectorError(
            f"cannot import consent events from '{backend}' URLs",
            hint="use a SQLite file, a postgresql:// or mysql:// URL, or a CSV/JSONL file",
        )
    prep = engine.dialect.identifier_preparer
    source = f"({query}) AS src" if query else prep.quote(table)
    col = prep.quote(key)
    where = f" WHERE {col} > :after" if after is not None else ""
    params = {"after": after} if after is not None else {}
    try:
        with engine.connect() as conn:
            total = int(
                conn.execute(sa.text(f"SELECT count(*) FROM {source}{where}"), params).scalar() or 0
            )
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConnectorError(
            f"cannot read the consent events of {shown} ({_why(exc)})",
            hint="check the table name, the key column and the mapping's query",
        ) from None

    def batches() -> Iterator[list[dict[str, Any]]]:
        conn = engine.connect()
        try:
            try:
                result = conn.execution_options(stream_results=True).execute(
                    sa.text(f"SELECT * FROM {source}{where} ORDER BY {col}"), params
                )
            except SQLAlchemyError as exc:
                raise ConnectorError(
                    f"cannot read the consent events of {shown} ({_why(exc)})",
                    hint="check the table name, the key column and the mapping's query",
                ) from None
            while True:
                try:
                    chunk = result.mappings().fetchmany(batch)
                except SQLAlchemyError as exc:
                    raise ConnectorError(
                        f"cannot read the consent events of {shown} ({_why(exc)})",
                        hint="check that the source stays reachable during the import",
                    ) from None
                if not chunk:
                    break
                yield [dict(r) for r in chunk]
        finally:
            with contextlib.suppress(Exception):
                conn.close()
            engine.dispose()

    return total, batches()
