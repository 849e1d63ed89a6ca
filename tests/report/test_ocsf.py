from __future__ import annotations

import json

import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from tests.report.factory import F_CARD, F_FLOW, F_ID, F_LOG

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.ocsf import ocsf_events


def _check(event: dict) -> None:  # type: ignore[type-arg]
    """Every key we emit is an OCSF attribute (Prowler's pydantic models) with a legal value."""
    model = ComplianceFinding.model_validate(event)
    assert json.loads(model.model_dump_json(exclude_unset=True)) == event


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_events_are_ocsf_compliance_findings(result: AuditResult, lang: str) -> None:
    events = json.loads(reporter("ocsf").render(result, lang=Lang(lang)))
    assert events
    for event in events:
        _check(event)
        assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
        assert event["metadata"]["version"] == "1.5.0"
        assert event["time"] == 1795305600000  # 2026-11-22T00:00:00Z in ms


def test_prowler_mapping(result: AuditResult) -> None:
    events = ocsf_events(result)
    got = {
        (
            e["unmapped"]["framework"],
            e["compliance"]["control"],
            e["unmapped"].get("finding_id", ""),
            e["compliance"]["status_id"],
            e["status"],
        )
        for e in events
    }
    fail, passed, unknown, warning = 3, 1, 0, 2
    per_law = {
        ("C03", F_CARD.id, fail, "New"),
        ("C03", F_ID.id, fail, "New"),
        ("C06", F_LOG.id, fail, "Suppressed"),  # waived
    }
    assert got == (
        {("pipl", *x) for x in per_law}
        | {("gdpr", *x) for x in per_law}
        | {("ccpa", *x) for x in per_law}
        | {
            ("pipl", "C27", F_FLOW.id, fail, "New"),
            ("pipl", "C40", "", unknown, "New"),  # manual
            ("pipl", "C50", "", warning, "New"),  # crashed check
            ("gdpr", "C30", "", passed, "New"),
            ("gdpr", "C40", "", unknown, "New"),
            ("gdpr", "C50", "", warning, "New"),
        }
    )  # C41 does not apply: no event


def test_event_details(result: AuditResult) -> None:
    events = ocsf_events(result, lang="zh")
    card = next(
        e
        for e in events
        if e["unmapped"].get("finding_id") == F_CARD.id and e["unmapped"]["framework"] == "gdpr"
    )
    assert card["compliance"]["standards"] == ["GDPR-(EU) 2016/679"]
    assert card["compliance"]["requirements"] == ["GDPR Art. 32(1)(a)"]
    assert card["severity_id"] == 5 and card["severity"] == "Critical"
    assert card["resources"] == [
        {
            "uid": "field:shop_db.payments.card_number",
            "name": "shop_db.payments.card_number",
            "type": "field",
            "data": {"location": "stack.yaml:91"},
        }
    ]
    assert card["remediation"] == {"desc": "使用 AES-256-GCM 加密该字段。"}
    assert card["finding_info"]["uid"] == f"{F_CARD.id}-gdpr"
    assert "621200********9199" in card["evidences"][0]["data"]["summary"]
    uids = [e["finding_info"]["uid"] for e in events]
    assert len(uids) == len(set(uids))


def test_shop_events(shop_result: AuditResult) -> None:
    for event in ocsf_events(shop_result):
        _check(event)
