"""Importing consent history from a shop's own tables or files.

A mapping (:class:`~guardrail.model.consent.ImportMapping`, YAML) says which column holds each
event field and how the shop's values translate (``mini-program`` -> ``mini_program``). The
default mapping reads a ``consent_events`` table with the columns the example shop uses
(``customer_id, purpose, action, notice_version, channel, separate_consent, gpc,
occurred_at``); the example in ``examples/consent/shop-mapping.yaml`` also joins each
customer's country and birth date, so regions and minors are known.

Imports are resumable and idempotent: each batch is appended together with a bookmark (the
last source key it covered) in one transaction, and a later run continues after it. A batch
either lands whole, with its bookmark, or not at all.

Sources: a SQLite file, a ``postgresql://`` or ``mysql://`` URL (the mapping's table or
query), a ``.csv`` file or a ``.jsonl`` file.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from guardrail.consent._shown import shown
from guardrail.consent.store import read_source
from guardrail.errors import ConfigError, InputError, ManifestError, redact_url
from guardrail.model.consent import ConsentRequest, EvidenceMethod, ImportMapping, ImportResult
from guardrail.yamlio import load_yaml, validate

if TYPE_CHECKING:
    from guardrail.consent.registry import ConsentRegistry

__all__ = ["import_events", "load_mapping"]

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off", ""})


def load_mapping(path: str | Path) -> ImportMapping:
    """Load an import mapping YAML file; errors name the file and line."""
    located = load_yaml(Path(path))
    try:
        return validate(ImportMapping, located, what="consent-mapping")
    except ManifestError as exc:
        raise ConfigError(
            exc.message, hint="see 'guardrail consent schema mapping' for the expected shape"
        ) from None


def _source_kind(source: str) -> str:
    lower = source.lower()
    if "://" in source:
        return "sql"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "sqlite-file"


def _bookmark_key(source: str, mapping: ImportMapping) -> str:
    what = json.dumps([source, mapping.table, mapping.query, mapping.key])
    return "import:" + hashlib.sha256(what.encode("utf-8")).hexdigest()[:24]


def import_events(
    registry: ConsentRegistry,
    source: str,
    mapping: ImportMapping | None = None,
    *,
    base_dir: Path | None = None,
    batch: int = 5000,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Append the source's events not imported yet; returns what was read and recorded."""
    mapping = mapping or ImportMapping()
    base = base_dir or Path()
    kind = _source_kind(source)
    display = source
    if kind == "sqlite-file":
        path = Path(source)
        source_url = f"sqlite:///{(path if path.is_absolute() else base / path).resolve()}"
        display = str(path)
    else:
        source_url = source
    bookmark_key = _bookmark_key(display if kind != "sql" else source_url, mapping)
    stored = registry.store.get_meta(bookmark_key)
    after = json.loads(stored) if stored is not None else None

    if kind in ("sql", "sqlite-file"):
        if kind == "sql":
            display = redact_url(source)
        total, batches = read_source(
            source_url,
            table=mapping.table,
            query=mapping.query,
            key=mapping.key,
            after=after,
            batch=batch,
            base_dir=base,
        )
    else:
        path = Path(source)
        if not path.is_absolute():
            path = base / path
        total, batches = _file_batches(path, kind, mapping.key, after, batch)

    try:
        return _run(
            registry,
            display,
            batches,
            total,
            after,
            bookmark_key,
            mapping,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            progress=progress,
        )
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def _run(
    registry: ConsentRegistry,
    display: str,
    batches: Iterator[list[dict[str, Any]]],
    total: int,
    after: Any,
    bookmark_key: str,
    mapping: ImportMapping,
    *,
    skip_invalid: bool,
    dry_run: bool,
    progress: Callable[[int, int], None] | None,
) -> ImportResult:
    tz = _zone(mapping.timezone)
    converter = _Converter(mapping, tz)
    read = recorded = skipped = 0
    first_seq: int | None = None
    last_seq: int | None = None
    for rows in batches:
        requests: list[ConsentRequest] = []
        last_key: Any = None
        for row in rows:
            read += 1
            key_value = row.get(mapping.key)
            last_key = _json_safe(key_value)
            try:
                requests.append(converter(row))
            except InputError as exc:
                if not skip_invalid:
                    raise InputError(
                        f"{display}: row {mapping.key}={shown(key_value)}: {exc.message}",
                        hint=exc.hint or "fix the row or the mapping, or pass --skip-invalid",
                    ) from None
                skipped += 1
        if not dry_run:
            bookmark = {bookmark_key: json.dumps(last_key)}

            def with_bookmark(_n: int, b: dict[str, str] = bookmark) -> dict[str, str]:
                return b

            if requests:
                n, first, last = registry.record_many(
                    requests, batch=len(requests), meta=with_bookmark
                )
                recorded += n
                first_seq = first_seq if first_seq is not None else first
                last_seq = last if last is not None else last_seq
            else:
                for k, v in bookmark.items():
                    registry.store.set_meta(k, v)
        else:
            for r in requests:
                registry._content(r, registry._now())  # validates against the catalog
            recorded += len(requests)
        if progress is not None:
            progress(read, total)
    return ImportResult(
        source=display,
        read=read,
        recorded=recorded,
        skipped=skipped,
        first_seq=first_seq,
        last_seq=last_seq,
        resumed_after=None if after is None else str(after),
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, (int, float, str)) or value is None:
        return value
    return str(value)


