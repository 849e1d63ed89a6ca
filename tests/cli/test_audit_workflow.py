"""Waivers, baselines, diff, validate, list, init, fides import and the config/env layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_cli import MINIMAL_GDPR, invoke
from tests.conftest import AT


def _report(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((path / "guardrail-out" / "report.json").read_text())


def _minimal(tmp_path: Path) -> Path:
    (tmp_path / "stack.yaml").write_text(MINIMAL_GDPR)
    return tmp_path


def test_waiver_in_force_and_expired(tmp_path: Path) -> None:
    stack = _minimal(tmp_path)
    (stack / "policies").mkdir()
    waivers = stack / "policies" / "waivers.yaml"
    waivers.write_text(
        "schema_version: 1\nwaivers:\n"
        "  - {control: C30, target: 'organization:officers.*', reason: page ships "
        "in Q1, owner: Legal, expires: 2027-01-31, ticket: PRIV-501}\n"
    )
    invoke("audit", str(stack), "--at", AT, "-o", "json", cwd=tmp_path)
    report = _report(tmp_path)
    c30 = [f for f in report["findings"] if f["control"] == "C30"]
    assert [f["status"] for f in c30] == ["waived"] and c30[0]["waiver"]["ticket"] == "PRIV-501"
    assert {r["control"]: r["status"] for r in report["results"]}["C30"] == "waived"
    # Auditor mode ignores waivers.
    invoke("audit", str(stack), "--at", AT, "-o", "json", "--no-waivers", cwd=tmp_path)
    assert [f["status"] for f in _report(tmp_path)["findings"] if f["control"] == "C30"] == ["open"]
    # An expired waiver waives nothing and says so.
    invoke("audit", str(stack), "--at", "2027-02-01T00:00:00Z", "-o", "json", cwd=tmp_path)
    expired = next(f for f in _report(tmp_path)["findings"] if f["control"] == "C30")
    assert expired["status"] == "open"
    assert any("expired on 2027-01-31" in e["summary"]["en"] for e in expired["evidence"])


def test_waiver_needs_reason_owner_expiry(tmp_path: Path) -> None:
    stack = _minimal(tmp_path)
    (stack / "policies").mkdir()
    (stack / "policies" / "waivers.yaml").write_text(
        "schema_version: 1\nwaivers:\n  - {control: C30, reason: later}\n"
    )
    code, _, err = invoke("audit", str(stack), cwd=tmp_path)
    assert code == 2 and "waivers.yaml:3" in err and "required key is missing" in err


def test_baseline_and_diff(tmp_path: Path) -> None:
    stack = _minimal(tmp_path)
    invoke("audit", str(stack), "--at", AT, "-o", "json", "--output-dir", "old", cwd=tmp_path)
    old = tmp_path / "old" / "report.json"
    # The same findings against the baseline: reported, baselined, not gating.
    code, out, _ = invoke("check", str(stack), "--at", AT, "--baseline", str(old), cwd=tmp_path)
    assert code == 0, out
    # Publish the DPO contact (fixes C30) and drop the DSR process answer: diff shows it.
    (stack / "stack.yaml").write_text(MINIMAL_GDPR.replace("published: false", "published: true"))
    invoke("audit", str(stack), "--at", AT, "-o", "json", "--output-dir", "new", cwd=tmp_path)
    code, out, _ = invoke(
        "diff", str(old), str(tmp_path / "new" / "report.json"), "--format", "json"
    )
    doc = json.loads(out)
    assert code == 0 and len(doc["fixed"]) == 1 and doc["new"] == []
    fixed = [f for f in json.loads(old.read_text())["findings"] if f["id"] == doc["fixed"][0]]
    assert fixed[0]["control"] == "C30"
    code, _, err = invoke("diff", str(old), str(tmp_path / "nope.json"))
    assert code == 2 and "not found" in err


def test_validate_list_and_schema(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE

    code, out, _ = invoke("validate", str(EXAMPLE))
    assert code == 0 and "valid — 5 systems" in out
    bad = tmp_path / "stack.yaml"
    bad.write_text(MINIMAL_GDPR + "datastores:\n  - {id: db, url_env: NOPE_DB_URL, region: DE}\n")
    code, _, err = invoke("validate", str(tmp_path))
    assert code == 2 and "NOPE_DB_URL" in err
    code, out, _ = invoke("list", "controls", "--format", "json")
    controls = json.loads(out)
    assert len(controls) >= 40 and {c["id"] for c in controls} >= {"C01", "C27", "C43"}
    code, out, _ = invoke("list", "controls", "-F", "pipl", "--format", "json")
    assert all("pipl" in c["frameworks"] for c in json.loads(out))
    code, out, _ = invoke("list", "frameworks", "--format", "json")
    assert [f["id"] for f in json.loads(out)] == ["pipl", "gdpr", "ccpa"]


def test_init_blank_from_db_and_refuses_overwrite(tmp_path: Path, shop_template: Path) -> None:
    code, _, err = invoke("init", str(tmp_path / "blank"), "--name", "Acme", "--region", "DE")
    assert code == 0 and (tmp_path / "blank" / "stack.yaml").is_file()
    code, out, _ = invoke("validate", str(tmp_path / "blank"))
    assert code == 0
    code, _, err = invoke("init", str(tmp_path / "blank"))
    assert code == 2 and "already exists" in err
    db = shop_template / "data" / "shop.db"
    code, _, err = invoke("init", str(tmp_path / "fromdb"), "--from-db", str(db), "--sample", "50")
    assert code == 0
    text = (tmp_path / "fromdb" / "stack.yaml").read_text()
    assert "CN_RESIDENT_ID" in text and "user.government_id" in text
    code, out, _ = invoke("validate", str(tmp_path / "fromdb"))
    assert code == 0, out


def test_init_from_a_relative_sqlite_path_is_auditable(tmp_path: Path, shop_template: Path) -> None:
    """The manifest resolves SQLite paths against its folder, not the folder init ran in."""
    import shutil

    shutil.copy(shop_template / "data" / "shop.db", tmp_path / "shop.db")
    code, _, err = invoke(
        "init", "stacks/fromdb", "--from-db", "shop.db", "--sample", "20", cwd=tmp_path
    )
    assert code == 0, err
    assert (
        "url: sqlite:///../../shop.db"
        in (tmp_path / "stacks" / "fromdb" / "stack.yaml").read_text()
    )
    code, out, err = invoke("check", "stacks/fromdb", "--at", "2026-11-22T00:00:00Z", cwd=tmp_path)
    assert code in (0, 1), out + err  # audited, not an incomplete run (3)


def test_init_refuses_two_sources(tmp_path: Path) -> None:
    code, _, err = invoke("init", str(tmp_path), "--from-db", "x.db", "--from-fides", str(tmp_path))
    assert code == 2 and "cannot be combined" in err


FIDES = """
organization:
  - fides_key: acme
    name: Acme Trading
    data_protection_officer: {name: Jane Roe, email: dpo@acme.example}
