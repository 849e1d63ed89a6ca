"""Crypto-shredding: forgetting a subject makes every copy of its tokens unreadable."""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest
from tests.crypto.conftest import AT

from guardrail.crypto import InvalidCiphertext, Keyring, SubjectKeyStore, key_id_of
from guardrail.errors import CryptoError


def _exercise(store: SubjectKeyStore) -> None:
    enc = store.encryptor("shop.orders.address")
    a1 = enc.encrypt("customer:1", "广东省深圳市南山区科技园路1号", at=AT)
    a2 = enc.encrypt("customer:1", "second address", at=AT)
    b1 = enc.encrypt("customer:2", "742 Evergreen Terrace", at=AT)
    assert key_id_of(a1) == key_id_of(a2) != key_id_of(b1)
    assert len(key_id_of(a1) or "") == 32
    assert enc.decrypt(a1) == "广东省深圳市南山区科技园路1号"
    with pytest.raises(InvalidCiphertext):
        store.encryptor("shop.orders.other").decrypt(a1)  # context bound
    assert store.has_key("customer:1") and store.counts() == (2, 0)
    assert store.forget("customer:1", at=AT) == 1
    assert not store.has_key("customer:1") and store.counts() == (1, 1)
    for token in (a1, a2):
        with pytest.raises(InvalidCiphertext):
            enc.decrypt(token)
    assert enc.decrypt(b1) == "742 Evergreen Terrace"
    assert store.forget("customer:1") == 0
    # A returning customer gets a new key; the old tokens stay dead.
    a3 = enc.encrypt("customer:1", "new", at=AT)
    assert key_id_of(a3) != key_id_of(a1) and enc.decrypt(a3) == "new"


def test_sqlite_store(tmp_path: Path, keyring: Keyring) -> None:
    store = SubjectKeyStore(f"sqlite:///{tmp_path / 'keys.db'}", keyring=keyring)
    _exercise(store)
    store.close()
    assert (tmp_path / "keys.db").stat().st_mode & 0o777 == 0o600


def test_backups_become_unreadable(tmp_path: Path, keyring: Keyring) -> None:
    data = tmp_path / "shop.db"
    db = sqlite3.connect(data)
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, address TEXT)")
    with SubjectKeyStore(f"sqlite:///{tmp_path / 'keys.db'}", keyring=keyring) as store:
        enc = store.encryptor("shop.orders.address")
        for i, cust in enumerate(["c1", "c2", "c1"]):
            db.execute(
                "INSERT INTO orders VALUES (?, ?, ?)", (i, cust, enc.encrypt(cust, f"addr {i}"))
            )
        db.commit()
        db.close()
        shutil.copy(data, tmp_path / "backup.db")  # last night's backup of the shop database
        store.forget("c1")
    # A fresh process, restoring the backup, with the keyring: c1's rows stay unreadable.
    with SubjectKeyStore(f"sqlite:///{tmp_path / 'keys.db'}", keyring=keyring) as fresh:
        enc = fresh.encryptor("shop.orders.address")
        rows = (
            sqlite3.connect(tmp_path / "backup.db")
            .execute("SELECT customer, address FROM orders")
            .fetchall()
        )
        readable = {}
        for cust, token in rows:
            try:
                readable[token] = enc.decrypt(token)
            except InvalidCiphertext:
                readable[token] = None
        assert sorted((c, readable[t]) for c, t in rows) == [
            ("c1", None),
            ("c1", None),
            ("c2", "addr 1"),
        ]


def test_store_holds_no_raw_subject_or_key(tmp_path: Path, keyring: Keyring) -> None:
    with SubjectKeyStore(f"sqlite:///{tmp_path / 'k.db'}", keyring=keyring) as store:
        key_id, key = store.key_for("13812345678")
    raw = (tmp_path / "k.db").read_bytes()
    assert b"13812345678" not in raw and key not in raw and key_id.encode() in raw


def test_secure_delete_overwrites_destroyed_keys(tmp_path: Path, keyring: Keyring) -> None:
    with SubjectKeyStore(f"sqlite:///{tmp_path / 'k.db'}", keyring=keyring) as store:
        store.key_for("s")
        wrapped = (
            sqlite3.connect(tmp_path / "k.db")
            .execute("SELECT wrapped_key FROM guardrail_subject_keys")
            .fetchone()[0]
        )
        store.forget("s")
    assert wrapped.encode() not in (tmp_path / "k.db").read_bytes()


def test_wrong_keyring_cannot_read(tmp_path: Path, keyring: Keyring) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    with SubjectKeyStore(url, keyring=keyring) as store:
        token = store.encryptor("c").encrypt("s", "v")
    with (
        SubjectKeyStore(url, keyring=Keyring.generate()) as other,
        pytest.raises(InvalidCiphertext),
    ):
        other.encryptor("c").decrypt(token)


def test_rotation_and_rewrap(tmp_path: Path, keyring: Keyring) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    with SubjectKeyStore(url, keyring=keyring) as store:
        token = store.encryptor("c").encrypt("s", "v")
    rotated = keyring.rotate()
    with SubjectKeyStore(url, keyring=rotated) as store:
        assert store.has_key("s")  # found by the old key's pseudonym
        assert store.encryptor("c").decrypt(token) == "v"
        assert store.rewrap() == 1 and store.rewrap() == 0
    with SubjectKeyStore(url, keyring=rotated.retire(keyring.primary_id)) as store:
        assert store.encryptor("c").decrypt(token) == "v"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("oracle://u@h/db", "unsupported key-store database"),
        ("::not a url", "cannot parse"),
    ],
)
def test_bad_urls(keyring: Keyring, url: str, message: str) -> None:
    with pytest.raises(CryptoError, match=message):
        SubjectKeyStore(url, keyring=keyring)


def test_password_never_in_messages(keyring: Keyring) -> None:
    with pytest.raises(CryptoError) as info:
        SubjectKeyStore("postgresql://u:hunter2secret@127.0.0.1:1/db", keyring=keyring)
    assert "hunter2secret" not in str(info.value)


def test_no_pickle(tmp_path: Path, keyring: Keyring) -> None:
    with SubjectKeyStore(f"sqlite:///{tmp_path / 'k.db'}", keyring=keyring) as store:
        for obj in (store, store.encryptor("c")):
            with pytest.raises(TypeError):
                pickle.dumps(obj)


@pytest.mark.integration
def test_postgresql_store(pg_database: str, keyring: Keyring) -> None:
    with SubjectKeyStore(pg_database, keyring=keyring) as store:
        _exercise(store)
    with SubjectKeyStore(pg_database, keyring=keyring, cache_size=0) as again:
        assert again.counts() == (2, 1)


@pytest.mark.integration
def test_postgresql_forget_seen_by_other_process_without_cache(
    pg_database: str, keyring: Keyring
) -> None:
    with (
        SubjectKeyStore(pg_database, keyring=keyring, cache_size=0) as a,
        SubjectKeyStore(pg_database, keyring=keyring, cache_size=0) as b,
    ):
        token = a.encryptor("c").encrypt("s", "v")
        assert b.encryptor("c").decrypt(token) == "v"
        assert b.forget("s") == 1
        with pytest.raises(InvalidCiphertext):
            a.encryptor("c").decrypt(token)
