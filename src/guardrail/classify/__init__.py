"""Classification: what a detected entity, a declared category or a field means under
PIPL, GDPR, CCPA and GB/T 43697, from rules kept as data in ``rules/``."""

from __future__ import annotations

from guardrail.classify.engine import DEFAULT_MIN_CONFIDENCE, FieldInput, classify_dataset
from guardrail.classify.rules import RulePack, RuleSet, builtin_rules, load_rules
from guardrail.model.classification import EntityRule

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "FieldInput",
    "RulePack",
    "RuleSet",
    "builtin_rules",
    "classify_dataset",
    "entity_rule",
    "entity_rules",
    "load_rules",
]


def entity_rule(entity: str) -> EntityRule:
    """The built-in meaning of ``entity`` (unknown entities: ordinary confidential PI)."""
    return builtin_rules().entity(entity)


def entity_rules() -> dict[str, EntityRule]:
    rules = builtin_rules()
    return {name: rules.entity(name) for name in rules.entities}
