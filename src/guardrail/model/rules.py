"""Classification rule packs as data: categories, entity mappings, combination and dataset
rules (YAML with ``schema_version``; loaded by :mod:`guardrail.classify.rules`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from guardrail.model._base import ValueObject
from guardrail.model.classification import PiplSensitiveKind, RegimeLabels, Sensitivity
from guardrail.model.common import ArticleRef, EntityName, LocalizedText, Slug

__all__ = [
    "AGES",
    "CategoryKey",
    "CategoryRule",
    "CombinationRule",
    "Condition",
    "DatasetRule",
    "EntityMapping",
    "FieldCondition",
    "RulePack",
    "When",
]

CategoryKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")]


def _ref(value: Any) -> Any:
    return ArticleRef.parse(value) if isinstance(value, str) else value


Ref = Annotated[ArticleRef, BeforeValidator(_ref)]


class CategoryRule(ValueObject):
    """What data of one category (and its descendants) means under each law."""

    key: CategoryKey
    description: LocalizedText | None = None
    sensitivity: Sensitivity = Sensitivity.CONFIDENTIAL
    personal: bool = True
    labels: RegimeLabels = RegimeLabels()


class EntityMapping(ValueObject):
    """A detected entity's category, with optional additions to the category's meaning."""

    entity: EntityName
    category: CategoryKey
    sensitivity: Sensitivity | None = None
    labels: RegimeLabels | None = None


class FieldCondition(ValueObject):
    """Properties one field must all have."""

    sensitive: bool | None = None
    personal: bool | None = None
    pipl_kind: PiplSensitiveKind | None = None
    gdpr_special: bool | None = None
    entity: EntityName | None = None
    category: CategoryKey | None = None


AGES = (13, 14, 16, 18)


class Condition(ValueObject):
    """One condition (exactly one key set)."""

    entity: EntityName | None = None
    category: CategoryKey | None = None
    column: tuple[str, ...] | None = None
    minors_under: Literal[13, 14, 16, 18] | None = None
    rows_at_least: Annotated[int, Field(ge=1)] | None = None
    field: FieldCondition | None = None
    all_fields: Literal[True] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_keys = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_keys) != 1:
            raise ValueError(
                "a condition has exactly one of: entity, category, column, "
                "minors_under, rows_at_least, field, all_fields"
            )
        return self


class When(ValueObject):
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    none: tuple[Condition, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if not (self.all or self.any):
            raise ValueError("a rule needs at least one 'all' or 'any' condition")
        return self


class CombinationRule(ValueObject):
    id: Slug
    title: LocalizedText
    when: When
    apply_to: tuple[Condition, ...] = Field(min_length=1)
    labels: RegimeLabels = RegimeLabels()
    sensitivity: Sensitivity | None = None
    # Category given to selected fields that have none (e.g. a `cvv` column nothing detected).
    assign_category: CategoryKey | None = None
    refs: tuple[Ref, ...] = ()


class DatasetRule(ValueObject):
    id: Slug
    title: LocalizedText
    when: When
    refs: tuple[Ref, ...] = ()


class RulePack(ValueObject):
    schema_version: Literal[1]
    # Valid category keys beyond those that have a rule (e.g. fideslang's whole taxonomy).
    taxonomy: tuple[CategoryKey, ...] = ()
    categories: tuple[CategoryRule, ...] = ()
    entities: tuple[EntityMapping, ...] = ()
    combinations: tuple[CombinationRule, ...] = ()
    datasets: tuple[DatasetRule, ...] = ()
