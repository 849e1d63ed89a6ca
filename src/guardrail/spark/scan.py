"""PII discovery on Spark DataFrames: the fast engine in ``mapInArrow``, sampling in Spark.

:func:`scan_dataframe` is :func:`guardrail.detect.scan_table` for a Spark DataFrame, and
gives the same result on the same rows: the same column reports (entities, confidences,
hit ratios, reasons, masked previews) and, with ``detections=True``, the same detections per
cell. How:

1. **Sampling runs in Spark.** ``first``: ``df.limit(n)`` (Spark stops reading early);
   ``random``: Spark counts the rows of each input partition, the driver draws the same
   seeded row numbers :func:`~guardrail.detect.scan_table` would
   (``random.Random(seed).sample(range(rows), n)``) and a broadcast join keeps those rows;
   ``None``: every row. Only the sampled rows reach Python.
2. **Executors scan** Arrow batches with the same engine call as the single-machine path
   (:mod:`guardrail.spark._scan_worker`) and return *evidence* — counts per entity and kind
   of match, and masked previews — plus, on request, per-row detections with masked previews.
   Raw values never leave the executors.
3. **The driver** sums the evidence (counts add up exactly; of the previews it keeps the one
   a single pass would have shown) and classifies the columns with
   :func:`~guardrail.detect.columns.classify_evidence`, the function the single-machine
   path ends with.

Row order is Spark's: ``monotonically_increasing_id`` (input partition, then position), which
for a file read is the file's order. Non-string columns are converted as Spark's Arrow
transfer delivers them (timestamps in the session time zone); structs, arrays and maps are
scanned as their JSON text.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

from guardrail.detect.cells import Evidence
from guardrail.detect.columns import classify_evidence, column_state, load_hints
from guardrail.detect.tables import ArrayScan, TableScan
from guardrail.errors import GuardrailError, InputError, RuleExecutionError, UsageError
from guardrail.model.data import ColumnSample
from guardrail.model.detection import ColumnReport
from guardrail.model.scan import Finding
from guardrail.spark import _scan_worker as worker
from guardrail.spark.session import Progress, spark_errors, track_jobs

__all__ = [
    "DataFrameScan",
    "classify_columns",
    "sample_strings",
    "scan_dataframe",
    "scan_findings",
]

Strategy = Literal["first", "random"]


@dataclass(frozen=True, repr=False)
class _Detections:
    """One column's detections (sample row numbers), with masked previews."""

    rows: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    recognizers: list[str] = field(default_factory=list)
    previews: list[str] = field(default_factory=list)


@dataclass(frozen=True, repr=False)
class DataFrameScan:
    """What a Spark scan found: the column reports, the rows examined and (with
    detections) each column's detections with masked previews. Never holds values."""

    table: str
    scanned_rows: int
    reports: list[ColumnReport]
    evidence: dict[str, Evidence]
    detections: dict[str, _Detections]

    def table_scan(self, rows: int | None = None) -> TableScan:
        """As :class:`~guardrail.detect.tables.TableScan` (``detect.scan_table``'s result)."""
        cols = {
            name: ArrayScan(
                length=self.scanned_rows,
                rows=d.rows,
                starts=d.starts,
                ends=d.ends,
                entities=d.entities,
                scores=d.scores,
                recognizers=d.recognizers,
                evidence=self.evidence[name],
            )
            for name, d in self.detections.items()
        }
        return TableScan(
            table=self.table,
            rows=self.scanned_rows if rows is None else rows,
            scanned_rows=self.scanned_rows,
            reports=self.reports,
            columns=cols,
        )

    def __repr__(self) -> str:
        return (
            f"DataFrameScan({self.table!r}, rows={self.scanned_rows}, columns={len(self.reports)})"
        )


