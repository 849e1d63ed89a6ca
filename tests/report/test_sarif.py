from __future__ import annotations

import json

import pytest
from tests.report.conftest import schema_errors
from tests.report.factory import F_CARD, F_FLOW, F_ID, F_LOG

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.sarif import sarif_log


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_valid_against_the_schema(result: AuditResult, sarif_validator, lang: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(reporter("sarif").render(result, lang=Lang(lang)))
    assert schema_errors(sarif_validator, doc) == []
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")


def test_shop_result_is_valid(shop_result: AuditResult, sarif_validator) -> None:  # type: ignore[no-untyped-def]
    doc = sarif_log(shop_result)
    assert schema_errors(sarif_validator, doc) == []
    results = [r for run in doc["runs"] for r in run["results"]]
    assert {r["partialFingerprints"]["primaryLocationLineHash"] for r in results} == {
        f.id for f in shop_result.findings
    }
    assert all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("/stack.yaml")
        for r in results
    )


def test_one_run_per_framework(result: AuditResult) -> None:
    doc = sarif_log(result)
    assert [run["automationDetails"]["id"] for run in doc["runs"]] == [
        "guardrail/pipl/",
        "guardrail/gdpr/",
        "guardrail/ccpa/",
    ]
    by_run = {
        run["automationDetails"]["id"]: {
            (r["ruleId"], r["partialFingerprints"]["primaryLocationLineHash"])
            for r in run["results"]
        }
        for run in doc["runs"]
    }
    assert by_run == {
        "guardrail/pipl/": {
            ("C03", F_CARD.id),
            ("C03", F_ID.id),
            ("C06", F_LOG.id),
            ("C27", F_FLOW.id),
        },
        "guardrail/gdpr/": {("C03", F_CARD.id), ("C03", F_ID.id), ("C06", F_LOG.id)},
        "guardrail/ccpa/": {("C03", F_CARD.id), ("C03", F_ID.id), ("C06", F_LOG.id)},
    }
    rules = {
        run["automationDetails"]["id"]: [r["id"] for r in run["tool"]["driver"]["rules"]]
        for run in doc["runs"]
    }
    assert rules == {
        "guardrail/pipl/": ["C03", "C06", "C27", "C40", "C50"],
        "guardrail/gdpr/": ["C03", "C06", "C30", "C40", "C50"],
        "guardrail/ccpa/": ["C03", "C06", "C41"],
    }


def test_rules_carry_help_severity_and_tags(result: AuditResult) -> None:
    pipl = sarif_log(result, lang="zh")["runs"][0]
    c03 = pipl["tool"]["driver"]["rules"][0]
    assert c03["shortDescription"]["text"] == "敏感个人信息静态加密存储"
    assert "使用 AES-256-GCM 加密该字段。" in c03["help"]["text"]
    assert "PIPL Art. 51(3)" in c03["help"]["markdown"]
    assert c03["properties"]["security-severity"] == "8.0"
    assert c03["properties"]["tags"] == [
        "privacy",
        "compliance",
        "pipl",
        "PIPL Art. 51(3)",
        "GB/T 35273-2020 6.3 ⚠",
    ]
    c27 = pipl["tool"]["driver"]["rules"][2]
    assert c27["properties"]["security-severity"] == "9.5"
    assert c27["defaultConfiguration"]["level"] == "error"
    assert pipl["language"] == "zh-CN"


def test_results_point_at_the_manifest_line(result: AuditResult) -> None:
    gdpr = sarif_log(result)["runs"][1]
    by_fp = {r["partialFingerprints"]["primaryLocationLineHash"]: r for r in gdpr["results"]}
    card = by_fp[F_CARD.id]
    loc = card["locations"][0]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "stack.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 91},
    }
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "field:shop_db.payments.card_number"
    assert card["level"] == "error" and card["properties"]["security-severity"] == "9.5"
    # Paths become URIs: spaces and non-ASCII are percent-encoded.
    from guardrail.report.sarif import _artifact

    assert _artifact("清单 v2/stack.yaml")["uri"] == "%E6%B8%85%E5%8D%95%20v2/stack.yaml"
    assert _artifact("/srv/shop/stack.yaml") == {"uri": "file:///srv/shop/stack.yaml"}
    assert card["message"]["text"].endswith("(GDPR Art. 32(1)(a))")
    assert card["properties"]["evidence"][0].endswith("621200********9199 · =cmd|' /C calc'!A0")
    assert "suppressions" not in card


def test_waived_findings_are_suppressed_not_dropped(result: AuditResult) -> None:
    ccpa = sarif_log(result)["runs"][2]
    log = next(
        r
        for r in ccpa["results"]
        if r["partialFingerprints"]["primaryLocationLineHash"] == F_LOG.id
    )
    assert log["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Debug log is shredded nightly; replacement logger ships in Q1 "
            "(Owner: sec-team@example.com, Expires: 2027-03-31)",
        }
    ]


def test_incomplete_run_is_not_successful(incomplete: AuditResult, sarif_validator) -> None:  # type: ignore[no-untyped-def]
    doc = sarif_log(incomplete)
    assert schema_errors(sarif_validator, doc) == []
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["descriptor"] == {"id": "collect:shop_db"}
    assert inv["startTimeUtc"] == "2026-11-22T00:00:00.000Z"
