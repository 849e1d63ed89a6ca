"""Applying a protect policy to a source, chunk by chunk, exactly once.

Exactly-once across crashes:

* **SQL tables** are updated in place, one chunk per transaction, in key order; the chunk's
  rows and the run's checkpoint (the last key done) commit *together* in a state table
  (``guardrail_protect_state``). A crash rolls back the open chunk; a resumed run starts after
  the checkpoint.
* **Files** (CSV, Parquet) are rewritten to a temporary file next to the original, with a
  journal (``<file>.guardrail-protect.json``) advanced after every durable chunk; the original
  is replaced atomically at the end. A resumed run truncates the temporary file to the last
  journalled chunk and continues.
* On top of both, tokens, pseudonyms and masks are recognisable, so a value already protected
  (by an earlier run or by the application) is never transformed again. FF1 output is not
  recognisable: an FPE column is recorded as done in the state and skipped by later runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from guardrail.crypto import Keyring
from guardrail.errors import ConfigError
from guardrail.model.protect import (
    ColumnOutcome,
    FpeTransform,
    ProtectPolicy,
    ProtectReport,
    ShredTransform,
    TableOutcome,
    TablePolicy,
)
from guardrail.protect.anonymity import AnonymityMeter
from guardrail.protect.transforms import NEEDS_KEYS, Tally, Transformer, build_transformer

__all__ = [
    "ChunkRunner",
    "ColumnState",
    "Progress",
    "ProtectOptions",
    "TableRun",
    "TableState",
    "protect",
    "table_digest",
]

Progress = Callable[[str, int, int], None]


def _no_progress(_d: str, _n: int, _t: int) -> None:
    return None


@dataclass(frozen=True)
class ProtectOptions:
    dry_run: bool = False
    rotate: bool = False
    chunk_size: int = 50_000
    tables: tuple[str, ...] = ()


@dataclass
class ColumnState:
    transform: str
    key_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"transform": self.transform, "key_id": self.key_id}


@dataclass
class TableState:
    """What a source remembers about protect runs on one table (JSON in the state store)."""

    digest: str
    status: Literal["running", "finishing", "done"] = "running"
    rows_done: int = 0
    position: Any = None
    """Backend-specific resume point: the last key (SQL), bytes written (CSV), parts (Parquet)."""
    columns: dict[str, ColumnState] = field(default_factory=dict)
    """Columns protected by completed runs (FPE key ids live here)."""
    pending: dict[str, ColumnState] = field(default_factory=dict)
    """Columns of the running (interrupted) run."""
    source_stamp: Any = None

    def start(self, *, resume: bool) -> None:
        """Mark a run as running; a run that does not resume starts from the first row."""
        self.status = "running"
        if not resume:
            self.rows_done, self.position = 0, None

    def finish(self) -> None:
        """Mark the run done: its columns join those of the completed runs."""
        self.status = "done"
        self.columns.update(self.pending)
        self.pending = {}
        self.position = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "digest": self.digest,
                "status": self.status,
                "rows_done": self.rows_done,
                "position": self.position,
                "columns": {k: v.to_json() for k, v in self.columns.items()},
                "pending": {k: v.to_json() for k, v in self.pending.items()},
                "source_stamp": self.source_stamp,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> TableState:
        d = json.loads(text)
        return cls(
            digest=d["digest"],
            status=d["status"],
            rows_done=int(d["rows_done"]),
            position=d.get("position"),
            columns={k: ColumnState(**v) for k, v in d.get("columns", {}).items()},
            pending={k: ColumnState(**v) for k, v in d.get("pending", {}).items()},
            source_stamp=d.get("source_stamp"),
        )


def table_digest(policy: ProtectPolicy, table: str) -> str:
    """A digest of what a run on ``table`` does (transforms and contexts)."""
    tp = policy.tables[table]
    doc = {
        "columns": {c: t.model_dump(mode="json") for c, t in sorted(tp.columns.items())},
        "contexts": {c: policy.context(table, c) for c in sorted(tp.columns)},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


class ChunkRunner:
    """Transforms chunks of one table and keeps the per-column tallies and k/l meters."""

    def __init__(
        self,
        table: str,
        policy: TablePolicy,
        transformers: dict[str, Transformer],
        *,
        skipped: dict[str, str],
    ) -> None:
        self.table = table
        self.transformers = transformers
        self.skipped = skipped
        self.tallies: dict[str, Tally] = {c: Tally() for c in transformers}
        self.subject_of = {
            c: t.subject_column for c, t in policy.columns.items() if isinstance(t, ShredTransform)
        }
        self.qi = policy.quasi_identifiers
        self.sensitive = policy.sensitive
        self.before = AnonymityMeter(self.qi, self.sensitive) if self.qi else None
        self.after = AnonymityMeter(self.qi, self.sensitive) if self.qi else None
        self.rows = 0

    @property
    def read_columns(self) -> list[str]:
        """Columns a backend must read: transformed ones, subjects, quasi-identifiers."""
        cols = list(self.transformers)
        for extra in (*self.subject_of.values(), *self.qi, *self.sensitive):
            if extra not in cols:
                cols.append(extra)
        return cols

    def run(
        self, columns: Mapping[str, Sequence[Any]], rows: Sequence[object]
    ) -> dict[str, list[Any]]:
        """New values of the transformed columns of one chunk (same length as ``rows``)."""
        out: dict[str, list[Any]] = {}
        changed: list[list[int]] = []
        for name, tr in self.transformers.items():
            subject_col = self.subject_of.get(name)
            subjects = columns[subject_col] if subject_col else None
            new, tally = tr.apply(columns[name], rows, subjects)
            out[name] = new
            changed.append(tally.changed_idx)
            self.tallies[name].add(tally)
        if self.before is not None and self.after is not None:
            names = (*self.qi, *self.sensitive)
            self.before.add_columns({n: columns[n] for n in names})
            self.after.add_columns({n: out.get(n, columns[n]) for n in names})
        self.rows += len(rows)
        n = len(rows)
        if any(len(c) == n for c in changed):
            self._changed: list[int] = list(range(n))
        else:
            self._changed = sorted(set().union(*changed)) if changed else []
        return out

    def changed_rows(self) -> list[int]:
        """Indices (in the last chunk) of rows where any transformed column changed."""
        return self._changed

    def outcome(self, *, resumed_at: int | None, total_rows: int) -> TableOutcome:
        cols: list[ColumnOutcome] = []
        for name, tr in self.transformers.items():
            t = self.tallies[name]
            cols.append(
                ColumnOutcome(
                    column=name,
                    transform=tr.name,
                    changed=t.changed,
                    already=t.already,
                    empty=t.empty,
                    key_id=tr.key_id,
                    preview=tuple(t.preview),
                )
            )
        for name, reason in self.skipped.items():
            cols.append(ColumnOutcome(column=name, transform="fpe", skipped_reason=reason))
        before = self.before.report() if self.before else None
        after = self.after.report() if self.after else None
        first_sensitive = self.sensitive[0] if self.sensitive else None
        return TableOutcome(
            table=self.table,
            rows=total_rows,
            resumed_at_row=resumed_at,
            columns=tuple(cols),
            k_before=before.k if before else None,
            k_after=after.k if after else None,
            l_before=before.l_diversity.get(first_sensitive)
            if before and first_sensitive
            else None,
            l_after=after.l_diversity.get(first_sensitive) if after and first_sensitive else None,
        )


@dataclass(frozen=True)
class TableRun:
    """One table's protect run, as a :class:`Source` gets it."""

    table: str
    runner: ChunkRunner
    policy: TablePolicy
    state: TableState
    resume: bool
    options: ProtectOptions
    progress: Progress

    def advance(self, done: int, total: int) -> None:
        self.progress(f"protecting {self.table}", done, total)


