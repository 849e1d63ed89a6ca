from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.report.conftest import schema_errors
from tests.report.factory import F_CARD, F_ID, F_LOG

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.oscal import assessment_results

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _uuids(node: Any) -> list[str]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "uuid":
                out.append(v)
            else:
                out += _uuids(v)
    elif isinstance(node, list):
        for v in node:
            out += _uuids(v)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_valid_against_the_1_0_6_schema(result: AuditResult, oscal_validator, lang: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(reporter("oscal").render(result, lang=Lang(lang)))
    assert schema_errors(oscal_validator, doc) == []


def test_incomplete_and_shop_results_are_valid(  # type: ignore[no-untyped-def]
    incomplete: AuditResult, shop_result: AuditResult, oscal_validator
) -> None:
    assert schema_errors(oscal_validator, assessment_results(incomplete)) == []
    assert schema_errors(oscal_validator, assessment_results(shop_result)) == []


def test_the_schema_check_is_not_vacuous(result: AuditResult, oscal_validator) -> None:  # type: ignore[no-untyped-def]
    doc = assessment_results(result)
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "1 bad"
    doc["assessment-results"]["metadata"]["oscal-version"] = " 1.0.6"
    assert len(schema_errors(oscal_validator, doc)) >= 2


def test_one_result_per_framework_with_control_states(result: AuditResult) -> None:
    ar = assessment_results(result)["assessment-results"]
    assert ar["import-ap"]["href"] == "stack.yaml"
    assert ar["metadata"]["oscal-version"] == "1.0.6"
    states = {
        r["props"][0]["value"]: {
            (
                f["target"]["target-id"],
                f["target"]["status"]["state"],
                f["target"]["status"]["reason"],
            )
            for f in r["findings"]
        }
        for r in ar["results"]
    }
    assert states == {
        "pipl": {
            ("C03", "not-satisfied", "fail"),
            ("C06", "not-satisfied", "other"),  # waived: an accepted risk, not a pass
            ("C27", "not-satisfied", "fail"),
            ("C40", "not-satisfied", "other"),  # manual, not attested
            ("C50", "not-satisfied", "other"),  # the check crashed
        },
        "gdpr": {
            ("C03", "not-satisfied", "fail"),
            ("C06", "not-satisfied", "other"),
            ("C30", "satisfied", "pass"),
            ("C40", "not-satisfied", "other"),
            ("C50", "not-satisfied", "other"),
        },
        "ccpa": {("C03", "not-satisfied", "fail"), ("C06", "not-satisfied", "other")},
    }
    ccpa = ar["results"][2]
    assert ccpa["reviewed-controls"]["control-selections"][0]["include-controls"] == [
        {"control-id": "C03"},
        {"control-id": "C06"},
    ]


def test_risks_follow_findings_and_waivers(result: AuditResult) -> None:
    gdpr = assessment_results(result)["assessment-results"]["results"][1]
    risks = {
        next(p["value"] for p in r["props"] if p["name"] == "finding-id"): r["status"]
        for r in gdpr["risks"]
    }
    assert risks == {F_CARD.id: "open", F_ID.id: "open", F_LOG.id: "deviation-approved"}
    observations = {o["uuid"]: o for o in gdpr["observations"]}
    c03 = next(f for f in gdpr["findings"] if f["target"]["target-id"] == "C03")
    linked = [observations[r["observation-uuid"]] for r in c03["related-observations"]]
    assert {o["methods"][0] for o in linked} == {"TEST"}
    assert any(
        "621200********9199" in e["description"] for o in linked for e in o["relevant-evidence"]
    )
    c40 = next(f for f in gdpr["findings"] if f["target"]["target-id"] == "C40")
    assert observations[c40["related-observations"][0]["observation-uuid"]]["methods"] == [
        "EXAMINE"
    ]


def test_uuids_are_unique_and_reproducible(result: AuditResult) -> None:
    a = assessment_results(result)
    uuids = _uuids(a)
    assert len(uuids) == len(set(uuids)) > 20
    assert all(UUID.match(u) for u in uuids)
    assert assessment_results(result) == a
    later = assessment_results(result.model_copy(update={"at": result.at.replace(year=2027)}))
    parties = {p["uuid"] for p in a["assessment-results"]["metadata"]["parties"]}
    # A new run gets new UUIDs for everything it assessed; the parties keep theirs.
    assert set(_uuids(later)) & set(uuids) == parties
    assert parties == {p["uuid"] for p in later["assessment-results"]["metadata"]["parties"]}
