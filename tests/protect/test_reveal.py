"""reveal(): explicit key access, the audit record comes first, and the chain detects edits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
from tests.protect.conftest import AT, make_csv, make_sqlite, row

from guardrail.crypto import Keyring
from guardrail.errors import ConfigError, CryptoError
from guardrail.model.protect import ProtectPolicy
from guardrail.protect import (
    KeyAccess,
    RevealResult,
    load_policy,
    protect,
    reveal,
    verify_audit_log,
)


@pytest.fixture
def protected(workdir: Path, keyring: Keyring) -> Path:
    db = make_sqlite(workdir / "shop.db", 50)
    protect(str(db), load_policy(workdir / "protect.yaml"), keyring=keyring)
    return db


def _access(workdir: Path, keyring: Keyring, reason: str = "DSAR #7") -> KeyAccess:
    return KeyAccess(keyring, actor="alice", reason=reason, audit_log=workdir / "audit.jsonl")


def _reveal(
    source: Path,
    policy: ProtectPolicy,
    access: KeyAccess,
    *columns: str,
    rows: Sequence[str] = (),
    limit: int = 10,
    at: datetime | None = None,
) -> RevealResult:
    """``reveal`` on the ``customers`` table of ``source``."""
    return reveal(
        str(source),
        policy,
        table="customers",
        columns=list(columns),
        access=access,
        rows=rows,
        limit=limit,
        at=at,
    )


def test_reveal_rows_and_audit(workdir: Path, keyring: Keyring, protected: Path) -> None:
    policy = load_policy(workdir / "protect.yaml")
    res = _reveal(
        protected,
        policy,
        _access(workdir, keyring),
        "id_number",
        "phone",
        "email",
        rows=["3", "7", "9"],
        at=AT,
    )
    assert res.rows == ("3", "7", "9") and res.failed == 0
    assert [v["id_number"] for v in res.values] == [row(i)[3] for i in (3, 7, 9)]
    assert [v["phone"] for v in res.values] == [row(3)[2], None, row(9)[2]]  # row 7 is empty
    assert [v["email"] for v in res.values] == [row(3)[4], None, row(9)[4]]
    assert "redacted" in repr(res) and str(row(3)[3]) not in repr(res)
    lines = (workdir / "audit.jsonl").read_text().splitlines()
    rec = json.loads(lines[0])
    assert {k: rec[k] for k in ("actor", "reason", "table", "columns", "rows", "count", "at")} == {
        "actor": "alice",
        "reason": "DSAR #7",
        "table": "customers",
        "columns": ["id_number", "phone", "email"],
        "rows": ["3", "7", "9"],
        "count": 3,
        "at": "2026-11-22T00:00:00Z",
    }
    for value in (row(3)[3], row(3)[2], row(3)[4]):
        assert str(value) not in lines[0]
    # limit form, then the chain has two records
    res2 = _reveal(
        protected, policy, _access(workdir, keyring, "audit sample"), "id_number", limit=2
    )
    assert res2.rows == ("1", "2")
    assert verify_audit_log(workdir / "audit.jsonl") == 2
    assert json.loads((workdir / "audit.jsonl").read_text().splitlines()[1])["prev"] == rec["hash"]


def test_tampering_is_detected(workdir: Path, keyring: Keyring, protected: Path) -> None:
    policy = load_policy(workdir / "protect.yaml")
    for reason in ("a", "b", "c"):
        _reveal(protected, policy, _access(workdir, keyring, reason), "id_number", limit=1)
    log = workdir / "audit.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0], lines[2]]) + "\n")  # a record removed
    with pytest.raises(ConfigError, match=":2: the audit chain is broken"):
        verify_audit_log(log)
    log.write_text("\n".join([lines[0], lines[1].replace('"b"', '"B"'), lines[2]]) + "\n")
    with pytest.raises(ConfigError, match=":2: the audit chain is broken"):
        verify_audit_log(log)
    log.write_text(lines[0] + "\n{not json")
    with pytest.raises(ConfigError, match="corrupt at its end"):
        _reveal(protected, policy, _access(workdir, keyring), "id_number", limit=1)


def test_irreversible_and_unknown_columns(workdir: Path, keyring: Keyring, protected: Path) -> None:
    policy = load_policy(workdir / "protect.yaml")
    for col, err, msg in [
        ("name", CryptoError, "'mask', which cannot be reversed"),
        ("card", CryptoError, "'pseudonymize'"),
        ("city", ConfigError, "not in the policy"),
    ]:
        with pytest.raises(err, match=msg):
            _reveal(protected, policy, _access(workdir, keyring), col)
    assert not (workdir / "audit.jsonl").exists()  # nothing was revealed, nothing recorded


def test_access_needs_actor_and_reason(keyring: Keyring, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="actor and a reason"):
        KeyAccess(keyring, actor=" ", reason="x", audit_log=tmp_path / "a")
    assert "0a0b0c0d" not in repr(
        KeyAccess(keyring, actor="a", reason="r", audit_log=tmp_path / "a")
    )


def test_wrong_keyring_reveals_nothing(workdir: Path, keyring: Keyring, protected: Path) -> None:
    res = _reveal(
        protected,
        load_policy(workdir / "protect.yaml"),
        _access(workdir, Keyring.generate()),
        "id_number",
        limit=3,
    )
    assert res.failed == 3 and [v["id_number"] for v in res.values] == [None, None, None]


def test_fpe_reveal_needs_the_state(workdir: Path, keyring: Keyring) -> None:
    path = make_csv(workdir / "customers.csv", 10)
    policy = load_policy(workdir / "protect.yaml")
    protect(str(path), policy, keyring=keyring)
    res = _reveal(path, policy, _access(workdir, keyring), "phone", rows=["2"])
    assert res.values[0]["phone"] == row(2)[2]
    (workdir / "customers.csv.guardrail-protect.json").unlink()
    with pytest.raises(ConfigError, match="no record of the key"):
        _reveal(path, policy, _access(workdir, keyring), "phone", rows=["2"])
    with pytest.raises(ConfigError, match="not a row number"):
        _reveal(path, policy, _access(workdir, keyring), "id_number", rows=["x"])
