"""Detections of personal data in text and classifications of columns."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from guardrail.model._base import ValueObject
from guardrail.model.common import EntityName

__all__ = ["ColumnCategory", "ColumnEntity", "ColumnReport", "Detection", "EntityCount"]

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class Detection(ValueObject):
    """One personal-data value found in a text: ``text[start:end]`` (character offsets).

    A detection never holds the value itself; callers that own the text can slice it.
    """

    entity: EntityName
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=0)]
    score: Score
    recognizer: str

    @model_validator(mode="after")
    def _ordered(self) -> Detection:
        if self.end <= self.start:
            raise ValueError("a detection must span at least one character")
        return self


class EntityCount(ValueObject):
    entity: EntityName
    count: Annotated[int, Field(ge=0)]


class ColumnEntity(ValueObject):
    """One entity found in a column: the share of sampled non-empty values holding it."""

    entity: EntityName
    hit_ratio: Score
    confidence: Score


#: A fideslang data-category key under ``user`` ("user.content.self_image").
CategoryKey = Annotated[str, StringConstraints(pattern=r"^user(\.[a-z][a-z_]*)+$", max_length=96)]


class ColumnCategory(ValueObject):
    """Personal data a column holds where no detector entity applies — an avatar, a gender
    code, comments users wrote — established from its name, comment and table."""

    category: CategoryKey
    confidence: Score


class ColumnReport(ValueObject):
    """What a column holds, with a human-readable reason (never a sampled value).

    ``entities`` are detector entities (from values, names and comments); ``categories`` are
    personal-data categories without a detector entity. A column is personal data when it
    has either (an entity whose classification rule is personal, or any category).
    """

    table: str
    column: str
    entities: tuple[ColumnEntity, ...] = ()
    categories: tuple[ColumnCategory, ...] = ()
    sampled: Annotated[int, Field(ge=0)] = 0
    non_empty: Annotated[int, Field(ge=0)] = 0
    reason: str = ""
    reason_zh: str = ""
    masked_preview: tuple[str, ...] = ()

    @property
    def top(self) -> ColumnEntity | None:
        return max(self.entities, key=lambda e: e.confidence, default=None)
