"""Kill ``guardrail protect`` with SIGKILL mid-run, resume, and check every row exactly once.

A double-encrypted token would decrypt to another token, a twice-FF1-encrypted phone would
decrypt to a wrong number, and a skipped row would still hold plaintext: each check below
fails in one of those cases.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.protect.conftest import make_csv, make_parquet, make_sqlite, row

from guardrail.crypto import FF1, FieldEncryptor, Keyring, Pseudonymizer, decrypt_phone, is_token

GUARDRAIL = str(Path(sys.executable).with_name("guardrail"))
POLICY = """\
context_prefix: shop
keyring: {file: keyring.json}
tables:
  customers:
    columns:
      id_number: {transform: encrypt}
      phone: {transform: fpe, format: phone}
      card: {transform: pseudonymize}
"""


def _kill_mid_run(workdir: Path, source: str, *, after: int, chunk: int) -> None:
    """Start protect, wait for ``after`` committed-chunk lines, then SIGKILL it."""
    proc = subprocess.Popen(
        [GUARDRAIL, "-v", "protect", source, "--policy", "crash.yaml", "--chunk-size", str(chunk)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
    )
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        if line.startswith("protecting customers:") and not line.startswith(
            "protecting customers: 0/"
        ):
            seen += 1
            if seen == after:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"


def _resume(workdir: Path, source: str) -> str:
    done = subprocess.run(
        [GUARDRAIL, "protect", source, "--policy", "crash.yaml", "--chunk-size", "500"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def _verify(got: list[tuple[object, ...]], keyring: Keyring, n: int) -> None:
    enc = FieldEncryptor(keyring, "shop.customers.id_number")
    ff1 = FF1.from_keyring(keyring, context="shop.customers.phone")
    ps = Pseudonymizer(keyring, "shop.customers.card")
    assert sorted(int(str(g[0])) for g in got) == list(range(1, n + 1))
    for ident, id_number, phone, card in got:
        o = row(int(str(ident)))
        assert is_token(id_number) and enc.decrypt(str(id_number)) == o[3]
        if o[2] is None:
            assert phone in (None, "")
        else:
            assert phone != o[2] and decrypt_phone(ff1, str(phone)) == o[2]
        assert card == ps.pseudonym(str(o[7]))


@pytest.fixture
def crash_dir(workdir: Path) -> Path:
    (workdir / "crash.yaml").write_text(POLICY)
    return workdir


def test_sqlite_crash_resume(crash_dir: Path, keyring: Keyring) -> None:
    n = 12_000
    db = make_sqlite(crash_dir / "shop.db", n)
    _kill_mid_run(crash_dir, "shop.db", after=2, chunk=500)
    con = sqlite3.connect(db)
    state = json.loads(con.execute("SELECT state FROM guardrail_protect_state").fetchone()[0])
    assert state["status"] == "running" and 0 < state["rows_done"] < n
    protected = con.execute(
        "SELECT count(*) FROM customers WHERE id_number LIKE 'gr1:%'"
    ).fetchone()[0]
    assert protected == state["rows_done"]  # the checkpoint and the data committed together
    con.close()
    err = _resume(crash_dir, "shop.db")
    assert f"resumed at row {state['rows_done'] + 1:,}" in err
    rows = (
        sqlite3.connect(db).execute("SELECT id, id_number, phone, card FROM customers").fetchall()
    )
    _verify(rows, keyring, n)


def test_csv_crash_resume(crash_dir: Path, keyring: Keyring) -> None:
    n = 12_000
    path = make_csv(crash_dir / "customers.csv", n)
    original = path.read_bytes()
    _kill_mid_run(crash_dir, "customers.csv", after=2, chunk=500)
    journal = json.loads((crash_dir / "customers.csv.guardrail-protect.json").read_text())
    assert journal["status"] == "running" and 0 < journal["rows_done"] < n
    assert path.read_bytes() == original  # untouched until the end
    assert (crash_dir / "customers.csv.guardrail-protect.tmp").exists()
    err = _resume(crash_dir, "customers.csv")
    assert f"resumed at row {journal['rows_done'] + 1:,}" in err
    assert not (crash_dir / "customers.csv.guardrail-protect.tmp").exists()
    with path.open(encoding="utf-8", newline="") as fh:
        data = list(csv.DictReader(fh))
    _verify([(r["id"], r["id_number"], r["phone"], r["card"]) for r in data], keyring, n)


def test_parquet_crash_resume(crash_dir: Path, keyring: Keyring) -> None:
    import pyarrow.parquet as pq

    n = 12_000
    path = make_parquet(crash_dir / "customers.parquet", n)
    _kill_mid_run(crash_dir, "customers.parquet", after=2, chunk=500)
    journal = json.loads((crash_dir / "customers.parquet.guardrail-protect.json").read_text())
    assert journal["status"] == "running" and 0 < journal["position"]["parts"] < n // 500
    _resume(crash_dir, "customers.parquet")
    data = pq.read_table(path).to_pylist()
    _verify([(r["id"], r["id_number"], r["phone"], r["card"]) for r in data], keyring, n)
