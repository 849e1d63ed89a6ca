"""Planted personal data and key material never appear in protect/reveal/keys outputs."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

from tests.cli.test_cli import invoke
from tests.protect.conftest import make_csv, make_sqlite

from guardrail.crypto import Keyring
from guardrail.testing import Canaries, capture_logs, files_under


def _plant(c: Canaries, db: Path, csv_path: Path) -> None:
    con = sqlite3.connect(db)
    for ident in (1, 2):
        con.execute(
            "UPDATE customers SET id_number = ?, phone = ?, email = ?, name = ?, card = ? WHERE id = ?",
            (c.cn_resident_id(), c.cn_mobile(), c.email(), c.name(), c.card("62"), ident),
        )
    con.commit()
    con.close()
    lines = csv_path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2], cells[3], cells[4], cells[1] = c.cn_mobile(), c.cn_resident_id(), c.email(), c.name()
    lines[1] = ",".join(cells)
    csv_path.write_text("\n".join(lines) + "\n")


def test_no_canary_in_any_output(workdir: Path, keyring: Keyring) -> None:
    c = Canaries(seed=55)
    db = make_sqlite(workdir / "shop.db", 40)
    export = workdir / "export"
    export.mkdir()
    csv_path = make_csv(export / "customers.csv", 10)
    _plant(c, db, csv_path)
    material = json.loads((workdir / "keyring.json").read_text())["keys"][0]["material"]
    c.planted += [material, base64.urlsafe_b64decode(material + "==").hex()]
    outputs: list[str | bytes] = []
    names: list[str] = []

    def run(label: str, *args: str, expect: int = 0) -> None:
        code, out, err = invoke(*args, cwd=workdir)
        assert code == expect, (label, err)
        outputs.extend([out, err])
        names.extend([f"{label} stdout", f"{label} stderr"])

    with capture_logs() as logs:
        run("dry run", "-v", "protect", "shop.db", "--policy", "protect.yaml", "--dry-run")
        run(
            "dry run json",
            "protect",
            "shop.db",
            "--policy",
            "protect.yaml",
            "--dry-run",
            "--format",
            "json",
        )
        run("protect", "-v", "protect", "shop.db", "--policy", "protect.yaml", "--chunk-size", "7")
        run("protect zh", "protect", "shop.db", "--policy", "protect.yaml", "--lang", "zh")
        run("protect csv", "protect", "export", "--policy", "protect.yaml", "--format", "json")
        run("keys list", "keys", "list", "keyring.json")
        run("keys list json", "keys", "list", "keyring.json", "--format", "json")
        # reveal prints plaintext on stdout by design; its stderr and audit log must not
        code, _, err = invoke(
            "reveal",
            "shop.db",
            "--policy",
            "protect.yaml",
            "--table",
            "customers",
            "--column",
            "id_number",
            "--column",
            "phone",
            "--row",
            "1",
            "--row",
            "2",
            "--keyring",
            "keyring.json",
            "--reason",
            "canary test",
            cwd=workdir,
        )
        assert code == 0
        outputs.append(err)
        names.append("reveal stderr")
        # a failing value: the error names the row, not the value
        (workdir / "bad.yaml").write_text(
            "tables: {customers: {columns: {email: {transform: generalize, age_band: 10}}}}"
        )
        sqlite3.connect(db).execute("SELECT 1").close()
        run("bad value", "protect", "shop.db", "--policy", "bad.yaml", expect=2)
    assert "(row 1)" in outputs[-1]
    outputs.append("\n".join(logs))
    names.append("log records")
    state = sqlite3.connect(db).execute("SELECT state FROM guardrail_protect_state").fetchall()
    outputs.append(json.dumps(state))
    names.append("protect state table")
    for name, data in files_under(workdir):
        if name.endswith((".db", "customers.csv", ".yaml")) or name == "keyring.json":
            continue
        outputs.append(data)
        names.append(name)
    assert any("guardrail-reveal-audit.jsonl" in n for n in names)
    assert any("guardrail-protect.json" in n for n in names)
    c.assert_absent(*outputs, names=names)
    # The protected data itself: no planted value survives in the database or the export.
    con = sqlite3.connect(db)
    dump = "\n".join(str(r) for r in con.execute("SELECT * FROM customers"))
    exported = csv_path.read_text()
    pii = [v for v in c.planted if v not in (material,) and len(v) != 64]
    leaks = [v for v in pii if v in dump or v in exported]
    assert leaks == [], f"{len(leaks)} planted values survive protection"
