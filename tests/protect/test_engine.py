"""protect() on SQLite, CSV and Parquet: exact outcomes, idempotence, rotation, errors."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tests.protect.conftest import AT, make_csv, make_parquet, make_sqlite, row, rows

from guardrail.crypto import (
    FF1,
    DeterministicEncryptor,
    FieldEncryptor,
    Keyring,
    Pseudonymizer,
    decrypt_phone,
    key_id_of,
)
from guardrail.errors import ConfigError, InputError
from guardrail.protect import ProtectOptions, load_policy, protect
from guardrail.protect.files import journal_path

N = 200


def _db_rows(path: Path) -> list[tuple[Any, ...]]:
    return sqlite3.connect(path).execute("SELECT * FROM customers ORDER BY id").fetchall()


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


def _check_protected(got: list[tuple[Any, ...]] | list[list[Any]], keyring: Keyring) -> None:
    """Every protected cell decrypts / equals exactly the transform of the original row."""
    enc = FieldEncryptor(keyring, "shop.customers.id_number")
    det = DeterministicEncryptor(keyring, "shop.customers.email")
    ps = Pseudonymizer(keyring, "shop.customers.card")
    ff1 = FF1.from_keyring(keyring, context="shop.customers.phone")
    assert len(got) == N
    for g in got:
        i = int(g[0])
        o = row(i)
        assert g[1] == {"张": "张*", "欧": "欧阳" + "*" * (len(str(o[1])) - 2)}.get(
            str(o[1])[0], g[1]
        ) or g[1].startswith(str(o[1])[0])
        assert "*" in str(g[1]) and str(o[1]) != g[1]
        if o[2] is None:
            assert g[2] in (None, "")
        else:
            assert g[2] != o[2] and decrypt_phone(ff1, str(g[2])) == o[2]
        assert enc.decrypt(str(g[3])) == o[3]
        if o[4] is None:
            assert g[4] in (None, "")
        else:
            assert g[4] == det.encrypt(str(o[4]))
        age = int(str(o[5]))
        assert g[5] == f"{age // 10 * 10}-{age // 10 * 10 + 9}"
        assert str(g[6]) == o[6]
        assert g[7] == ps.pseudonym(str(o[7]))


def test_sqlite_protect_dry_run_then_run(workdir: Path, keyring: Keyring) -> None:
    db = make_sqlite(workdir / "shop.db", N)
    policy = load_policy(workdir / "protect.yaml")
    before = _db_rows(db)
    dry = protect(str(db), policy, keyring=keyring, options=ProtectOptions(dry_run=True), at=AT)
    assert _db_rows(db) == before  # nothing written
    assert "guardrail_protect_state" not in {
        r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")
    }
    empties = len([i for i in range(1, N + 1) if i % 7 == 0])
    cols = {c.column: (c.changed, c.already, c.empty) for c in dry.tables[0].columns}
    assert cols == {
        "id_number": (N, 0, 0),
        "phone": (N - empties, 0, empties),
        "email": (N - empties, 0, empties),
        "name": (N, 0, 0),
        "age": (N, 0, 0),
        "card": (N, 0, 0),
    }
    assert dry.dry_run and dry.started == AT and dry.tables[0].rows == N
    report = protect(str(db), policy, keyring=keyring, options=ProtectOptions(chunk_size=37), at=AT)
    assert {c.column: (c.changed, c.already, c.empty) for c in report.tables[0].columns} == cols
    _check_protected(_db_rows(db), keyring)
    t = report.tables[0]
    assert (t.k_before, t.k_after) == (1, 13)  # 50 ages x 3 cities -> 5 bands x 3 cities


def test_second_run_changes_nothing(workdir: Path, keyring: Keyring) -> None:
    db = make_sqlite(workdir / "shop.db", N)
    policy = load_policy(workdir / "protect.yaml")
    protect(str(db), policy, keyring=keyring)
    once = _db_rows(db)
    again = protect(str(db), policy, keyring=keyring)
    assert _db_rows(db) == once
    outcome = {c.column: c for c in again.tables[0].columns}
    assert all(c.changed == 0 for c in outcome.values())
    assert outcome["phone"].skipped_reason and "FF1" in outcome["phone"].skipped_reason
    assert outcome["id_number"].already == N


def test_new_plaintext_rows_are_protected_by_a_later_run(workdir: Path, keyring: Keyring) -> None:
    db = make_sqlite(workdir / "shop.db", N)
    policy = load_policy(workdir / "protect.yaml")
    protect(str(db), policy, keyring=keyring)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO customers (id, id_number) VALUES (999, '11010519491231002X')")
    con.commit()
    report = protect(str(db), policy, keyring=keyring)
    got = {c.column: (c.changed, c.already) for c in report.tables[0].columns}
    assert got["id_number"] == (1, N)
    token = con.execute("SELECT id_number FROM customers WHERE id = 999").fetchone()[0]
    assert (
        FieldEncryptor(keyring, "shop.customers.id_number").decrypt(token) == "11010519491231002X"
    )


def test_rotate_re_encrypts_tokens(workdir: Path, keyring: Keyring) -> None:
    db = make_sqlite(workdir / "shop.db", N)
    policy = load_policy(workdir / "protect.yaml")
    protect(str(db), policy, keyring=keyring)
    rotated = keyring.rotate(at=AT)
    report = protect(str(db), policy, keyring=rotated, options=ProtectOptions(rotate=True))
    got = {c.column: (c.changed, c.already) for c in report.tables[0].columns}
    assert got["id_number"] == (N, 0) and got["email"][0] == got["email"][0] > 0
    assert got["card"] == (0, N)  # pseudonyms are not re-keyed
    tokens = [r[3] for r in _db_rows(db)]
    assert {key_id_of(t) for t in tokens} == {rotated.primary_id}
    # The old key can go: everything decrypts with the new one alone.
    only_new = rotated.retire(keyring.primary_id)
    enc = FieldEncryptor(only_new, "shop.customers.id_number")
    assert [enc.decrypt(t) for t in tokens] == [r[3] for r in rows(N)]


def test_fpe_resumes_with_the_recorded_key_after_rotation(workdir: Path, keyring: Keyring) -> None:
    """An FPE column protected under key A stays decryptable via the state after rotating."""
    db = make_sqlite(workdir / "shop.db", N)
    policy = load_policy(workdir / "protect.yaml")
    protect(str(db), policy, keyring=keyring)
    state = json.loads(
        sqlite3.connect(db)
        .execute("SELECT state FROM guardrail_protect_state WHERE table_name = 'customers'")
        .fetchone()[0]
    )
    assert state["status"] == "done" and state["columns"]["phone"] == {
        "transform": "fpe",
        "key_id": keyring.primary_id,
    }


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files(workdir: Path, keyring: Keyring, fmt: str) -> None:
    path = workdir / f"customers.{fmt}"
    (make_csv if fmt == "csv" else make_parquet)(path, N)
    policy = load_policy(workdir / "protect.yaml")
    original = path.read_bytes()
    protect(str(path), policy, keyring=keyring, options=ProtectOptions(dry_run=True))
    assert path.read_bytes() == original and not journal_path(path).exists()
    report = protect(str(path), policy, keyring=keyring, options=ProtectOptions(chunk_size=50))
    assert report.tables[0].rows == N
    if fmt == "csv":
        got: list[Any] = _csv_rows(path)
    else:
        import pyarrow.parquet as pq

        got = [list(r.values()) for r in pq.read_table(path).to_pylist()]
    _check_protected(got, keyring)
    journal = json.loads(journal_path(path).read_text())
    assert journal["status"] == "done" and journal["columns"]["phone"]["key_id"] == "0a0b0c0d"
    assert sorted(p.name for p in workdir.iterdir()) == sorted(
        ["keyring.json", "protect.yaml", path.name, journal_path(path).name]
    )  # no temporary files left
    again = protect(str(path), policy, keyring=keyring)
    assert all(c.changed == 0 for c in again.tables[0].columns)


def test_csv_keeps_dialect_and_bom(workdir: Path, keyring: Keyring) -> None:
    path = make_csv(workdir / "customers.csv", 20, delimiter=";", bom=True)
    protect(str(path), load_policy(workdir / "protect.yaml"), keyring=keyring)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeffid;name;phone") and "\r\n" not in text
    assert len(_csv_rows(path)) == 20


def test_folder_of_files(workdir: Path, keyring: Keyring) -> None:
    folder = workdir / "export"
    folder.mkdir()
    make_csv(folder / "customers.csv", 10)
    (folder / "other.csv").write_text("a,b\n1,2\n")
    report = protect(str(folder), load_policy(workdir / "protect.yaml"), keyring=keyring)
    assert [t.table for t in report.tables] == ["customers"]
    assert (folder / "other.csv").read_text() == "a,b\n1,2\n"


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        (
            "tables: {orders: {columns: {x: {transform: mask}}}}",
            ConfigError,
            "table 'orders' is not in",
        ),
        ("tables: {customers: {columns: {nope: {transform: mask}}}}", ConfigError, "column 'nope'"),
        ("tables: {customers: {columns: {name: {transform: encrypt}}}}", ConfigError, "no keyring"),
        (
            "tables: {customers: {columns: {city: {transform: generalize, age_band: 10}}}}",
            InputError,
            "customers.city (row 1): not an age",
        ),
        (
            "tables: {customers: {columns: {age: {transform: fpe}}}}",
            InputError,
            "customers.age (row 1): cannot be format-preserving",
        ),
    ],
)
def test_errors(
    workdir: Path, keyring: Keyring, policy: str, error: type[Exception], message: str
) -> None:
    db = make_sqlite(workdir / "shop.db", 5)
    (workdir / "p.yaml").write_text(policy)
    kr = None if "no keyring" in message else keyring
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        protect(str(db), load_policy(workdir / "p.yaml"), keyring=kr)


def test_interrupted_run_needs_the_same_policy(workdir: Path, keyring: Keyring) -> None:
    db = make_sqlite(workdir / "shop.db", 5)
    policy = load_policy(workdir / "protect.yaml")
    protect(str(db), policy, keyring=keyring)
    con = sqlite3.connect(db)
    state = json.loads(con.execute("SELECT state FROM guardrail_protect_state").fetchone()[0])
    state["status"] = "running"
    con.execute("UPDATE guardrail_protect_state SET state = ?", (json.dumps(state),))
    con.commit()
    (workdir / "p2.yaml").write_text(
        "tables: {customers: {columns: {name: {transform: suppress}}}}"
    )
    with pytest.raises(ConfigError, match="different policy"):
        protect(str(db), load_policy(workdir / "p2.yaml"), keyring=keyring)


def test_source_errors(workdir: Path, keyring: Keyring) -> None:
    policy = load_policy(workdir / "protect.yaml")
    (workdir / "not.db").write_text("hello")
    for src, message in [
        (str(workdir / "not.db"), "not a SQLite database"),
        (str(workdir / "missing.csv"), "does not exist"),
        ("oracle://u@h/db", "unsupported database"),
        ("postgresql://u:pw-secret@127.0.0.1:1/db", "failed"),
    ]:
        with pytest.raises(Exception, match=message) as info:
            protect(src, policy, keyring=keyring)
        assert "pw-secret" not in str(info.value)


def test_suppress_and_shred(workdir: Path, keyring: Keyring) -> None:
    from guardrail.crypto import InvalidCiphertext, SubjectKeyStore

    db = make_sqlite(workdir / "shop.db", 30)
    (workdir / "p.yaml").write_text(
        "shred_store: sqlite:///subject-keys.db\n"
        "tables:\n  customers:\n    columns:\n"
        "      city: {transform: suppress}\n"
        "      email: {transform: shred, subject_column: id}\n"
    )
    policy = load_policy(workdir / "p.yaml")
    report = protect(str(db), policy, keyring=keyring)
    assert {c.column: c.changed for c in report.tables[0].columns} == {"city": 30, "email": 26}
    got = _db_rows(db)
    assert {r[6] for r in got} == {None}
    with SubjectKeyStore(f"sqlite:///{workdir / 'subject-keys.db'}", keyring=keyring) as store:
        enc = store.encryptor("customers.email")
        assert enc.decrypt(got[0][4]) == "user1@example.cn"
        store.forget("1")
        with pytest.raises(InvalidCiphertext):
            enc.decrypt(got[0][4])
        assert enc.decrypt(got[1][4]) == "user2@example.cn"
