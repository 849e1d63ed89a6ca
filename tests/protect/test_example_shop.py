"""The audit's C03 fix, end to end: protect the example shop, audit again, C03 is clean."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.cli.test_cli import invoke
from tests.conftest import AT, REPO

from guardrail.crypto import FieldEncryptor, Keyring

POLICY = REPO / "examples" / "protect" / "protect.yaml"


def _c03(report: Path) -> list[str]:
    findings = json.loads(report.read_text())["findings"]
    return sorted(f["target"]["id"] for f in findings if f["control"] == "C03")


def test_protect_fixes_c03(shop: Path, tmp_path: Path) -> None:
    code, _, err = invoke(
        "audit", str(shop), "--at", AT, "--output-dir", str(tmp_path / "before"), cwd=tmp_path
    )
    assert code == 1, err
    before = _c03(tmp_path / "before" / "report.json")
    assert before == ["shop_db.customers.id_number", "shop_db.payments.card_number"]
    fix = json.loads((tmp_path / "before" / "report.json").read_text())["findings"]
    assert {f["fix_command"] for f in fix if f["control"] == "C03"} == {
        "guardrail keys create keyring.json && "
        "guardrail protect <datastore URL> --policy protect.yaml --keyring keyring.json"
    }
    shutil.copy(POLICY, shop / "protect.yaml")
    db = shop / "data" / "shop.db"
    plain = dict(sqlite3.connect(db).execute("SELECT id, id_number FROM customers").fetchall())
    assert invoke("keys", "create", "keyring.json", cwd=shop)[0] == 0
    code, out, err = invoke(
        "protect",
        "sqlite:///data/shop.db",
        "--policy",
        "protect.yaml",
        "--keyring",
        "keyring.json",
        cwd=shop,
    )
    assert code == 0, err
    assert "customers" in out and "payments" in out
    code, _, err = invoke(
        "audit", str(shop), "--at", AT, "--output-dir", str(tmp_path / "after"), cwd=tmp_path
    )
    assert code in (0, 1), err
    assert _c03(tmp_path / "after" / "report.json") == []
    enc = FieldEncryptor(Keyring.from_file(shop / "keyring.json"), "shop_db.customers.id_number")
    now = dict(sqlite3.connect(db).execute("SELECT id, id_number FROM customers").fetchall())
    assert {k: enc.decrypt(v) if v else v for k, v in now.items()} == plain
