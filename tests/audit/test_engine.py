"""The example shop audited end to end (the planted violations are the expected findings)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrail.audit import AuditOptions, fingerprint, run_audit
from guardrail.model.audit import ControlStatus, Target

AT = datetime(2026, 11, 22, tzinfo=UTC)

# The example shop's findings, control results and scorecards are pinned in a golden file;
# regenerate it with GUARDRAIL_UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
GOLDEN = Path(__file__).parent / "golden" / "shop_audit.json"


def _summary(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {
        "findings": sorted(
            f"{f.control} | {f.target} | {f.severity.value} | {f.status.value}"
            for f in result.findings
        ),
        "results": {r.control: r.status.value for r in result.results},
        "scorecards": {
            s.framework: f"pass {s.passed}, fail {s.failed}, manual {s.manual}, "
            f"waived {s.waived}, error {s.errors}, n/a {s.not_applicable}"
            for s in result.scorecards
        },
    }


@pytest.fixture(scope="module")
def result(shop_template: Path):  # type: ignore[no-untyped-def]
    return run_audit(shop_template, AuditOptions(at=AT))


def test_findings_match_the_golden_file(result) -> None:  # type: ignore[no-untyped-def]
    assert not result.errors
    got = _summary(result)
    if os.environ.get("GUARDRAIL_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(GOLDEN.read_text())


def test_the_planted_violations_are_found(result) -> None:  # type: ignore[no-untyped-def]
    found = {(f.control, str(f.target)) for f in result.findings if f.status.value == "open"}
    planted = {
        ("C03", "field:shop_db.payments.card_number"),  # full card numbers in payments
        ("C03", "field:shop_db.customers.id_number"),  # plaintext resident IDs
        ("C06", "file:app_logs:logs/app.log"),  # phones and e-mails in logs
        ("C22", "dataset:shop_db.support_tickets"),  # records past retention
        ("C22", "dataset:shop_db.analytics_events"),  # no retention rule
        ("C27", "flow:crm-to-mailwave"),  # a CN->US transfer with no mechanism
        ("C24", "processor:swiftlink"),  # an expired processor agreement
        ("C30", "organization:officers.dpo"),  # unpublished DPO contact
    }
    assert planted <= found


def test_every_finding_cites_articles_and_points_at_the_manifest(result) -> None:  # type: ignore[no-untyped-def]
    for f in result.findings:
        assert f.refs, f.control
        assert f.location is not None and f.location.path.endswith("stack.yaml")
        assert f.location.line is not None
        assert f.id == fingerprint(f.control, f.target)
    c03 = next(f for f in result.findings if f.control == "C03")
    cited = {str(r) for r in c03.refs}
    assert {"PIPL Art. 51(3)", "GDPR Art. 32(1)(a)", "Cal. Civ. Code §1798.150(a)(1)"} <= cited
    assert set(c03.frameworks) == {"pipl", "gdpr", "ccpa"}
    c27 = next(f for f in result.findings if f.control == "C27")
    assert c27.frameworks == ("pipl",)


def test_transfers_and_officer_pass_where_they_should(result) -> None:  # type: ignore[no-untyped-def]
    status = {r.control: r.status for r in result.results}
    assert status["C28"] is ControlStatus.PASS
    assert ControlStatus.ERROR not in status.values()
    assert {a.framework for a in result.applicability if a.applies} == {"pipl", "gdpr", "ccpa"}


def test_fingerprints_are_stable() -> None:
    t = Target(kind="flow", id="crm-to-mailwave")
    assert fingerprint("C27", t) == fingerprint("C27", t)
    assert fingerprint("C27", t) != fingerprint("C28", t)
    assert len(fingerprint("C27", t)) == 32


def test_reproducible_json(shop_template: Path) -> None:
    from guardrail.report import reporter

    a = reporter("json").render(run_audit(shop_template, AuditOptions(at=AT)))
    b = reporter("json").render(run_audit(shop_template, AuditOptions(at=AT)))
    assert a == b
    doc = json.loads(a)
    assert doc["at"].startswith("2026-11-22")


def test_framework_selection(shop_template: Path) -> None:
    r = run_audit(shop_template, AuditOptions(at=AT, frameworks=("gdpr",)))
    assert [f.id for f in r.frameworks] == ["gdpr"]
    assert all(f.frameworks == ("gdpr",) for f in r.findings)
    assert not any(f.control == "C27" for f in r.findings)


def test_missing_database_makes_the_run_incomplete(shop: Path) -> None:
    (shop / "data" / "shop.db").unlink()
    r = run_audit(shop, AuditOptions(at=AT))
    assert [e.stage for e in r.errors] == ["scan datastore 'shop_db'"]
    assert "database file not found" in r.errors[0].message
    status = {x.control: x.status for x in r.results}
    assert status["C03"] is not ControlStatus.PASS


@pytest.mark.integration
@pytest.mark.parametrize("server", ["pg", "mysql"])
def test_servers_yield_the_same_findings(
    server: str,
    shop_template: Path,
    shop_generator,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    import shutil

    from tests.examples_support import load_servers

    url = request.getfixturevalue("pg_database" if server == "pg" else "mysql_database")
    load_servers(shop_template / "data" / "shop.db", url)
    copy = tmp_path / "shop"
    shutil.copytree(shop_template, copy, ignore=shutil.ignore_patterns("shop.db", "playbooks"))
    text = (copy / "stack.yaml").read_text()
    (copy / "stack.yaml").write_text(
        text.replace("    url: sqlite:///data/shop.db\n", "    url_env: SHOP_DB_URL\n")
    )
    shop_generator.generate_playbooks(copy)  # the library is tied to the manifest's digest
    monkeypatch.setenv("SHOP_DB_URL", url)
    r = run_audit(copy, AuditOptions(at=AT))
    assert not r.errors
    sqlite = run_audit(shop_template, AuditOptions(at=AT))
    assert _summary(r)["findings"] == _summary(sqlite)["findings"]


def test_finding_ids_are_unique(result) -> None:  # type: ignore[no-untyped-def]
    ids = [f.id for f in result.findings]
    assert len(ids) == len(set(ids))
    both = next(
        f for f in result.findings if f.control == "C29" and f.target.id == "crm-to-mailwave"
    )
    assert set(both.frameworks) == {"pipl", "ccpa"}
