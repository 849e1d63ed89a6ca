"""guardrail keys / protect / reveal through click and as real subprocesses."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.test_cli import invoke
from tests.protect.conftest import make_csv, make_sqlite, row

from guardrail.crypto import FieldEncryptor, Keyring

GUARDRAIL = [str(Path(sys.executable).with_name("guardrail"))]


def test_keys_signing_key_and_jwks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrail.crypto import SigningKey, sign_detached, verify_detached

    ed, ec, pub = tmp_path / "ed.jwk", tmp_path / "ec.jwk", tmp_path / "pub.jwks.json"
    code, out, err = invoke(
        "keys", "signing-key", str(ed), "--kid", "reports-1", "--jwks", str(pub)
    )
    assert code == 0 and out == "" and "kid reports-1, EdDSA" in err
    assert ed.stat().st_mode & 0o777 == 0o600
    private = json.loads(ed.read_text())
    assert private["kid"] == "reports-1" and "d" in private
    assert private["d"] not in out + err  # key material is never printed
    published = json.loads(pub.read_text())
    assert [k["kid"] for k in published["keys"]] == ["reports-1"]
    assert all("d" not in k for k in published["keys"])
    # The published key verifies what the private one signs.
    key = SigningKey.load(ed)
    token = sign_detached(b"report bytes", key)
    assert verify_detached(b"report bytes", token, published)["kid"] == "reports-1"

    code, _, err = invoke("keys", "signing-key", str(ed))
    assert code == 2 and "already exists" in err
    code, _, err = invoke("keys", "signing-key", str(tmp_path / "new.jwk"), "--jwks", str(pub))
    assert code == 2 and "already exists" in err and not (tmp_path / "new.jwk").exists()

    code, _, err = invoke("keys", "signing-key", str(ec), "--alg", "ES256")
    assert code == 0 and "ES256" in err
    code, out, err = invoke("keys", "jwks", str(ed), str(ec))
    assert code == 0
    doc = json.loads(out)
    assert [k["alg"] for k in doc["keys"]] == ["EdDSA", "ES256"]
    assert all("d" not in k for k in doc["keys"])
    monkeypatch.setenv("GR_TEST_SIGNING_KEY", ed.read_text())
    code, _, err = invoke("keys", "jwks", "env:GR_TEST_SIGNING_KEY", "-o", str(tmp_path / "o.json"))
    assert code == 0 and json.loads((tmp_path / "o.json").read_text()) == published

    code, _, err = invoke("keys", "jwks", str(ed), str(ed))
    assert code == 2 and "share a key id" in err
    code, _, err = invoke("keys", "jwks", str(tmp_path / "missing.jwk"))
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "bad.jwk"
    bad.write_text("{")
    bad.chmod(0o600)
    code, _, err = invoke("keys", "jwks", str(bad))
    assert code == 2 and "not a private JWK" in err


def test_keys_create_rotate_list_retire(tmp_path: Path) -> None:
    kr = tmp_path / "keys" / "keyring.json"
    kr.parent.mkdir()
    code, out, err = invoke("keys", "create", str(kr), "--at", "2026-01-01T00:00:00Z")
    assert code == 0 and "created keyring" in err and out == ""
    first = Keyring.from_file(kr).primary_id
    assert kr.stat().st_mode & 0o777 == 0o600
    code, _, err = invoke("keys", "create", str(kr))
    assert code == 2 and "already exists" in err
    code, _, err = invoke("keys", "rotate", str(kr), "--at", "2026-06-01T00:00:00Z")
    assert code == 0 and f"(was {first})" in err
    code, out, _ = invoke("keys", "list", str(kr), "--format", "json")
    listed = json.loads(out)
    assert [(k["status"], k["created"]) for k in listed] == [
        ("primary", "2026-06-01T00:00:00Z"),
        ("decrypt-only", "2026-01-01T00:00:00Z"),
    ]
    material = json.loads(kr.read_text())["keys"][0]["material"]
    code, out, err = invoke("keys", "list", str(kr))
    assert code == 0 and first in out and "decrypt-only" in out and material not in out + err
    code, _, err = invoke("keys", "retire", str(kr), first)
    assert code == 0 and len(Keyring.from_file(kr)) == 1
    code, _, err = invoke("keys", "retire", str(kr), Keyring.from_file(kr).primary_id)
    assert code == 2 and "primary key and cannot be retired" in err


def test_keys_with_kms(tmp_path: Path) -> None:
    kr, kek = tmp_path / "keyring.json", tmp_path / "kek.json"
    code, _, err = invoke("keys", "create", str(kr), "--kms", str(kek))
    assert code == 0 and "key-encryption-key" in err and kek.exists()
    assert "material" not in kr.read_text()
    code, _, err = invoke("keys", "list", str(kr))
    assert code == 2 and "--kms" in err
    code, out, _ = invoke("keys", "list", str(kr), "--kms", str(kek))
    assert code == 0 and "(wrapped)" in out
    assert invoke("keys", "rotate", str(kr), "--kms", str(kek))[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "list", "nope.json"], "does not exist"),
        (["keys", "create", "k.json", "--at", "yesterday"], "ISO 8601"),
        (["keys", "create", "k.json", "--at", "2026-01-01T00:00:00"], "time zone"),
    ],
)
def test_keys_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = invoke(*args, cwd=tmp_path)
    assert code == 2 and message in err and "Traceback" not in err


def test_world_readable_keyring_refused(tmp_path: Path) -> None:
    invoke("keys", "create", str(tmp_path / "k.json"))
    os.chmod(tmp_path / "k.json", 0o644)
    code, _, err = invoke("keys", "list", str(tmp_path / "k.json"))
    assert code == 2 and "chmod 600" in err


def test_protect_and_reveal_cli(workdir: Path, keyring: Keyring) -> None:
    db = make_sqlite(workdir / "shop.db", 30)
    code, out, err = invoke(
        "protect", str(db), "--policy", str(workdir / "protect.yaml"), "--dry-run", cwd=workdir
    )
    assert code == 0, err
    assert "dry run" in out and "would change" in out and "id_number" in out
    assert (
        sqlite3.connect(db).execute("SELECT phone FROM customers WHERE id=1").fetchone()[0]
        == row(1)[2]
    )
    code, out, err = invoke(
        "protect",
        "shop.db",
        "--policy",
        "protect.yaml",
        "--format",
        "json",
        "--at",
        "2026-11-22T00:00:00Z",
        cwd=workdir,
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["started"] == "2026-11-22T00:00:00Z" and report["tables"][0]["rows"] == 30
    token = sqlite3.connect(db).execute("SELECT id_number FROM customers WHERE id=4").fetchone()[0]
    assert FieldEncryptor(keyring, "shop.customers.id_number").decrypt(token) == row(4)[3]
    code, out, err = invoke(
        "protect", "shop.db", "--policy", "protect.yaml", "--lang", "zh", cwd=workdir
    )
    assert code == 0 and "已受保护" in out and "k-匿名" in err
    # reveal: explicit keyring required
    base = [
        "reveal",
        "shop.db",
        "--policy",
        "protect.yaml",
        "--table",
        "customers",
        "--column",
        "id_number",
    ]
    code, _, err = invoke(*base, "--row", "4", "--reason", "DSAR", cwd=workdir)
    assert code == 2 and "explicit key access" in err
    code, out, err = invoke(
        *base,
        "--column",
        "phone",
        "--row",
        "4",
        "--row",
        "5",
        "--reason",
        "DSAR #1",
        "--actor",
        "bob",
        "--keyring",
        "keyring.json",
        "--format",
        "csv",
        cwd=workdir,
    )
    assert code == 0, err
    assert out == f"row,id_number,phone\n4,{row(4)[3]},{row(4)[2]}\n5,{row(5)[3]},{row(5)[2]}\n"
    audit = (workdir / "guardrail-reveal-audit.jsonl").read_text()
    assert '"actor": "bob"' in audit and str(row(4)[3]) not in audit and "audit record" in err
    code, out, _ = invoke(
        *base,
        "--limit",
        "1",
        "--reason",
        "x",
        "--keyring",
        "keyring.json",
        "--format",
        "json",
        cwd=workdir,
    )
    assert code == 0 and json.loads(out)["rows"] == [
        {"row": "1", "values": {"id_number": row(1)[3]}}
    ]
    code, _, err = invoke(
        *base[:-2], "--column", "name", "--reason", "x", "--keyring", "keyring.json", cwd=workdir
    )
    assert code == 2 and "cannot be reversed" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["protect", "shop.db", "--policy", "missing.yaml"], "file not found"),
        (["protect", "nope.db", "--policy", "protect.yaml"], "not found"),
        (
            ["protect", "shop.db", "--policy", "protect.yaml", "--table", "orders"],
            "not in the policy",
        ),
        (
            ["protect", "shop.db", "--policy", "protect.yaml", "--keyring", "nokeys.json"],
            "does not exist",
        ),
        (["protect", "shop.db"], "Missing option '--policy'"),
    ],
)
def test_protect_cli_errors(workdir: Path, args: list[str], message: str) -> None:
    make_sqlite(workdir / "shop.db", 3)
    code, _out, err = invoke(*args, cwd=workdir)
    assert code == 2 and message in err and "Traceback" not in err


def test_subprocess_protect_progress_and_help(workdir: Path) -> None:
    make_csv(workdir / "customers.csv", 25)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [
            *GUARDRAIL,
            "-v",
            "protect",
            "customers.csv",
            "--policy",
            "protect.yaml",
            "--chunk-size",
            "10",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("protecting customers:") >= 3  # per-chunk lines in verbose mode
    assert "customers.csv" in proc.stdout
    for cmd in (["keys", "--help"], ["protect", "--help"], ["reveal", "--help"]):
        out = subprocess.run([*GUARDRAIL, *cmd], capture_output=True, text=True, check=False)
        assert out.returncode == 0 and "Usage" in out.stdout
    bad = subprocess.run(
        [*GUARDRAIL, "protect", "customers.csv", "--policy", "nope.yaml"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and bad.stderr.count("\n") == 1
