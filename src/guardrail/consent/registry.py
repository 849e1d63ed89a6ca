"""``ConsentRegistry``: record choices, derive state, prove it (receipts, chain verification).

    from guardrail.consent import ConsentRegistry, ConsentMissing

    reg = ConsentRegistry("sqlite:///consent.db", catalog="catalog.yaml")  # key: $GUARDRAIL_KEYRING
    reg.record("customer-42", "marketing", notice_version="2026-03", separate_consent=True)
    reg.status("customer-42", "marketing").valid            # True
    reg.withdraw("customer-42")                             # every consent given so far
    reg.require("customer-42", "marketing")                 # raises ConsentMissing(reason="withdrawn")

Raw subject identifiers are pseudonymised with a keyed HMAC (``guardrail.crypto``) before
anything is stored or compared; nothing in the registry, its errors or its reprs holds them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guardrail.consent._shown import shown
from guardrail.consent.catalog import CompiledCatalog, CompiledPurpose, load_catalog
from guardrail.consent.events import (
    ACTION_BY_VALUE,
    CHANNEL_BY_VALUE,
    Row,
    content_digest,
    erased_set_digest,
    new_event_id,
    row_to_event,
    to_us,
    tombstone_ref,
)
from guardrail.consent.state import StateTuple, derive
from guardrail.consent.store import DEFAULT_CACHE_MB, ConsentStore, Content
from guardrail.crypto import Keyring, Pseudonymizer, SigningKey, VerifyingKey
from guardrail.errors import ConfigError, ConsentMissing, InputError
from guardrail.model.consent import (
    Channel,
    ConsentAction,
    ConsentCatalog,
    ConsentEvent,
    ConsentRequest,
    ConsentState,
    EvidenceMethod,
    Lifecycle,
    MissingReason,
    VerifyReport,
    reason_refs,
)

__all__ = ["SUBJECT_CONTEXT", "ConsentRegistry", "Erasure"]

#: Pseudonymisation context of subjects (and guardians): one per registry purpose.
SUBJECT_CONTEXT = "guardrail.consent.subject"
_PROBE = "guardrail.consent.keyring-probe"
_FUTURE_SKEW = timedelta(minutes=5)
_FUTURE_SKEW_US = _FUTURE_SKEW // timedelta(microseconds=1)

_HINTS: dict[MissingReason, str] = {
    MissingReason.NEVER_GIVEN: "ask for consent before processing",
    MissingReason.REFUSED: "respect the refusal; do not ask again repeatedly (NDSR Art. 22(5))",
    MissingReason.WITHDRAWN: "stop processing and propagate the withdrawal",
    MissingReason.EXPIRED: "ask for consent again",
    MissingReason.NOTICE_CHANGED: "ask for consent again under the current notice",
    MissingReason.SEPARATE_CONSENT_MISSING: "collect separate consent for this purpose",
    MissingReason.GUARDIAN_NEEDED: "collect the parent's or guardian's consent",
    MissingReason.OPTED_OUT: "do not sell or share this subject's data",
    MissingReason.GPC_OPT_OUT: "honour the Global Privacy Control signal: do not sell or share",
    MissingReason.SENSITIVE_LIMITED: "limit sensitive PI to what the service needs",
}


class Erasure:
    """What :meth:`ConsentRegistry.erase` did: the tombstone and how many events it covers."""

    __slots__ = ("erased", "tombstone")

    def __init__(self, tombstone: ConsentEvent | None, erased: int) -> None:
        self.tombstone = tombstone
        self.erased = erased

    def __repr__(self) -> str:
        seq = self.tombstone.seq if self.tombstone else None
        return f"Erasure(erased={self.erased}, tombstone_seq={seq})"


class ConsentRegistry:
    """An append-only, hash-chained consent registry on SQLite (default) or PostgreSQL.

    ``keyring`` pseudonymises subjects (default: ``Keyring.from_env()``, i.e.
    ``$GUARDRAIL_KEYRING``). ``catalog`` (a :class:`ConsentCatalog` or a YAML path) is
    stored in the registry the first time and whenever it changes; later opens may omit it.
    ``signing_key`` signs receipts; ``verifying_keys`` adds older public keys to the JWKS.
    ``clock`` supplies "now" (inject one in tests). ``cache_mb`` caps the page cache that
    keeps the look-up index in memory (SQLite; it grows with use).
    """

    def __init__(
        self,
        url: str | os.PathLike[str] = "sqlite:///consent.db",
        *,
        keyring: Keyring | None = None,
        catalog: ConsentCatalog | str | Path | None = None,
        signing_key: SigningKey | None = None,
        verifying_keys: Sequence[VerifyingKey] = (),
        clock: Callable[[], datetime] | None = None,
        create: bool = True,
        base_dir: Path | None = None,
        cache_mb: int = DEFAULT_CACHE_MB,
    ) -> None:
        self._clock = clock or _utcnow
        if keyring is None:
            keyring = Keyring.from_env()
        self._pseudo = Pseudonymizer(keyring, context=SUBJECT_CONTEXT)
        self._rotated = len(keyring) > 1
        self._signing_key = signing_key
        self._verifying_keys = tuple(verifying_keys)
        self.store = ConsentStore(url, create=create, base_dir=base_dir, cache_mb=cache_mb)
        try:
            self._check_keyring()
            self._catalog = self._load_catalog(catalog)
        except BaseException:
            self.store.close()
            raise

    # -- set-up ----------------------------------------------------------------------------

    def _check_keyring(self) -> None:
        probe = self.store.get_meta("keyring_probe")
        if probe is None:
            self.store.set_meta("keyring_probe", self._pseudo.pseudonym(_PROBE))
        elif not self._pseudo.matches(_PROBE, probe):
            raise ConfigError(
                f"the keyring does not match consent registry {self.store.display}",
                hint="use the keyring the registry was created with (subjects are keyed "
                "pseudonyms; another key would make every subject look new)",
            )

    def _load_catalog(self, catalog: ConsentCatalog | str | Path | None) -> CompiledCatalog | None:
        if isinstance(catalog, (str, Path)):
            catalog = load_catalog(catalog)
        if catalog is not None:
            compiled = CompiledCatalog(catalog)
            body = json.dumps(catalog.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
            self.store.save_catalog(compiled.digest, body, to_us(self._now()))
            return compiled
        stored = self.store.latest_catalog()
        if stored is None:
            return None
        try:
            return CompiledCatalog(ConsentCatalog.model_validate_json(stored[2]))
        except ValidationError:
            raise ConfigError(
                f"the catalog stored in {self.store.display} is not valid for this guardrail",
                hint="pass the catalog again (--catalog FILE)",
            ) from None

    @property
    def catalog(self) -> ConsentCatalog:
        return self._compiled.catalog

    @property
    def _compiled(self) -> CompiledCatalog:
        if self._catalog is None:
            raise ConfigError(
                f"consent registry {self.store.display} has no purposes catalog",
                hint="pass one with --catalog FILE (or catalog= in Python); it is stored "
                "in the registry for later runs",
            )
        return self._catalog

    def close(self) -> None:
        self.store.close()

    def warm(self) -> int:
        """Load the look-up index into memory (e.g. when a service starts); returns its size
        in entries."""
        return self.store.warm()

    def __enter__(self) -> ConsentRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ConsentRegistry({self.store.display!r})"

    # -- helpers ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ConfigError("the registry clock returned a naive datetime")
        return now

    def _at(self, at: datetime | None) -> datetime:
        if at is None:
            return self._now()
        if not isinstance(at, datetime) or at.tzinfo is None:
            raise InputError(
                "at= must be an aware datetime", hint="pass e.g. datetime(2026, 1, 1, tzinfo=UTC)"
            )
        return at

    def pseudonym(self, subject: str) -> str:
        """The keyed pseudonym a subject is stored under (primary key)."""
        return self._pseudo.pseudonym(_subject(subject))

    def _subjects(self, subject: str) -> list[str]:
        value = _subject(subject)
        if self._rotated:
            return list(self._pseudo.pseudonyms(value))
        return [self._pseudo.pseudonym(value)]

    def _purpose(self, purpose: str) -> CompiledPurpose:
        compiled = self._compiled.purpose(purpose)
        if compiled is None:
            known = ", ".join(sorted(self._compiled.purposes)) or "none"
            raise InputError(
                f"unknown purpose '{shown(purpose)}'",
                hint=f"use a purpose of the catalog ({known}) or add it there",
            )
        return compiled

    # -- writing ---------------------------------------------------------------------------

    def record(
        self,
        subject: str,
        purpose: str | None = None,
        action: ConsentAction | str = ConsentAction.GIVEN,
        *,
        at: datetime | None = None,
        notice_version: str | None = None,
        channel: Channel | str = Channel.WEB,
        separate_consent: bool = False,
        gpc: bool = False,
        region: str | None = None,
        minor_age: int | None = None,
        guardian: str | None = None,
        evidence: EvidenceMethod | str | None = None,
        evidence_ref: str | None = None,
        expires_at: datetime | None = None,
    ) -> ConsentEvent:
        """Append one event and return it (with its sequence number and chain value).

        ``at`` is when the choice was made (default: now); ``notice_version`` defaults to
        the notice in force then.

        >>> reg.record("customer-42", "marketing", separate_consent=True).action
        <ConsentAction.GIVEN: 'given'>
        """
        if (
            region is None
            and minor_age is None
            and guardian is None
            and evidence is None
            and evidence_ref is None
            and expires_at is None
        ):
            fast = self._simple_content(
                subject, purpose, action, at, notice_version, channel, separate_consent, gpc
            )
            if fast is not None:
                item, now = fast
                row = self.store.append_one(item)
                exact = type(now) is datetime and now.tzinfo is UTC
                return row_to_event(row, now if exact else None)
        request = _request(
            subject=subject,
            purpose=purpose,
            action=action,
            occurred_at=at,
            notice_version=notice_version,
            channel=channel,
            separate_consent=separate_consent,
            gpc=gpc,
            region=region,
            minor_age=minor_age,
            guardian=guardian,
            evidence=evidence,
            evidence_ref=evidence_ref,
            expires_at=expires_at,
        )
        return self.record_request(request)

    def _simple_content(
        self,
        subject: object,
        purpose: object,
        action: object,
        at: object,
        notice_version: object,
        channel: object,
        separate_consent: object,
        gpc: object,
    ) -> tuple[tuple[Content, bytes], datetime] | None:
        """The content (with the recording instant) of a common event (no region, minor, guardian, evidence or expiry)
        without building a ``ConsentRequest``, when every argument is one that validation
        would accept unchanged: ``None`` otherwise, and the caller takes the validating path
        (which also words the errors). Each condition implies the request field's constraint:
        a purpose or notice in the catalog is a valid slug or notice id; a printable, trimmed
        string of 1-256 characters is a valid subject id. ``tests/consent/test_hotpath.py``
        checks both paths store the same event."""
        catalog = self._catalog
        if (
            catalog is None
            or type(subject) is not str
            or not 0 < len(subject) <= 256
            or not subject.isprintable()
            or subject.strip() != subject
            or type(purpose) is not str
            or purpose not in catalog.purposes
            or type(separate_consent) is not bool
            or type(gpc) is not bool
        ):
            return None
        # Enum members are str too, so a member is looked up like its value.
        act = ACTION_BY_VALUE.get(action) if isinstance(action, str) else None
        chan = CHANNEL_BY_VALUE.get(channel) if isinstance(channel, str) else None
        if act is None or act is ConsentAction.ERASED or chan is None:
            return None
        if notice_version is not None and (
            type(notice_version) is not str or notice_version not in catalog.notice_index
        ):
            return None
        if at is not None and (type(at) is not datetime or at.utcoffset() is None):
            return None
        now = self._now()
        item = self._content_values(
            catalog,
            now,
            subject=subject,
            purpose=purpose,
            action=act,
            occurred_at=at,
            notice_version=notice_version,
            channel=chan,
            separate_consent=separate_consent,
            gpc=gpc,
            region=None,
            minor_age=None,
            guardian=None,
            evidence=None,
            evidence_ref=None,
            expires_at=None,
        )
        return item, now

    def record_request(self, request: ConsentRequest) -> ConsentEvent:
        """Append one validated :class:`ConsentRequest`."""
        now = self._now()
        row = self.store.append_one(self._content(request, now))
        return row_to_event(row)

    def record_many(
        self,
        requests: Iterable[ConsentRequest],
        *,
        batch: int = 5000,
        progress: Callable[[int], None] | None = None,
        meta: Callable[[int], dict[str, str]] | None = None,
    ) -> tuple[int, int | None, int | None]:
        """Append many events, ``batch`` per transaction (each batch all-or-nothing).

        Returns (count, first seq, last seq). ``meta(n)`` may return registry metadata to
        store atomically with the batch that ends at the n-th request (import bookmarks).
        """
        pending: list[tuple[Content, bytes]] = []
        total = 0
        first: int | None = None
        last: int | None = None
        now = self._now()
        for request in requests:
            pending.append(self._content(request, now))
            if len(pending) >= batch:
                rows = self.store.append(pending, meta=meta(total + len(pending)) if meta else None)
                total += len(rows)
                first = first if first is not None else rows[0].seq
                last = rows[-1].seq
                pending = []
                if progress:
                    progress(total)
                now = self._now()
        if pending:
            rows = self.store.append(pending, meta=meta(total + len(pending)) if meta else None)
            total += len(rows)
            first = first if first is not None else rows[0].seq
            last = rows[-1].seq
            if progress:
                progress(total)
        return total, first, last

    def _content(self, request: ConsentRequest, now: datetime) -> tuple[Content, bytes]:
        return self._content_values(
            self._compiled,
            now,
            subject=request.subject,
            purpose=request.purpose,
            action=request.action,
            occurred_at=request.occurred_at,
            notice_version=request.notice_version,
            channel=request.channel,
            separate_consent=request.separate_consent,
            gpc=request.gpc,
            region=request.region,
            minor_age=request.minor_age,
            guardian=request.guardian,
            evidence=request.evidence,
            evidence_ref=request.evidence_ref,
            expires_at=request.expires_at,
        )

    def _content_values(
        self,
        catalog: CompiledCatalog,
        now: datetime,
        *,
        subject: str,
        purpose: str | None,
        action: ConsentAction,
        occurred_at: datetime | None,
        notice_version: str | None,
        channel: Channel,
        separate_consent: bool,
        gpc: bool,
        region: str | None,
        minor_age: int | None,
        guardian: str | None,
        evidence: EvidenceMethod | None,
        evidence_ref: str | None,
        expires_at: datetime | None,
    ) -> tuple[Content, bytes]:
        """An event's stored content and digest from validated field values."""
        now_us = to_us(now)
        occurred_us = to_us(occurred_at) if occurred_at is not None else now_us
        if occurred_us > now_us + _FUTURE_SKEW_US:
            raise InputError(
                "the event's time is in the future", hint="record choices when they are made"
            )
        if purpose is not None and purpose not in catalog.purposes:
            self._purpose(purpose)  # raises: unknown purpose
        notice = notice_version
        if notice is None and action is ConsentAction.GIVEN:
            notice = catalog.notice_in_force_us(occurred_us)
        if notice is not None and notice not in catalog.notice_index:
            known = ", ".join(catalog.notice_index)
            raise InputError(
                f"unknown notice version '{shown(notice)}'",
                hint=f"use a version listed in the catalog's notices ({known})",
            )
        pseudonym = self._pseudo.pseudonym
        content: Content = (
            new_event_id(),
            pseudonym(subject),
            purpose,
            action.value,
            occurred_us,
            now_us,
            notice,
            channel.value,
            int(separate_consent),
            int(gpc),
            region,
            minor_age,
            pseudonym(guardian) if guardian is not None else None,
            evidence.value if evidence is not None else None,
            evidence_ref,
            to_us(expires_at) if expires_at is not None else None,
        )
        return content, content_digest(content)

    def withdraw(
        self,
        subject: str,
        purposes: Iterable[str] | None = None,
        *,
        at: datetime | None = None,
        channel: Channel | str = Channel.WEB,
        evidence: EvidenceMethod | str | None = None,
        evidence_ref: str | None = None,
        opt_out: bool = False,
    ) -> tuple[ConsentEvent, ...]:
        """Withdraw consent, atomically: for ``purposes``, or for every purpose currently
        consented to (PIPL Art. 15, GDPR Art. 7(3)). ``opt_out`` also opts out of sale and
        sharing and limits sensitive PI (Cal. Civ. Code §§1798.120, 1798.121 ⚠).

        >>> [e.purpose for e in reg.withdraw("customer-42")]
        ['marketing']
        """
        when = self._at(at)
        if purposes is None:
            targets = [
                s.purpose for s in self.statuses(subject, at=when) if s.lifecycle is Lifecycle.GIVEN
            ]
        else:
            targets = list(dict.fromkeys(purposes))
            for p in targets:
                self._purpose(p)
        requests = [
            _request(
                subject=subject,
                purpose=p,
                action=ConsentAction.WITHDRAWN,
                occurred_at=when,
                channel=channel,
                evidence=evidence,
                evidence_ref=evidence_ref,
            )
            for p in targets
        ]
        if opt_out:
            for action in (ConsentAction.OPT_OUT, ConsentAction.LIMIT_SENSITIVE):
                requests.append(
                    _request(
                        subject=subject,
                        action=action,
                        occurred_at=when,
                        channel=channel,
                        evidence=evidence,
                        evidence_ref=evidence_ref,
                    )
                )
        if not requests:
            return ()
        now = self._now()
        rows = self.store.append([self._content(r, now) for r in requests])
        return tuple(row_to_event(r) for r in rows)

    def record_gpc(
        self,
        subject: str,
        *,
        at: datetime | None = None,
        region: str | None = None,
        evidence_ref: str | None = None,
    ) -> ConsentEvent:
        """Record an opt-out preference signal (``Sec-GPC: 1``) as an opt-out of sale and
        sharing for every purpose (11 CCR §7025(b), (c)(1))."""
        return self.record(
            subject,
            None,
            ConsentAction.GPC,
            at=at,
            channel=Channel.BROWSER_SIGNAL,
            gpc=True,
            region=region,
            evidence=EvidenceMethod.GPC_HEADER,
            evidence_ref=evidence_ref,
        )

    def erase(self, subject: str, *, at: datetime | None = None) -> Erasure:
        """Erase a subject's consent history (PIPL Art. 47, GDPR Art. 17): every event loses
        its subject, event id and references, keeps its place in the chain, and a tombstone
        commits to what was erased so the chain still verifies."""
        when = to_us(self._at(at))

        def tombstone(victims: list[tuple[int, bytes]]) -> tuple[Content, bytes]:
            content: Content = (
                new_event_id(),
                None,
                None,
                ConsentAction.ERASED.value,
                when,
                to_us(self._now()),
                None,
                Channel.API.value,
                0,
                0,
                None,
                None,
                None,
                None,
                tombstone_ref(len(victims), erased_set_digest(victims)),
                None,
            )
            return content, content_digest(content)

        done = self.store.erase(self._subjects(subject), tombstone)
        if done is None:
            return Erasure(None, 0)
        row, count = done
        return Erasure(row_to_event(row), count)

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, subject: str) -> list[StateTuple]:
        return self.store.state_tuples(self._subjects(subject))

    def status(self, subject: str, purpose: str, *, at: datetime | None = None) -> ConsentState:
        """The subject's consent state for ``purpose`` at ``at`` (default: now).

        >>> reg.status("customer-42", "marketing").reason
        <MissingReason.WITHDRAWN: 'withdrawn'>
        """
        catalog = self._catalog
        compiled = catalog.purposes.get(purpose) if catalog is not None else None
        if catalog is None or compiled is None:
            compiled = self._purpose(purpose)  # raises: no catalog, or an unknown purpose
            catalog = self._compiled
        when = self._at(at)
        at_us = to_us(when)
        rows = self.store.state_tuples(self._subjects(subject), purpose=compiled.id, at_us=at_us)
        return derive(rows, compiled, catalog, when, at_us)

    def statuses(
        self, subject: str, purposes: Iterable[str] | None = None, *, at: datetime | None = None
    ) -> tuple[ConsentState, ...]:
        """States for several purposes (default: every purpose of the catalog), one query."""
        catalog = self._compiled
        wanted = list(purposes) if purposes is not None else list(catalog.purposes)
        compiled = [self._purpose(p) for p in wanted]
        when = self._at(at)
        at_us = to_us(when)
        rows = self._rows(subject)
        return tuple(derive(rows, c, catalog, when, at_us) for c in compiled)

    def require(self, subject: str, purpose: str, *, at: datetime | None = None) -> ConsentState:
        """The state, if it covers processing; otherwise raise :class:`ConsentMissing` whose
        ``reason`` says why (never given, withdrawn, expired, notice changed, guardian
        needed ...).

        >>> reg.require("customer-42", "marketing")
        Traceback (most recent call last):
        guardrail.errors.ConsentMissing: no valid consent for purpose 'marketing' (withdrawn ...
        """
        state = self.status(subject, purpose, at=at)
        if not state.valid:
            assert state.reason is not None
            refs = ", ".join(str(r) for r in reason_refs(state.reason))
            raise ConsentMissing(
                f"no valid consent for purpose '{purpose}' ({state.reason.value}; {refs})",
                reason=state.reason.value,
                hint=_HINTS[state.reason],
            )
        return state

    def history(self, subject: str) -> tuple[ConsentEvent, ...]:
        """Every event of the subject, oldest first (access and portability: GDPR Arts. 15,
        20; PIPL Art. 45)."""
        return tuple(row_to_event(r) for r in self.store.history(self._subjects(subject)))

    def event(self, ref: str | int) -> ConsentEvent:
        """An event by event id or sequence number."""
        row = self._row(ref)
        return row_to_event(row)

    def _row(self, ref: str | int) -> Row:
        row: Row | None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            row = self.store.by_seq(int(ref))
        else:
            row = self.store.by_event_id(str(ref).lower()) if _is_event_id(str(ref)) else None
        if row is None:
            raise InputError(
                f"no consent event '{shown(str(ref))}' in {self.store.display}",
                hint="use an event id or sequence number from 'guardrail consent history'",
            )
        return row

    @property
    def head(self) -> tuple[int, str]:
        """(sequence number, chain value) of the last event."""
        seq, chain = self.store.head()
        return seq, chain.hex()

    # -- proof -----------------------------------------------------------------------------

    def verify(
        self,
        *,
        anchors: Iterable[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> VerifyReport:
        """Recompute every digest and link; report edited, deleted, reordered and truncated
        events by sequence number. ``anchors`` (receipts or checkpoints signed by this
        registry) also catch a rewritten tail."""
        from guardrail.consent.chain import verify_chain

        report = verify_chain(self.store, progress=progress)
        anchors = list(anchors)
        if anchors:
            from guardrail.consent.receipts import check_anchors

            report = check_anchors(self, report, anchors)
        return report

    @property
    def signing_key(self) -> SigningKey:
        if self._signing_key is None:
            raise ConfigError(
                "no signing key for consent receipts",
                hint="pass --signing-key FILE (or signing_key= in Python); create one with "
                "'guardrail consent keygen FILE'",
            )
        return self._signing_key

    @property
    def verifying_keys(self) -> tuple[VerifyingKey, ...]:
        keys = list(self._verifying_keys)
        if self._signing_key is not None:
            keys.insert(0, self._signing_key.public())
        return tuple(keys)

    def receipt(self, ref: str | int) -> str:
        """A signed JWT receipt (EdDSA by default) for an event: Kantara 1.1 fields plus the
        event's sequence number and chain value, so it also anchors the chain."""
        from guardrail.consent.receipts import sign_receipt

        return sign_receipt(self, self._row(ref))

    def kantara(self, ref: str | int) -> dict[str, Any]:
        """The Kantara Consent Receipt v1.1 JSON view of an event."""
        from guardrail.consent.receipts import kantara_view

        return kantara_view(self.catalog, self._row(ref)).model_dump(mode="json", exclude_none=True)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys that verify this registry's receipts (JWKS)."""
        from guardrail.crypto import jwks

        return jwks(self.verifying_keys)

    def checkpoint(self) -> str:
        """A signed JWT of the current head: keep it elsewhere, pass it to ``verify`` later."""
        from guardrail.consent.receipts import sign_checkpoint

        return sign_checkpoint(self)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _subject(subject: object) -> str:
    if isinstance(subject, int) and not isinstance(subject, bool):
        subject = str(subject)
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 256:
        raise InputError(
            "a subject identifier must be a non-empty string of at most 256 characters",
            hint="pass the shop's customer id",
        )
    return subject.strip()


def _is_event_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdefABCDEF" for c in text)


def _request(**fields: Any) -> ConsentRequest:
    """Build a request from keyword arguments; a bad field is an InputError naming it."""
    clean = {k: v for k, v in fields.items() if v is not None}
    if "subject" in clean:
        clean["subject"] = _subject(clean["subject"])
    if "guardian" in clean:
        clean["guardian"] = _subject(clean["guardian"])
    try:
        return ConsentRequest.model_validate(clean)
    except ValidationError as exc:
        raise request_error(exc) from None


def request_error(exc: ValidationError) -> InputError:
    first = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "request"
    msg = str(first["msg"]).removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(f"invalid consent event: {where}: {msg}{tail}", hint=_FIELD_HINT)


_FIELD_HINT = (
    "see 'guardrail consent record --help' for the fields and their values "
    f"(actions: {', '.join(a.value for a in ConsentAction if a is not ConsentAction.ERASED)})"
)
