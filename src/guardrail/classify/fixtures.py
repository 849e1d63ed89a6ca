"""Pass/fail fixtures for classification rules (``guardrail rules test DIR``).

A fixture file (``DIR/tests/*.yaml``) holds cases; each case describes a table's fields (what
was detected, what is declared, age profiles) and what one rule must do with it::

    schema_version: 1
    cases:
      - name: login and password hash
        rule: ccpa-account-credentials          # a combination or dataset rule id,
                                                # or category:<key> / entity:<NAME>
        table:
          fields:
            - {name: email, entities: [EMAIL_ADDRESS]}
            - {name: password_hash, entities: [CREDENTIAL]}
        expect:
          fired: true
          fields: [email, password_hash]        # exact set of fields the rule touched
          labels:
            - {field: password_hash, pipl: [other], ccpa: ["(ae)(1)(B)"]}

Every combination and dataset rule needs at least one case where it fires and one where it does
not; the runner reports rules that lack either.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from guardrail.classify.engine import FieldInput, classify_dataset
from guardrail.classify.rules import RuleSet
from guardrail.model._base import ValueObject
from guardrail.model.classification import (
    AgeProfile,
    DatasetClassification,
    FieldClassification,
    GdprSpecialKind,
    PiplSensitiveKind,
    Sensitivity,
)
from guardrail.model.common import EntityName
from guardrail.model.detection import ColumnEntity
from guardrail.model.stack import FieldDeclaration
from guardrail.yamlio import load_yaml, validate

__all__ = ["CaseResult", "FixtureFile", "FixtureReport", "run_fixtures"]


class FixtureField(ValueObject):
    name: str
    entities: tuple[EntityName, ...] = ()
    confidence: Annotated[float, Field(ge=0, le=1)] = 0.9
    declared_categories: tuple[str, ...] = ()
    declared_entity: EntityName | None = None
    ages: AgeProfile | None = None


class FixtureTable(ValueObject):
    rows: int | None = None
    fields: tuple[FixtureField, ...] = Field(min_length=1)


class ExpectedLabels(ValueObject):
    field: str
    pipl: tuple[PiplSensitiveKind, ...] | None = None
    gdpr: tuple[GdprSpecialKind, ...] | None = None
    criminal: bool | None = None
    ccpa: tuple[str, ...] | None = None
    sensitivity: Sensitivity | None = None
    personal: bool | None = None


class Expectation(ValueObject):
    fired: bool
    fields: tuple[str, ...] | None = None
    labels: tuple[ExpectedLabels, ...] = ()


class FixtureCase(ValueObject):
    name: str
    rule: str
    table: FixtureTable
    expect: Expectation


class FixtureFile(ValueObject):
    schema_version: Literal[1]
    cases: tuple[FixtureCase, ...] = Field(min_length=1)


class CaseResult(ValueObject):
    file: str
    case: str
    rule: str
    passed: bool
    problems: tuple[str, ...] = ()


class FixtureReport(ValueObject):
    results: tuple[CaseResult, ...]
    # Rules lacking a firing case or a non-firing case.
    uncovered: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results) and not self.uncovered


def _inputs(table: FixtureTable) -> list[FieldInput]:
    out = []
    for f in table.fields:
        declared = None
        if f.declared_categories or f.declared_entity:
            declared = FieldDeclaration(
                name=f.name, categories=f.declared_categories, entity=f.declared_entity
            )
        out.append(
            FieldInput(
                name=f.name,
                detected=tuple(
                    ColumnEntity(entity=e, hit_ratio=1.0, confidence=f.confidence)
                    for e in f.entities
                ),
                declared=declared,
                ages=f.ages,
            )
        )
    return out


def _touched(rule: str, result: DatasetClassification) -> tuple[bool, set[str]]:
    kind, _, name = rule.partition(":")
    if kind in ("category", "entity"):
        tag = f"{kind}:{name}"
        hit = {
            f.field
            for f in result.fields
            if tag in f.rules
            or (
                kind == "category"
                and any(c == name or c.startswith(name + ".") for c in f.categories)
            )
        }
        return bool(hit), hit
    fields = {f.field for f in result.fields if f"combination:{rule}" in f.rules}
    return bool(fields) or any(lbl.rule == rule for lbl in result.labels), fields


def _check_labels(exp: ExpectedLabels, fc: FieldClassification | None) -> list[str]:
    if fc is None:
        return [f"field {exp.field} was not classified"]
    problems = []
    got = fc.labels
    checks: list[tuple[str, tuple[str, ...] | None, set[str]]] = [
        ("pipl", exp.pipl, set(got.pipl.kinds)),
        ("gdpr", exp.gdpr, set(got.gdpr.special)),
        ("ccpa", exp.ccpa, set(got.ccpa.clauses)),
    ]
    for name, want, have in checks:
        if want is not None and set(want) != have:
            problems.append(f"{exp.field}: {name} labels {sorted(have)} != expected {sorted(want)}")
    if exp.criminal is not None and got.gdpr.criminal != exp.criminal:
        problems.append(f"{exp.field}: GDPR Art. 10 {got.gdpr.criminal} != {exp.criminal}")
    if exp.sensitivity is not None and fc.sensitivity is not exp.sensitivity:
        problems.append(
            f"{exp.field}: sensitivity {fc.sensitivity.value} != {exp.sensitivity.value}"
        )
    if exp.personal is not None and fc.personal != exp.personal:
        problems.append(f"{exp.field}: personal {fc.personal} != {exp.personal}")
    return problems


def run_case(case: FixtureCase, rules: RuleSet, file: str = "") -> CaseResult:
    known = set(rules.combinations) | set(rules.datasets)
    kind = case.rule.partition(":")[0]
    if kind not in ("category", "entity") and case.rule not in known:
        return CaseResult(
            file=file,
            case=case.name,
            rule=case.rule,
            passed=False,
            problems=(f"unknown rule '{case.rule}'",),
        )
    result = classify_dataset(
        "fixture", "table", _inputs(case.table), rows=case.table.rows, rules=rules
    )
    fired, fields = _touched(case.rule, result)
    problems: list[str] = []
    if fired != case.expect.fired:
        problems.append(f"expected the rule {'to fire' if case.expect.fired else 'not to fire'}")
    if case.expect.fields is not None and set(case.expect.fields) != fields:
        problems.append(f"touched fields {sorted(fields)} != expected {sorted(case.expect.fields)}")
    by_name = {f.field: f for f in result.fields}
    for exp in case.expect.labels:
        problems.extend(_check_labels(exp, by_name.get(exp.field)))
    return CaseResult(
        file=file, case=case.name, rule=case.rule, passed=not problems, problems=tuple(problems)
    )


def run_fixtures(
    files: Iterable[Path], rules: RuleSet, *, required: Iterable[str] | None = None
) -> FixtureReport:
    """Run every case in ``files``. Coverage (a firing and a non-firing case) is demanded of the
    rules in ``required`` — the rules the packs under test define — or of every combination and
    dataset rule in force when it is None."""
    results: list[CaseResult] = []
    fired: dict[str, set[bool]] = {}
    for path in sorted(files):
        fixture = validate(FixtureFile, load_yaml(path), what="fixture")
        for case in fixture.cases:
            r = run_case(case, rules, path.name)
            results.append(r)
            fired.setdefault(case.rule, set()).add(case.expect.fired)
    rule_ids = [*rules.combinations, *rules.datasets] if required is None else list(required)
    uncovered = tuple(
        f"{rid} (needs a case where it {'fires' if True not in fired.get(rid, set()) else 'does not fire'})"
        for rid in rule_ids
        if fired.get(rid, set()) != {True, False}
    )
    return FixtureReport(results=tuple(results), uncovered=uncovered)
