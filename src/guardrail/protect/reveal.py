"""Revealing protected values: explicit key access, and an append-only audit log.

Nothing is revealed without a :class:`KeyAccess` — the keyring, *who* asks and *why* — and
every reveal appends a record to a hash-chained JSON-lines log **before** any value is
decrypted: the time, the actor, the reason, the source, table, columns and row keys, and how
many rows. The log never holds a value. Each record carries the SHA-256 of the previous one,
so :func:`verify_audit_log` detects a removed or edited line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrail.crypto import InvalidCiphertext, Keyring
from guardrail.errors import ConfigError, CryptoError
from guardrail.model.protect import FpeTransform, ProtectPolicy, RevealRecord, ShredTransform
from guardrail.protect.engine import open_source
from guardrail.protect.transforms import REVERSIBLE, build_transformer

__all__ = ["GENESIS", "KeyAccess", "RevealResult", "reveal", "verify_audit_log"]

GENESIS = "0" * 64


@dataclass(frozen=True)
class KeyAccess:
    """Explicit permission to decrypt: the keyring, who uses it, why, and the audit log."""

    keyring: Keyring
    actor: str
    reason: str
    audit_log: Path

    def __post_init__(self) -> None:
        if not self.actor.strip() or not self.reason.strip():
            raise ConfigError(
                "revealing needs an actor and a reason", hint="pass --actor and --reason"
            )

    def __repr__(self) -> str:
        return f"KeyAccess(actor={self.actor!r}, keyring=<{len(self.keyring)} keys>)"


@dataclass(frozen=True, repr=False)
class RevealResult:
    """Revealed rows. Holds plaintext: never log it; its repr shows counts only."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[str, ...]
    values: tuple[dict[str, str | None], ...]
    failed: int
    record: RevealRecord

    def __repr__(self) -> str:
        return f"RevealResult(table={self.table!r}, rows={len(self.rows)}, values=<redacted>)"


def _canonical(record: RevealRecord) -> bytes:
    data = record.model_dump(mode="json", exclude={"hash"})
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _last_hash(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(size - 65536, 0))
            tail = fh.read().splitlines()
    except FileNotFoundError:
        return GENESIS
    for line in reversed(tail):
        if line.strip():
            try:
                return str(json.loads(line)["hash"])
            except (ValueError, KeyError):
                raise ConfigError(
                    f"the reveal audit log {path} is corrupt at its end",
                    hint="restore it from its backup; reveals are refused until then",
                ) from None
    return GENESIS


def append_record(path: Path, record: RevealRecord) -> RevealRecord:
    """Chain ``record`` to the log's last record and append it durably."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the reveal audit log {path} ({exc.strerror})",
            hint="reveals are refused unless they can be audited; check --audit-log",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        prev = _last_hash(path)
        chained = record.model_copy(update={"prev": prev})
        digest = hashlib.sha256(_canonical(chained)).hexdigest()
        chained = chained.model_copy(update={"hash": digest})
        line = json.dumps(chained.model_dump(mode="json"), ensure_ascii=False) + "\n"
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return chained


def verify_audit_log(path: str | Path) -> int:
    """The number of records, after checking every link; ``ConfigError`` at the first break."""
    p = Path(path)
    prev = GENESIS
    n = 0
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{p} does not exist", hint="check the path") from None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = RevealRecord.model_validate_json(line)
        except ValueError:
            raise ConfigError(f"{p}:{lineno}: not a reveal audit record") from None
        if record.prev != prev or hashlib.sha256(_canonical(record)).hexdigest() != record.hash:
            raise ConfigError(
                f"{p}:{lineno}: the audit chain is broken (a record was edited or removed)",
                hint="compare with the log's backup",
            )
        prev = record.hash
        n += 1
    return n


def reveal(
    source: str,
    policy: ProtectPolicy,
    *,
    table: str,
    columns: Sequence[str],
    access: KeyAccess,
    rows: Sequence[str] = (),
    limit: int = 10,
    base_dir: Path | None = None,
    at: datetime | None = None,
) -> RevealResult:
    """Decrypt ``columns`` of ``rows`` (keys; row numbers for files) or the first ``limit``."""
    base = base_dir or Path()
    if table not in policy.tables:
        raise ConfigError(
            f"table '{table}' is not in the policy", hint=f"it names: {', '.join(policy.tables)}"
        )
    tp = policy.tables[table]
    if not columns:
        raise ConfigError("name at least one column to reveal", hint="pass --column NAME")
    for c in columns:
        spec = tp.columns.get(c)
        if spec is None:
            raise ConfigError(
                f"column '{c}' of '{table}' is not in the policy",
                hint=f"protected columns: {', '.join(tp.columns)}",
            )
        if spec.transform not in REVERSIBLE:
            raise CryptoError(
                f"{table}.{c} was transformed with '{spec.transform}', which cannot be reversed",
                hint="only encrypt, deterministic, fpe and shred columns can be revealed",
            )
    src: Any = open_source(source, base_dir=base, writable=False)
    shred = None
    try:
        if table not in src.table_names():
            raise ConfigError(f"table '{table}' is not in {src.display}")
        state = src.load_state(table)
        transformers = {}
        for c in columns:
            spec = tp.columns[c]
            fpe_key = None
            if isinstance(spec, FpeTransform):
                rec = (state.columns.get(c) or state.pending.get(c)) if state else None
                if rec is None or rec.key_id is None:
                    raise ConfigError(
                        f"there is no record of the key that protected {table}.{c}",
                        hint="FF1 output carries no key id; reveal needs the protect state "
                        "(the guardrail_protect_state table, or the file's journal)",
                    )
                fpe_key = rec.key_id
            if isinstance(spec, ShredTransform) and shred is None:
                from guardrail.crypto.shred import SubjectKeyStore

                assert policy.shred_store is not None
                shred = SubjectKeyStore(policy.shred_store, keyring=access.keyring, base_dir=base)
            transformers[c] = build_transformer(
                table,
                c,
                spec,
                context=policy.context(table, c),
                keyring=access.keyring,
                fpe_key_id=fpe_key,
                shred=shred,
            )
        labels, raw = src.read_rows(table, tp, list(columns), rows=list(rows), limit=limit)
        record = append_record(
            access.audit_log,
            RevealRecord(
                at=at or datetime.now(UTC),
                actor=access.actor,
                reason=access.reason,
                source=src.display,
                table=table,
                columns=tuple(columns),
                rows=tuple(labels),
                count=len(labels),
                prev=GENESIS,
            ),
        )
        failed = 0
        values: list[dict[str, str | None]] = [{} for _ in raw]
        for c, tr in transformers.items():
            for i, row in enumerate(raw):
                v = row.get(c)
                if v is None or v == "":
                    values[i][c] = None
                    continue
                try:
                    values[i][c] = tr.reveal([str(v)])[0]
                except (InvalidCiphertext, CryptoError):
                    values[i][c] = None
                    failed += 1
    finally:
        src.close()
        if shred is not None:
            shred.close()
    return RevealResult(
        table=table,
        columns=tuple(columns),
        rows=tuple(labels),
        values=tuple(values),
        failed=failed,
        record=record,
    )