class Source(Protocol):
    """A protectable source: a SQL database or a set of table files."""

    display: str

    def table_names(self) -> list[str]: ...

    def columns_of(self, table: str) -> list[str]: ...

    def load_state(self, table: str) -> TableState | None: ...

    def preflight(self, table: str, runner: ChunkRunner, policy: TablePolicy) -> None: ...

    def run_table(self, run: TableRun) -> int: ...

    def close(self) -> None: ...


def open_source(source: str, *, base_dir: Path, writable: bool) -> Source:
    """The backend for ``source``: a database URL, a SQLite file, a CSV/Parquet file or folder."""
    path = Path(source) if Path(source).is_absolute() else base_dir / source
    if "://" not in source and (path.is_dir() or path.suffix.lower() in (".csv", ".parquet")):
        from guardrail.protect.files import FileSource

        files: Source = FileSource(path, shown=source)
        return files
    from guardrail.protect.sql import SqlSource

    sql: Source = SqlSource(source, base_dir=base_dir, writable=writable)
    return sql


def _transformers(
    table: str,
    policy: ProtectPolicy,
    keyring: Keyring | None,
    state: TableState | None,
    *,
    resume: bool,
    rotate: bool,
    shred: Any,
) -> tuple[dict[str, Transformer], dict[str, str]]:
    tp = policy.tables[table]
    out: dict[str, Transformer] = {}
    skipped: dict[str, str] = {}
    for column, spec in tp.columns.items():
        fpe_key: str | None = None
        if isinstance(spec, FpeTransform) and state is not None:
            pending = state.pending.get(column) if resume else None
            done = state.columns.get(column)
            if pending is not None and pending.transform == "fpe":
                fpe_key = pending.key_id  # finish with the key the run started with
            elif done is not None and done.transform == "fpe":
                skipped[column] = (
                    f"protected with FF1 (key {done.key_id}) by an earlier run; FF1 output is "
                    "not recognisable, so the column is not processed again"
                )
                continue
        out[column] = build_transformer(
            table,
            column,
            spec,
            context=policy.context(table, column),
            keyring=keyring,
            rotate=rotate,
            fpe_key_id=fpe_key,
            shred=shred,
        )
    return out, skipped


