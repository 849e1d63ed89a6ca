"""Tables: personal data in data frames and Arrow arrays, column by column.

:func:`scan_array` is the unit a distributed engine can reuse on Arrow column batches (a
Spark ``mapInArrow`` stage, say): it deduplicates the column with Arrow, checks each
distinct value against the cell rules once, scans the rest as one text batch, and returns
the detections per row in columnar form plus the column's evidence. :func:`scan_table`
classifies every column of a pandas, Polars or Arrow frame (``pandas`` and ``polars`` are
optional: the ``frames`` extra) and, on request, lists the detections per cell.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from guardrail.detect.cells import Analysis, CellMatcher, Evidence
from guardrail.detect.columns import classify_with_analyses, hinted_entities
from guardrail.detect.scanner import Language, Scanner, make_detection
from guardrail.errors import InputError
from guardrail.model.data import ColumnSample
from guardrail.model.detection import ColumnReport, Detection

__all__ = ["ArrayScan", "TableScan", "scan_array", "scan_table", "to_arrow"]


@dataclass(frozen=True, repr=False)
class ArrayScan:
    """Detections in one column, columnar: detection ``i`` is in row ``rows[i]``, at
    ``starts[i]:ends[i]`` of that row's value. Never holds the values themselves."""

    length: int
    rows: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    recognizers: list[str] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[int, Detection]]:
        """``(row, detection)`` pairs in row order."""
        mk = make_detection
        for i, row in enumerate(self.rows):
            yield (
                row,
                mk(
                    self.entities[i],
                    self.starts[i],
                    self.ends[i],
                    self.scores[i],
                    self.recognizers[i],
                ),
            )

    def counts(self) -> dict[str, int]:
        """Rows holding each entity."""
        seen: dict[str, set[int]] = {}
        for row, entity in zip(self.rows, self.entities, strict=True):
            seen.setdefault(entity, set()).add(row)
        return {e: len(rows) for e, rows in sorted(seen.items())}

    def __repr__(self) -> str:
        return f"ArrayScan(rows={self.length}, detections={len(self.rows)})"


def _from_analysis(an: Analysis, length: int, shapes: set[str] | None = None) -> ArrayScan:
    """Per-row detections; shape-only matches count for the entities in ``shapes`` (those the
    column's verdict includes), or all when ``shapes`` is None."""
    out = ArrayScan(length=length, evidence=an.evidence)
    spans = an.spans or []
    index = an.index or []
    for row, j in enumerate(index):
        if j < 0:
            continue
        for s, e, score, prio, entity, name in spans[j]:
            if prio < 0 and shapes is not None and entity not in shapes:
                continue
            out.rows.append(row)
            out.starts.append(s)
            out.ends.append(e)
            out.entities.append(entity)
            out.scores.append(round(score, 4))
            out.recognizers.append(name)
    return out


def scan_array(
    array: Any,
    *,
    scanner: Scanner | None = None,
    name: str | None = None,
    comment: str | None = None,
    language: Language = None,
) -> ArrayScan:
    """Detections in every value of one column (an Arrow array or chunked array, or a
    sequence of strings). ``name``/``comment``: the column's, so values with the shape of
    an entity it hints at ("name" → a name-shaped value) count as detections too."""
    from guardrail.detect import default_scanner

    scanner = scanner or default_scanner()
    matcher = _matcher(scanner)
    explained = hinted_entities(name, comment) if name else set()
    an = matcher.analyze(array, scanner, language=language, explained=explained, spans=True)
    return _from_analysis(an, len(an.index or []))


def _matcher(scanner: Scanner) -> CellMatcher:
    from guardrail.detect.columns import _matcher_for

    return _matcher_for(scanner)


@dataclass(frozen=True, repr=False)
class TableScan:
    """What a table holds: one :class:`~guardrail.model.detection.ColumnReport` per column
    and, when detections were asked for, an :class:`ArrayScan` per column."""

    table: str
    rows: int
    scanned_rows: int
    reports: list[ColumnReport]
    columns: dict[str, ArrayScan] = field(default_factory=dict)

    def report(self, column: str) -> ColumnReport:
        for r in self.reports:
            if r.column == column:
                return r
        raise KeyError(column)

    def __repr__(self) -> str:
        return f"TableScan({self.table!r}, rows={self.rows}, columns={len(self.reports)})"


def to_arrow(frame: Any) -> Any:
    """A ``pyarrow.Table`` from a pyarrow table/record batch, a pandas or a Polars frame."""
    import pyarrow as pa

    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    module = type(frame).__module__.split(".", 1)[0]
    if module == "pandas":
        return pa.Table.from_pandas(frame, preserve_index=False)
    if module == "polars":
        return frame.to_arrow()
    if isinstance(frame, dict):
        return pa.table(frame)
    raise InputError(
        f"cannot scan a {type(frame).__name__} as a table",
        hint="pass a pandas or Polars DataFrame, or a pyarrow Table",
    )


def scan_table(
    frame: Any,
    *,
    name: str = "table",
    scanner: Scanner | None = None,
    sample: int | None = 10_000,
    strategy: Literal["first", "random"] = "first",
    seed: int = 0,
    detections: bool = False,
    comments: dict[str, str] | None = None,
    language: Language = None,
) -> TableScan:
    """Classify the columns of ``frame`` (pandas, Polars or Arrow) and, with
    ``detections=True``, list every detection per cell.

    ``sample``: rows to examine (the first ones, or a seeded random set with
    ``strategy="random"``); ``None`` scans every row. ``comments`` maps column names to
    their descriptions (read like database column comments).
    """
    import pyarrow as pa

    table = to_arrow(frame)
    total = table.num_rows
    if sample is not None and sample < total:
        if strategy == "random":
            rows = sorted(random.Random(seed).sample(range(total), sample))  # noqa: S311
            table = table.take(pa.array(rows, type=pa.int64()))
        else:
            table = table.slice(0, sample)
    comments = comments or {}
    samples = [
        ColumnSample(name=f.name, values=(), comment=comments.get(f.name), type=str(f.type))
        for f in table.schema
    ]
    values = {f.name: table.column(f.name) for f in table.schema}
    reports, analyses = classify_with_analyses(
        name, samples, scanner=scanner, values=values, spans=detections, language=language
    )
    reports = [r.model_copy(update={"sampled": table.num_rows}) for r in reports]
    cols: dict[str, ArrayScan] = {}
    if detections:
        for col, an, rep in zip(samples, analyses, reports, strict=True):
            cols[col.name] = _from_analysis(an, table.num_rows, {e.entity for e in rep.entities})
    return TableScan(
        table=name, rows=total, scanned_rows=table.num_rows, reports=reports, columns=cols
    )