def _zone(name: str) -> Any:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone '{name[:40]}' in the import mapping",
            hint="use an IANA name such as 'Asia/Shanghai' or 'UTC'",
        ) from None


def _file_batches(
    path: Path, kind: str, key: str, after: Any, batch: int
) -> tuple[int, Iterator[list[dict[str, Any]]]]:
    if not path.is_file():
        raise InputError(f"source file not found: {path}", hint="check the path")

    def rows() -> Iterator[dict[str, Any]]:
        with path.open(encoding="utf-8", newline="") as fh:
            if kind == "csv":
                yield from csv.DictReader(fh)
            else:
                for n, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        raise InputError(
                            f"{path}:{n}: not a JSON object", hint="one JSON object per line"
                        ) from None
                    if not isinstance(obj, dict):
                        raise InputError(
                            f"{path}:{n}: not a JSON object", hint="one JSON object per line"
                        )
                    yield obj

    def keep(row: Mapping[str, Any]) -> bool:
        if after is None:
            return True
        value = row.get(key)
        try:
            return float(value) > float(after)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value) > str(after)

    try:
        total = sum(1 for r in rows() if keep(r))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", hint="save it as UTF-8") from None

    def batches() -> Iterator[list[dict[str, Any]]]:
        chunk: list[dict[str, Any]] = []
        for r in rows():
            if not keep(r):
                continue
            if key not in r:
                raise InputError(
                    f"{path}: a row has no '{key}' column",
                    hint="set 'key:' in the mapping to a unique, increasing column",
                )
            chunk.append(r)
            if len(chunk) >= batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    return total, batches()


