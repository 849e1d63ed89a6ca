"""Streaming file scanning: text and logs, CSV/TSV, JSON Lines and Parquet, gzip aware.

Memory stays constant whatever the file's size: text is read in batches of lines (about a
megabyte) that the engine scans together; tables are read in batches of rows (Parquet row
batches, CSV/JSONL rows), each column of a batch analysed at once, and the columns'
evidence summed across batches so the classification at the end covers every row read.
Lines longer than :data:`MAX_LINE` are scanned in pieces of that size.

:func:`scan_file` yields :class:`~guardrail.model.scan.Finding` objects as it goes and, for
table files, one :class:`~guardrail.model.detection.ColumnReport` per column at the end.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from guardrail.detect.cells import Analysis, Evidence, preview
from guardrail.detect.columns import classify_evidence, column_state, hinted_entities, load_hints
from guardrail.detect.scanner import Language, Scanner
from guardrail.errors import InputError
from guardrail.model.data import ColumnSample, TableSample
from guardrail.model.detection import ColumnReport
from guardrail.model.scan import Finding

if TYPE_CHECKING:
    from guardrail.detect.tables import ArrayScan

__all__ = ["BATCH_CHARS", "BATCH_ROWS", "MAX_LINE", "file_kind", "scan_file", "scan_sample"]

#: Text read per batch (characters).
BATCH_CHARS = 1 << 20
#: Table rows read per batch.
BATCH_ROWS = 8192
#: Longer lines are scanned in pieces of this many characters.
MAX_LINE = 1 << 20

_TABLE_KINDS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def file_kind(path: Path) -> str:
    """``text``, ``csv``, ``tsv``, ``jsonl`` or ``parquet`` by suffix (``.gz`` looked through).

    The same rule as the file connector's (detect and connectors do not import each other).
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return _TABLE_KINDS.get(suffixes[-1] if suffixes else "", "text")


def scan_file(
    path: Path | str,
    *,
    scanner: Scanner | None = None,
    language: Language = None,
    sample: int | None = None,
    display: str | None = None,
    min_score: float | None = None,
    findings: bool = True,
) -> Iterator[Finding | ColumnReport]:
    """Findings in the file at ``path`` (streamed), then column reports for table files.

    ``sample``: read at most this many rows of a table file (text files are read whole);
    ``display``: the name findings carry (default: the path as given); ``findings=False``:
    only the column reports of a table file (no per-cell findings: faster).
    """
    from guardrail.detect import default_scanner

    p = Path(path)
    scanner = scanner or default_scanner()
    shown = display or str(path)
    kind = file_kind(p)
    if kind == "text":
        yield from _scan_text(p, shown, scanner, language, min_score)
    else:
        yield from _scan_table_file(p, shown, kind, scanner, language, sample, min_score, findings)


# -- text ------------------------------------------------------------------------------------


def _open_text(path: Path, shown: str) -> IO[str]:
    try:
        raw: Any = gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")  # noqa: SIM115 - the caller closes the wrapper
    except OSError as exc:
        raise InputError(f"cannot read {shown} ({exc.strerror})", hint="check the path") from None
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def _read_errors(shown: str, exc: BaseException) -> InputError:
    if isinstance(exc, UnicodeDecodeError):
        return InputError(
            f"{shown} is not UTF-8 text (byte {exc.start} of a chunk)", hint="convert it to UTF-8"
        )
    return InputError(
        f"cannot read {shown}: {type(exc).__name__}",
        hint="check the file is readable and not truncated",
    )


def _lines(fh: IO[str]) -> Iterator[tuple[int, int, str]]:
    """``(line number, column offset, text)``; a line longer than :data:`MAX_LINE` comes in
    pieces of that size, read one at a time (a one-line file never sits in memory whole)."""
    n = 0
    off = 0
    continuing = False
    while True:
        piece = fh.readline(MAX_LINE)
        if not piece:
            return
        if not continuing:
            n += 1
            off = 0
        body = piece.rstrip("\r\n")
        yield n, off, body
        continuing = len(body) == len(piece)  # no line break: the line goes on
        off += len(piece)


