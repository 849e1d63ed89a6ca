"""Executor side of the Spark scan: guardrail's fast engine over Arrow batches.

:func:`scan_partition` is what ``DataFrame.mapInArrow`` runs in each Python worker. It needs
pyarrow and guardrail only (not PySpark), so it is tested directly on Arrow batches. Rows are
gathered into chunks of :data:`CHUNK_ROWS`; each column of a chunk goes through
:meth:`~guardrail.detect.cells.CellMatcher.analyze` — the same call the single-machine
:func:`~guardrail.detect.scan_table` makes — and the task returns, as rows of
:data:`OUTPUT_SCHEMA`:

* the column's evidence (counts of values per entity and kind, summed over the task's chunks)
  and, per entity, the masked preview of the value a single pass over all rows would show
  (the first row, cell rules before text matches);
* with ``detections``, every detection per row: offsets, entity, score, recognizer and the
  *masked* preview of the matched text (values never leave the executor);
* the number of rows seen per input partition (the driver numbers the rows from these);
* an error, if one occurred: a guardrail error's class, message and hint (they never quote
  values), or only the type of any other exception (its text might).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from guardrail.errors import GuardrailError

__all__ = [
    "CHUNK_ROWS",
    "KIND_COUNTER",
    "KIND_DETECTION",
    "KIND_ERROR",
    "KIND_PREVIEW",
    "KIND_ROWS",
    "KIND_STAT",
    "OUTPUT_DDL",
    "ROW",
    "ScanColumn",
    "ScanJob",
    "normalise",
    "output_schema",
    "scan_partition",
]

#: The column holding each row's ``monotonically_increasing_id`` (partition << 33 | position).
ROW = "__guardrail_row__"
#: Rows analysed together (values are deduplicated per chunk).
CHUNK_ROWS = 65_536
#: Bits of a row id that hold the position within its partition.
POSITION_BITS = 33

KIND_DETECTION = 0
KIND_COUNTER = 1
KIND_STAT = 2
KIND_PREVIEW = 3
KIND_ROWS = 4
KIND_ERROR = 5

#: The output rows' schema as Spark DDL (see :func:`output_schema` for the Arrow one).
OUTPUT_DDL = (
    "kind tinyint, col int, rowid bigint, seq int, start int, stop int, entity string, "
    "score double, label string, value bigint, text string"
)

_COUNTERS = ("full", "shape", "loose_shape", "anywhere")
_STATS = ("n", "tokens", "protected", "distinct")


def output_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("kind", pa.int8()),
            ("col", pa.int32()),
            ("rowid", pa.int64()),
            ("seq", pa.int32()),
            ("start", pa.int32()),
            ("stop", pa.int32()),
            ("entity", pa.string()),
            ("score", pa.float64()),
            ("label", pa.string()),
            ("value", pa.int64()),
            ("text", pa.string()),
        ]
    )


@dataclass(frozen=True)
class ScanColumn:
    name: str
    comment: str | None = None


@dataclass(frozen=True)
class ScanJob:
    """What every task scans and how (pickled into the Spark job)."""

    columns: tuple[ScanColumn, ...]
    entities: tuple[str, ...] | None = None
    language: str | None = None
    detections: bool = False
    chunk_rows: int = CHUNK_ROWS


_SCANNERS: dict[tuple[str, ...] | None, Any] = {}


def _scanner(entities: tuple[str, ...] | None) -> Any:
    """One scanner per entity selection per worker process (Spark reuses Python workers)."""
    scanner = _SCANNERS.get(entities)
    if scanner is None:
        from guardrail.detect import Scanner, default_scanner

        scanner = default_scanner() if entities is None else Scanner(entities=list(entities))
        _SCANNERS[entities] = scanner
    return scanner


class _Rows:
    """Output rows, column-wise."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {}
        self.clear()

    def clear(self) -> None:
        self.cols = {f: [] for f in output_schema().names}

    def add(self, kind: int, **values: Any) -> None:
        for name, col in self.cols.items():
            col.append(kind if name == "kind" else values.get(name))

    def __len__(self) -> int:
        return len(self.cols["kind"])

    def batch(self) -> Any:
        import pyarrow as pa

        return pa.RecordBatch.from_pydict(self.cols, schema=output_schema())


@dataclass
class _ColumnState:
    counters: dict[str, dict[str, int]]
    stats: dict[str, int]
    max_len: int
    #: entity -> ((phase, first row id), masked preview)
    previews: dict[str, tuple[tuple[int, int], str]]


def scan_partition(batches: Iterator[Any], job: ScanJob) -> Iterator[Any]:
    """Scan one Spark partition's Arrow batches; yield output batches (see module doc)."""
    out = _Rows()
    try:
        yield from _scan(batches, job, out)
    except GuardrailError as exc:
        out = _Rows()
        out.add(
            KIND_ERROR,
            label=type(exc).__name__,
            text=exc.message + ("\x1f" + exc.hint if exc.hint else ""),
        )
        yield out.batch()
    except Exception as exc:  # noqa: BLE001 - the text of other errors may quote values
        out = _Rows()
        out.add(KIND_ERROR, label="RuleExecutionError", text=f"\x1e{type(exc).__name__}")
        yield out.batch()


