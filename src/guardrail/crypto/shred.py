"""Crypto-shredding: per-subject data keys, so forgetting a subject erases every copy.

Each data subject gets a random AES-256 data key, kept in a key store (a SQL table; SQLite by
default, PostgreSQL or MySQL/MariaDB for shared deployments) *wrapped* under the keyring, and
looked up by a keyed pseudonym of the subject id (the store never holds the raw id). Values are
encrypted under the subject's key into ``gr1:`` tokens (version 0x03) naming the key's id.

``forget(subject)`` destroys the subject's keys. From then on every token made for that
subject — in the primary database, replicas, exports, logs and **backups** — is unreadable:
erasure under GDPR Art. 17 and deletion under PIPL Art. 47 without rewriting backups.

Caveats (see docs/protection.md): the key store itself must not be kept in long-lived backups
(or its backups must expire quickly), and a process that already cached a key keeps it until
it calls :meth:`SubjectKeyStore.forget` or :meth:`SubjectKeyStore.clear_cache`. SQLite stores
are opened with ``secure_delete`` so destroyed rows are overwritten on disk.
"""

from __future__ import annotations

import os
import secrets
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from guardrail.crypto import _token
from guardrail.crypto._util import Unpicklable
from guardrail.crypto.fields import FieldEncryptor, check_context
from guardrail.crypto.keys import Keyring
from guardrail.crypto.pseudonym import Pseudonymizer
from guardrail.errors import CryptoError, InvalidCiphertext, redact_url

__all__ = ["SubjectEncryptor", "SubjectKeyStore"]

TABLE = "guardrail_subject_keys"
_SUBJECT_KEY_ID_BYTES = 16
_AAD_TAG = b"gr1|subject|"
_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}

_meta = sa.MetaData()
_keys = sa.Table(
    TABLE,
    _meta,
    sa.Column("key_id", sa.String(32), primary_key=True),
    # Keyed pseudonym of the subject id; NULL once the subject is forgotten (tombstone).
    sa.Column("subject_ref", sa.String(64), nullable=True, unique=True),
    sa.Column("wrapped_key", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=True),
)


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise CryptoError("at= must be an aware datetime")
    return at


