"""OCSF Compliance Finding events (class 2003) for security data lakes and SIEMs.

Follows Prowler's mapping (prowler/lib/outputs/compliance/universal/ocsf_compliance.py): one
event per finding × framework requirement, a passing control as one ``Pass`` event, a manual
control as ``Unknown`` (it needs an attestation), a crashed check as ``Warning`` (no result),
and a waived finding with the event status ``Suppressed``. The file is a JSON array of events
(``report.ocsf.json``, one event per line), like Prowler's ``json-ocsf`` output.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from guardrail.model.audit import (
    AuditResult,
    Control,
    ControlResult,
    ControlStatus,
    Finding,
    FindingStatus,
)
from guardrail.model.common import Lang, Severity
from guardrail.report._common import Labels, evidence_line, refs_in

__all__ = ["OCSF_VERSION", "OcsfReporter", "ocsf_events"]

#: The OCSF schema version the events follow.
OCSF_VERSION = "1.5.0"

_CLASS_UID = 2003  # Compliance Finding
_CATEGORY_UID = 2  # Findings
_ACTIVITY_CREATE = 1
_SEVERITY_ID = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
# compliance.status_id: 0 Unknown, 1 Pass, 2 Warning, 3 Fail.
_COMPLIANCE = {
    ControlStatus.PASS: (1, "Pass"),
    ControlStatus.FAIL: (3, "Fail"),
    ControlStatus.WAIVED: (3, "Fail"),
    ControlStatus.MANUAL: (0, "Unknown"),
    ControlStatus.ERROR: (2, "Warning"),
}
_EVENT_NEW = (1, "New")
_EVENT_SUPPRESSED = (3, "Suppressed")


class OcsfReporter:
    suffix = ".ocsf.json"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        events = ocsf_events(result, lang=lang)
        # A JSON array with one event per line: valid JSON for loaders, one line per event
        # for grep and line-oriented shippers, and the C encoder's speed (indent= is not).
        lines = ",\n".join(json.dumps(e, ensure_ascii=False, sort_keys=False) for e in events)
        return ("[\n" + lines + "\n]\n" if events else "[]\n").encode("utf-8")


def ocsf_events(result: AuditResult, *, lang: Lang | str = Lang.EN) -> list[dict[str, Any]]:
    """The Compliance Finding events of a result, as JSON-ready dicts."""
    L = Labels(lang)
    controls = {c.id: c for c in result.controls}
    findings = {f.id: f for f in result.findings}
    versions = {f.id: f.version for f in result.frameworks}
    frameworks = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
    events = []
    for fw in frameworks:
        standard = f"{fw.upper()}-{versions[fw]}" if fw in versions else fw.upper()
        for res in result.results:
            control = controls.get(res.control)
            if control is None or fw not in res.frameworks:
                continue
            if res.status is ControlStatus.NOT_APPLICABLE:
                continue
            own = [findings[i] for i in res.findings if i in findings]
            if own:
                for f in own:
                    events.append(_event(result, L, fw, standard, control, res, f))
            else:
                events.append(_event(result, L, fw, standard, control, res, None))
    return events


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(
    result: AuditResult,
    L: Labels,
    fw: str,
    standard: str,
    control: Control,
    res: ControlResult,
    finding: Finding | None,
) -> dict[str, Any]:
    severity = finding.severity if finding is not None else control.severity
    sev_id, sev_name = _SEVERITY_ID[severity]
    status = ControlStatus.FAIL if finding is not None else res.status
    comp_id, comp_name = _COMPLIANCE.get(status, (99, "Other"))
    waived = finding is not None and finding.status is not FindingStatus.OPEN
    ev_id, ev_name = _EVENT_SUPPRESSED if waived else _EVENT_NEW
    refs = refs_in(finding if finding is not None else control, fw)
    if finding is not None:
        message = L.text(finding.message)
        uid = f"{finding.id}-{fw}"
    else:
        message = (
            L.text(res.note) if res.note else f"{control.id}: {L('status_' + res.status.value)}"
        )
        uid = f"{control.id}-{fw}"
    ms = _ms(result.at)
    event: dict[str, Any] = {
        "activity_id": _ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": _CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": _CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": _CLASS_UID * 100 + _ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": ms,
        "time_dt": _iso(result.at),
        "severity_id": sev_id,
        "severity": sev_name,
        "status_id": ev_id,
        "status": ev_name,
        "status_code": status.value.upper(),
        "status_detail": message,
        "message": message,
        "metadata": {
            "version": OCSF_VERSION,
            "event_code": control.id,
            "uid": uid,
            "product": {
                "name": "guardrail",
                "uid": "guardrail",
                "vendor_name": "guardrail",
                "version": result.guardrail_version,
                "lang": L.lang.value,
            },
            "labels": [fw, *(str(r) for r in refs)],
        },
        "finding_info": {
            "uid": uid,
            "title": f"{control.id} {L.text(control.title)}",
            "desc": L.text(control.objective),
            "created_time": ms,
            "created_time_dt": _iso(result.at),
            "types": ["Compliance", fw.upper()],
        },
        "compliance": {
            "standards": [standard],
            "requirements": [str(r) for r in refs],
            "control": control.id,
            "desc": L.text(control.title),
            "status_id": comp_id,
            "checks": [
                {
                    "uid": control.check or control.id,
                    "name": L.text(control.title),
                    "desc": L.text(control.objective),
                    "severity": sev_name,
                    "severity_id": sev_id,
                    "standards": [standard],
                    "status": comp_name,
                    "status_id": comp_id,
                }
            ],
        },
        "remediation": {"desc": L.text(control.remediation)},
        "unmapped": {
            "organization": result.organization,
            "stack": result.stack,
            "framework": fw,
            "control_status": res.status.value,
        },
    }
    if finding is not None:
        event["resources"] = [
            {
                "uid": str(finding.target),
                "name": finding.target.id,
                "type": finding.target.kind,
                **(
                    {"data": {"location": str(finding.location)}}
                    if finding.location is not None
                    else {}
                ),
            }
        ]
        event["remediation"] = {"desc": L.text(finding.remediation)}
        if finding.evidence:
            event["evidences"] = [
                {"name": L.text(e.summary), "data": {"summary": evidence_line(e, L.lang)}}
                for e in finding.evidence
            ]
        event["unmapped"]["finding_id"] = finding.id
        event["unmapped"]["finding_status"] = finding.status.value
        if finding.waiver is not None:
            event["unmapped"]["waiver"] = {
                "owner": finding.waiver.owner,
                "reason": finding.waiver.reason,
                "expires": finding.waiver.expires.isoformat(),
            }
    return event