def scan_dataframe(
    df: Any,
    *,
    name: str = "table",
    entities: Iterable[str] | None = None,
    sample: int | None = 10_000,
    strategy: Strategy = "first",
    seed: int = 0,
    detections: bool = False,
    comments: Mapping[str, str] | None = None,
    table_comment: str | None = None,
    language: Literal["en", "zh"] | None = None,
    progress: Progress | None = None,
) -> TableScan:
    """Classify the columns of a Spark DataFrame and, with ``detections=True``, list every
    detection per cell — :func:`guardrail.detect.scan_table`'s result, computed on Spark.

    ``sample``: rows to examine (``None``: all); ``strategy``: ``first`` or a seeded
    ``random`` set. ``entities``: the entities to look for (default: the catalog's default
    set; each executor builds its scanner from this list, plus any installed recognizer
    plugins). ``comments`` map column names to descriptions (default: the comments in the
    DataFrame's schema, as Hive and Delta tables carry them). ``progress(label, done, total)``
    is called with Spark's task counts while the job runs.
    """
    found = _run(
        df,
        name=name,
        entities=entities,
        sample=sample,
        strategy=strategy,
        seed=seed,
        detections=detections,
        comments=comments,
        table_comment=table_comment,
        language=language,
        progress=progress,
        count=True,
    )
    return found.table_scan(found.total)


def classify_columns(
    df: Any,
    *,
    name: str = "table",
    entities: Iterable[str] | None = None,
    sample: int | None = 10_000,
    strategy: Strategy = "first",
    seed: int = 0,
    comments: Mapping[str, str] | None = None,
    table_comment: str | None = None,
    language: Literal["en", "zh"] | None = None,
    progress: Progress | None = None,
) -> list[ColumnReport]:
    """The column reports of :func:`scan_dataframe` (what an inventory needs)."""
    return _run(
        df,
        name=name,
        entities=entities,
        sample=sample,
        strategy=strategy,
        seed=seed,
        detections=False,
        comments=comments,
        table_comment=table_comment,
        language=language,
        progress=progress,
    ).reports


def scan_findings(
    df: Any,
    *,
    source: str,
    table: str | None = None,
    name: str = "table",
    entities: Iterable[str] | None = None,
    sample: int | None = 1000,
    strategy: Strategy = "first",
    seed: int = 0,
    min_score: float | None = None,
    findings: bool = True,
    comments: Mapping[str, str] | None = None,
    table_comment: str | None = None,
    language: Literal["en", "zh"] | None = None,
    progress: Progress | None = None,
) -> Iterator[Finding | ColumnReport]:
    """Findings per sampled row (masked previews), then the column reports — what
    :func:`guardrail.detect.stream.scan_sample` yields for a database table. Findings carry
    ``source``; findings and reports name the table ``table`` (default: ``source``);
    ``name`` is what classification reads. ``findings=False``: the column reports only
    (no per-cell work on the executors)."""
    label = source if table is None else table
    found = _run(
        df,
        name=name,
        entities=entities,
        sample=sample,
        strategy=strategy,
        seed=seed,
        detections=findings,
        comments=comments,
        table_comment=table_comment,
        language=language,
        progress=progress,
    )
    threshold = found.min_score if min_score is None else min_score
    items: list[tuple[int, int, int, Finding]] = []
    new = Finding.model_construct
    for order, report in enumerate(found.reports):
        d = found.detections[report.column]
        for i, row in enumerate(d.rows):
            if d.scores[i] < threshold:
                continue
            finding = new(
                source=source,
                entity=d.entities[i],
                start=d.starts[i],
                end=d.ends[i],
                score=d.scores[i],
                recognizer=d.recognizers[i],
                preview=d.previews[i],
                line=None,
                column=None,
                table=label,
                field=report.column,
                row=row,
            )
            items.append((row, order, d.starts[i], finding))
    items.sort(key=lambda t: t[:3])
    for item in items:
        yield item[3]
    for report in found.reports:
        yield report.model_copy(update={"table": label})


# -- the job ------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class _Found(DataFrameScan):
    min_score: float = 0.5
    #: Rows of the whole DataFrame, when counted.
    total: int | None = None


def _check(sample: int | None, strategy: str) -> None:
    if sample is not None and (isinstance(sample, bool) or sample < 1):
        raise UsageError(
            f"sample must be a positive number of rows, not {sample}", hint="or None for all rows"
        )
    if strategy not in ("first", "random"):
        raise UsageError(f"unknown sampling strategy '{strategy}'", hint="use first or random")