class _Converter:
    """One source row -> one :class:`ConsentRequest`."""

    def __init__(self, mapping: ImportMapping, tz: Any) -> None:
        self.m = mapping
        self.c = mapping.columns
        self.tz = tz
        self.actions = {k.strip().lower(): v for k, v in mapping.actions.items()}
        self.channels = {k.strip().lower(): v for k, v in mapping.channels.items()}

    def __call__(self, row: Mapping[str, Any]) -> ConsentRequest:
        c = self.c
        subject = _get(row, c.subject)
        if subject is None or str(subject).strip() == "":
            raise InputError(f"column '{c.subject}' (subject) is empty")
        raw_purpose = _get(row, c.purpose)
        purpose = None
        if raw_purpose is not None and str(raw_purpose).strip():
            text = str(raw_purpose).strip()
            purpose = self.m.purposes.get(text, text)
        raw_action = str(_get(row, c.action) or "").strip().lower()
        action = self.actions.get(raw_action)
        if action is None:
            raise InputError(
                f"column '{c.action}': unknown action '{shown(raw_action)}'",
                hint="map it under 'actions:' in the mapping",
            )
        occurred = self._time(_get(row, c.occurred_at), c.occurred_at)
        if occurred is None:
            raise InputError(f"column '{c.occurred_at}' (event time) is empty")
        channel = self.m.default_channel
        if c.channel is not None:
            raw_channel = str(_get(row, c.channel) or "").strip().lower()
            if raw_channel:
                found = self.channels.get(raw_channel)
                if found is None:
                    raise InputError(
                        f"column '{c.channel}': unknown channel '{shown(raw_channel)}'",
                        hint="map it under 'channels:' in the mapping",
                    )
                channel = found
        minor_age = None
        if c.minor_age is not None:
            value = _get(row, c.minor_age)
            if value not in (None, ""):
                minor_age = _int(value, c.minor_age)
                minor_age = minor_age if minor_age < 18 else None
        elif c.birth_date is not None:
            minor_age = _age(_get(row, c.birth_date), occurred, c.birth_date)
        fields: dict[str, Any] = {
            "subject": str(subject).strip(),
            "purpose": purpose,
            "action": action,
            "occurred_at": occurred,
            "channel": channel,
            "evidence": EvidenceMethod.IMPORTED,
        }
        if c.notice_version is not None:
            notice = _get(row, c.notice_version)
            if notice not in (None, ""):
                fields["notice_version"] = str(notice).strip()
        if c.separate_consent is not None:
            fields["separate_consent"] = _bool(_get(row, c.separate_consent), c.separate_consent)
        if c.gpc is not None:
            fields["gpc"] = _bool(_get(row, c.gpc), c.gpc)
        if c.region is not None:
            region = _get(row, c.region)
            if region not in (None, ""):
                fields["region"] = str(region).strip().upper()
        if minor_age is not None:
            fields["minor_age"] = minor_age
        if c.guardian is not None:
            guardian = _get(row, c.guardian)
            if guardian not in (None, ""):
                fields["guardian"] = str(guardian).strip()
        if c.evidence_ref is not None:
            ref = _get(row, c.evidence_ref)
            if ref not in (None, ""):
                fields["evidence_ref"] = str(ref)[:200]
        else:
            fields["evidence_ref"] = f"{self.m.table}#{_get(row, self.m.key)}"[:200]
        if c.expires_at is not None:
            expires = self._time(_get(row, c.expires_at), c.expires_at)
            if expires is not None:
                fields["expires_at"] = expires
        try:
            return ConsentRequest.model_validate(fields)
        except ValidationError as exc:
            from guardrail.consent.registry import request_error

            raise request_error(exc) from None

    def _time(self, value: Any, column: str) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            dt = value
        elif isinstance(value, date):
            dt = datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=UTC)
        else:
            text = str(value).strip()
            if text.isdigit():
                return datetime.fromtimestamp(int(text), tz=UTC)
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise InputError(
                    f"column '{column}': not a date-time",
                    hint="use ISO 8601 ('2026-03-01 12:00:00') or epoch seconds",
                ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return dt.astimezone(UTC)


def _get(row: Mapping[str, Any], column: str) -> Any:
    if column not in row:
        raise InputError(
            f"the source has no column '{column}'",
            hint="fix the column names under 'columns:' in the mapping",
        )
    return row[column]


def _bool(value: Any, column: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"column '{column}': not a yes/no value", hint="use 1/0 or true/false")


def _int(value: Any, column: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise InputError(f"column '{column}': not a whole number") from None


def _age(value: Any, at: datetime, column: str) -> int | None:
    """Age in whole years at ``at``, or None for adults and unknown birth dates."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        born = value.date()
    elif isinstance(value, date):
        born = value
    else:
        try:
            born = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise InputError(f"column '{column}': not a date", hint="use YYYY-MM-DD") from None
    day = at.date()
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if years < 0:
        raise InputError(f"column '{column}': the birth date is after the event")
    return years if years < 18 else None