def protect(
    source: str,
    policy: ProtectPolicy,
    *,
    keyring: Keyring | None,
    base_dir: Path | None = None,
    options: ProtectOptions | None = None,
    progress: Progress | None = None,
    at: datetime | None = None,
) -> ProtectReport:
    """Apply ``policy`` to every table it names in ``source`` (or the ``options.tables``)."""
    opts = options or ProtectOptions()
    report_progress = progress or _no_progress
    started = at or datetime.now(UTC)
    base = base_dir or Path()
    needs_keys = any(
        t.transform in NEEDS_KEYS for tp in policy.tables.values() for t in tp.columns.values()
    )
    if needs_keys and keyring is None:
        raise ConfigError(
            "the policy encrypts or pseudonymises columns but no keyring was given",
            hint="pass --keyring FILE, or set keyring: in the policy",
        )
    wanted = list(opts.tables) or list(policy.tables)
    unknown = [t for t in wanted if t not in policy.tables]
    if unknown:
        raise ConfigError(
            f"table '{unknown[0]}' is not in the policy",
            hint=f"the policy names: {', '.join(policy.tables)}",
        )
    shred = None
    if policy.shred_store and any(
        isinstance(t, ShredTransform) for n in wanted for t in policy.tables[n].columns.values()
    ):
        from guardrail.crypto.shred import SubjectKeyStore

        assert keyring is not None
        shred = SubjectKeyStore(policy.shred_store, keyring=keyring, base_dir=base)
    src = open_source(source, base_dir=base, writable=not opts.dry_run)
    outcomes: list[TableOutcome] = []
    try:
        present = set(src.table_names())
        for table in wanted:
            if table not in present:
                raise ConfigError(
                    f"table '{table}' is not in {src.display}",
                    hint=f"it has: {', '.join(sorted(present)) or 'no tables'}",
                )
            outcomes.append(_run_table(src, table, policy, keyring, opts, report_progress, shred))
    finally:
        src.close()
        if shred is not None:
            shred.close()
    return ProtectReport(
        source=src.display,
        dry_run=opts.dry_run,
        rotate=opts.rotate,
        started=started,
        finished=started if at is not None else datetime.now(UTC),
        tables=tuple(outcomes),
    )


def _run_table(
    src: Source,
    table: str,
    policy: ProtectPolicy,
    keyring: Keyring | None,
    opts: ProtectOptions,
    progress: Progress,
    shred: Any,
) -> TableOutcome:
    tp = policy.tables[table]
    present = src.columns_of(table)
    needed = [*tp.columns, *tp.quasi_identifiers, *tp.sensitive, *tp.key]
    needed += [t.subject_column for t in tp.columns.values() if isinstance(t, ShredTransform)]
    missing = [c for c in needed if c not in present]
    if missing:
        raise ConfigError(
            f"column '{missing[0]}' of the policy is not in table '{table}'",
            hint=f"the table has: {', '.join(present)}",
        )
    digest = table_digest(policy, table)
    state = src.load_state(table)
    resume = state is not None and state.status in ("running", "finishing")
    if resume and state is not None and state.digest != digest:
        raise ConfigError(
            f"an interrupted protect run on '{table}' used a different policy "
            f"(digest {state.digest}, now {digest})",
            hint="finish it with the policy it started with, then change the policy",
        )
    transformers, skipped = _transformers(
        table, policy, keyring, state, resume=resume, rotate=opts.rotate, shred=shred
    )
    runner = ChunkRunner(table, tp, transformers, skipped=skipped)
    src.preflight(table, runner, tp)
    if not transformers:
        return runner.outcome(resumed_at=None, total_rows=0)
    new_state = state if resume and state is not None else TableState(digest=digest)
    if state is not None and not resume:
        new_state.columns = dict(state.columns)
    if not resume:
        new_state.pending = {
            c: ColumnState(transform=t.name, key_id=t.key_id if t.name == "fpe" else None)
            for c, t in transformers.items()
        }
    resumed_at = new_state.rows_done if resume else None
    total = src.run_table(TableRun(table, runner, tp, new_state, resume, opts, progress))
    return runner.outcome(resumed_at=resumed_at, total_rows=total)
