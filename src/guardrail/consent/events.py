"""Stored event rows, their canonical bytes and the hash chain.

Each event's *digest* is SHA-256 over a domain label and its canonical content (a compact
JSON array in a fixed field order); its *chain* value is ``SHA-256(previous chain || digest)``
starting from a fixed genesis value. Editing an event changes its digest; deleting,
inserting or moving one breaks the links that follow. The sequence number is not part of the
digest, so a moved but otherwise intact event is recognised as *reordered*, not edited.

Erasure keeps an event's digest and chain but wipes its identifying fields, including the
random ``event_id`` that salts the digest, so the wiped content can neither be recomputed nor
guessed; a tombstone event commits to the set of erased ``(seq, digest)`` pairs instead.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from guardrail.model.consent import Channel, ConsentAction, ConsentEvent, EvidenceMethod

__all__ = [
    "COLUMNS",
    "GENESIS",
    "Row",
    "content_digest",
    "erased_set_digest",
    "from_us",
    "link",
    "new_event_id",
    "parse_tombstone_ref",
    "row_to_event",
    "to_us",
    "tombstone_ref",
]

GENESIS = hashlib.sha256(b"guardrail.consent.genesis.v1").digest()
_DIGEST_PREFIX = b"guardrail.consent.event.v1\n"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` builds this encoder on every
#: call; one shared (stateless) instance encodes the same bytes.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def to_us(at: datetime) -> int:
    """Microseconds since the Unix epoch (exact integer arithmetic)."""
    return (at - _EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class Row(NamedTuple):
    """One stored event, column for column (times in µs since the epoch, UTC)."""

    seq: int
    event_id: str | None
    subject: str | None
    purpose: str | None
    action: str
    occurred_at: int
    recorded_at: int
    notice_version: str | None
    channel: str
    separate_consent: int
    gpc: int
    region: str | None
    minor_age: int | None
    guardian: str | None
    evidence: str | None
    evidence_ref: str | None
    expires_at: int | None
    erased_by: int | None
    digest: bytes
    chain: bytes

    def content(self) -> tuple[object, ...]:
        return (
            self.event_id,
            self.subject,
            self.purpose,
            self.action,
            self.occurred_at,
            self.recorded_at,
            self.notice_version,
            self.channel,
            int(self.separate_consent),
            int(self.gpc),
            self.region,
            self.minor_age,
            self.guardian,
            self.evidence,
            self.evidence_ref,
            self.expires_at,
        )


#: Column names in ``Row`` order (the store's SELECT lists use it).
COLUMNS = Row._fields


def new_event_id() -> str:
    """32 hex digits: 48 bits of milliseconds then 80 random bits (like a UUIDv7). Time order
    keeps the unique index append-only; the random part salts the event's digest."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def content_digest(content: tuple[object, ...]) -> bytes:
    """SHA-256 of an event's canonical bytes (``Row.content()`` order)."""
    raw = _ENCODE(content).encode("utf-8")
    return hashlib.sha256(_DIGEST_PREFIX + raw).digest()


def link(previous: bytes, digest: bytes) -> bytes:
    """The chain value of an event whose predecessor's chain value is ``previous``."""
    return hashlib.sha256(previous + digest).digest()


def erased_set_digest(pairs: Iterable[tuple[int, bytes]]) -> str:
    """Commitment to the erased events: SHA-256 over ``seq (8 bytes) || digest``, by seq."""
    h = hashlib.sha256(b"guardrail.consent.erased.v1\n")
    for seq, digest in sorted(pairs):
        h.update(seq.to_bytes(8, "big"))
        h.update(digest)
    return h.hexdigest()


def tombstone_ref(count: int, set_digest: str) -> str:
    return f"erased:{count}:{set_digest}"


def parse_tombstone_ref(ref: str | None) -> tuple[int, str] | None:
    if not ref or not ref.startswith("erased:"):
        return None
    parts = ref.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def row_to_event(row: Row) -> ConsentEvent:
    return ConsentEvent(
        seq=row.seq,
        event_id=row.event_id or "",
        subject=row.subject or "",
        purpose=row.purpose,
        action=ConsentAction(row.action),
        occurred_at=from_us(row.occurred_at),
        recorded_at=from_us(row.recorded_at),
        notice_version=row.notice_version,
        channel=Channel(row.channel),
        separate_consent=bool(row.separate_consent),
        gpc=bool(row.gpc),
        region=row.region,
        minor_age=row.minor_age,
        guardian=row.guardian,
        evidence=EvidenceMethod(row.evidence) if row.evidence else None,
        evidence_ref=row.evidence_ref,
        expires_at=from_us(row.expires_at) if row.expires_at is not None else None,
        digest=bytes(row.digest).hex(),
        chain=bytes(row.chain).hex(),
        erased_by=row.erased_by,
    )
