"""Helpers the commands share: reading ``--at`` style times, writing output files atomically.

Light on purpose (stdlib and click only): every command module imports it at load time.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, overload

import click

from guardrail.errors import InputError

__all__ = [
    "make_output_dir",
    "parse_time",
    "time_or_now",
    "write_file",
    "write_text_atomic",
]

#: How much of a bad value an error message repeats (never a whole pasted blob).
_SHOWN = 40

#: What ``parse_time`` does with a time that names no zone: take it as UTC, or refuse it.
Naive = Literal["utc", "reject"]


@overload
def parse_time(value: str, *, param: str = ..., naive: Naive = ...) -> datetime: ...
@overload
def parse_time(value: None, *, param: str = ..., naive: Naive = ...) -> None: ...
@overload
def parse_time(value: str | None, *, param: str = ..., naive: Naive = ...) -> datetime | None: ...
def parse_time(value: str | None, *, param: str = "--at", naive: Naive = "utc") -> datetime | None:
    """VALUE as an ISO 8601 time (a trailing ``Z`` means UTC); None stays None.

    A time without a zone is taken as UTC, or refused with ``naive="reject"``. A bad value is
    a usage error naming PARAM (exit 2).
    """
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"'{value[:_SHOWN]}' is not an ISO 8601 time (e.g. 2026-06-30T00:00:00Z)",
            param_hint=param,
        ) from None
    if dt.tzinfo is not None:
        return dt
    if naive == "reject":
        raise click.BadParameter("give a time zone (e.g. ...Z or +08:00)", param_hint=param)
    return dt.replace(tzinfo=UTC)


def time_or_now(value: str | None, *, param: str = "--at") -> datetime:
    """``parse_time(value)``, or the current time when the option was not given.

    This is the CLI's clock: library code only ever receives the resulting ``at``.
    """
    return datetime.now(UTC) if value is None else parse_time(value, param=param)


def make_output_dir(path: Path) -> None:
    """Create the ``--output-dir`` folder PATH (and its parents); a failure is an input error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output folder {path} ({exc.strerror})",
            hint="choose another --output-dir",
        ) from None


def write_file(path: Path, data: bytes) -> None:
    """Write DATA to PATH through a sibling ``.tmp`` file: a reader never sees half a file.

    The folder must exist; ``OSError`` propagates for the caller to name its option.
    """
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_text_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write TEXT (or its pieces, streamed) as UTF-8 to a private temporary file, sync it,
    then rename it over PATH: readers see the old file or the whole new one, never a part.

    Creates PATH's folder; the file gets mode 0600 (``mkstemp``), lines end as written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
