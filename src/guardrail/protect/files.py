"""Protecting table files: CSV and Parquet, rewritten chunk by chunk and replaced atomically.

The original file is left untouched until the protected copy is complete: chunks go to
``<file>.guardrail-protect.tmp`` (CSV) or ``<file>.guardrail-protect.parts/`` (Parquet), and
a journal ``<file>.guardrail-protect.json`` records, after every chunk made durable (fsync),
how far the run got. A resumed run continues from the journal; at the end the copy replaces the
original with one atomic rename. The journal stays afterwards: it records which key protected
each FPE column (``guardrail reveal`` needs it) and which columns are done.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from guardrail.errors import ConfigError, InputError
from guardrail.model.protect import TablePolicy
from guardrail.protect.engine import ChunkRunner, TableRun, TableState

__all__ = ["FileSource", "journal_path"]

_BOM = "\ufeff"
_SUFFIXES = (".csv", ".parquet")


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".guardrail-protect.json")


def _tmp_path(path: Path) -> Path:
    return path.with_name(path.name + ".guardrail-protect.tmp")


def _parts_dir(path: Path) -> Path:
    return path.with_name(path.name + ".guardrail-protect.parts")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".new")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


class FileSource:
    """One CSV/Parquet file, or a folder of them (the table name is the file's stem)."""

    def __init__(self, path: Path, *, shown: str) -> None:
        self.display = shown
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES)
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"{shown} does not exist", hint="check the path")
        self._files: dict[str, Path] = {}
        for f in files:
            if f.stem in self._files:
                raise ConfigError(
                    f"two files in {shown} are table '{f.stem}'",
                    hint="keep one of the CSV and Parquet files",
                )
            self._files[f.stem] = f
        self._headers: dict[str, list[str]] = {}

    def table_names(self) -> list[str]:
        return list(self._files)

    def path_of(self, table: str) -> Path:
        return self._files[table]

    def _is_csv(self, table: str) -> bool:
        return self._files[table].suffix.lower() == ".csv"

    # -- schema --------------------------------------------------------------------------

    def columns_of(self, table: str) -> list[str]:
        if table not in self._headers:
            path = self._files[table]
            if self._is_csv(table):
                with self._open_csv(path) as (_fh, reader, _info):
                    self._headers[table] = next(reader, [])
            else:
                self._headers[table] = list(self._parquet(path).schema_arrow.names)
        return self._headers[table]

    def _parquet(self, path: Path) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(
                f"{path} is not a readable Parquet file ({type(exc).__name__})",
                hint="check the file",
            ) from None

    @contextlib.contextmanager
    def _open_csv(self, path: Path) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
        try:
            fh = path.open("r", encoding="utf-8", newline="")
            sample = fh.read(65536)
        except UnicodeDecodeError:
            raise InputError(f"{path} is not UTF-8 text", hint="save it as UTF-8") from None
        except OSError as exc:
            raise InputError(f"cannot read {path} ({exc.strerror})") from None
        try:
            bom = sample.startswith(_BOM)
            fh.seek(0)
            if bom:
                fh.read(1)
            try:
                dialect: Any = csv.Sniffer().sniff(sample.lstrip(_BOM)[:16384], delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            first_line_end = sample.find("\n")
            newline = "\r\n" if first_line_end > 0 and sample[first_line_end - 1] == "\r" else "\n"
            info = {"bom": bom, "dialect": dialect, "newline": newline}
            yield fh, csv.reader(fh, dialect), info
        finally:
            fh.close()

    def preflight(self, table: str, runner: ChunkRunner, policy: TablePolicy) -> None:
        if policy.key:
            raise ConfigError(
                f"'key:' applies to SQL tables; {self._files[table].name} is a file",
                hint="remove 'key:' (files are addressed by row number)",
            )

    # -- state ---------------------------------------------------------------------------

    def load_state(self, table: str) -> TableState | None:
        j = journal_path(self._files[table])
        if not j.exists():
            return None
        try:
            return TableState.from_json(j.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError, OSError):
            raise ConfigError(
                f"the protect journal {j} is corrupt",
                hint="restore the original file and delete the journal to start over",
            ) from None

    def _save(self, table: str, state: TableState) -> None:
        _write_atomic(journal_path(self._files[table]), state.to_json() + "\n")

    # -- runs ----------------------------------------------------------------------------

    def run_table(self, run: TableRun) -> int:
        table, state, resume = run.table, run.state, run.resume
        path = self._files[table]
        if resume and state.status == "finishing":
            return self._finish(table, path, state, replace=_tmp_path(path).exists())
        if resume and state.source_stamp != _stamp(path):
            raise ConfigError(
                f"{path} changed since the interrupted protect run",
                hint="restore the file it had, or delete the journal and the temporary file "
                "to start over",
            )
        if not run.options.dry_run:
            state.start(resume=resume)
            state.source_stamp = _stamp(path)
            self._save(table, state)
        if self._is_csv(table):
            return self._run_csv(run, path)
        return self._run_parquet(run, path)

    def _finish(self, table: str, path: Path, state: TableState, *, replace: bool) -> int:
        state.status = "finishing"
        self._save(table, state)
        if replace:
            _tmp_path(path).replace(path)
            _fsync_dir(path.parent)
        state.finish()
        state.source_stamp = _stamp(path)
        self._save(table, state)
        shutil.rmtree(_parts_dir(path), ignore_errors=True)
        return state.rows_done

    def _run_csv(self, run: TableRun, path: Path) -> int:
        table, runner, state, options = run.table, run.runner, run.state, run.options
        reads = runner.read_columns
        targets = list(runner.transformers)
        tmp = _tmp_path(path)
        total = _count_lines(path) - 1  # for the progress bar (quoted newlines over-count)
        with self._open_csv(path) as (_src, reader, info):
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path} is empty", hint="a CSV file needs a header row")
            index = {name: header.index(name) for name in reads}
            done = 0
            out: Any = None
            writer: Any = None
            if not options.dry_run:
                if run.resume and state.position and tmp.exists():
                    with tmp.open("r+b") as fh:
                        fh.truncate(int(state.position["bytes"]))
                    done = state.rows_done
                    for _ in islice(reader, done):
                        pass
                    out = tmp.open("a", encoding="utf-8", newline="")
                else:
                    out = tmp.open("w", encoding="utf-8", newline="")
                    with contextlib.suppress(OSError):
                        os.fchmod(out.fileno(), path.stat().st_mode & 0o777)
                    if info["bom"]:
                        out.write(_BOM)
                writer = csv.writer(out, info["dialect"], lineterminator=info["newline"])
                if not (run.resume and state.position and done):
                    writer.writerow(header)
            try:
                while True:
                    try:
                        chunk = list(islice(reader, options.chunk_size))
                    except csv.Error as exc:
                        raise InputError(
                            f"{path} is not valid CSV near data row {done + 1} ({exc})",
                            hint="fix the file",
                        ) from None
                    if not chunk:
                        break
                    width = len(header)
                    rectangular = all(len(r) == width for r in chunk)
                    cols: list[Any] = list(zip(*chunk, strict=True)) if rectangular else []
                    columns = {
                        name: cols[i]
                        if rectangular
                        else [r[i] if i < len(r) else None for r in chunk]
                        for name, i in index.items()
                    }
                    labels: list[object] = list(range(done + 1, done + len(chunk) + 1))
                    new = runner.run(columns, labels)
                    done += len(chunk)
                    if writer is not None:
                        if rectangular:
                            for name in targets:
                                cols[index[name]] = ["" if v is None else v for v in new[name]]
                            chunk = list(zip(*cols, strict=True))
                        else:
                            for name in targets:
                                i = index[name]
                                for row, value in zip(chunk, new[name], strict=True):
                                    if i < len(row):
                                        row[i] = "" if value is None else value
                        writer.writerows(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                        state.rows_done = done
                        state.position = {"bytes": os.fstat(out.fileno()).st_size}
                        self._save(table, state)
                    total = max(total, done)
                    run.advance(done, total)
            finally:
                if out is not None:
                    out.close()
        if options.dry_run:
            return done
        state.rows_done = done
        return self._finish(table, path, state, replace=True)

    def _run_parquet(self, run: TableRun, path: Path) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table, runner, state, options = run.table, run.runner, run.state, run.options
        pf = self._parquet(path)
        total = pf.metadata.num_rows
        reads = runner.read_columns
        targets = list(runner.transformers)
        parts = _parts_dir(path)
        first = int(state.position["parts"]) if run.resume and state.position else 0
        # Parts are numbered batches: a resumed run must cut batches the same way.
        batch_size = (
            int(state.position.get("batch", options.chunk_size))
            if run.resume and state.position
            else options.chunk_size
        )
        if not options.dry_run:
            if not run.resume:
                shutil.rmtree(parts, ignore_errors=True)
            parts.mkdir(exist_ok=True)
            for stale in parts.glob("part-*.parquet"):
                if int(stale.stem.split("-")[1]) >= first:
                    stale.unlink()
        done = 0
        for index, batch in enumerate(pf.iter_batches(batch_size=batch_size)):
            n = batch.num_rows
            if index < first:
                done += n
                continue
            columns = {c: batch.column(c).to_pylist() for c in reads}
            new = runner.run(columns, list(range(done + 1, done + n + 1)))
            done += n
            if not options.dry_run:
                arrays = list(batch.columns)
                names = batch.schema.names
                for c in targets:
                    arrays[names.index(c)] = pa.array(new[c], type=pa.string())
                out = pa.Table.from_arrays(arrays, names=names)
                part = parts / f"part-{index:06d}.parquet"
                tmp = part.with_suffix(".tmp")
                pq.write_table(out, tmp)
                with tmp.open("rb") as fh:
                    os.fsync(fh.fileno())
                tmp.replace(part)
                _fsync_dir(parts)
                state.rows_done = done
                state.position = {"parts": index + 1, "batch": batch_size}
                self._save(table, state)
            run.advance(done, total)
        if options.dry_run:
            return done
        state.rows_done = done
        files = sorted(parts.glob("part-*.parquet"))
        if not files:  # an empty table: nothing changes
            return self._finish(table, path, state, replace=False)
        tmp = _tmp_path(path)
        schema = pq.read_schema(files[0])
        with pq.ParquetWriter(tmp, schema) as writer:
            for f in files:
                writer.write_table(pq.read_table(f))
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        return self._finish(table, path, state, replace=True)

    # -- reveal --------------------------------------------------------------------------

    def read_rows(
        self,
        table: str,
        policy: TablePolicy,
        columns: Sequence[str],
        *,
        rows: Sequence[str] = (),
        limit: int = 10,
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Row numbers (1-based, after the header) and raw values of ``columns``."""
        wanted: set[int] = set()
        for r in rows:
            if not r.isdigit() or int(r) < 1:
                raise ConfigError(
                    f"'{r[:40]}' is not a row number of {self._files[table].name}",
                    hint="rows of files are numbered from 1 (the first row after the header)",
                )
            wanted.add(int(r))
        stop = max(wanted) if wanted else limit
        labels: list[str] = []
        values: list[dict[str, Any]] = []
        path = self._files[table]
        if self._is_csv(table):
            with self._open_csv(path) as (_fh, reader, _info):
                header: list[str] = next(reader, [])
                idx = [header.index(c) for c in columns]
                for n, row in enumerate(islice(reader, stop), start=1):
                    if wanted and n not in wanted:
                        continue
                    labels.append(str(n))
                    values.append(
                        {
                            c: (row[i] if i < len(row) else None)
                            for c, i in zip(columns, idx, strict=True)
                        }
                    )
        else:
            data = self._parquet(path).read(columns=columns).slice(0, stop).to_pylist()
            for n, row in enumerate(data, start=1):
                if wanted and n not in wanted:
                    continue
                labels.append(str(n))
                values.append(row)
        return labels, values

    def close(self) -> None:
        return None
