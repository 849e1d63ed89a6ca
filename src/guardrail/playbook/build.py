"""Assembling the playbook: the obligations plus the response steps by NIST SP 800-61r3 /
CSF 2.0 phase, each with an owner from the manifest's incident team and a due time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Literal

from pydantic import Field

from guardrail import __version__
from guardrail.model._base import ValueObject
from guardrail.model.common import LocalizedText, Region
from guardrail.model.incident import (
    AffectedData,
    AffectedPersons,
    AffectedScope,
    Encryption,
    Incident,
    IncidentSummary,
    IncidentType,
    Obligation,
    ObligationId,
    ObligationStatus,
    Owner,
    Phase,
    Playbook,
    Step,
    Unknown,
)
from guardrail.model.inventory import InventoryField
from guardrail.model.stack import Contact, Stack
from guardrail.playbook._text import T
from guardrail.playbook.law import region_timezone
from guardrail.playbook.obligations import decide
from guardrail.resources import data_dir
from guardrail.yamlio import parse_yaml, validate

__all__ = ["build_playbook", "mask_text", "scenario_incident"]

_PHASE_ORDER = {p: i for i, p in enumerate(Phase)}


class _Due(ValueObject):
    from_: Literal["discovery", "awareness", "handling_end"] = Field(alias="from")
    hours: Annotated[int, Field(ge=0)]

    model_config = ValueObject.model_config | {"populate_by_name": True}


class _StepSpec(ValueObject):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    phase: Phase
    csf: str
    owner: str
    types: tuple[IncidentType, ...] = tuple(IncidentType)
    when: Literal["always", "breach", "not_breach", "key_at_risk", "unregistered"] = "always"
    due: _Due | None = None
    activity: str = "step-sequence"
    title: LocalizedText
    detail: LocalizedText
    evidence: tuple[LocalizedText, ...] = ()
    measure: LocalizedText | None = None


class _Catalog(ValueObject):
    schema_version: Literal[1]
    steps: tuple[_StepSpec, ...]


@cache
def _catalog() -> tuple[_StepSpec, ...]:
    path = data_dir("templates").joinpath("playbook", "steps.yaml")
    located = parse_yaml(path.read_text("utf-8"), "reports/templates/playbook/steps.yaml")
    return validate(_Catalog, located, what="playbook steps").steps


def mask_text(text: str | None) -> str | None:
    """``text`` with every detected personal-data value replaced by its display mask."""
    if not text:
        return text
    from guardrail.detect import scan_text
    from guardrail.masking import mask_for_entity

    out: list[str] = []
    pos = 0
    for d in sorted(scan_text(text), key=lambda d: d.start):
        if d.start < pos:
            continue
        out.append(text[pos : d.start])
        out.append(mask_for_entity(d.entity, text[d.start : d.end]))
        pos = d.end
    out.append(text[pos:])
    return "".join(out)


_OFFICER_ROLES = {
    "dpo": "dpo",
    "pi_protection_officer": "pi_protection_officer",
    "pipo": "pi_protection_officer",
}


def _owner(role: str, stack: Stack) -> Owner:
    ir = stack.incident_response
    if ir is not None:
        for c in ir.team:
            if c.role.lower() == role:
                return Owner(role=role, name=c.name, contact=c.contact)
    officer_field = _OFFICER_ROLES.get(role)
    if officer_field is not None:
        officer = getattr(stack.officers, officer_field)
        if officer is not None:
            return Owner(role=role, name=officer.name, contact=officer.contact)
    if role == "incident_lead" and ir is not None and ir.owner:
        return Owner(role=role, name=ir.owner)
    return Owner(role=role)


def _team(stack: Stack) -> tuple[Contact, ...]:
    ir = stack.incident_response
    return ir.team if ir is not None else ()


def _applies(spec: _StepSpec, incident: Incident, key_at_risk: bool, registered: bool) -> bool:
    if incident.type not in spec.types:
        return False
    return {
        "always": True,
        "breach": incident.is_breach,
        "not_breach": not incident.is_breach,
        "key_at_risk": key_at_risk,
        "unregistered": not registered,
    }[spec.when]


def _due(spec: _StepSpec, incident: Incident) -> tuple[datetime | None, LocalizedText | None]:
    if spec.due is None:
        return None, None
    h = spec.due.hours
    start = {
        "discovery": incident.discovered_at,
        "awareness": incident.awareness,
        "handling_end": incident.handling_ended_at,
    }[spec.due.from_]
    words = {
        "discovery": ("discovery", "发现"),
        "awareness": ("awareness", "知悉"),
        "handling_end": ("the end of handling", "处置结束"),
    }[spec.due.from_]
    rule = T(
        f"internal target: {_hours_en(h)} after {words[0]}",
        f"内部目标：{words[1]}后{_hours_zh(h)}内",
    )
    if start is None:
        return None, rule
    return start.astimezone(UTC) + timedelta(hours=h), rule


def _hours_en(h: int) -> str:
    if h % 24 == 0 and h >= 48:
        return f"{h // 24} days"
    return f"{h} h"


def _hours_zh(h: int) -> str:
    if h % 24 == 0 and h >= 48:
        return f"{h // 24}天"
    return f"{h}小时"


def _notification_step(o: Obligation, stack: Stack) -> Step:
    summary = o.id is ObligationId.IRM_SUMMARY
    evidence = [
        T(
            "The notice as sent, with the time it was sent and proof of delivery",
            "实际发出的通知文本、发送时间及送达证明",
        )
    ]
    if o.status is ObligationStatus.CONDITIONAL:
        evidence.append(
            T(
                "The decision on the open conditions, with its reasoning and time",
                "对待定条件作出的决定、理由及时间",
            )
        )
    detail_en = " ".join(r.en for r in o.reasons)
    detail_zh = "".join(r.zh for r in o.reasons)
    if o.conditions:
        detail_en += " Only if: " + "; ".join(c.text.en for c in o.conditions) + "."
        detail_zh += "前提条件：" + "；".join(c.text.zh for c in o.conditions) + "。"
    return Step(
        id=f"notify-{o.id.value}",
        phase=Phase.IMPROVE if summary else Phase.NOTIFY,
        csf="ID.IM" if summary else "RS.CO",
        title=o.title,
        detail=T(detail_en, detail_zh),
        owner=_owner(o.owner_role, stack),
        due=o.due,
        legal=o.deadline is not None,
        obligation=o.id,
        refs=o.refs,
        evidence=tuple(evidence),
        activity="deliver-content",
    )


def build_playbook(
    incident: Incident,
    stack: Stack,
    *,
    at: datetime,
    inventory: Sequence[InventoryField] = (),
    scenario: bool = False,
) -> Playbook:
    """The playbook for ``incident``: obligations, steps, evidence, open questions.

    ``at`` is the generation time (recorded, never used to decide anything).
    """
    if at.tzinfo is None:
        raise ValueError("'at' must be timezone-aware")
    decision = decide(incident, stack, inventory=inventory)
    obligations = decision.obligations
    active = [o for o in obligations if o.status.active]
    registered = any(o.id is ObligationId.BREACH_REGISTER for o in active)
    key_at_risk = (
        any(
            x.protection in ("encrypted", "tokenized") and x.unintelligible is not True
            for x in decision.data.data
        )
        or incident.encryption.key_exposed is True
    )
    steps: list[Step] = []
    for spec in _catalog():
        if not _applies(spec, incident, key_at_risk, registered):
            continue
        due, rule = _due(spec, incident)
        steps.append(
            Step(
                id=spec.id,
                phase=spec.phase,
                csf=spec.csf,
                title=spec.title,
                detail=spec.detail,
                owner=_owner(spec.owner, stack),
                due=due,
                due_rule=rule,
                evidence=spec.evidence,
                activity=spec.activity,
                measure=spec.measure,
            )
        )
    notices = [o for o in active if o.notice is not None]
    if notices:
        first = min((o.due for o in notices if o.due is not None), default=None)
        steps.append(
            Step(
                id="prepare-notices",
                phase=Phase.NOTIFY,
                csf="RS.CO",
                title=T(
                    "Prepare the notices from the templates and have them reviewed",
                    "依据模板起草通知并完成审核",
                ),
                detail=T(
                    "Fill in the bracketed parts of the templates below, check each against its "
                    "mandatory content, and get legal sign-off before the first deadline.",
                    "填写下方模板中方括号内的内容，逐项核对法定必备内容，并在最早期限前完成法务审核。",
                ),
                owner=_owner("legal", stack),
                due=first,
                due_rule=T("before the first notification deadline", "早于最早的通知期限"),
                evidence=(T("Approved notice texts", "经审核的通知文本"),),
                activity="compose-content",
            )
        )
    steps += [_notification_step(o, stack) for o in active]
    far = datetime.max.replace(tzinfo=UTC)
    steps.sort(
        key=lambda s: (
            _PHASE_ORDER[s.phase],
            (s.due or far) if s.phase is Phase.NOTIFY else far,
        )
    )
    unknowns = list(decision.unknowns)
    for role in sorted({s.owner.role for s in steps if s.owner.name is None}):
        unknowns.append(
            Unknown(
                id=f"owner-{role}",
                text=T(
                    f"Who holds the '{role}' role? Add it to incident_response.team.",
                    f"由谁担任“{role}”角色？请在 incident_response.team 中添加。",
                ),
            )
        )
    summary = IncidentSummary(
        id=incident.id,
        type=incident.type,
        title=mask_text(incident.title),
        description=mask_text(incident.description),
        discovered_at=incident.discovered_at.astimezone(UTC),
        aware_at=incident.awareness.astimezone(UTC),
        occurred_from=_utc(incident.occurred_from),
        occurred_until=_utc(incident.occurred_until),
        contained_at=_utc(incident.contained_at),
        handling_ended_at=_utc(incident.handling_ended_at),
        systems=incident.affected.systems,
        datasets=tuple(f"{d.id}.{ds.name}" for d, ds in decision.data.datasets),
        role=incident.role,
        controller=incident.controller,
        vendor=incident.vendor,
        law_enforcement_delay=incident.law_enforcement_delay,
        scenario=scenario,
    )
    return Playbook(
        guardrail_version=__version__,
        generated_at=at.astimezone(UTC),
        organization=stack.organization.name,
        timezone=region_timezone(stack.organization.established_in[0]),
        incident=summary,
        assessment=decision.assessment,
        obligations=obligations,
        steps=tuple(steps),
        team=_team(stack),
        unknowns=tuple(unknowns),
    )


def _utc(dt: datetime | None) -> datetime | None:
    return dt.astimezone(UTC) if dt is not None else None


def scenario_incident(stack: Stack, kind: IncidentType, at: datetime) -> Incident:
    """A worst-case incident of ``kind`` for the pre-generated library: every datastore, every
    region the organisation serves or is established in (counts unknown), keys' fate unknown.
    Obligations that depend on the unknowns stay conditional, so every clock is encoded."""
    regions: dict[Region, int | None] = {}
    for r in (*stack.organization.customers_in, *stack.organization.established_in):
        regions.setdefault(r, None)
    minors = None if stack.organization.offers_services_to_children else False
    return Incident(
        id=f"library-{kind.value.replace('_', '-')}",
        type=kind,
        discovered_at=at,
        aware_at=at,
        affected=AffectedScope(datastores=tuple(d.id for d in stack.datastores)),
        persons=AffectedPersons(by_region=regions, minors=minors),
        data=AffectedData(complete=False),
        encryption=Encryption(encrypted=None, key_exposed=None)
        if kind is IncidentType.LOST_DEVICE
        else Encryption(encrypted=False, key_exposed=None),
    )