def _columns(
    df: Any, comments: Mapping[str, str] | None
) -> tuple[list[Any], list[worker.ScanColumn]]:
    """Spark expressions selecting every column as the engine reads it, and their specs."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = [f.name for f in df.schema.fields]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise InputError(
            f"the DataFrame has two columns named '{dup}'", hint="rename or drop one of them"
        )
    if worker.ROW in names:
        raise InputError(
            f"the DataFrame has a column named '{worker.ROW}'", hint="guardrail uses that name"
        )
    exprs = []
    specs = []
    plain = (
        T.StringType,
        T.CharType,
        T.VarcharType,
        T.BinaryType,
        T.BooleanType,
        T.NumericType,
        T.DateType,
        T.TimestampType,
        T.TimestampNTZType,
        T.NullType,
    )
    for f in df.schema.fields:
        col = F.col("`" + f.name.replace("`", "``") + "`")
        if isinstance(f.dataType, T.StructType | T.ArrayType | T.MapType):
            col = F.to_json(col)
        elif not isinstance(f.dataType, plain):
            col = col.cast("string")
        exprs.append(col.alias(f.name))
        comment = (comments or {}).get(f.name)
        if comment is None and comments is None:
            meta = f.metadata.get("comment") if f.metadata else None
            comment = str(meta) if meta else None
        specs.append(worker.ScanColumn(f.name, comment))
    return exprs, specs


def _run(
    df: Any,
    *,
    name: str,
    entities: Iterable[str] | None,
    sample: int | None,
    strategy: str,
    seed: int,
    detections: bool,
    comments: Mapping[str, str] | None,
    table_comment: str | None,
    language: str | None,
    progress: Progress | None,
    count: bool = False,
) -> _Found:
    from guardrail.detect import Scanner, default_scanner

    _check(sample, strategy)
    wanted = tuple(sorted(set(entities))) if entities is not None else None
    # Unknown entities fail here, on the driver, with the known ones listed.
    scanner = default_scanner() if wanted is None else Scanner(entities=list(wanted))
    spark = df.sparkSession
    with spark_errors(name):
        exprs, specs = _columns(df, comments)
        job = worker.ScanJob(
            columns=tuple(specs), entities=wanted, language=language, detections=detections
        )
        with track_jobs(spark, f"scanning {name}", progress):
            picked = _sampled(df.select(*exprs), sample, strategy, seed)
            out = picked.data.mapInArrow(partial(worker.scan_partition, job=job), worker.OUTPUT_DDL)
            result = out.toArrow()
            found = _collect(
                result, specs, name, table_comment, picked.offsets, picked.chosen, scanner.min_score
            )
            total = picked.total if picked.total is not None else found.scanned_rows
            if count and picked.total is None and sample and found.scanned_rows >= sample:
                total = int(picked.base.count())
    return replace(found, total=total)


@dataclass(frozen=True)
class _Sample:
    base: Any  # the DataFrame with row ids
    data: Any  # its sampled rows
    offsets: dict[int, int] | None = None
    chosen: list[int] | None = None
    total: int | None = None


def _sampled(df: Any, sample: int | None, strategy: str, seed: int) -> _Sample:
    """The rows to scan, with the row ids (partition << 33 | position) that number them."""
    from pyspark.sql import functions as F

    base = df.withColumn(worker.ROW, F.monotonically_increasing_id())
    if sample is None:
        return _Sample(base, base)
    if strategy == "first":
        return _Sample(base, base.limit(sample))
    offsets, total = _partition_offsets(base)
    if sample >= total:
        return _Sample(base, base, total=total)
    # The very rows detect.scan_table(strategy="random", seed=seed) takes from this table.
    chosen = sorted(random.Random(seed).sample(range(total), sample))  # noqa: S311
    return _Sample(base, _keep_rows(df.sparkSession, base, offsets, chosen), offsets, chosen, total)


def sample_strings(
    df: Any, *, limit: int, strategy: str = "first", seed: int = 0
) -> dict[str, list[str | None]]:
    """Up to ``limit`` rows of ``df`` as text, column by column, in row order (the
    connector protocol's sample: these values come to the driver)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _check(limit, strategy)
    exprs, specs = _columns(df, None)
    picked = _sampled(df.select(*exprs), limit, strategy, seed)
    table = picked.data.toArrow()
    order = pc.sort_indices(table.column(worker.ROW))
    table = table.take(order)
    out: dict[str, list[str | None]] = {}
    for spec in specs:
        arr = worker.normalise(table.column(spec.name))
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            out[spec.name] = [None if v is None else str(v) for v in arr.to_pylist()]
        else:
            out[spec.name] = arr.to_pylist()
    return out


def _partition_offsets(base: Any) -> tuple[dict[int, int], int]:
    """Rows per input partition (one cheap Spark job) as cumulative offsets, and the total."""
    from pyspark.sql import functions as F

    part = F.shiftright(F.col(worker.ROW), worker.POSITION_BITS).alias("part")
    counts = base.select(part).groupBy("part").count().toArrow().to_pylist()
    offsets: dict[int, int] = {}
    total = 0
    for rec in sorted(counts, key=lambda r: r["part"]):
        offsets[int(rec["part"])] = total
        total += int(rec["count"])
    return offsets, total


def _keep_rows(spark: Any, base: Any, offsets: dict[int, int], chosen: list[int]) -> Any:
    """The rows whose global row number is in ``chosen`` (a broadcast semi-join)."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    mask = (1 << worker.POSITION_BITS) - 1
    parts = spark.createDataFrame(
        pa.table(
            {
                "__gr_part": pa.array(list(offsets), pa.int64()),
                "__gr_offset": pa.array(list(offsets.values()), pa.int64()),
            }
        )
    )
    keep = spark.createDataFrame(pa.table({"__gr_global": pa.array(chosen, pa.int64())}))
    numbered = base.withColumn(
        "__gr_part", F.shiftright(F.col(worker.ROW), worker.POSITION_BITS)
    ).join(F.broadcast(parts), "__gr_part")
    numbered = numbered.withColumn(
        "__gr_global", F.col("__gr_offset") + F.col(worker.ROW).bitwiseAND(F.lit(mask))
    )
    hint = F.broadcast(keep) if len(chosen) <= 2_000_000 else keep
    kept = numbered.join(hint, "__gr_global", "left_semi")
    return kept.drop("__gr_part", "__gr_offset", "__gr_global")


def _raise_reported(result: Any) -> None:
    import pyarrow.compute as pc

    errors = result.filter(pc.equal(result.column("kind"), worker.KIND_ERROR))
    if errors.num_rows == 0:
        return
    import guardrail.errors as errs

    label = errors.column("label")[0].as_py() or "RuleExecutionError"
    text = errors.column("text")[0].as_py() or ""
    if text.startswith("\x1e"):
        raise RuleExecutionError(
            f"a Spark task crashed ({text[1:]})",
            hint="this is a bug in guardrail; the error type is all that is reported",
        )
    message, _, hint = text.partition("\x1f")
    cls = getattr(errs, label, None)
    if not (isinstance(cls, type) and issubclass(cls, GuardrailError)) or cls in (
        errs.ManifestError,
        errs.ConsentMissing,
    ):
        cls = GuardrailError
    raise cls(message, hint=hint or None)


def _collect(
    result: Any,
    specs: Sequence[worker.ScanColumn],
    name: str,
    table_comment: str | None,
    offsets: dict[int, int] | None,
    chosen: list[int] | None,
    min_score: float,
) -> _Found:
    import numpy as np
    import pyarrow.compute as pc

    _raise_reported(result)
    kinds = result.column("kind").to_numpy()

    def part(kind: int) -> Any:
        return (
            result.filter(pc.equal(result.column("kind"), kind)) if (kinds == kind).any() else None
        )

    evidence = [Evidence() for _ in specs]
    ranks: list[dict[str, tuple[int, int]]] = [{} for _ in specs]
    counters = part(worker.KIND_COUNTER)
    if counters is not None:
        for rec in counters.select(["col", "label", "entity", "value"]).to_pylist():
            getattr(evidence[rec["col"]], rec["label"])[rec["entity"]] += rec["value"]
    stats = part(worker.KIND_STAT)
    if stats is not None:
        for rec in stats.select(["col", "label", "value"]).to_pylist():
            ev = evidence[rec["col"]]
            if rec["label"] == "max_len":
                ev.max_len = max(ev.max_len, rec["value"])
            else:
                setattr(ev, rec["label"], getattr(ev, rec["label"]) + rec["value"])
    previews = part(worker.KIND_PREVIEW)
    if previews is not None:
        for rec in previews.select(["col", "entity", "rowid", "value", "text"]).to_pylist():
            key = (rec["value"], rec["rowid"])
            held = ranks[rec["col"]].get(rec["entity"])
            if held is None or key < held:
                ranks[rec["col"]][rec["entity"]] = key
                evidence[rec["col"]].previews[rec["entity"]] = rec["text"]
    for ev, rank in zip(evidence, ranks, strict=True):
        # Previews in the order one pass would have found them (cell rules first).
        order = sorted(ev.previews, key=lambda e: rank[e])
        ev.previews = {e: ev.previews[e] for e in order}
    numbering = _numbering(part(worker.KIND_ROWS), offsets, chosen)
    hints = load_hints()
    states = [
        column_state(ColumnSample(name=c.name, values=(), comment=c.comment), ev, hints)
        for c, ev in zip(specs, evidence, strict=True)
    ]
    reports = classify_evidence(name, states, table_comment, hints)
    reports = [r.model_copy(update={"sampled": numbering.rows}) for r in reports]
    found: dict[str, _Detections] = {}
    dets = part(worker.KIND_DETECTION)
    for i, (spec, report) in enumerate(zip(specs, reports, strict=True)):
        d = _Detections()
        found[spec.name] = d
        if dets is None:
            continue
        mine = dets.filter(pc.equal(dets.column("col"), i))
        if mine.num_rows == 0:
            continue
        verdict = {e.entity for e in report.entities}
        shape_only = mine.column("value").to_numpy() < 0
        keep = ~shape_only | np.isin(
            mine.column("entity").to_numpy(zero_copy_only=False), list(verdict)
        )
        mine = mine.filter(keep)
        rows = numbering.rows_of(mine.column("rowid").to_numpy())
        by_row = np.lexsort((mine.column("seq").to_numpy(), rows))
        d.rows.extend(rows[by_row].tolist())
        d.starts.extend(mine.column("start").to_numpy()[by_row].tolist())
        d.ends.extend(mine.column("stop").to_numpy()[by_row].tolist())
        take = mine.take(by_row)
        d.entities.extend(take.column("entity").to_pylist())
        d.scores.extend(take.column("score").to_pylist())
        d.recognizers.extend(take.column("label").to_pylist())
        d.previews.extend(take.column("text").to_pylist())
    return _Found(
        table=name,
        scanned_rows=numbering.rows,
        reports=reports,
        evidence={c.name: ev for c, ev in zip(specs, evidence, strict=True)},
        detections=found,
        min_score=min_score,
    )


@dataclass(frozen=True)
class _Numbering:
    """Row ids (partition << 33 | position) to 0-based row numbers within the sample."""

    rows: int
    offsets: dict[int, int]
    chosen: Any = None

    def rows_of(self, ids: Any) -> Any:
        import numpy as np

        ids = np.asarray(ids, dtype=np.int64)
        keys = np.array(sorted(self.offsets), dtype=np.int64)
        starts = np.array([self.offsets[int(k)] for k in keys], dtype=np.int64)
        at = np.searchsorted(keys, ids >> worker.POSITION_BITS)
        glob = starts[at] + (ids & ((1 << worker.POSITION_BITS) - 1))
        if self.chosen is None:
            return glob
        return np.searchsorted(self.chosen, glob)


def _numbering(rows: Any, offsets: dict[int, int] | None, chosen: list[int] | None) -> _Numbering:
    import numpy as np

    seen: dict[int, dict[str, int]] = {}
    if rows is not None:
        for rec in rows.select(["rowid", "label", "value"]).to_pylist():
            per = seen.setdefault(int(rec["rowid"]), {"count": 0, "last": -1})
            if rec["label"] == "count":
                per["count"] += int(rec["value"])
            else:
                per["last"] = max(per["last"], int(rec["value"]))
    total = sum(p["count"] for p in seen.values())
    if chosen is not None and offsets is not None:
        return _Numbering(total, offsets, np.asarray(chosen, dtype=np.int64))
    if offsets is None or chosen is None:
        # Every partition's rows are a prefix of it (all rows, or what LIMIT kept).
        offsets = {}
        at = 0
        for p in sorted(seen):
            if seen[p]["last"] != seen[p]["count"] - 1:
                raise RuleExecutionError(
                    "the sampled rows of a Spark partition are not contiguous",
                    hint="use --strategy random or scan every row",
                )
            offsets[p] = at
            at += seen[p]["count"]
    return _Numbering(total, offsets)
