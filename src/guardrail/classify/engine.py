"""Classifying the fields of a dataset under PIPL, GDPR, CCPA and GB/T 43697 at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guardrail.classify.rules import CombinationRule, Condition, RuleSet, When, builtin_rules
from guardrail.model.classification import (
    AgeProfile,
    DatasetClassification,
    DatasetLabel,
    FieldClassification,
    RegimeLabels,
    Sensitivity,
)
from guardrail.model.detection import ColumnEntity
from guardrail.model.stack import FieldDeclaration
from guardrail.names import name_matches

__all__ = ["DEFAULT_MIN_CONFIDENCE", "FieldInput", "classify_dataset"]

DEFAULT_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class FieldInput:
    """What is known about one field: detections (counts and confidence only), the manifest's
    declaration, and the age profile of sampled dates of birth. Holds no raw values."""

    name: str
    detected: tuple[ColumnEntity, ...] = ()
    declared: FieldDeclaration | None = None
    ages: AgeProfile | None = None


def classify_dataset(
    datastore: str,
    dataset: str,
    fields: Sequence[FieldInput],
    *,
    rows: int | None = None,
    rules: RuleSet | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> DatasetClassification:
    """Classify every field of a dataset, then apply combination and dataset rules."""
    rules = rules or builtin_rules()
    base = [_field(datastore, dataset, f, rules, min_confidence) for f in fields]
    for rule in rules.combinations.values():
        if _holds(rule.when, base, fields, rows):
            for i, fc in enumerate(base):
                if any(_selects(c, fc, fields[i]) for c in rule.apply_to):
                    base[i] = _apply(rule, fc)
    labels = tuple(
        DatasetLabel(rule=r.id, title=r.title, refs=r.refs)
        for r in rules.datasets.values()
        if _holds(r.when, base, fields, rows)
    )
    kept = tuple(fc for fc in base if fc.entities or fc.categories)
    return DatasetClassification(
        datastore=datastore, dataset=dataset, fields=kept, labels=labels, rows=rows
    )


def _field(
    datastore: str, dataset: str, f: FieldInput, rules: RuleSet, min_confidence: float
) -> FieldClassification:
    detected = [e for e in f.detected if e.confidence >= min_confidence]
    entities = [e.entity for e in detected]
    categories: list[str] = []
    reasons: list[str] = []
    applied: list[str] = []
    labels = RegimeLabels()
    sensitivity = Sensitivity.PUBLIC
    personal = False
    for e in detected:
        er = rules.entity(e.entity)
        categories.append(er.category)
        labels = labels.merge(er.labels) if er.personal else labels
        sensitivity = sensitivity.max(er.sensitivity)
        personal = personal or er.personal
        applied.append(f"entity:{e.entity}")
        reasons.append(f"detected {e.entity} (confidence {e.confidence:.2f})")
    decl = f.declared
    if decl is not None:
        declared = list(decl.categories)
        if decl.entity is not None:
            declared.append(rules.entity(decl.entity).category)
            if decl.entity not in entities:
                entities.append(decl.entity)
        for key in declared:
            cat = rules.category(key)
            if cat is None:
                continue
            categories.append(key)
            if cat.personal:
                labels = labels.merge(cat.labels)
                personal = True
            sensitivity = sensitivity.max(cat.sensitivity)
            applied.append(f"category:{cat.key}")
        if declared:
            reasons.append("declared " + ", ".join(dict.fromkeys(declared)))
    source = (
        "both"
        if detected and decl is not None and (decl.categories or decl.entity)
        else ("detected" if detected else "declared")
    )
    confidence = max((e.confidence for e in detected), default=None)
    if source != "detected":
        confidence = 1.0
    return FieldClassification(
        datastore=datastore,
        dataset=dataset,
        field=f.name,
        entities=tuple(dict.fromkeys(entities)),
        categories=tuple(dict.fromkeys(categories)),
        labels=labels if personal else RegimeLabels(),
        sensitivity=sensitivity if (entities or categories) else Sensitivity.INTERNAL,
        personal=personal,
        source=source,
        confidence=confidence,
        rules=tuple(dict.fromkeys(applied)),
        reason="; ".join(reasons),
    )


def _apply(rule: CombinationRule, fc: FieldClassification) -> FieldClassification:
    categories = fc.categories
    source = fc.source
    if not fc.entities and not fc.categories:
        source = "inferred"  # nothing detected or declared: the rule alone says what it is
        if rule.assign_category:
            categories = (rule.assign_category,)
    sensitivity = fc.sensitivity.max(rule.sensitivity) if rule.sensitivity else fc.sensitivity
    return fc.model_copy(
        update={
            "labels": fc.labels.merge(rule.labels),
            "sensitivity": sensitivity,
            "categories": categories,
            "personal": True,
            "source": source,
            "rules": (*fc.rules, f"combination:{rule.id}"),
            "reason": "; ".join(p for p in (fc.reason, f"combination rule {rule.id}") if p),
        }
    )


def _field_matches(c: Condition, fc: FieldClassification, fi: FieldInput) -> bool:
    if c.entity is not None:
        return c.entity in fc.entities
    if c.category is not None:
        return any(k == c.category or k.startswith(c.category + ".") for k in fc.categories)
    if c.column is not None:
        return name_matches(fi.name, c.column) is not None
    if c.minors_under is not None:
        return fi.ages is not None and fi.ages.under(c.minors_under) > 0
    if c.field is not None:
        f = c.field
        checks = [
            f.sensitive is None or (fc.personal and fc.labels.sensitive_anywhere) == f.sensitive,
            f.personal is None or fc.personal == f.personal,
            f.pipl_kind is None or f.pipl_kind in fc.labels.pipl.kinds,
            f.gdpr_special is None or (fc.labels.gdpr.category != "personal") == f.gdpr_special,
            f.entity is None or f.entity in fc.entities,
            f.category is None
            or any(k == f.category or k.startswith(f.category + ".") for k in fc.categories),
        ]
        return all(checks)
    if c.all_fields:
        return fc.personal
    return False


def _selects(c: Condition, fc: FieldClassification, fi: FieldInput) -> bool:
    if c.rows_at_least is not None:
        return False
    return _field_matches(c, fc, fi)


def _cond(
    c: Condition, fcs: list[FieldClassification], fis: Sequence[FieldInput], rows: int | None
) -> bool:
    if c.rows_at_least is not None:
        return rows is not None and rows >= c.rows_at_least
    return any(_field_matches(c, fc, fi) for fc, fi in zip(fcs, fis, strict=True))


def _holds(
    when: When, fcs: list[FieldClassification], fis: Sequence[FieldInput], rows: int | None
) -> bool:
    if not all(_cond(c, fcs, fis, rows) for c in when.all):
        return False
    if when.any and not any(_cond(c, fcs, fis, rows) for c in when.any):
        return False
    return not any(_cond(c, fcs, fis, rows) for c in when.none)
