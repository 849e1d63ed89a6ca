"""Findings of a scan: where a detection is, masked (never the value itself)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from guardrail.model._base import ValueObject
from guardrail.model.common import EntityName

__all__ = ["Finding"]


class Finding(ValueObject):
    """One detection in a file or a table, with a masked preview.

    Text: ``line`` (1-based) and ``column`` (1-based character) of the start. Tables: ``table``,
    ``field`` (the column's name) and ``row`` (0-based). ``start``/``end`` are character
    offsets within the line or the cell value.
    """

    source: str
    entity: EntityName
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=1)]
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    recognizer: str
    preview: str
    line: Annotated[int, Field(ge=1)] | None = None
    column: Annotated[int, Field(ge=1)] | None = None
    table: str | None = None
    field: str | None = None
    row: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _located(self) -> Finding:
        if (self.line is None) == (self.table is None):
            raise ValueError("a finding is in a text line or in a table cell")
        return self

    def location(self) -> dict[str, Any]:
        """The location as the scan command's JSON shows it."""
        if self.line is not None:
            return {"line": self.line, "column": self.column}
        return {"table": self.table, "column": self.field, "row": self.row}
