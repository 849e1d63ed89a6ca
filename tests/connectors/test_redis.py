"""Redis: keys grouped by pattern, read-only value sampling of every type, credentials."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import REDIS_URL

from guardrail.connectors import open_source
from guardrail.connectors.redis import key_pattern
from guardrail.detect import classify_table
from guardrail.errors import ConnectorError


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("user:1001:profile", "user:*:profile"),
        ("phone:13812345678", "phone:*"),
        ("session:3f2a9c0d1e2b4a5c", "session:*"),
        ("cache|a.b@example.com", "cache|*"),
        ("orders/2024/10/xyz", "orders/*/*/xyz"),
        ("config", "config"),
    ],
)
def test_key_pattern(key: str, pattern: str) -> None:
    assert key_pattern(key) == pattern


def test_bad_url_and_retention_probe() -> None:
    with pytest.raises(ConnectorError, match="cannot use Redis URL"):
        open_source("redis://:pw@127.0.0.1:notaport/0")


@pytest.fixture
def redis_keys() -> Iterator[tuple[Any, str]]:
    """A unique key prefix (letters only, so it is not a variable segment) on the real server;
    only the keys under it are deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        from tests.conftest import _unavailable

        _unavailable("Redis", exc)
    prefix = "gr" + "".join(random.Random(uuid.uuid4().int).choices(string.ascii_lowercase, k=10))
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.mark.integration
def test_keys_and_values_are_sampled_and_classified(redis_keys: tuple[Any, str]) -> None:
    client, p = redis_keys
    for i in range(30):
        uid = 1000 + i
        client.hset(
            f"{p}:member:{uid}",
            mapping={"mobile": f"139{uid:08d}", "email": f"u{uid}@example.com", "level": "gold"},
        )
        client.set(f"{p}:phone:138{uid:08d}", "1")
        client.set(f"{p}:token:{uid}", f"会员{uid}的身份证11010519491231002X")
    client.rpush(f"{p}:sms:queue", *[f"send to 137{i:08d}" for i in range(5)])
    client.sadd(f"{p}:emails:all", "a@example.com", "b@example.com")
    client.zadd(f"{p}:scores:board", {"c@example.com": 1.0})
    client.xadd(f"{p}:events:stream", {"ip": "10.1.2.3", "action": "login"})
    client.set(f"{p}:blob:bin", b"\xff\xfe\x00binary")
    conn = open_source(REDIS_URL)
    try:
        tables = {t.name: t for t in conn.tables() if t.name.startswith(p)}
        assert set(tables) == {
            f"{p}:member:*",
            f"{p}:phone:*",
            f"{p}:token:*",
            f"{p}:sms:queue",
            f"{p}:emails:all",
            f"{p}:scores:board",
            f"{p}:events:stream",
            f"{p}:blob:bin",
        }
        member = tables[f"{p}:member:*"]
        assert member.row_count == 30 and member.comment == "redis hash"
        assert [c.name for c in member.columns] == ["key", "mobile", "email", "level"]
        found: dict[str, set[str]] = {}
        for name, info in tables.items():
            sample = conn.sample(info, limit=50)
            for report in classify_table(sample):
                ents = {e.entity for e in report.entities}
                if ents:
                    found[f"{name.removeprefix(p + ':')}.{report.column}"] = ents
        assert found == {
            "member:*.mobile": {"PHONE_NUMBER"},
            "member:*.email": {"EMAIL_ADDRESS"},
            "phone:*.key": {"PHONE_NUMBER"},  # personal data in key names
            "token:*.value": {"CN_RESIDENT_ID"},
            "sms:queue.value": {"PHONE_NUMBER"},
            "emails:all.value": {"EMAIL_ADDRESS"},
            "scores:board.value": {"EMAIL_ADDRESS"},
            "events:stream.value": {"IP_ADDRESS"},
        }
        blob = conn.sample(tables[f"{p}:blob:bin"], limit=5)
        assert list(blob.column("value").values) == [None]  # binary is not scanned as text
        rnd = conn.sample(member, limit=10, strategy="random")
        assert rnd.rows == 10
        with pytest.raises(ConnectorError, match="retention probes are not supported"):
            from datetime import UTC, datetime

            conn.count_older_than(member, "level", datetime(2026, 1, 1, tzinfo=UTC))
    finally:
        conn.close()


@pytest.mark.integration
def test_read_only_acl_user_and_password_from_the_environment(
    redis_keys: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, p = redis_keys
    client.set(f"{p}:user:1", "13812345678")
    user = f"{p}reader"
    password = uuid.uuid4().hex
    # A user that may only read (and list) keys: the connector works within that.
    client.execute_command(
        "ACL", "SETUSER", user, "on", f">{password}", "~*", "+@read", "+select", "+ping"
    )
    try:
        base = REDIS_URL.split("://", 1)[1]
        monkeypatch.setenv("REDISCLI_AUTH", password)
        conn = open_source(f"redis://{user}@{base}")
        try:
            table = next(t for t in conn.tables() if t.name == f"{p}:user:*")
            assert list(conn.sample(table).column("value").values) == ["13812345678"]
            assert password not in conn.display and password not in repr(conn)
        finally:
            conn.close()
        monkeypatch.setenv("REDISCLI_AUTH", "wrong")
        with pytest.raises(ConnectorError) as info:
            open_source(f"redis://{user}@{base}").tables()
        assert "wrong" not in str(info.value) and password not in str(info.value)
        shown = open_source(f"redis://{user}:{password}@{base}").display
        assert password not in shown and "***" in shown
    finally:
        client.execute_command("ACL", "DELUSER", user)
