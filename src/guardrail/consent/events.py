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
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from guardrail.model._base import trusted_constructor
from guardrail.model.consent import Channel, ConsentAction, ConsentEvent, EvidenceMethod

__all__ = [
    "ACTION_BY_VALUE",
    "CHANNEL_BY_VALUE",
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


def _no_default(o: object) -> object:
    raise TypeError(f"cannot encode {type(o).__name__} in an event")


def _canonical_encoder() -> Callable[[object], str]:
    """``json.dumps(content, separators=(",", ":"), ensure_ascii=False)``, fast. ``dumps``
    and ``JSONEncoder.encode`` build a new C encoder on every call; an event's content is a
    flat tuple of scalars (no cycles to check for), so one C encoder without a markers dict
    is built once and reused. Used only if it encodes a probe byte for byte like the
    reference (otherwise the reference is used)."""
    reference = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return reference
    chunks = make(
        None, _no_default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )

    def encode(content: object) -> str:
        return "".join(chunks(content, 0))

    probe = ('x\u2028"\\\x01\x7fé😀中', 1, None, -5, 0, "", 2**63)
    return encode if encode(probe) == reference(probe) else reference


_ENCODE = _canonical_encoder()


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


class _Salts:
    """The random parts of event ids, read from the OS CSPRNG (``os.urandom``) 4 KiB at a
    time: one system call per ~400 events instead of one per event. Each part is handed out
    once (under a lock); a forked child discards what its parent had read."""

    __slots__ = ("_buf", "_lock", "_pos")
    _SIZE = 4000  # a multiple of the 10-byte part

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._lock = threading.Lock()
        self._buf = b""
        self._pos = 0

    def hex10(self) -> str:
        with self._lock:
            pos = self._pos
            if pos >= len(self._buf):
                self._buf = os.urandom(self._SIZE)
                pos = 0
            self._pos = pos + 10
            return self._buf[pos : pos + 10].hex()


_SALTS = _Salts()
os.register_at_fork(after_in_child=_SALTS.reset)


def new_event_id() -> str:
    """32 hex digits: 48 bits of milliseconds then 80 random bits (like a UUIDv7). Time order
    keeps the unique index append-only; the random part salts the event's digest."""
    return f"{time.time_ns() // 1_000_000:012x}{_SALTS.hex10()}"


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


#: Enum members by stored value (a dict look-up is cheaper than calling the enum).
ACTION_BY_VALUE: dict[str, ConsentAction] = {a.value: a for a in ConsentAction}
CHANNEL_BY_VALUE: dict[str, Channel] = {c.value: c for c in Channel}
_EVIDENCE = {e.value: e for e in EvidenceMethod}
_new_event = trusted_constructor(
    ConsentEvent,
    {
        "seq": 1,
        "event_id": "0" * 32,
        "subject": "",
        "purpose": "marketing",
        "action": ConsentAction.GIVEN,
        "occurred_at": _EPOCH,
        "recorded_at": _EPOCH,
        "notice_version": None,
        "channel": Channel.WEB,
        "separate_consent": False,
        "gpc": False,
        "region": None,
        "minor_age": None,
        "guardian": None,
        "evidence": None,
        "evidence_ref": None,
        "expires_at": None,
        "digest": "0" * 64,
        "chain": "0" * 64,
        "erased_by": None,
    },
)


def row_to_event(row: Row, recorded: datetime | None = None) -> ConsentEvent:
    """The event of a stored row. Rows are written only by the registry (after validating the
    request) and read back from its own tables, so the event is built without re-validation
    (``trusted_constructor``); ``tests/consent/test_hotpath.py`` checks it equals the
    validated event for every kind of row. ``recorded`` is the row's recording time as a UTC
    datetime when the caller has it (the instant it stored as ``recorded_at``)."""
    expires = row.expires_at
    return _new_event(
        {
            "seq": row.seq,
            "event_id": row.event_id or "",
            "subject": row.subject or "",
            "purpose": row.purpose,
            "action": ACTION_BY_VALUE[row.action],
            "occurred_at": from_us(row.occurred_at),
            "recorded_at": recorded if recorded is not None else from_us(row.recorded_at),
            "notice_version": row.notice_version,
            "channel": CHANNEL_BY_VALUE[row.channel],
            "separate_consent": bool(row.separate_consent),
            "gpc": bool(row.gpc),
            "region": row.region,
            "minor_age": row.minor_age,
            "guardian": row.guardian,
            "evidence": _EVIDENCE[row.evidence] if row.evidence else None,
            "evidence_ref": row.evidence_ref,
            "expires_at": from_us(expires) if expires is not None else None,
            "digest": bytes(row.digest).hex(),
            "chain": bytes(row.chain).hex(),
            "erased_by": row.erased_by,
        }
    )
