"""Local files: text and logs (streamed), CSV, JSON Lines and Parquet (as tables); gzip aware.

A source is a path, a glob (``logs/*.log``) or a ``file:`` URL, relative to the manifest's
folder. Text is read in chunks of whole lines, so memory stays constant whatever the size.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from guardrail.connectors.base import NoSqlProbes, SampleStrategy, SourceSpec, TextChunk
from guardrail.errors import ConnectorError, InputError
from guardrail.model.data import ColumnInfo, ColumnSample, TableInfo, TableSample

__all__ = ["CHUNK_CHARS", "FileConnector", "file_kind"]

CHUNK_CHARS = 1 << 20
TEXT_SUFFIXES = {".txt", ".log", ".md", ".out", ".err"}
TABLE_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson", ".parquet"}


def file_kind(path: Path) -> str:
    """``text`` or the table format of ``path`` (``csv``, ``tsv``, ``jsonl``, ``parquet``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson"):
        return "jsonl"
    if last in (".csv", ".tsv", ".parquet"):
        return last[1:]
    return "text"


class FileConnector(NoSqlProbes):
    """Files matched by a path or glob."""

    _kind = "files"
    _retention_hint = "declare the dataset's retention enforcement instead"

    def __init__(self, spec: SourceSpec) -> None:
        raw = spec.url
        if raw.startswith("file://"):
            raw = raw[len("file://") :]
        elif raw.startswith("file:"):
            raw = raw[len("file:") :]
        pattern = Path(raw)
        if not pattern.is_absolute():
            pattern = spec.base_dir / pattern
        self._display = raw
        # glob.glob (not Path.glob) because the pattern may be absolute.
        matches = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True))  # noqa: PTH207
        files = [p for p in matches if p.is_file()]
        dirs = [p for p in matches if p.is_dir()]
        for d in dirs:
            files.extend(sorted(q for q in d.rglob("*") if q.is_file()))
        if not files:
            raise ConnectorError(
                f"no files match {raw}",
                hint="check the path or glob (relative to the current folder, or to the "
                "manifest's folder in an audit)",
            )
        self.files = files
        self._base = spec.base_dir

    @property
    def display(self) -> str:
        return self._display

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self._base)) if self._base != Path() else str(path)
        except ValueError:
            return str(path)

    # -- text -------------------------------------------------------------------------------

    def texts(self) -> Iterator[TextChunk]:
        for path in self.files:
            if file_kind(path) == "text":
                yield from self.read_text_chunks(path)

    def read_text_chunks(
        self, path: Path, *, chunk_chars: int = CHUNK_CHARS
    ) -> Iterator[TextChunk]:
        shown = self._rel(path)
        try:
            with _open_text(path) as fh:
                buf: list[str] = []
                size = 0
                start_line = 1
                for line_no, line in enumerate(fh, 1):
                    buf.append(line)
                    size += len(line)
                    if size >= chunk_chars:
                        yield TextChunk(shown, start_line, "".join(buf))
                        buf, size, start_line = [], 0, line_no + 1
                if buf:
                    yield TextChunk(shown, start_line, "".join(buf))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(
                f"cannot read {shown}: {type(exc).__name__}",
                hint="check the file is readable and not truncated",
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{shown} is not UTF-8 text (byte {exc.start})", hint="convert it to UTF-8"
            ) from None

    # -- tables -----------------------------------------------------------------------------

    def tables(self) -> list[TableInfo]:
        out = []
        for path in self.files:
            kind = file_kind(path)
            if kind == "text":
                continue
            out.append(self._table_info(path, kind))
        return out

    def _table_info(self, path: Path, kind: str) -> TableInfo:
        shown = self._rel(path)
        if kind == "parquet":
            pq = _pyarrow_parquet(shown)
            try:
                meta = pq.read_schema(path)
                rows = pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
                raise InputError(
                    f"{shown} is not a readable Parquet file ({type(exc).__name__})",
                    hint="check the file is complete",
                ) from None
            cols = tuple(ColumnInfo(name=f.name, type=str(f.type)) for f in meta)
            return TableInfo(name=shown, columns=cols, row_count=int(rows))
        header = self._head_records(path, kind, 1)
        names = list(header[0].keys()) if header else []
        return TableInfo(name=shown, columns=tuple(ColumnInfo(name=n) for n in names))

    def _head_records(self, path: Path, kind: str, limit: int) -> list[dict[str, Any]]:
        shown = self._rel(path)
        out: list[dict[str, Any]] = []
        try:
            with _open_text(path) as fh:
                if kind in ("csv", "tsv"):
                    reader = csv.DictReader(fh, delimiter="\t" if kind == "tsv" else ",")
                    for row in reader:
                        out.append(row)
                        if len(out) >= limit:
                            break
                else:
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
                        if isinstance(rec, dict):
                            out.append(rec)
                        if len(out) >= limit:
                            break
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"cannot read {shown}: {type(exc).__name__}") from None
        except (UnicodeDecodeError, csv.Error):
            raise InputError(
                f"{shown} is not valid UTF-8 {kind}", hint="check the file's encoding and format"
            ) from None
        return out

    def sample(
        self, table: TableInfo, *, limit: int = 1000, strategy: SampleStrategy = "first"
    ) -> TableSample:
        path = next((p for p in self.files if self._rel(p) == table.name), None)
        if path is None:
            raise ConnectorError(f"no file named {table.name} in {self._display}")
        kind = file_kind(path)
        if kind == "parquet":
            pq = _pyarrow_parquet(table.name)
            pf = pq.ParquetFile(path)
            batches = pf.iter_batches(batch_size=min(limit, 65536))
            first = next(batches, None)
            data: dict[str, list[str | None]] = {c.name: [] for c in table.columns}
            if first is not None:
                for name in data:
                    col = first.column(name).slice(0, limit)
                    data[name] = [None if v is None else str(v) for v in col.to_pylist()]
        else:
            records = self._head_records(path, kind, limit)
            names = [c.name for c in table.columns]
            data = {n: [_cell(r.get(n)) for r in records] for n in names}
        columns = tuple(ColumnSample(name=n, values=v) for n, v in data.items())
        return TableSample(table=table.name, columns=columns, row_count=table.row_count)

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"FileConnector({self._display!r}, files={len(self.files)})"


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _open_text(path: Path) -> IO[str]:
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def _pyarrow_parquet(shown: str) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        raise InputError(f"reading {shown} needs pyarrow", hint="pip install pyarrow") from None
    return pq
