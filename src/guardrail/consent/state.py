"""Deriving a subject's consent state for one purpose at one instant from its events.

State is never stored: it is folded from the append-only events at the instant asked for, so
``status(..., at=t)`` answers what was true at ``t``. The rules, in order:

1. The last consent event for the purpose (given / refused / withdrawn / expired) decides the
   lifecycle; a given consent past its validity is expired (ISO/IEC TS 27560 validity).
2. If the purpose relies on consent (PIPL Art. 13(1)(1), GDPR Art. 6(1)(a), separate consent),
   or sells/shares the data of a consumer under 16 (Cal. Civ. Code §1798.120(c)), a valid
   consent must be *given*, under a notice at least as recent as the last one that changed
   the purpose (PIPL Art. 14 ¶2), with separate consent where the purpose needs it (PIPL Arts.
   23, 25, 26, 29, 39) and a guardian's consent below the applicable age (PIPL Art. 31, GDPR
   Art. 8(1), §1798.120(c)).
3. Selling or sharing stops at an opt-out (§1798.120(a)) or an opt-out preference signal
   (11 CCR §7025(b)) - an explicit ``gpc`` event, or any event received with ``Sec-GPC: 1`` -
   and only a later explicit ``opt_in`` (sent without the signal) lifts either.
4. A request to limit sensitive PI (§1798.121 ⚠) stops purposes that use sensitive PI beyond
   what the service needs, until the subject consents to that purpose again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from guardrail.consent.catalog import CompiledCatalog, CompiledPurpose
from guardrail.consent.events import from_us, to_us
from guardrail.model._base import trusted_constructor
from guardrail.model.consent import ConsentState, Lifecycle, MissingReason

__all__ = ["STATE_COLUMNS", "StateRow", "StateTuple", "derive"]


class StateRow(NamedTuple):
    """The columns state derivation reads (the store selects exactly these)."""

    seq: int
    purpose: str | None
    action: str
    occurred_at: int
    notice_version: str | None
    separate_consent: int
    gpc: int
    region: str | None
    minor_age: int | None
    guardian: str | None
    expires_at: int | None


STATE_COLUMNS = StateRow._fields

#: A plain row of the same columns, as the driver returns it (a look-up folds these directly:
#: building a ``StateRow`` per event costs more than reading it).
StateTuple = tuple[
    int, str | None, str, int, str | None, int, int, str | None, int | None, str | None, int | None
]

_CONSENT = frozenset({"given", "refused", "withdrawn", "expired"})
_LIFECYCLE = {
    "given": Lifecycle.GIVEN,
    "refused": Lifecycle.REFUSED,
    "withdrawn": Lifecycle.WITHDRAWN,
    "expired": Lifecycle.EXPIRED,
}
_EPOCH = from_us(0)
#: States are folded from the registry's own rows: built without re-validation (see
#: ``trusted_constructor``; ``tests/consent/test_state.py`` compares with validated states).
_new_state = trusted_constructor(
    ConsentState,
    {
        "purpose": "marketing",
        "at": _EPOCH,
        "valid": True,
        "lifecycle": Lifecycle.GIVEN,
        "reason": None,
        "consent_required": True,
        "since": _EPOCH,
        "event_seq": 1,
        "notice_version": "2026-03",
        "separate_consent": True,
        "expires_at": None,
        "opted_out": False,
        "gpc": False,
        "sensitive_limited": False,
        "minor_age": None,
        "region": "CN",
        "guardian": False,
        "collected_with_gpc": False,
    },
)
_MISSING = {
    Lifecycle.NEVER_GIVEN: MissingReason.NEVER_GIVEN,
    Lifecycle.REFUSED: MissingReason.REFUSED,
    Lifecycle.WITHDRAWN: MissingReason.WITHDRAWN,
    Lifecycle.EXPIRED: MissingReason.EXPIRED,
}


def derive(
    rows: Iterable[StateTuple],
    purpose: CompiledPurpose,
    catalog: CompiledCatalog,
    at: datetime,
    at_us: int | None = None,
) -> ConsentState:
    """Fold ``rows`` (one subject's events, ordered by occurrence then sequence number) into
    the state of ``purpose`` at ``at``. Rows after ``at`` are ignored."""
    if at_us is None:
        at_us = to_us(at)
    pid = purpose.id
    sale_or_share = purpose.sale_or_share
    last: StateTuple | None = None
    opted_out = gpc = limited = False
    region: str | None = None
    for r in rows:
        # Index access (StateRow column order) is cheaper than attribute access per row.
        if r[3] > at_us:  # occurred_at
            continue
        if r[7] is not None:  # region
            region = r[7]
        action = r[2]
        row_purpose = r[1]
        row_gpc = r[6]
        if row_gpc and sale_or_share:
            # A signal received with any event opts the browser's user out of every sale and
            # share, and wins over a conflicting choice made at the same time (11 CCR §7025(c)).
            opted_out = gpc = True
        if row_purpose == pid and action in _CONSENT:
            last = r
            if action == "given":
                limited = False  # consenting again lifts a limit for this purpose
        elif row_purpose is None or row_purpose == pid:
            if action == "opt_out" or action == "gpc":
                opted_out = True
                gpc = gpc or action == "gpc" or bool(row_gpc)
            elif action == "opt_in" and not row_gpc:
                opted_out = gpc = False
            elif action == "limit_sensitive":
                limited = True

    # What stops processing whatever the consent says (rules 3 and 4); a missing or invalid
    # consent (rule 2) is reported first.
    blocked: MissingReason | None = None
    if sale_or_share and opted_out:
        blocked = MissingReason.GPC_OPT_OUT if gpc else MissingReason.OPTED_OUT
    elif limited and purpose.limitable:
        blocked = MissingReason.SENSITIVE_LIMITED

    if last is None:
        # Never given: consent is required if the purpose relies on it.
        required = purpose.consent_based
        reason: MissingReason | None = MissingReason.NEVER_GIVEN if required else blocked
        return _new_state(
            {
                "purpose": pid,
                "at": at,
                "valid": reason is None,
                "lifecycle": Lifecycle.NEVER_GIVEN,
                "reason": reason,
                "consent_required": required,
                "since": None,
                "event_seq": None,
                "notice_version": None,
                "separate_consent": False,
                "expires_at": None,
                "opted_out": opted_out,
                "gpc": gpc,
                "sensitive_limited": limited and purpose.limitable,
                "minor_age": None,
                "region": region,
                "guardian": False,
                "collected_with_gpc": False,
            }
        )

    # The deciding consent event, unpacked in StateRow column order.
    (
        seq,
        _,
        action,
        occurred_us,
        notice,
        separate,
        given_gpc,
        last_region,
        minor,
        guardian,
        expires_us,
    ) = last
    lifecycle = _LIFECYCLE[action]
    if last_region is not None:
        region = last_region
    if lifecycle is not Lifecycle.GIVEN:
        expires_us = None  # only a given consent expires
    else:
        if expires_us is None:
            expires_us = purpose.expiry_us(occurred_us)
        if expires_us is not None and at_us >= expires_us:
            lifecycle = Lifecycle.EXPIRED

    required = purpose.consent_based or (
        minor is not None and catalog.minor_needs_opt_in(region, purpose, minor)
    )
    reason = None
    if required:
        if lifecycle is not Lifecycle.GIVEN:
            reason = _MISSING[lifecycle]
        else:
            need = purpose.required_notice(at_us)
            if need >= 0 and catalog.notice_index.get(notice or "", -1) < need:
                reason = MissingReason.NOTICE_CHANGED
            elif purpose.separate_required and not separate:
                reason = MissingReason.SEPARATE_CONSENT_MISSING
            elif (
                minor is not None
                and guardian is None
                and minor < catalog.guardian_age(region, purpose)
            ):
                reason = MissingReason.GUARDIAN_NEEDED
    if reason is None:
        reason = blocked

    return _new_state(
        {
            "purpose": pid,
            "at": at,
            "valid": reason is None,
            "lifecycle": lifecycle,
            "reason": reason,
            "consent_required": required,
            "since": from_us(occurred_us),
            "event_seq": seq,
            "notice_version": notice,
            "separate_consent": bool(separate),
            "expires_at": from_us(expires_us) if expires_us is not None else None,
            "opted_out": opted_out,
            "gpc": gpc,
            "sensitive_limited": limited and purpose.limitable,
            "minor_age": minor,
            "region": region,
            "guardian": guardian is not None,
            # the deciding consent was given while the browser sent Sec-GPC: 1
            "collected_with_gpc": bool(given_gpc) and action == "given",
        }
    )