system:
  - fides_key: web_shop
    name: Web shop
    privacy_declarations:
      - name: Marketing e-mails
        data_categories: [user.contact.email]
        data_use: marketing.communications
        data_subjects: [customer]
        dataset_references: [shop_db]
dataset:
  - fides_key: shop_db
    name: Shop database
    collections:
      - name: customers
        fields:
          - {name: email, data_categories: [user.contact.email]}
          - {name: address, fields: [{name: city, data_categories: [user.contact.address.city]}]}
          - {name: id}
"""


def test_fides_import(tmp_path: Path) -> None:
    (tmp_path / ".fides").mkdir()
    (tmp_path / ".fides" / "acme.yml").write_text(FIDES)
    # The audit reads a fides project directly ...
    code, out, _ = invoke("check", str(tmp_path), "--at", AT, "--fail-on", "none", cwd=tmp_path)
    assert code == 0, out
    # ... and init converts it into a manifest to grow.
    code, _, _ = invoke(
        "init", str(tmp_path / "conv"), "--from-fides", str(tmp_path / ".fides"), "--region", "DE"
    )
    assert code == 0
    text = (tmp_path / "conv" / "stack.yaml").read_text()
    assert "address.city" in text and "marketing.communications" in text and "Jane Roe" in text


def test_config_file_and_env_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _minimal(tmp_path)
    (tmp_path / ".guardrail.yaml").write_text("fail_on: critical\ncheck: {sample: 10}\n")
    code, _, _ = invoke("check", str(stack), "--at", AT, cwd=tmp_path)
    assert code == 0  # file: only critical gates
    monkeypatch.setenv("GUARDRAIL_FAIL_ON", "high")
    code, _, _ = invoke("check", str(stack), "--at", AT, cwd=tmp_path)
    assert code == 1  # env beats file
    code, _, _ = invoke("check", str(stack), "--at", AT, "--fail-on", "none", cwd=tmp_path)
    assert code == 0  # flag beats env
    (tmp_path / ".guardrail.yaml").write_text("fail_on: sometimes\n")
    code, _, err = invoke("check", str(stack), cwd=tmp_path)
    assert code == 2 and ".guardrail.yaml:1" in err
