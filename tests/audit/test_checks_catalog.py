"""Pass and fail fixtures for the catalog's checks (C04-C43), asserted as exact sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.audit.fixtures import AT, BASE, classified, run, stack

from guardrail.audit.checks import BUILTIN_CHECKS
from guardrail.audit.packs import load_policies
from guardrail.model.classification import AgeProfile
from guardrail.model.consent import ConsentFacts, PurposeConsentFacts
from guardrail.model.privacy import Release

ORG = BASE["organization"]


def _org(**changes: Any) -> dict[str, Any]:
    return {**ORG, **changes}


SYSTEMS = [
    {"id": "cn-app", "name": "App", "region": "CN"},
    {"id": "eu-app", "name": "EU app", "region": "DE"},
]
PROCESSORS = [
    {
        "id": "vendor",
        "name": "Vendor",
        "region": "CN",
        "roles": {"pipl": "entrusted", "gdpr": "processor", "ccpa": "service_provider"},
    },
    {
        "id": "adco",
        "name": "AdCo",
        "region": "US",
        "roles": {"pipl": "recipient", "gdpr": "processor", "ccpa": "third_party"},
    },
]


def _purpose(
    pid: str,
    pipl: str = "contract_or_hr",
    gdpr: str = "contract",
    ccpa: str = "business_purpose",
    **kw: Any,
) -> dict[str, Any]:
    return {
        "id": pid,
        "description": {"en": pid, "zh": pid},
        "legal_basis": {"pipl": pipl, "gdpr": gdpr, "ccpa": ccpa},
        **kw,
    }


def test_tls_endpoints() -> None:
    s = stack(
        systems=[
            {"id": "a", "name": "A", "region": "CN", "public_endpoints": ["https://a.example"]},
            {
                "id": "b",
                "name": "B",
                "region": "CN",
                "public_endpoints": ["https://b.example", "http://b.example/api"],
            },
            {"id": "c", "name": "C", "region": "CN"},
        ]
    )
    assert run("tls_endpoints", s) == {("system:a", True), ("system:b", False)}


def _release(rid: str, eps: float, dataset: str = "shop") -> Release:
    return Release.model_validate(
        {
            "id": rid,
            "dataset": dataset,
            "description": "orders per province",
            "query_digest": "0" * 64,
            "privacy_unit": "user_id",
            "mechanism": "gaussian",
            "epsilon": eps,
            "delta": 1e-6,
            "created": "2026-10-01T00:00:00Z",
        }
    )


def test_analytics_pseudonymised() -> None:
    dp = {"method": "differential_privacy", "dataset": "shop", "max_epsilon": 1.0}
    s = stack(
        datastores=[
            {
                "id": "db",
                "url": "sqlite:///x.db",
                "region": "CN",
                "datasets": [
                    {"name": "clean", "environment": "analytics"},
                    {"name": "leaky", "environment": "test"},
                    {"name": "prod"},
                ],
            }
        ],
        systems=SYSTEMS,
        processors=PROCESSORS,
        flows=[
            {
                "id": "no-release",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "anonymised": dp,
            },
            {
                "id": "cited",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "anonymised": {**dp, "releases": ["r1"]},
            },
            {
                "id": "unknown",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "anonymised": {**dp, "releases": ["r9"]},
            },
            {
                "id": "too-much",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "anonymised": {**dp, "releases": ["r2"]},
            },
            {
                "id": "k-anon",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "anonymised": {"method": "k_anonymity"},
            },
        ],
    )
    cls = (
        classified("db", "clean", ("device", ("IP_ADDRESS",))),
        classified("db", "leaky", ("mail", ("EMAIL_ADDRESS",))),
        classified("db", "prod", ("mail", ("EMAIL_ADDRESS",))),
    )
    releases = (_release("r1", 0.5), _release("r2", 4.0))
    assert run("analytics_pseudonymised", s, classifications=cls, releases=releases) == {
        ("dataset:db.clean", True),
        ("dataset:db.leaky", False),
        ("flow:no-release", False),
        ("flow:cited", True),
        ("flow:unknown", False),
        ("flow:too-much", False),
        ("flow:k-anon", False),
    }
    # Anonymised flows are not PRC outbound PI flows.
    assert run("prc_outbound_mechanism", s) == set()


def test_display_masking() -> None:
    s = stack(
        datastores=[
            {
                "id": "db",
                "url": "sqlite:///x.db",
                "region": "CN",
                "datasets": [
                    {
                        "name": "t",
                        "fields": [
                            {"name": "masked_id", "protection": {"masked_in_display": True}},
                            {"name": "token", "protection": {"tokenized": True}},
                        ],
                    }
                ],
            }
        ]
    )
    cls = (
        classified(
            "db",
            "t",
            ("masked_id", ("CN_RESIDENT_ID",)),
            ("token", ("CREDIT_CARD",)),
            ("email", ("EMAIL_ADDRESS",)),
        ),
        classified("db", "u", ("plain_id", ("CN_RESIDENT_ID",))),
    )
    assert run("display_masking", s, classifications=cls) == {
        ("dataset:db.t", True),
        ("dataset:db.u", False),
    }


def test_data_localisation() -> None:
    stores = [
        {
            "id": "cn-db",
            "url": "sqlite:///a.db",
            "region": "CN",
            "backups": {"enabled": True, "region": "CN"},
        },
        {
            "id": "cn-db-us-backup",
            "url": "sqlite:///b.db",
            "region": "CN",
            "backups": {"enabled": True, "region": "US"},
        },
        {"id": "us-db", "system": "cn-app", "url": "sqlite:///c.db", "region": "US"},
        {"id": "eu-db", "url": "sqlite:///d.db", "region": "DE"},
    ]
    cii = stack(organization=_org(cii_operator=True), systems=SYSTEMS, datastores=stores)
    assert run("data_localisation", cii) == {
        ("datastore:cn-db", True),
        ("datastore:cn-db-us-backup", False),
        ("datastore:us-db", False),
    }
    plain = stack(systems=SYSTEMS, datastores=stores)
    assert run("data_localisation", plain) == set()


NOTICE_ALL = [
    "identity_contact",
    "purposes",
    "categories",
    "retention",
    "rights",
    "recipients",
    "transfers",
    "sensitive_necessity",
]


def test_notice_complete() -> None:
    base = {
        "systems": SYSTEMS,
        "processors": PROCESSORS,
        "flows": [
            {"id": "out", "from": "cn-app", "to": "adco", "from_region": "CN", "to_region": "US"}
        ],
    }
    ok = stack(
        notices=[{"id": "n", "version": "1", "effective": "2026-01-01", "items": NOTICE_ALL}],
        **base,
    )
    cls = (classified("db", "t", ("id", ("CN_RESIDENT_ID",))),)
    assert run("notice_complete", ok, classifications=cls) == {("notice:n", True)}
    lacking = stack(
        notices=[{"id": "n", "version": "1", "effective": "2026-01-01", "items": NOTICE_ALL[:5]}],
        **base,
    )
    assert run("notice_complete", lacking, classifications=cls) == {("notice:n", False)}
    assert run("notice_complete", stack(**base)) == {("notice:(none)", False)}
    # Without sensitive PI, PIPL Art. 30's item is not required; GDPR-only needs no categories.
    gdpr_only = stack(
        notices=[
            {
                "id": "n",
                "version": "1",
                "effective": "2026-01-01",
                "items": ["identity_contact", "purposes", "recipients", "retention", "rights"],
            }
        ]
    )
    assert run("notice_complete", gdpr_only, frameworks={"gdpr"}) == {("notice:n", True)}


def test_lawful_basis_recorded() -> None:
    s = stack(
        purposes=[
            _purpose("full"),
            {
                "id": "half",
                "description": {"en": "h", "zh": "h"},
                "legal_basis": {"gdpr": "contract"},
            },
        ]
    )
    assert run("lawful_basis_recorded", s) == {("purpose:full", True), ("purpose:half", False)}
    assert run("lawful_basis_recorded", s, frameworks={"gdpr"}) == {
        ("purpose:full", True),
        ("purpose:half", True),
    }


def test_opt_out_links() -> None:
    sells = {"organization": _org(sells_or_shares_pi=True)}
    with_link = stack(
        notices=[
            {"id": "n", "version": "1", "effective": "2026-01-01", "items": ["do_not_sell_link"]}
        ],
        **sells,
    )
    assert run("opt_out_links", with_link) == {("notice:n", True)}
    without = stack(notices=[{"id": "n", "version": "1", "effective": "2026-01-01"}], **sells)
    assert run("opt_out_links", without) == {("notice:n", False)}
    assert run("opt_out_links", stack()) == set()  # neither sells nor uses SPI commercially
    assert run("opt_out_links", without, frameworks={"pipl"}) == set()
    # SPI in a dataset used for a sharing purpose needs the "Limit" link too.
    spi = stack(
        organization=_org(),
        datastores=[
            {
                "id": "db",
                "url": "sqlite:///x.db",
                "region": "CN",
                "datasets": [{"name": "t", "purposes": ["ads"]}],
            }
        ],
        purposes=[_purpose("ads", pipl="consent", gdpr="consent", ccpa="share")],
        notices=[
            {"id": "n", "version": "1", "effective": "2026-01-01", "items": ["do_not_sell_link"]}
        ],
    )
    cls = (classified("db", "t", ("ssn", ("US_SSN",))),)
    assert run("opt_out_links", spi, classifications=cls) == {("notice:n", False)}


def test_data_minimisation() -> None:
    s = stack(
        datastores=[
            {
                "id": "db",
                "url": "sqlite:///x.db",
                "region": "CN",
                "datasets": [
                    {"name": "covered", "purposes": ["ship"]},
                    {"name": "excess", "purposes": ["ship"]},
                    {"name": "orphan"},
                ],
            }
        ],
        purposes=[_purpose("ship", categories=["user.contact", "user.name"])],
    )
    cls = (
        classified("db", "covered", ("email", ("EMAIL_ADDRESS",)), ("n", ("PERSON",))),
        classified("db", "excess", ("email", ("EMAIL_ADDRESS",)), ("id", ("CN_RESIDENT_ID",))),
        classified("db", "orphan", ("email", ("EMAIL_ADDRESS",))),
        classified("db", "no_pi", ("ts", ("DATE_TIME",))),
    )
    assert run("data_minimisation", s, classifications=cls) == {
        ("dataset:db.covered", True),
        ("dataset:db.excess", False),
        ("dataset:db.orphan", False),
    }


def test_recipients_disclosed() -> None:
    flows = [
        {
            "id": "svc",
            "from": "cn-app",
            "to": "vendor",
            "from_region": "CN",
            "to_region": "CN",
            "kind": "service",
        },
        {
            "id": "ads-as-service",
            "from": "cn-app",
            "to": "adco",
            "from_region": "CN",
            "to_region": "US",
            "kind": "service",
        },
        {
            "id": "ads-share",
            "from": "cn-app",
            "to": "adco",
            "from_region": "CN",
            "to_region": "US",
            "kind": "share",
        },
        {
            "id": "internal",
            "from": "cn-app",
            "to": "eu-app",
            "from_region": "CN",
            "to_region": "DE",
        },
    ]
    notice = [{"id": "n", "version": "1", "effective": "2026-01-01", "items": ["recipients"]}]
    s = stack(systems=SYSTEMS, processors=PROCESSORS, flows=flows, notices=notice)
    assert run("recipients_disclosed", s) == {
        ("flow:svc", True),
        ("flow:ads-as-service", False),
        ("flow:ads-share", True),
    }
    unlisted = stack(systems=SYSTEMS, processors=PROCESSORS, flows=flows[:1])
    assert run("recipients_disclosed", unlisted) == {("flow:svc", False)}


def test_dsar_process_and_friends() -> None:
    good = stack(
        dsr={
            "channels": ["web", "email"],
            "identity_verification": True,
            "export_format": "JSON",
            "account_cancellation": True,
            "sla_days": {"pipl": 15, "gdpr": 30, "ccpa": 45},
            "records_retained": "P2Y",
        }
    )
    assert run("dsar_process", good) == {("process:dsr", True)}
    assert run("account_cancellation", good) == {("process:account_cancellation", True)}
    assert run("portable_export", good) == {("process:export", True)}
    assert run("dsar_records_retained", good) == {("process:dsr_records", True)}
    slow = stack(
        dsr={
            "channels": ["web"],
            "identity_verification": True,
            "export_format": "PDF",
            "sla_days": {"pipl": 15, "gdpr": 60, "ccpa": 45},
            "records_retained": "P12M",
        }
    )
    assert run("dsar_process", slow) == {("process:dsr", False)}
    assert run("account_cancellation", slow) == {("process:account_cancellation", False)}
    assert run("portable_export", slow) == {("process:export", False)}
    assert run("dsar_records_retained", slow) == {("process:dsr_records", False)}
    assert run("dsar_process", stack()) == {("process:dsr", False)}
    # Only the applicable laws' targets matter.
    assert run(
        "dsar_process",
        stack(
            dsr={"channels": ["a", "b"], "identity_verification": True, "sla_days": {"gdpr": 30}}
        ),
        frameworks={"gdpr"},
    ) == {("process:dsr", True)}


def test_processor_contracts() -> None:
    clauses = ["purpose", "term", "security", "sub_processing", "return_or_delete"]
    s = stack(
        processors=[
            {
                "id": "ok",
                "name": "OK",
                "region": "CN",
                "dpa": {"reference": "A", "expires": "2027-01-01", "clauses": clauses},
            },
            {
                "id": "expired",
                "name": "Old",
                "region": "CN",
                "dpa": {"reference": "B", "expires": "2026-11-21", "clauses": clauses},
            },
            {
                "id": "thin",
                "name": "Thin",
                "region": "CN",
                "dpa": {"reference": "C", "clauses": clauses[:3]},
            },
            {"id": "none", "name": "None", "region": "CN"},
        ]
    )
    assert run("processor_contracts", s) == {
        ("processor:ok", True),
        ("processor:expired", False),
        ("processor:thin", False),
        ("processor:none", False),
    }


def test_transfer_counters() -> None:
    s = stack(
        systems=SYSTEMS,
        processors=PROCESSORS,
        flows=[
            {
                "id": "counted",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "persons_since_jan1": {"total": 0},
            },
            {
                "id": "uncounted",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
            },
            {
                "id": "domestic",
                "from": "cn-app",
                "to": "vendor",
                "from_region": "CN",
                "to_region": "CN",
            },
        ],
    )
    assert run("transfer_counters", s) == {("flow:counted", True), ("flow:uncounted", False)}
    assert run("transfer_counters", s, frameworks={"gdpr"}) == set()


def test_impact_assessments() -> None:
    parts: dict[str, Any] = {
        "systems": SYSTEMS,
        "processors": PROCESSORS,
        "datastores": [
            {
                "id": "db",
                "url": "sqlite:///x.db",
                "region": "CN",
                "datasets": [{"name": "users", "purposes": ["account"]}],
            }
        ],
        "purposes": [
            _purpose("account"),
            _purpose(
                "ads", pipl="consent", gdpr="consent", ccpa="share", automated_decision_making=True
            ),
        ],
        "flows": [
            {
                "id": "to-vendor",
                "from": "cn-app",
                "to": "vendor",
                "from_region": "CN",
                "to_region": "CN",
                "purpose": "account",
            },
            {
                "id": "to-adco",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "kind": "share",
                "purpose": "ads",
            },
            {
                "id": "eu-share",
                "from": "eu-app",
                "to": "adco",
                "from_region": "DE",
                "to_region": "US",
                "kind": "share",
            },
        ],
    }
    cls = (classified("db", "users", ("id", ("CN_RESIDENT_ID",))),)
    none = stack(**parts)
    assert run("impact_assessments", none, classifications=cls) == {
        ("purpose:account", False),
        ("purpose:ads", False),
        ("flow:to-vendor", False),
        ("flow:to-adco", False),
    }
    done = stack(
        **parts,
        assessments=[
            {
                "id": "p",
                "kind": "pipia",
                "covers": ["account", "ads", "to-vendor"],
                "completed": "2026-01-01",
            },
            {"id": "d", "kind": "dpia", "covers": ["ads"], "completed": "2026-01-01"},
            {"id": "r", "kind": "ccpa_risk", "covers": ["to-adco"], "completed": "2026-01-01"},
        ],
    )
    got = run("impact_assessments", done, classifications=cls)
    assert got == {
        ("purpose:account", True),
        ("purpose:ads", True),
        ("flow:to-vendor", True),
        ("flow:to-adco", True),
    }
    # An assessment completed after the audit time does not count.
    later = stack(
        **parts,
        assessments=[
            {"id": "p", "kind": "pipia", "covers": ["account"], "completed": "2027-01-01"}
        ],
    )
    assert ("purpose:account", False) in run("impact_assessments", later, classifications=cls)


def test_audit_cadence() -> None:
    recent = stack(compliance_audits=[{"kind": "pipl", "completed": "2024-01-01"}])
    assert run("audit_cadence", recent) == {
        ("process:pipl_compliance_audit", True),
        ("process:gdpr_security_review", True),
    }
    big = stack(
        organization=_org(persons_processed={"total": 12_000_000}),
        compliance_audits=[{"kind": "pipl", "completed": "2024-01-01"}],
    )
    assert ("process:pipl_compliance_audit", False) in run("audit_cadence", big)
    never = stack()
    assert run("audit_cadence", never) == {
        ("process:pipl_compliance_audit", False),
        ("process:gdpr_security_review", False),
    }
    kids = stack(
        organization=_org(offers_services_to_children=True),
        compliance_audits=[{"kind": "pipl", "completed": "2025-06-01"}],
    )
    assert run("audit_cadence", kids, frameworks={"pipl"}) == {
        ("process:pipl_compliance_audit", True),
        ("process:minors_compliance_audit", False),
    }


def test_automated_decisions_and_large_volume() -> None:
    adm = [_purpose("rec", automated_decision_making=True), _purpose("plain")]
    bare = stack(purposes=adm)
    assert run("automated_decisions", bare) == {("purpose:rec", False)}
    ok = stack(
        purposes=adm,
        assessments=[{"id": "d", "kind": "dpia", "covers": ["rec"], "completed": "2026-01-01"}],
        attestations=[
            {"control": "C37", "owner": "Legal", "evidence": "x", "expires": "2027-01-01"}
        ],
    )
    assert run("automated_decisions", ok) == {("purpose:rec", True)}
    small = stack()
    assert run("large_volume_governance", small) == set()
    big = {"persons_processed": {"total": 10_000_000}}
    officer = {"name": "X", "member_of_management": True}
    assert run("large_volume_governance", stack(organization=_org(**big))) == {
        ("organization:officers.network_data_security_officer", False)
    }
    assert run(
        "large_volume_governance",
        stack(organization=_org(**big), officers={"network_data_security_officer": officer}),
    ) == {("organization:officers.network_data_security_officer", True)}


def test_incident_plan_and_register(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text("plan")
    (tmp_path / "register.csv").write_text("id\n")
    ir = {
        "plan": "plan.md",
        "owner": "Lead",
        "last_drill": "2026-03-01",
        "breach_register": "register.csv",
    }
    s = stack(incident_response=ir)
    assert run("incident_plan_drilled", s, base_dir=tmp_path) == {
        ("process:incident_response", True)
    }
    assert run("breach_register", s, base_dir=tmp_path) == {("process:breach_register", True)}
    stale = stack(incident_response={**ir, "last_drill": "2025-10-01"})
    assert run("incident_plan_drilled", stale, base_dir=tmp_path) == {
        ("process:incident_response", False)
    }
    missing = stack(incident_response={**ir, "plan": "nope.md", "breach_register": "nope.csv"})
    assert run("incident_plan_drilled", missing, base_dir=tmp_path) == {
        ("process:incident_response", False)
    }
    assert run("breach_register", missing, base_dir=tmp_path) == {
        ("process:breach_register", False)
    }
    assert run("incident_plan_drilled", stack()) == {("process:incident_response", False)}


@pytest.mark.parametrize(
    "check, control", [("breach_playbook_clocks", "C33"), ("breach_notice_templates", "C34")]
)
def test_playbook_library(tmp_path: Path, check: str, control: str) -> None:
    from guardrail.playbook import generate_library

    s = stack(incident_response={"playbooks": "playbooks", "owner": "Lead"})
    target = f"process:playbook_library.{control}"
    assert run(check, s, base_dir=tmp_path) == {(target, False)}  # no library yet
    generate_library(s, tmp_path / "playbooks", at=AT, stack_sha256="0" * 64)
    assert run(check, s, base_dir=tmp_path) == {(target, True)}
    assert run(check, stack(), base_dir=tmp_path) == {(target, False)}  # none declared


def _consent(**purposes: dict[str, Any]) -> ConsentFacts:
    return ConsentFacts(
        at=AT,
        events=100,
        subjects=40,
        chain_verified=True,
        purposes=tuple(
            PurposeConsentFacts(
                purpose=pid,
                consent_required=True,
                separate_consent_required=p.pop("sep", False),
                sale_or_share=p.pop("sale", False),
                subjects=40,
                valid=30,
                **p,
            )
            for pid, p in purposes.items()
        ),
    )


CONSENT_PURPOSES = [
    _purpose("mkt", pipl="consent", gdpr="consent", ccpa="share", requires_separate_consent=True),
    _purpose("xb", pipl="consent", gdpr="consent", requires_separate_consent=True),
]


def test_consent_records_complete() -> None:
    s = stack(purposes=CONSENT_PURPOSES)
    assert run("consent_records_complete", s) == {("consent:registry", False)}
    facts = _consent(mkt={}, xb={})
    assert run("consent_records_complete", s, consent=facts) == {("consent:registry", True)}
    tampered = facts.model_copy(update={"chain_verified": False, "chain_problems": 2})
    assert run("consent_records_complete", s, consent=tampered) == {("consent:registry", False)}
    partial = _consent(mkt={})
    assert run("consent_records_complete", s, consent=partial) == {("consent:registry", False)}
    assert run("consent_records_complete", stack(purposes=[_purpose("ship")])) == set()


def test_separate_consent_captured() -> None:
    s = stack(purposes=CONSENT_PURPOSES)
    facts = _consent(mkt={"sep": True, "separate_consent_gaps": 3}, xb={"sep": True})
    assert run("separate_consent_captured", s, consent=facts) == {
        ("purpose:mkt", False),
        ("purpose:xb", True),
    }
    assert run("separate_consent_captured", s) == {("purpose:mkt", False), ("purpose:xb", False)}


def test_withdrawals_gpc_and_propagation() -> None:
    s = stack(
        organization=_org(sells_or_shares_pi=True),
        purposes=CONSENT_PURPOSES,
        systems=SYSTEMS,
        processors=PROCESSORS,
        flows=[
            {
                "id": "f",
                "from": "cn-app",
                "to": "adco",
                "from_region": "CN",
                "to_region": "US",
                "kind": "share",
            }
        ],
    )
    measured = _consent(
        mkt={"withdrawals_not_propagated": 2, "gpc_not_honoured": 0, "opt_outs_not_honoured": 1},
        xb={"withdrawals_not_propagated": 0, "gpc_not_honoured": 0, "opt_outs_not_honoured": 0},
    )
    assert run("withdrawal_propagated", s, consent=measured) == {
        ("purpose:mkt", False),
        ("purpose:xb", True),
    }
    assert run("rights_propagated", s, consent=measured) == {
        ("purpose:mkt", False),
        ("purpose:xb", True),
    }
    assert run("gpc_honoured", s, consent=measured) == {("consent:gpc", True)}
    despite = _consent(mkt={"consents_despite_gpc": 4}, xb={})
    assert run("gpc_honoured", s, consent=despite) == {("consent:gpc", False)}
    # Unmeasured without an attestation is a gap, with a current attestation it is not.
    unmeasured = _consent(mkt={}, xb={})
    assert run("withdrawal_propagated", s, consent=unmeasured) == {("consent:registry", False)}
    attested = stack(
        **{
            **s.model_dump(by_alias=True, exclude_none=True),
            "attestations": [
                {"control": "C14", "owner": "o", "evidence": "e", "expires": "2027-01-01"}
            ],
        }
    )
    assert run("withdrawal_propagated", attested, consent=unmeasured) == set()
    assert run("gpc_honoured", s) == {("consent:registry", False)}


def test_minors_protected() -> None:
    kids = classified(
        "db",
        "users",
        ("dob", ("DATE_OF_BIRTH",)),
        ages={"dob": AgeProfile(sampled=50, under_14=2, under_16=3, under_18=5)},
    )
    adults = classified(
        "db", "users", ("dob", ("DATE_OF_BIRTH",)), ages={"dob": AgeProfile(sampled=50)}
    )
    s = stack(purposes=CONSENT_PURPOSES)
    assert run("minors_protected", s, classifications=(adults,)) == set()
    assert run("minors_protected", s, classifications=(kids,)) == {
        ("consent:guardian_consent", False)
    }
    ok = _consent(mkt={}, xb={})
    assert run("minors_protected", s, classifications=(kids,), consent=ok) == {
        ("consent:guardian_consent", True)
    }
    bad = _consent(mkt={"minors_without_guardian": 1}, xb={})
    assert run("minors_protected", s, classifications=(kids,), consent=bad) == {
        ("consent:guardian_consent", False)
    }


def test_every_automated_check_has_fixtures() -> None:
    """Every check the catalog names has pass/fail fixtures in this folder (read statically,
    so the test holds whichever worker runs which test)."""
    import re

    here = Path(__file__).parent
    used = {
        m
        for f in here.glob("test_checks*.py")
        for m in re.findall(r'run\(\s*"([a-z_]+)"', f.read_text())
    }
    used |= {
        m
        for f in here.glob("test_checks*.py")
        for m in re.findall(r'\("([a-z_]+)", "C3[34]"\)', f.read_text())
    }
    automated = {c.check for c in load_policies().controls() if c.check}
    assert automated == set(BUILTIN_CHECKS)
    assert automated - used == set()