def _scan(batches: Iterator[Any], job: ScanJob, out: _Rows) -> Iterator[Any]:
    import pyarrow as pa

    scanner = _scanner(job.entities)
    states = [
        _ColumnState({c: {} for c in _COUNTERS}, dict.fromkeys(_STATS, 0), 0, {})
        for _ in job.columns
    ]
    rows_per_part: dict[int, list[int]] = {}
    pending: list[Any] = []
    size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        size += batch.num_rows
        if size >= job.chunk_rows:
            _chunk(pa.Table.from_batches(pending), job, scanner, states, rows_per_part, out)
            pending, size = [], 0
            if len(out) >= 50_000:
                yield out.batch()
                out.clear()
    if pending:
        _chunk(pa.Table.from_batches(pending), job, scanner, states, rows_per_part, out)
    for i, st in enumerate(states):
        for counter, per in st.counters.items():
            for entity, n in sorted(per.items()):
                out.add(KIND_COUNTER, col=i, label=counter, entity=entity, value=n)
        for stat, n in st.stats.items():
            out.add(KIND_STAT, col=i, label=stat, value=n)
        out.add(KIND_STAT, col=i, label="max_len", value=st.max_len)
        for entity, ((phase, rowid), shown) in sorted(st.previews.items()):
            out.add(KIND_PREVIEW, col=i, entity=entity, rowid=rowid, value=phase, text=shown)
    for part, (count, last) in sorted(rows_per_part.items()):
        out.add(KIND_ROWS, rowid=part, label="count", value=count)
        out.add(KIND_ROWS, rowid=part, label="last", value=last)
    yield out.batch()


def normalise(arr: Any) -> Any:
    """A column as strings, the way the single-machine engine reads it (binary stays)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    t = arr.type
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return arr
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr
    return pc.cast(arr, pa.large_string(), safe=False)


def _chunk(
    table: Any,
    job: ScanJob,
    scanner: Any,
    states: list[_ColumnState],
    rows_per_part: dict[int, list[int]],
    out: _Rows,
) -> None:
    import numpy as np
    import pyarrow.compute as pc

    from guardrail.detect.cells import preview
    from guardrail.detect.columns import _matcher_for, hinted_entities

    ids = np.asarray(table.column(ROW).to_numpy(), dtype=np.int64)
    parts = ids >> POSITION_BITS
    positions = ids & ((1 << POSITION_BITS) - 1)
    for part in np.unique(parts).tolist():
        mine = positions[parts == part]
        seen = rows_per_part.setdefault(int(part), [0, -1])
        seen[0] += int(mine.size)
        seen[1] = max(seen[1], int(mine.max()))
    matcher = _matcher_for(scanner)
    for i, col in enumerate(job.columns):
        arr = normalise(table.column(col.name))
        an = matcher.analyze(
            arr,
            scanner,
            language=job.language,
            explained=hinted_entities(col.name, col.comment),
            spans=job.detections,
        )
        ev = an.evidence
        st = states[i]
        for counter in _COUNTERS:
            per = st.counters[counter]
            for entity, n in getattr(ev, counter).items():
                per[entity] = per.get(entity, 0) + n
        for stat in _STATS:
            st.stats[stat] += getattr(ev, stat)
        st.max_len = max(st.max_len, ev.max_len)
        for entity, (phase, j) in ev.preview_from.items():
            first = int(pc.index(arr, an.distinct[j]).as_py())
            key = (phase, int(ids[first]))
            held = st.previews.get(entity)
            if held is None or key < held[0]:
                st.previews[entity] = (key, ev.previews[entity])
        if job.detections:
            _detections(i, an, ids, out, preview)


def _detections(col: int, an: Any, ids: Any, out: _Rows, preview: Any) -> None:
    """Every span per row, in the order the single-machine engine lists them; shape-only
    matches (priority < 0) are kept and marked: the driver keeps those of entities the
    column's verdict includes."""
    spans = an.spans or []
    distinct = an.distinct
    add = out.add
    for row, j in enumerate(an.index or []):
        if j < 0 or not spans[j]:
            continue
        value = distinct[j]
        rowid = int(ids[row])
        for seq, (s, e, score, prio, entity, name) in enumerate(spans[j]):
            add(
                KIND_DETECTION,
                col=col,
                rowid=rowid,
                seq=seq,
                start=s,
                stop=e,
                entity=entity,
                score=round(score, 4),
                label=name,
                value=-1 if prio < 0 else 0,
                text=preview(entity, value[s:e]),
            )
