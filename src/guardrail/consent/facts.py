"""Consent facts for the audit: how much processing valid consent covers, and where it fails.

    facts = consent_facts(
        registry,
        at=datetime(2026, 11, 22, tzinfo=UTC),
        processing={"marketing": customer_ids_on_the_mailing_list},
    )
    facts.purpose("marketing").coverage                    # 0.41
    facts.purpose("marketing").withdrawals_not_propagated  # 37

``processing`` maps a purpose to the raw subject identifiers the shop *is* processing for it
(e.g. customers flagged for marketing, customers in the analytics table). With it, coverage is
the share of processed subjects with valid consent, and withdrawals or opt-outs that did not
reach the processing system are counted; without it, coverage is the share of the subjects the
registry knows. Everything returned is a count: no identity leaves this function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from guardrail.consent.catalog import CompiledCatalog, CompiledPurpose
from guardrail.consent.events import to_us
from guardrail.consent.state import derive
from guardrail.errors import InputError
from guardrail.model.consent import (
    ConsentFacts,
    ConsentState,
    Lifecycle,
    MissingReason,
    PurposeConsentFacts,
    ReasonCount,
)

if TYPE_CHECKING:
    from guardrail.consent.registry import ConsentRegistry

__all__ = ["consent_facts"]


@dataclass
class _Tally:
    purpose: CompiledPurpose
    processed: set[str] | None
    subjects: int = 0
    valid: int = 0
    reasons: dict[MissingReason, int] = field(default_factory=dict)
    separate_gaps: int = 0
    minors_without_guardian: int = 0
    despite_gpc: int = 0
    processed_seen: int = 0
    processed_valid: int = 0
    withdrawals_not_propagated: int = 0
    gpc_not_honoured: int = 0
    opt_outs_not_honoured: int = 0


def consent_facts(
    registry: ConsentRegistry,
    *,
    at: datetime,
    purposes: Iterable[str] | None = None,
    processing: Mapping[str, Iterable[str | int]] | None = None,
    verify: bool = False,
) -> ConsentFacts:
    """Counts of consent coverage and gaps per purpose at ``at`` (see the module doc)."""
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InputError("at= must be an aware datetime")
    catalog = registry._compiled
    wanted = list(purposes) if purposes is not None else list(catalog.purposes)
    compiled = [registry._purpose(p) for p in wanted]
    processing = processing or {}
    for p in processing:
        registry._purpose(p)
    tallies = {
        c.id: _Tally(
            c,
            {registry.pseudonym(str(s)) for s in processing[c.id]} if c.id in processing else None,
        )
        for c in compiled
    }
    at_us = to_us(at)
    subjects = 0
    gpc_subjects = 0
    unknown: set[str] = set()
    known = set(catalog.purposes)
    for pseudonym, rows in registry.store.scan_subjects():
        live = [r for r in rows if r.occurred_at <= at_us]
        if not live:
            continue
        subjects += 1
        if any(r.action == "gpc" or r.gpc for r in live):
            gpc_subjects += 1
        mentioned = {r.purpose for r in live if r.purpose is not None}
        unknown.update(mentioned - known)
        for tally in tallies.values():
            purpose = tally.purpose
            has_events = purpose.id in mentioned
            in_processing = tally.processed is not None and pseudonym in tally.processed
            if not has_events and not in_processing:
                continue
            state = derive(live, purpose, catalog, at, at_us)
            if has_events:
                _count(tally, state, catalog, purpose)
            if in_processing:
                _count_processed(tally, state)
    # Processed subjects the registry has never heard of: no consent at all.
    for tally in tallies.values():
        if tally.processed is None:
            continue
        unseen = len(tally.processed) - tally.processed_seen
        if unseen > 0 and not tally.purpose.consent_based:
            tally.processed_valid += unseen  # nothing was needed and nothing was refused
    chain_ok: bool | None = None
    chain_problems = 0
    if verify:
        report = registry.verify()
        chain_ok, chain_problems = report.ok, len(report.problems)
    events, _ = registry.store.head()
    return ConsentFacts(
        at=at,
        events=events,
        subjects=subjects,
        chain_verified=chain_ok,
        chain_problems=chain_problems,
        gpc_subjects=gpc_subjects,
        unknown_purposes=tuple(sorted(unknown)),
        purposes=tuple(_facts(t) for t in tallies.values()),
    )


def _count(
    tally: _Tally, state: ConsentState, catalog: CompiledCatalog, purpose: CompiledPurpose
) -> None:
    tally.subjects += 1
    if state.valid:
        tally.valid += 1
    elif state.reason is not None:
        tally.reasons[state.reason] = tally.reasons.get(state.reason, 0) + 1
    if state.lifecycle is Lifecycle.GIVEN:
        if purpose.separate_required and not state.separate_consent:
            tally.separate_gaps += 1
        if (
            state.minor_age is not None
            and state.minor_age < catalog.guardian_age(state.region, purpose)
            and not state.guardian
        ):
            tally.minors_without_guardian += 1
        if state.collected_with_gpc and purpose.sale_or_share:
            tally.despite_gpc += 1


def _count_processed(tally: _Tally, state: ConsentState) -> None:
    tally.processed_seen += 1
    if state.valid:
        tally.processed_valid += 1
    if state.lifecycle is Lifecycle.WITHDRAWN:
        tally.withdrawals_not_propagated += 1
    if tally.purpose.sale_or_share and state.opted_out:
        if state.gpc:
            tally.gpc_not_honoured += 1
        else:
            tally.opt_outs_not_honoured += 1


def _facts(t: _Tally) -> PurposeConsentFacts:
    p = t.purpose
    processed = len(t.processed) if t.processed is not None else None
    if processed is not None:
        coverage = t.processed_valid / processed if processed else None
    else:
        coverage = t.valid / t.subjects if t.subjects else None
    return PurposeConsentFacts(
        purpose=p.id,
        consent_required=p.consent_based,
        separate_consent_required=p.separate_required,
        sale_or_share=p.sale_or_share,
        subjects=t.subjects,
        valid=t.valid,
        processed=processed,
        processed_with_valid_consent=t.processed_valid if processed is not None else None,
        coverage=coverage,
        missing=tuple(
            ReasonCount(reason=r, subjects=n)
            for r, n in sorted(t.reasons.items(), key=lambda kv: kv[0].value)
        ),
        separate_consent_gaps=t.separate_gaps,
        withdrawals_not_propagated=t.withdrawals_not_propagated if processed is not None else None,
        minors_without_guardian=t.minors_without_guardian,
        gpc_not_honoured=t.gpc_not_honoured if processed is not None else None,
        opt_outs_not_honoured=t.opt_outs_not_honoured if processed is not None else None,
        consents_despite_gpc=t.despite_gpc,
    )