def _scan_text(
    path: Path, shown: str, scanner: Scanner, language: Language, min_score: float | None
) -> Iterator[Finding]:
    batch: list[tuple[int, int, str]] = []
    size = 0
    try:
        with _open_text(path, shown) as fh:
            for item in _lines(fh):
                batch.append(item)
                size += len(item[2])
                if size >= BATCH_CHARS:
                    yield from _text_batch(batch, shown, scanner, language, min_score)
                    batch, size = [], 0
            if batch:
                yield from _text_batch(batch, shown, scanner, language, min_score)
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        raise _read_errors(shown, exc) from None


def _text_batch(
    batch: list[tuple[int, int, str]],
    shown: str,
    scanner: Scanner,
    language: Language,
    min_score: float | None,
) -> Iterator[Finding]:
    texts = [t for _, _, t in batch]
    new = Finding.model_construct
    for (n, off, text), cands in zip(
        batch, scanner.candidates_many(texts, language=language, min_score=min_score), strict=True
    ):
        for s, e, score, _p, entity, rule in cands:
            yield new(
                source=shown,
                entity=entity,
                start=off + s,
                end=off + e,
                score=score,
                recognizer=rule,
                preview=preview(entity, text[s:e]),
                line=n,
                column=off + s + 1,
                table=None,
                field=None,
                row=None,
            )


# -- tables ----------------------------------------------------------------------------------


