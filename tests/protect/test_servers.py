"""protect and reveal against the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.protect.conftest import row, rows
from tests.protect.test_crash_resume import _kill_mid_run, _resume, _verify

from guardrail.crypto import FF1, FieldEncryptor, Keyring, Pseudonymizer, decrypt_phone
from guardrail.errors import ConfigError
from guardrail.protect import KeyAccess, ProtectOptions, load_policy, protect, reveal

pytestmark = pytest.mark.integration

N = 120
DDL = """CREATE TABLE customers (
    id INTEGER PRIMARY KEY, name VARCHAR(40), phone VARCHAR(20), id_number TEXT,
    email VARCHAR(200), age VARCHAR(10), city VARCHAR(20), card VARCHAR(64))"""


def _load(url: str, n: int = N, ddl: str = DDL) -> sa.Engine:
    engine = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool
    )
    with engine.begin() as c:
        c.execute(sa.text(ddl))
        c.execute(
            sa.text(
                "INSERT INTO customers VALUES (:id, :name, :phone, :id_number, :email, :age, :city, :card)"
            ),
            [
                dict(
                    zip(
                        ("id", "name", "phone", "id_number", "email", "age", "city", "card"),
                        (*r[:5], str(r[5]), *r[6:]),
                        strict=True,
                    )
                )
                for r in rows(n)
            ],
        )
    return engine


def _fetch(
    engine: sa.Engine, sql: str = "SELECT id, id_number, phone, card FROM customers"
) -> list[Any]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text(sql))]


@pytest.fixture(params=["postgresql", "mariadb"])
def server_url(request: pytest.FixtureRequest) -> str:
    name = "pg_database" if request.param == "postgresql" else "mysql_database"
    return str(request.getfixturevalue(name))


def test_protect_and_reveal_on_server(server_url: str, workdir: Path, keyring: Keyring) -> None:
    engine = _load(server_url)
    policy = load_policy(workdir / "protect.yaml")
    report = protect(server_url, policy, keyring=keyring, options=ProtectOptions(chunk_size=25))
    outcome = {c.column: (c.changed, c.empty) for c in report.tables[0].columns}
    empties = N // 7
    assert outcome == {
        "id_number": (N, 0),
        "phone": (N - empties, empties),
        "email": (N - empties, empties),
        "name": (N, 0),
        "age": (N, 0),
        "card": (N, 0),
    }
    enc = FieldEncryptor(keyring, "shop.customers.id_number")
    ff1 = FF1.from_keyring(keyring, context="shop.customers.phone")
    ps = Pseudonymizer(keyring, "shop.customers.card")
    for ident, id_number, phone, card in _fetch(engine):
        o = row(ident)
        assert enc.decrypt(id_number) == o[3] and card == ps.pseudonym(str(o[7]))
        assert phone is None if o[2] is None else decrypt_phone(ff1, phone) == o[2]
    with engine.connect() as c:
        state = json.loads(
            c.execute(sa.text("SELECT state FROM guardrail_protect_state")).scalar_one()
        )
    assert state["status"] == "done"
    # idempotent
    again = protect(server_url, policy, keyring=keyring)
    assert all(c.changed == 0 for c in again.tables[0].columns)
    res = reveal(
        server_url,
        policy,
        table="customers",
        columns=["id_number", "phone"],
        rows=["8", "9"],
        access=KeyAccess(keyring, actor="t", reason="test", audit_log=workdir / "a.jsonl"),
    )
    assert [v["id_number"] for v in res.values] == [row(8)[3], row(9)[3]]
    assert [v["phone"] for v in res.values] == [row(8)[2], row(9)[2]]
    engine.dispose()


@pytest.mark.parametrize(
    ("ddl", "policy", "message"),
    [
        (
            DDL.replace("email VARCHAR(200)", "email VARCHAR(30)"),
            "tables: {customers: {columns: {email: {transform: encrypt}}}}",
            "holds at most 30 characters",
        ),
        (
            DDL.replace("age VARCHAR(10)", "age INTEGER"),
            "tables: {customers: {columns: {age: {transform: generalize, age_band: 10}}}}",
            "writes text",
        ),
        (
            DDL.replace("id INTEGER PRIMARY KEY", "id INTEGER"),
            "tables: {customers: {columns: {name: {transform: mask}}}}",
            "has no primary key",
        ),
        (DDL, "tables: {customers: {columns: {id: {transform: suppress}}}}", "addresses rows"),
        (
            DDL.replace("name VARCHAR(40)", "name VARCHAR(40) NOT NULL"),
            "tables: {customers: {columns: {name: {transform: suppress}}}}",
            "NOT NULL",
        ),
    ],
)
def test_preflight_refuses_before_writing(
    server_url: str, workdir: Path, keyring: Keyring, ddl: str, policy: str, message: str
) -> None:
    engine = _load(server_url, 10, ddl)
    before = _fetch(engine, "SELECT * FROM customers ORDER BY id")
    (workdir / "p.yaml").write_text(policy)
    with pytest.raises(ConfigError, match=message) as info:
        protect(server_url, load_policy(workdir / "p.yaml"), keyring=keyring)
    assert "ALTER TABLE" in str(info.value) or message in (
        "has no primary key",
        "addresses rows",
        "NOT NULL",
    )
    assert _fetch(engine, "SELECT * FROM customers ORDER BY id") == before
    engine.dispose()


def test_key_from_policy_on_a_table_without_primary_key(
    pg_database: str, workdir: Path, keyring: Keyring
) -> None:
    engine = _load(pg_database, 20, DDL.replace("id INTEGER PRIMARY KEY", "id INTEGER"))
    (workdir / "p.yaml").write_text(
        "tables: {customers: {key: [id], columns: {id_number: {transform: encrypt}}}}"
    )
    protect(
        pg_database,
        load_policy(workdir / "p.yaml"),
        keyring=keyring,
        options=ProtectOptions(chunk_size=6),
    )
    enc = FieldEncryptor(keyring, "customers.id_number")
    assert sorted(enc.decrypt(r[1]) for r in _fetch(engine)) == sorted(str(r[3]) for r in rows(20))
    engine.dispose()


def test_postgresql_crash_resume(pg_database: str, workdir: Path, keyring: Keyring) -> None:
    from tests.protect.test_crash_resume import POLICY

    n = 12_000
    engine = _load(
        pg_database,
        n,
        DDL.replace("phone VARCHAR(20)", "phone TEXT").replace("id_number TEXT", "id_number TEXT"),
    )
    (workdir / "crash.yaml").write_text(POLICY)
    _kill_mid_run(workdir, pg_database, after=2, chunk=500)
    with engine.connect() as c:
        state = json.loads(
            c.execute(sa.text("SELECT state FROM guardrail_protect_state")).scalar_one()
        )
        done = c.execute(
            sa.text("SELECT count(*) FROM customers WHERE id_number LIKE 'gr1:%'")
        ).scalar_one()
    assert (
        state["status"] == "running" and 0 < state["rows_done"] < n and done == state["rows_done"]
    )
    _resume(workdir, pg_database)
    _verify(_fetch(engine), keyring, n)
    engine.dispose()