class SubjectKeyStore(Unpicklable):
    """Per-subject data keys in a SQL table, wrapped under ``keyring``.

    >>> store = SubjectKeyStore("sqlite:///subject-keys.db", keyring=kr)   # doctest: +SKIP
    >>> enc = store.encryptor(context="shop.orders.address")                # doctest: +SKIP
    >>> token = enc.encrypt("customer:42", "广东省深圳市南山区科技园路1号")   # doctest: +SKIP
    >>> store.forget("customer:42")                                          # doctest: +SKIP
    1
    """

    __slots__ = ("_cache", "_cache_size", "_display", "_engine", "_keyring", "_refs", "_wrap")

    def __init__(
        self,
        url: str = "sqlite:///guardrail-subject-keys.db",
        *,
        keyring: Keyring,
        base_dir: Path | None = None,
        cache_size: int = 4096,
    ) -> None:
        self._display = redact_url(url)
        self._keyring = keyring
        self._refs = Pseudonymizer(keyring, context="guardrail.shred.subject")
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = max(cache_size, 0)
        self._engine = self._open(url, base_dir or Path())
        try:
            _meta.create_all(self._engine)
        except SQLAlchemyError as exc:
            raise self._fail("creating the key table", exc) from None

    # -- connection ----------------------------------------------------------------------

    def _open(self, url: str, base_dir: Path) -> Engine:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise CryptoError(
                f"cannot parse key-store URL {self._display}",
                hint="write it like sqlite:///subject-keys.db or postgresql://user@host/db",
            ) from None
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            db = parsed.database or ""
            if not db or db == ":memory:":
                raise CryptoError(
                    "an in-memory key store would forget every key on exit",
                    hint="use sqlite:///path/to/subject-keys.db",
                )
            path = Path(db) if Path(db).is_absolute() else base_dir / db
            fresh = not path.exists()
            try:
                engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
            except SQLAlchemyError as exc:
                raise self._fail("opening", exc) from None

            @sa.event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA secure_delete = ON")  # overwrite destroyed keys on disk
                cur.execute("PRAGMA busy_timeout = 30000")
                cur.close()

            if fresh:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch(mode=0o600)
                except OSError as exc:
                    raise CryptoError(f"cannot create {path} ({exc.strerror})") from None
            return engine
        if backend not in _DRIVERS:
            raise CryptoError(
                f"unsupported key-store database '{backend}'",
                hint="use sqlite, postgresql, mysql or mariadb",
            )
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername=f"{backend}+{_DRIVERS[backend]}")
        try:
            return sa.create_engine(parsed, poolclass=sa.pool.NullPool)
        except (NoSuchModuleError, ImportError):
            raise CryptoError(
                f"the database driver for {self._display} is not installed",
                hint=f"pip install 'guardrail[{'postgres' if backend == 'postgresql' else 'mysql'}]'",
            ) from None

    def _fail(self, action: str, exc: BaseException) -> CryptoError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0][:200] if detail else type(exc).__name__
        return CryptoError(
            f"{action} failed for key store {self._display}: {first}",
            hint="check the URL and that the server is running",
        )

    def close(self) -> None:
        self._cache.clear()
        self._engine.dispose()

    def __enter__(self) -> SubjectKeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keys ----------------------------------------------------------------------------

    def _wrapper(self, key_id: str) -> FieldEncryptor:
        return FieldEncryptor(self._keyring, context="guardrail.shred.key/" + key_id)

    def _remember(self, key_id: str, key: bytes) -> None:
        if self._cache_size:
            self._cache[key_id] = key
            self._cache.move_to_end(key_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _subject_ref(self, subject: str) -> tuple[str, ...]:
        if not isinstance(subject, str) or not subject:
            raise CryptoError("a subject id must be a non-empty string")
        return self._refs.pseudonyms(subject)

    def key_for(self, subject: str, *, at: datetime | None = None) -> tuple[str, bytes]:
        """The subject's active ``(key id, data key)``, created on first use."""
        refs = self._subject_ref(subject)
        try:
            with self._engine.begin() as conn:
                row = conn.execute(
                    sa.select(_keys.c.key_id, _keys.c.wrapped_key).where(
                        _keys.c.subject_ref.in_(refs), _keys.c.wrapped_key.is_not(None)
                    )
                ).first()
                if row is not None:
                    key_id = str(row[0])
                    cached = self._cache.get(key_id)
                    if cached is not None:
                        return key_id, cached
                    key = self._wrapper(key_id).decrypt_bytes(str(row[1]))
                    self._remember(key_id, key)
                    return key_id, key
                key_id = secrets.token_bytes(_SUBJECT_KEY_ID_BYTES).hex()
                key = secrets.token_bytes(32)
                conn.execute(
                    _keys.insert().values(
                        key_id=key_id,
                        subject_ref=refs[0],
                        wrapped_key=self._wrapper(key_id).encrypt_bytes(key),
                        created_at=_now(at),
                        forgotten_at=None,
                    )
                )
        except IntegrityError:  # another process created it first: use theirs
            return self.key_for(subject, at=at)
        except SQLAlchemyError as exc:
            raise self._fail("reading a subject key", exc) from None
        self._remember(key_id, key)
        return key_id, key

    def _key_by_id(self, key_id: str) -> bytes | None:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        try:
            with self._engine.connect() as conn:
                wrapped = conn.execute(
                    sa.select(_keys.c.wrapped_key).where(_keys.c.key_id == key_id)
                ).scalar()
        except SQLAlchemyError as exc:
            raise self._fail("reading a subject key", exc) from None
        if wrapped is None:
            return None
        key = self._wrapper(key_id).decrypt_bytes(str(wrapped))
        self._remember(key_id, key)
        return key

    def has_key(self, subject: str) -> bool:
        """True if the subject has an active (not forgotten) key."""
        refs = self._subject_ref(subject)
        try:
            with self._engine.connect() as conn:
                n = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(_keys)
                    .where(_keys.c.subject_ref.in_(refs), _keys.c.wrapped_key.is_not(None))
                ).scalar_one()
        except SQLAlchemyError as exc:
            raise self._fail("reading a subject key", exc) from None
        return bool(n)

    def forget(self, subject: str, *, at: datetime | None = None) -> int:
        """Destroy the subject's keys; returns how many were destroyed (0 if none existed).

        A tombstone keeps the key id and the time (no subject reference, no key), so an audit
        can count erasures.
        """
        refs = self._subject_ref(subject)
        when = _now(at)
        try:
            with self._engine.begin() as conn:
                ids = [
                    str(r[0])
                    for r in conn.execute(
                        sa.select(_keys.c.key_id).where(_keys.c.subject_ref.in_(refs))
                    )
                ]
                if ids:
                    conn.execute(
                        _keys.update()
                        .where(_keys.c.key_id.in_(ids))
                        .values(subject_ref=None, wrapped_key=None, forgotten_at=when)
                    )
        except SQLAlchemyError as exc:
            raise self._fail("forgetting a subject", exc) from None
        for key_id in ids:
            self._cache.pop(key_id, None)
        return len(ids)

    def clear_cache(self) -> None:
        """Drop cached keys (call in long-running processes after another one forgot)."""
        self._cache.clear()

    def counts(self) -> tuple[int, int]:
        """``(active keys, destroyed keys)``."""
        try:
            with self._engine.connect() as conn:
                active = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(_keys)
                    .where(_keys.c.wrapped_key.is_not(None))
                ).scalar_one()
                total = conn.execute(sa.select(sa.func.count()).select_from(_keys)).scalar_one()
        except SQLAlchemyError as exc:
            raise self._fail("counting subject keys", exc) from None
        return int(active), int(total) - int(active)

    def rewrap(self) -> int:
        """Re-wrap every active key under the keyring's primary key (after a rotation)."""
        n = 0
        try:
            with self._engine.begin() as conn:
                rows = conn.execute(
                    sa.select(_keys.c.key_id, _keys.c.wrapped_key).where(
                        _keys.c.wrapped_key.is_not(None)
                    )
                ).all()
                for key_id, wrapped in rows:
                    enc = self._wrapper(str(key_id))
                    if enc.needs_rotation(str(wrapped)):
                        conn.execute(
                            _keys.update()
                            .where(_keys.c.key_id == key_id)
                            .values(wrapped_key=enc.rotate(str(wrapped)))
                        )
                        n += 1
        except SQLAlchemyError as exc:
            raise self._fail("re-wrapping subject keys", exc) from None
        return n

    def encryptor(self, context: str) -> SubjectEncryptor:
        return SubjectEncryptor(self, context)

    def __repr__(self) -> str:
        return f"SubjectKeyStore({self._display!r})"


