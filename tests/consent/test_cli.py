"""``guardrail consent`` through click (in-process) and as a real subprocess."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.cli.test_cli import invoke
from tests.conftest import REPO
from tests.consent.conftest import CATALOG_PATH, KEY, MAPPING_PATH

from guardrail.testing import Canaries, capture_logs

AT = "2026-11-22T00:00:00Z"
GUARDRAIL = str(Path(sys.executable).with_name("guardrail"))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GUARDRAIL_KEYRING", base64.urlsafe_b64encode(KEY).rstrip(b"=").decode())
    monkeypatch.setenv("GUARDRAIL_CONSENT_URL", f"sqlite:///{tmp_path / 'consent.db'}")
    monkeypatch.setenv("GUARDRAIL_CONSENT_CATALOG", str(CATALOG_PATH))
    monkeypatch.delenv("GUARDRAIL_CONSENT_SIGNING_KEY", raising=False)
    yield tmp_path


def gr(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    return invoke("consent", *args, cwd=cwd)


def test_record_status_withdraw_history(env: Path) -> None:
    code, out, err = gr(
        "record", "cust-1", "marketing", "--separate", "--at", "2026-11-01T10:00:00Z"
    )
    assert code == 0, err
    assert "marketing" in out and "given" in out and "cust-1" not in out
    code, out, _ = gr("status", "cust-1", "marketing", "--require", "--at", AT)
    assert code == 0 and "yes" in out
    code, out, _ = gr("withdraw", "cust-1", "--at", "2026-11-02T00:00:00Z")
    assert code == 0 and "withdrawn" in out
    code, out, err = gr(
        "status", "cust-1", "marketing", "--require", "--at", AT, "--format", "json"
    )
    assert code == 1 and "consent missing for: marketing" in err
    state = json.loads(out)["states"][0]
    assert (state["valid"], state["reason"]) == (False, "withdrawn")
    code, out, _ = gr("--lang", "zh", "status", "cust-1", "marketing", "--at", AT)
    assert "个人已撤回同意" in out
    code, out, _ = gr("history", "cust-1", "--format", "jsonl")
    assert [json.loads(line)["action"] for line in out.splitlines()] == ["given", "withdrawn"]


def test_verify_exit_codes(env: Path) -> None:
    import sqlite3

    for i in range(5):
        gr("record", f"c{i}", "analytics", "--at", "2026-11-01T00:00:00Z")
    code, out, _ = gr("verify")
    assert code == 0 and out.startswith("OK: 5 events verified")
    db = sqlite3.connect(env / "consent.db", isolation_level=None)
    db.execute("DROP TRIGGER guardrail_consent_events_no_update")
    db.execute("UPDATE guardrail_consent_events SET action = 'refused' WHERE seq = 3")
    db.close()
    code, out, _ = gr("verify", "--format", "json")
    report = json.loads(out)
    assert code == 1 and [(p["kind"], p["seq"]) for p in report["problems"]] == [("edited", 3)]
    code, out, _ = gr("verify")
    assert code == 1 and "event #3 was edited" in out and "BROKEN: 1 problem(s)" in out


def test_import_facts_export_erase(env: Path, shop_template: Path) -> None:
    db = shop_template / "data" / "shop.db"
    code, out, err = gr("import", str(db), "--mapping", str(MAPPING_PATH))
    assert code == 0, err
    assert "read 6,000 rows, recorded 6,000 events (#1..#6000)" in out
    code, out, _ = gr("import", str(db), "--mapping", str(MAPPING_PATH))
    assert "recorded 0 events" in out and "resumed after key 6000" in out
    mailing = env / "mailing.txt"
    import sqlite3

    ids = [
        str(r[0])
        for r in sqlite3.connect(db).execute("SELECT id FROM customers WHERE marketing_opt_in = 1")
    ]
    mailing.write_text("\n".join(ids) + "\n")
    code, out, err = gr(
        "facts", "--at", AT, "--processing", f"marketing={mailing}", "--format", "json"
    )
    assert code == 0, err
    facts = json.loads(out)
    marketing = next(p for p in facts["purposes"] if p["purpose"] == "marketing")
    assert marketing["processed"] == len(ids) and marketing["coverage"] == 0.0
    code, out, _ = gr("facts", "--at", AT)
    assert "marketing" in out and "coverage" in out
    subject = ids[0]
    code, out, _ = gr("export", subject, "--at", AT)
    doc = json.loads(out)
    assert doc["format"] == "guardrail-consent-export" and len(doc["states"]) == 4
    dest = env / "out" / "all.jsonl"
    code, _, _ = gr("export", "--all", "--output", str(dest))
    assert code == 0 and len(dest.read_text().splitlines()) == 6000
    n = len(doc["events"])
    code, out, _ = gr("erase", subject, "--yes")
    assert code == 0 and f"erased {n} event(s); tombstone #6001" in out
    code, out, _ = gr("verify")
    assert code == 0 and f"({n} erased)" in out


def test_receipts_and_keys(env: Path) -> None:
    key = env / "receipts.jwk"
    code, out, _ = gr("keygen", str(key), "--kid", "r1")
    assert code == 0 and oct(key.stat().st_mode & 0o777) == "0o600"
    code, out, err = gr(
        "--signing-key", str(key), "record", "c", "analytics", "--receipt", "--format", "json"
    )
    assert code == 0, err
    token = json.loads(out)["receipt"]
    code, out, _ = gr("--signing-key", str(key), "receipt", "1")
    assert out.strip().count(".") == 2
    code, out, _ = gr("receipt", "1", "--format", "kantara")
    assert json.loads(out)["version"] == "KI-CR-v1.1.0"
    code, out, _ = gr("--signing-key", str(key), "jwks")
    jwks = json.loads(out)
    assert jwks["keys"][0]["kid"] == "r1" and "d" not in jwks["keys"][0]
    anchor = env / "receipt.jwt"
    anchor.write_text(token)
    code, out, _ = gr("--signing-key", str(key), "verify", "--anchor", str(anchor))
    assert code == 0
    code, _, err = gr("receipt", "1")
    assert code == 2 and "no signing key" in err


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("record", "c", "nosuch"), "unknown purpose 'nosuch'"),
        (("record", "c", "analytics", "--at", "yesterday"), "not an ISO 8601 time"),
        (("record", "c", "analytics", "--notice", "1999"), "unknown notice version"),
        (("--registry", "mongodb://x/y", "status", "c"), "unsupported database"),
        (("--registry", "sqlite:///nope/x.db", "status", "c"), "consent registry not found"),
        (("--catalog", "missing.yaml", "record", "c", "analytics"), "file not found"),
        (("export",), "give either SUBJECT or --all"),
        (("import", "nothing.csv"), "source file not found"),
    ],
)
def test_errors_are_one_line_with_exit_2(env: Path, args: tuple[str, ...], text: str) -> None:
    code, out, err = gr(*args, cwd=env)
    assert code == 2, (out, err)
    assert text in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_catalog_names_file_and_line(env: Path) -> None:
    bad = env / "cat.yaml"
    bad.write_text(
        CATALOG_PATH.read_text().replace(
            "separate_consent: [sensitive]", "separate_consent: [secret]"
        )
    )
    code, _, err = gr("--catalog", str(bad), "record", "c", "analytics")
    assert code == 2 and "cat.yaml:" in err and "separate_consent" in err


def test_missing_keyring(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUARDRAIL_KEYRING")
    code, _, err = gr("record", "c", "analytics")
    assert code == 2 and "GUARDRAIL_KEYRING" in err


def test_subject_from_stdin_and_schema(env: Path) -> None:
    proc = subprocess.run(
        [GUARDRAIL, "consent", "record", "-", "analytics", "--format", "json"],
        input="13912345678\n",
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "13912345678" not in proc.stdout + proc.stderr
    _, out, _ = gr("schema", "catalog")
    assert json.loads(out)["title"] == "guardrail consent catalog"


def test_canaries_never_leak_from_the_cli(env: Path) -> None:
    c = Canaries(seed=21)
    subject, guardian, ref = c.cn_resident_id(), c.cn_mobile(), c.email()
    outputs: list[str] = []
    with capture_logs() as logs:
        for args in (
            (
                "record",
                subject,
                "analytics",
                "--region",
                "CN",
                "--minor-age",
                "12",
                "--guardian",
                guardian,
            ),
            ("record", subject, "nosuch"),
            ("record", subject, "analytics", "--evidence-ref", "x\x01y"),
            ("status", subject),
            ("history", subject),
            ("history", subject, "--format", "json"),
            ("withdraw", subject),
            ("verify",),
            ("erase", subject, "--yes"),
            ("status", ref, "--format", "json"),
        ):
            _, out, err = gr(*args)
            outputs += [out, err]
    c.assert_absent(*outputs, "\n".join(logs))


def test_serve_as_a_subprocess(env: Path) -> None:
    token = "subprocess-token-0123456789"
    proc = subprocess.Popen(
        [GUARDRAIL, "consent", "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GUARDRAIL_CONSENT_TOKENS": token, "PYTHONPATH": str(REPO / "src")},
    )
    try:
        assert proc.stderr is not None
        assert "look-up index loaded (0 entries)" in proc.stderr.readline()
        line = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.strip().rsplit(" ", 1)[1]
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.post(
            f"{url}/v1/events", json={"subject": "c", "purpose": "analytics"}, headers=auth
        )
        assert r.status_code == 201
        r = httpx.post(
            f"{url}/v1/status", json={"subject": "c", "purposes": ["analytics"]}, headers=auth
        )
        assert r.json()["states"][0]["valid"] is True
        assert httpx.get(f"{url}/v1/verify").status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


def test_serve_refuses_without_tokens(env: Path) -> None:
    code, _, err = gr("serve", "--port", "0")
    assert code == 2 and "bearer token" in err