def _batches(
    path: Path, shown: str, kind: str, sample: int | None
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """``(column names so far, {column: values})`` per batch of rows."""
    if kind == "parquet":
        yield from _parquet_batches(path, shown, sample)
        return
    try:
        with _open_text(path, shown) as fh:
            rows = _csv_rows(fh, kind) if kind in ("csv", "tsv") else _jsonl_rows(fh, shown)
            names: list[str] = []
            batch: list[dict[str, Any]] = []
            read = 0
            for row in rows:
                for k in row:
                    if k not in names:
                        names.append(k)
                batch.append(row)
                read += 1
                if len(batch) >= BATCH_ROWS:
                    yield names, _columns(names, batch)
                    batch = []
                if sample is not None and read >= sample:
                    break
            if batch or not read:
                yield names, _columns(names, batch)
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        raise _read_errors(shown, exc) from None
    except csv.Error:
        raise InputError(
            f"{shown} is not valid {kind}", hint="check the delimiter and quoting"
        ) from None


def _columns(names: list[str], batch: list[dict[str, Any]]) -> dict[str, Any]:
    return {n: [_cell(r.get(n)) for r in batch] for n in names}


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _csv_rows(fh: IO[str], kind: str) -> Iterator[dict[str, Any]]:
    reader = csv.reader(fh, delimiter="\t" if kind == "tsv" else ",")
    header = next(reader, None)
    if header is None:
        return
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    for rec in reader:
        yield {names[i] if i < len(names) else f"column_{i + 1}": v for i, v in enumerate(rec)}


def _jsonl_rows(fh: IO[str], shown: str) -> Iterator[dict[str, Any]]:
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(
                f"{shown}:{n} is not valid JSON",
                hint="each line of a .jsonl file must be one JSON object",
            ) from None
        yield rec if isinstance(rec, dict) else {"value": rec}


def _parquet_batches(
    path: Path, shown: str, sample: int | None
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        names = [f.name for f in pf.schema_arrow]
        size = BATCH_ROWS * 8 if sample is None else min(BATCH_ROWS * 8, sample)
        read = 0
        for batch in pf.iter_batches(batch_size=size):
            if sample is not None and read + batch.num_rows > sample:
                batch = batch.slice(0, sample - read)
            read += batch.num_rows
            yield names, {n: batch.column(n) for n in names}
            if sample is not None and read >= sample:
                break
        if read == 0:
            yield names, {n: [] for n in names}
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
        raise InputError(
            f"{shown} is not a readable Parquet file ({type(exc).__name__})",
            hint="check the file is complete",
        ) from None


def _cell_findings(
    scan: ArrayScan,
    an: Analysis,
    threshold: float,
    *,
    source: str,
    table: str,
    field: str,
    first_row: int = 0,
) -> Iterator[Finding]:
    """One column's detections scoring at least ``threshold``, as findings with masked
    previews; ``first_row`` is the row number of the analysed values' first row."""
    index = an.index or []
    for i, row in enumerate(scan.rows):
        if scan.scores[i] < threshold:
            continue
        value = an.distinct[index[row]]
        yield Finding.model_construct(
            source=source,
            entity=scan.entities[i],
            start=scan.starts[i],
            end=scan.ends[i],
            score=scan.scores[i],
            recognizer=scan.recognizers[i],
            preview=preview(scan.entities[i], value[scan.starts[i] : scan.ends[i]]),
            line=None,
            column=None,
            table=table,
            field=field,
            row=first_row + row,
        )


def _scan_table_file(
    path: Path,
    shown: str,
    kind: str,
    scanner: Scanner,
    language: Language,
    sample: int | None,
    min_score: float | None,
    findings: bool = True,
) -> Iterator[Finding | ColumnReport]:
    from guardrail.detect.columns import _matcher_for
    from guardrail.detect.tables import _from_analysis

    matcher = _matcher_for(scanner)
    hints = load_hints()
    evidence: dict[str, Evidence] = {}
    read = 0
    names: list[str] = []
    threshold = scanner.min_score if min_score is None else min_score
    for names, columns in _batches(path, shown, kind, sample):
        per_row: list[Finding] = []
        size = 0
        for name in names:
            values = columns.get(name)
            if values is None:
                continue
            an = matcher.analyze(
                values,
                scanner,
                language=language,
                explained=hinted_entities(name),
                spans=findings,
            )
            evidence.setdefault(name, Evidence()).add(an.evidence)
            if not findings:
                size = max(size, len(values))
                continue
            # The verdict comes at the end; meanwhile a value's shape counts as a finding only
            # under a strong hint (a "phone" column, not a "name" column of some table).
            scan = _from_analysis(an, len(an.index or []), hinted_entities(name, strong=True))
            size = max(size, scan.length)
            per_row.extend(
                _cell_findings(
                    scan, an, threshold, source=shown, table=shown, field=name, first_row=read
                )
            )
        order = {n: i for i, n in enumerate(names)}
        per_row.sort(key=lambda f: (f.row or 0, order.get(f.field or "", 0), f.start))
        yield from per_row
        read += size
    states = [
        column_state(ColumnSample(name=n, values=()), evidence.get(n, Evidence()), hints)
        for n in names
    ]
    # The file's stem names what a row is ("customers.csv.gz" -> customers), like a table name.
    stem = path.name.split(".", 1)[0]
    reports = classify_evidence(stem, states, None, hints)
    for r in reports:
        yield r.model_copy(update={"table": shown, "sampled": read})


def scan_sample(
    sample: TableSample,
    *,
    source: str,
    scanner: Scanner | None = None,
    table_comment: str | None = None,
    language: Language = None,
    min_score: float | None = None,
    findings: bool = True,
) -> Iterator[Finding | ColumnReport]:
    """Findings per sampled row of a database table (or any sampled table), then its column
    reports. A value's shape counts as a finding only where the column's verdict includes
    the entity (a name-shaped value in a column classified PERSON). ``findings=False``:
    the column reports only."""
    from guardrail.detect import default_scanner
    from guardrail.detect.columns import classify_with_analyses
    from guardrail.detect.tables import _from_analysis

    scanner = scanner or default_scanner()
    threshold = scanner.min_score if min_score is None else min_score
    reports, analyses = classify_with_analyses(
        sample.table,
        sample.columns,
        scanner=scanner,
        table_comment=table_comment,
        language=language,
        spans=findings,
    )
    if not findings:
        yield from reports
        return
    found: list[Finding] = []
    orders: list[int] = []
    for order, (col, an, rep) in enumerate(zip(sample.columns, analyses, reports, strict=True)):
        scan = _from_analysis(an, len(col.values), {e.entity for e in rep.entities})
        cells = list(
            _cell_findings(scan, an, threshold, source=source, table=sample.table, field=col.name)
        )
        found += cells
        orders += [order] * len(cells)
    ranked = sorted(range(len(found)), key=lambda k: (found[k].row or 0, orders[k], found[k].start))
    for k in ranked:
        yield found[k]
    yield from reports
