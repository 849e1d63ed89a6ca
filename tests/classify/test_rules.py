"""The built-in rules pass their fixtures; the fixture runner catches failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.classify import builtin_rules, load_rules
from guardrail.classify.fixtures import run_fixtures
from guardrail.errors import ConfigError, ManifestError
from guardrail.model.rules import RulePack

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_builtin_fixtures_pass_and_cover_every_rule() -> None:
    report = run_fixtures(sorted((RULES / "tests").glob("*.yaml")), builtin_rules())
    failures = [(r.case, r.problems) for r in report.results if not r.passed]
    assert failures == []
    assert report.uncovered == ()
    rules = builtin_rules()
    tested = {r.rule for r in report.results}
    assert set(rules.combinations) | set(rules.datasets) <= tested
    assert {f"entity:{e}" for e in rules.entities} <= tested
    assert {f"category:{c}" for c in rules.categories} <= tested


def test_runner_reports_failures_and_uncovered_rules(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "schema_version: 1\ncases:\n"
        "  - name: wrong expectation\n    rule: card-with-security-code\n"
        "    table: {fields: [{name: pan, entities: [CREDIT_CARD]}, {name: cvv}]}\n"
        "    expect: {fired: false}\n"
        "  - name: unknown rule\n    rule: no-such-rule\n"
        "    table: {fields: [{name: x}]}\n    expect: {fired: false}\n"
    )
    report = run_fixtures([tmp_path / "bad.yaml"], builtin_rules())
    assert [r.passed for r in report.results] == [False, False]
    assert "expected the rule not to fire" in report.results[0].problems
    assert report.results[1].problems == ("unknown rule 'no-such-rule'",)
    assert any(u.startswith("ccpa-account-credentials") for u in report.uncovered)
    assert not report.ok


def test_every_entity_maps_into_the_taxonomy() -> None:
    rules = builtin_rules()
    for name, mapping in rules.entities.items():
        assert rules.known(mapping.category), name


def test_unknown_entity_is_ordinary_personal_information() -> None:
    rule = builtin_rules().entity("SOME_PLUGIN_ENTITY")
    assert rule.personal and not rule.sensitive_anywhere


def test_org_override_file_replaces_and_adds(tmp_path: Path) -> None:
    path = tmp_path / "classification.yaml"
    path.write_text(
        "schema_version: 1\n"
        "taxonomy: [user.loyalty.tier]\n"
        "categories:\n"
        "  - key: user.behavior.purchase_history\n"
        "    sensitivity: restricted\n"
        "    labels: {pipl: {sensitive: true, kinds: [other]}}  # our policy: 交易记录 sensitive\n"
        "entities:\n"
        "  - {entity: LOYALTY_ID, category: user.loyalty.tier}\n"
    )
    rules = load_rules(extra_files=[path])
    assert rules.entity("LOYALTY_ID").category == "user.loyalty.tier"
    assert rules.category("user.behavior.purchase_history").sensitivity.value == "restricted"  # type: ignore[union-attr]
    assert builtin_rules().category("user.behavior.purchase_history").key == "user"  # type: ignore[union-attr]


def test_bad_rule_files_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "classification.yaml"
    path.write_text("schema_version: 1\nentities:\n  - {entity: X_ID, category: user.nowhere}\n")
    with pytest.raises(ConfigError, match="not in the taxonomy"):
        load_rules(extra_files=[path])
    path.write_text(
        "schema_version: 1\ncombinations:\n  - id: x\n    title: {en: a, zh: b}\n"
        "    when: {all: [{entity: PERSON, column: [x]}]}\n"
        "    apply_to: [{all_fields: true}]\n"
    )
    with pytest.raises(ManifestError) as info:
        load_rules(extra_files=[path])
    assert info.value.line == 5 and "exactly one of" in str(info.value)


def test_manifest_pack_is_a_rule_pack() -> None:
    pack = RulePack.model_validate(
        {
            "schema_version": 1,
            "categories": [{"key": "user.contact.email", "sensitivity": "restricted"}],
        }
    )
    rules = load_rules(extra_packs=[pack])
    assert rules.entity("EMAIL_ADDRESS").sensitivity.value == "restricted"
