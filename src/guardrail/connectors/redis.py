"""Redis: key and value sampling, keys grouped into tables by pattern.

Keys are read with ``SCAN`` (never ``KEYS``) up to a cap and grouped by pattern: the
segments of a key that look like identifiers become ``*`` (``user:1001:profile`` →
``user:*:profile``, ``phone:13812345678`` → ``phone:*``). Each pattern is a table whose rows
are keys: a ``key`` column with the key's variable segments (keys hold personal data too)
and the value — ``value`` for strings, list/set/sorted-set members and stream entries; one
column per field for hashes. Only read commands are issued (``SCAN``, ``TYPE``, ``GET``,
``HGETALL``, ``LRANGE``, ``SRANDMEMBER``, ``ZRANGE``, ``XRANGE``); give guardrail an ACL user
with ``+@read`` (and ``+select`` for a database other than 0) to make that a server-side
guarantee: ``ACL SETUSER guardrail on >secret ~* +@read +select``.

The password comes from the URL (``redis://:secret@host:6379/0``, ``rediss://`` for TLS) or
the ``REDISCLI_AUTH`` environment variable (redis-cli's), and is never printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from guardrail.connectors.base import NoSqlProbes, SampleStrategy, SourceSpec, TextChunk
from guardrail.errors import ConnectorError
from guardrail.model.data import ColumnInfo, ColumnSample, TableInfo, TableSample
from guardrail.plugins import install_hint

__all__ = ["MAX_KEYS", "RedisConnector", "key_pattern"]

#: Keys read with SCAN before grouping (the sample of the key space).
MAX_KEYS = 20_000
#: Members read per list, set, sorted set or stream key.
MEMBERS_PER_KEY = 20
#: Hash fields kept as columns per pattern (the rest are folded into "value").
MAX_FIELDS = 64

_SEP = re.compile(r"([:/|])")
_VARIABLE = re.compile(
    r"[0-9]+|[0-9a-fA-F]{8,}|[0-9a-fA-F-]{32,36}|.*[@.+].*|.*[0-9].*[0-9].*[0-9].*"
)


def key_pattern(key: str) -> str:
    """The key with identifier-like segments replaced by ``*``."""
    parts = _SEP.split(key)
    out = []
    for i, p in enumerate(parts):
        if i % 2 == 0 and p and _VARIABLE.fullmatch(p):
            out.append("*")
        else:
            out.append(p)
    return "".join(out) or "*"


def _variable_part(key: str) -> str:
    parts = _SEP.split(key)
    return " ".join(p for i, p in enumerate(parts) if i % 2 == 0 and p and _VARIABLE.fullmatch(p))


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None  # binary values are not scanned as text
    return str(raw)


class RedisConnector(NoSqlProbes):
    """A Redis database, read with read-only commands."""

    _kind = "Redis"
    _retention_hint = "give the keys a TTL (EXPIRE) and declare it as the retention enforcement"

    def __init__(
        self, spec: SourceSpec, *, max_keys: int = MAX_KEYS, timeout_s: float = 10.0
    ) -> None:
        self._display = spec.display
        self._max_keys = max_keys
        try:
            import redis
        except ImportError:
            raise ConnectorError(
                f"reading {self._display} needs the redis client",
                hint=install_hint("redis"),
            ) from None
        url = spec.url
        # REDISCLI_AUTH (redis-cli's variable) when the URL carries no password.
        password = os.environ.get("REDISCLI_AUTH")
        try:
            if urlsplit(url).password:
                password = None
            self._client = redis.Redis.from_url(
                url,
                socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                decode_responses=False,
                **({"password": password} if password else {}),
            )
        except (ValueError, redis.RedisError) as exc:
            raise ConnectorError(
                f"cannot use Redis URL {self._display} ({type(exc).__name__})",
                hint="write it like redis://[:password@]host:6379/0 (rediss:// for TLS)",
            ) from None
        self._redis = redis
        self._keys: dict[str, list[str]] | None = None
        self._types: dict[str, str] = {}

    @property
    def display(self) -> str:
        return self._display

    def _fail(self, action: str, exc: BaseException) -> ConnectorError:
        return ConnectorError(
            f"{action} failed for {self._display}: {type(exc).__name__}",
            hint="check the URL, that the server is running and that the user may read keys",
        )

    def _scan_keys(self) -> dict[str, list[str]]:
        if self._keys is None:
            groups: dict[str, list[str]] = {}
            seen = 0
            try:
                for raw in self._client.scan_iter(count=1000):
                    key = _text(raw)
                    if key is None:
                        continue
                    groups.setdefault(key_pattern(key), []).append(key)
                    seen += 1
                    if seen >= self._max_keys:
                        break
            except self._redis.RedisError as exc:
                raise self._fail("listing keys", exc) from None
            self._keys = dict(sorted(groups.items()))
        return self._keys

    def _type_of(self, pattern: str, keys: list[str]) -> str:
        if pattern not in self._types:
            try:
                raw = self._client.type(keys[0])
            except self._redis.RedisError as exc:
                raise self._fail("reading key types", exc) from None
            self._types[pattern] = _text(raw) or "none"
        return self._types[pattern]

    def tables(self) -> list[TableInfo]:
        out = []
        for pattern, keys in self._scan_keys().items():
            kind = self._type_of(pattern, keys)
            cols = [ColumnInfo(name="key", type="key"), ColumnInfo(name="value", type=kind)]
            if kind == "hash":
                fields = self._hash_fields(keys[:20])
                cols = [ColumnInfo(name="key", type="key")] + [
                    ColumnInfo(name=f, type="hash field") for f in fields
                ]
            out.append(
                TableInfo(
                    name=pattern, columns=tuple(cols), comment=f"redis {kind}", row_count=len(keys)
                )
            )
        return out

    def _hash_fields(self, keys: list[str]) -> list[str]:
        fields: list[str] = []
        try:
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                pipe.hkeys(k)
            for names in pipe.execute():
                for raw in names:
                    f = _text(raw)
                    if f is not None and f not in fields and len(fields) < MAX_FIELDS:
                        fields.append(f)
        except self._redis.RedisError as exc:
            raise self._fail("reading hash fields", exc) from None
        return fields

    def sample(
        self, table: TableInfo, *, limit: int = 1000, strategy: SampleStrategy = "first"
    ) -> TableSample:
        keys = self._scan_keys().get(table.name, [])
        if strategy == "random":
            import random

            keys = random.Random(0).sample(keys, min(limit, len(keys)))  # noqa: S311
        keys = keys[:limit]
        kind = self._type_of(table.name, keys) if keys else "none"
        names = [c.name for c in table.columns]
        rows: list[dict[str, str | None]] = []
        try:
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                if kind == "string":
                    pipe.get(k)
                elif kind == "hash":
                    pipe.hgetall(k)
                elif kind == "list":
                    pipe.lrange(k, 0, MEMBERS_PER_KEY - 1)
                elif kind == "set":
                    pipe.srandmember(k, MEMBERS_PER_KEY)
                elif kind == "zset":
                    pipe.zrange(k, 0, MEMBERS_PER_KEY - 1)
                elif kind == "stream":
                    pipe.xrange(k, count=MEMBERS_PER_KEY)
                else:
                    pipe.type(k)
            results = pipe.execute() if keys else []
        except self._redis.RedisError as exc:
            raise self._fail(f"sampling keys {table.name}", exc) from None
        for key, res in zip(keys, results, strict=True):
            part = _variable_part(key) or None
            if kind == "hash":
                row: dict[str, str | None] = {"key": part}
                for f, v in (res or {}).items():
                    name = _text(f)
                    if name in names:
                        row[name] = _text(v)
                rows.append(row)
            elif kind == "string":
                rows.append({"key": part, "value": _text(res)})
            elif kind == "stream":
                for _id, fields in res or []:
                    text = " ".join(f"{_text(a)}={_text(b)}" for a, b in fields.items())
                    rows.append({"key": part, "value": text})
            elif kind in ("list", "set", "zset"):
                for member in res or []:
                    rows.append({"key": part, "value": _text(member)})
            else:
                rows.append({"key": part, "value": None})
        columns = tuple(
            ColumnSample(name=n, values=[r.get(n) for r in rows], type=c.type)
            for n, c in zip(names, table.columns, strict=True)
        )
        return TableSample(
            table=table.name, columns=columns, row_count=table.row_count, strategy=strategy
        )

    def texts(self) -> Iterator[TextChunk]:
        return iter(())

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisConnector({self._display!r})"
