"""What every connector provides, and URL handling that never leaks credentials."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal, Protocol, runtime_checkable

from guardrail.errors import ConnectorError, redact_url
from guardrail.model.data import TableInfo, TableSample

__all__ = [
    "Connector",
    "NoSqlProbes",
    "SampleStrategy",
    "SamplingPlan",
    "SourceSpec",
    "TextChunk",
    "redact_url",
    "scheme_of",
]

SampleStrategy = Literal["first", "random"]


def scheme_of(url: str) -> str | None:
    """The connector name for a URL: ``postgresql+psycopg://`` -> ``postgresql``."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9.-]*)(?:\+[A-Za-z0-9_]+)?://", url)
    if not m:
        m = re.match(r"^([A-Za-z][A-Za-z0-9.-]*)(?:\+[A-Za-z0-9_]+)?:", url)
        if not m or len(m.group(1)) == 1:  # a Windows drive letter is not a scheme
            return None
    return m.group(1).lower()


@dataclass(frozen=True)
class SamplingPlan:
    """How many rows to sample per table: ``limit`` by default, ``per_table`` overrides
    (a table mapped to 0 is skipped), ``strategy`` ``first`` or ``random``."""

    limit: int = 1000
    strategy: SampleStrategy = "first"
    per_table: Mapping[str, int] = field(default_factory=dict)

    def limit_for(self, table: str) -> int:
        return int(self.per_table.get(table, self.limit))


@dataclass(frozen=True)
class SourceSpec:
    """A data source to open: a URL (or path), resolved against ``base_dir``."""

    url: str
    base_dir: Path = Path()

    @property
    def display(self) -> str:
        return redact_url(self.url)


@dataclass(frozen=True, repr=False)
class TextChunk:
    """A piece of text read from a file, with the 1-based line number of its first line."""

    path: str
    line: int
    text: str

    def __repr__(self) -> str:
        return f"TextChunk(path={self.path!r}, line={self.line}, text=<{len(self.text)} chars>)"


@runtime_checkable
class Connector(Protocol):
    """A readable data source. Connectors open read-only and never write."""

    @property
    def display(self) -> str:
        """A name safe to print (credentials redacted)."""
        ...

    def tables(self) -> list[TableInfo]:
        """Tables (or table-like files) with columns, comments and row counts when cheap."""
        ...

    def sample(
        self, table: TableInfo, *, limit: int = 1000, strategy: SampleStrategy = "first"
    ) -> TableSample:
        """Up to ``limit`` rows of ``table``, as strings column-wise."""
        ...

    def count_older_than(self, table: TableInfo, column: str, cutoff: datetime) -> int:
        """Rows whose ``column`` timestamp is before ``cutoff`` (retention probes)."""
        ...

    def column_values(
        self,
        table: str,
        column: str,
        *,
        where: Mapping[str, str | int | bool] | None = None,
        not_null: Sequence[str] = (),
    ) -> Iterator[str]:
        """Distinct non-null values of ``column`` (as text), optionally where other columns
        equal given values: e.g. the customer ids a purpose is processing. Streamed."""
        ...

    def texts(self) -> Iterator[TextChunk]:
        """Free text (log and text files) in chunks; empty for databases."""
        ...

    def close(self) -> None: ...


class NoSqlProbes:
    """The SQL-only probes of :class:`Connector`, refused with a hint, for a source that is
    not a SQL database. ``_kind`` names the source in messages (``files``, ``Redis``)."""

    _kind: ClassVar[str]
    _retention_hint: ClassVar[str]

    def column_values(
        self,
        table: str,
        column: str,
        *,
        where: Mapping[str, str | int | bool] | None = None,
        not_null: Sequence[str] = (),
    ) -> Iterator[str]:
        raise ConnectorError(
            f"processing sets are read from SQL tables, not {self._kind} ({table})",
            hint="point the processing set at a SQL datastore",
        )

    def count_older_than(self, table: TableInfo, column: str, cutoff: datetime) -> int:
        raise ConnectorError(
            f"retention probes are not supported on {self._kind} ({table.name})",
            hint=self._retention_hint,
        )
