"""Metadata about data sources, and containers for sampled values.

``ColumnInfo``/``TableInfo`` are metadata (names, types, comments) and safe to show.
``ColumnSample``/``TableSample`` hold *raw sampled values*: they are plain frozen dataclasses
(no validation cost per value) whose ``repr`` shows counts only, and they never leave the
scanner — detect turns them into :class:`~guardrail.model.detection.ColumnReport` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from guardrail.model._base import ValueObject

__all__ = ["ColumnInfo", "ColumnSample", "TableInfo", "TableSample"]


class ColumnInfo(ValueObject):
    name: str
    type: str = ""
    comment: str | None = None
    nullable: bool = True


class TableInfo(ValueObject):
    name: str
    schema_name: str | None = None
    columns: tuple[ColumnInfo, ...] = ()
    comment: str | None = None
    row_count: Annotated[int, Field(ge=0)] | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema_name}.{self.name}" if self.schema_name else self.name


@dataclass(frozen=True, repr=False)
class ColumnSample:
    """Sampled values of one column (``None`` for SQL NULL). Never printed."""

    name: str
    values: Sequence[str | None]
    comment: str | None = None
    type: str = ""

    def __repr__(self) -> str:
        return f"ColumnSample(name={self.name!r}, values=<{len(self.values)} redacted>)"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class TableSample:
    """A sample of rows from one table, stored column-wise."""

    table: str
    columns: tuple[ColumnSample, ...]
    row_count: int | None = None
    strategy: str = "first"

    @property
    def rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0

    def column(self, name: str) -> ColumnSample:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def __repr__(self) -> str:
        return (
            f"TableSample(table={self.table!r}, columns={[c.name for c in self.columns]!r}, "
            f"rows=<{self.rows} redacted>)"
        )

    __str__ = __repr__
