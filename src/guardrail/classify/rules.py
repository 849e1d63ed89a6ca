"""Classification rules as data: categories, entity mappings, combination and dataset rules.

Rules come in *packs* (YAML files with ``schema_version``): the built-in pack (``rules/``),
packs registered in the ``guardrail.rules`` entry-point group (a callable returning a folder),
an organisation's ``policies/classification.yaml`` next to its manifest, and overrides in the
manifest itself. Later packs replace earlier entries with the same key or id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path

from guardrail import plugins
from guardrail.errors import ConfigError
from guardrail.model.classification import EntityRule, RegimeLabels, Sensitivity
from guardrail.model.rules import (
    CategoryRule,
    CombinationRule,
    Condition,
    DatasetRule,
    EntityMapping,
    FieldCondition,
    RulePack,
    When,
)
from guardrail.resources import data_dir
from guardrail.yamlio import load_yaml, parse_yaml, validate

__all__ = [
    "BUILTIN_PACK_FILES",
    "CategoryRule",
    "CombinationRule",
    "Condition",
    "DatasetRule",
    "EntityMapping",
    "FieldCondition",
    "RulePack",
    "RuleSet",
    "When",
    "builtin_rules",
    "load_pack_dir",
    "load_rules",
]


@dataclass(frozen=True)
class RuleSet:
    """The merged rules in force for a run."""

    categories: dict[str, CategoryRule] = field(default_factory=dict)
    entities: dict[str, EntityMapping] = field(default_factory=dict)
    combinations: dict[str, CombinationRule] = field(default_factory=dict)
    datasets: dict[str, DatasetRule] = field(default_factory=dict)
    taxonomy: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()

    def extend(self, pack: RulePack, source: str) -> RuleSet:
        return RuleSet(
            taxonomy=self.taxonomy | set(pack.taxonomy) | {c.key for c in pack.categories},
            categories={**self.categories, **{c.key: c for c in pack.categories}},
            entities={**self.entities, **{e.entity: e for e in pack.entities}},
            combinations={**self.combinations, **{c.id: c for c in pack.combinations}},
            datasets={**self.datasets, **{d.id: d for d in pack.datasets}},
            sources=(*self.sources, source),
        )

    def category(self, key: str) -> CategoryRule | None:
        """The rule for ``key``: its own or its closest listed ancestor's."""
        parts = key.split(".")
        while parts:
            rule = self.categories.get(".".join(parts))
            if rule is not None:
                return rule
            parts.pop()
        return None

    def known(self, key: str) -> bool:
        """Whether ``key`` is a category of the taxonomy (or has a rule of its own)."""
        return key in self.taxonomy

    def entity(self, entity: str) -> EntityRule:
        """An entity's full meaning (its category rule plus the mapping's additions).

        Entities without a mapping (e.g. from a plugin recognizer) count as ordinary
        confidential personal information: never silently dropped.
        """
        mapping = self.entities.get(entity)
        if mapping is None:
            return EntityRule(
                entity=entity,
                category="user",
                sensitivity=Sensitivity.CONFIDENTIAL,
                labels=RegimeLabels(),
            )
        cat = self.category(mapping.category)
        labels = cat.labels if cat else RegimeLabels()
        sensitivity = cat.sensitivity if cat else Sensitivity.CONFIDENTIAL
        if mapping.labels is not None:
            labels = labels.merge(mapping.labels)
        if mapping.sensitivity is not None:
            sensitivity = sensitivity.max(mapping.sensitivity)
        return EntityRule(
            entity=entity,
            category=mapping.category,
            sensitivity=sensitivity,
            labels=labels,
            personal=cat.personal if cat else True,
        )


BUILTIN_PACK_FILES = (
    "taxonomy.yaml",
    "categories.yaml",
    "entities.yaml",
    "combinations.yaml",
    "datasets.yaml",
)


def _parse_pack(text: str, display: str) -> RulePack:
    return validate(RulePack, parse_yaml(text, display), what="rules")


def _pack_files(folder: Traversable | Path) -> list[Traversable | Path]:
    files = [f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml")) and f.is_file()]
    order = {n: i for i, n in enumerate(BUILTIN_PACK_FILES)}
    return sorted(files, key=lambda f: (order.get(f.name, 99), f.name))


def load_pack_dir(folder: Traversable | Path, *, label: str) -> list[tuple[RulePack, str]]:
    """Every rule-pack file directly in ``folder`` (not in sub-folders such as tests/)."""
    out = []
    for f in _pack_files(folder):
        if f.name == "column_hints.yaml":
            continue  # detection hints, read by guardrail.detect
        out.append((_parse_pack(f.read_text("utf-8"), f"{label}/{f.name}"), f"{label}/{f.name}"))
    return out


@cache
def builtin_rules() -> RuleSet:
    """guardrail's own rules plus every pack registered in ``guardrail.rules``."""
    rules = RuleSet()
    for pack, source in load_pack_dir(data_dir("rules"), label="rules"):
        rules = rules.extend(pack, source)
    for name in plugins.names("guardrail.rules"):
        entry: Callable[[], Traversable] = plugins.load("guardrail.rules", name)
        for pack, source in load_pack_dir(entry(), label=f"plugin:{name}"):
            rules = rules.extend(pack, source)
    _check(rules)
    return rules


def load_rules(
    *, extra_files: Iterable[Path] = (), extra_packs: Iterable[RulePack] = ()
) -> RuleSet:
    """Built-in rules extended by organisation files and in-manifest packs (in that order)."""
    rules = builtin_rules()
    for path in extra_files:
        pack = validate(RulePack, load_yaml(path), what="rules")
        rules = rules.extend(pack, str(path))
    for i, pack in enumerate(extra_packs):
        rules = rules.extend(pack, f"manifest#{i}")
    _check(rules)
    return rules


def _check(rules: RuleSet) -> None:
    """Every entity maps to a listed category tree; every category has the root 'user' or
    a non-personal root."""
    for m in rules.entities.values():
        if rules.category(m.category) is None or not rules.known(m.category):
            raise ConfigError(
                f"entity '{m.entity}' maps to category '{m.category}', which is not in the "
                "taxonomy",
                hint="add the category to a pack's taxonomy or categories",
            )