class SubjectEncryptor(Unpicklable):
    """Encrypt values of one field under each subject's own data key."""

    __slots__ = ("_aad", "_context", "_store")

    def __init__(self, store: SubjectKeyStore, context: str) -> None:
        self._store = store
        self._context = check_context(context)
        self._aad = context.encode("utf-8")

    def _aad_for(self, head: bytes) -> bytes:
        return _AAD_TAG + head + b"|" + self._aad

    def encrypt(self, subject: str, value: str, *, at: datetime | None = None) -> str:
        """A token for ``value`` that only the subject's key (while it exists) decrypts."""
        key_id, key = self._store.key_for(subject, at=at)
        head = bytes([_token.V_SUBJECT]) + bytes.fromhex(key_id)
        nonce = os.urandom(12)
        ct = AESGCM(key).encrypt(nonce, value.encode("utf-8"), self._aad_for(head))
        return _token.encode(head + nonce + ct)

    def decrypt(self, token: str) -> str:
        """The value; ``InvalidCiphertext`` if tampered, for another field, or forgotten."""
        raw = _token.decode(token, _token.V_SUBJECT)
        head = raw[: 1 + _SUBJECT_KEY_ID_BYTES]
        key = self._store._key_by_id(head[1:].hex())
        if key is None:
            raise InvalidCiphertext()
        body = raw[len(head) :]
        try:
            data = AESGCM(key).decrypt(body[:12], body[12:], self._aad_for(head))
            return data.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise InvalidCiphertext() from None

    def __repr__(self) -> str:
        return f"SubjectEncryptor(context={self._context!r})"
