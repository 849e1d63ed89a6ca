"""NIST OSCAL 1.0.6 assessment results (JSON) for GRC tools.

One ``result`` per framework. Its ``reviewed-controls`` are the controls the law's pack cites;
each control becomes an OSCAL ``finding`` whose target (the control's objective) is
``satisfied`` or ``not-satisfied``; each failing target is an ``observation`` (method TEST,
masked evidence as ``relevant-evidence``) and a ``risk`` (``open``, or ``deviation-approved``
when a waiver accepts it, with the waiver's owner and expiry). Manual controls are observed
by EXAMINE and stay ``not-satisfied`` until attested.

guardrail has no OSCAL assessment plan: ``import-ap`` points at the stack manifest, which,
with the framework packs named in the metadata, defines what was assessed. Every UUID is a
version-5 UUID derived from the run's inputs and audit time, so the same inputs with the same
``--at`` give the same document.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from guardrail.model.audit import (
    AuditResult,
    Control,
    ControlResult,
    ControlStatus,
    Finding,
    FindingStatus,
)
from guardrail.model.common import Lang
from guardrail.report._common import (
    Labels,
    evidence_line,
    refs_in,
    run_uuid,
    stable_uuid,
    subject_uuid,
)

__all__ = ["OSCAL_NS", "OSCAL_VERSION", "OscalReporter", "assessment_results"]

OSCAL_VERSION = "1.0.6"
#: Namespace of guardrail's own OSCAL properties.
OSCAL_NS = "https://guardrail.invalid/ns/oscal"


class OscalReporter:
    suffix = ".oscal-ar.json"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        doc = assessment_results(result, lang=lang)
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


_WS = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def _s(text: str) -> str:
    """OSCAL strings: non-empty, no leading/trailing or repeated whitespace, one line.

    Cached: titles, objectives and remediation repeat for every finding of a control.
    """
    out = _WS.sub(" ", text).strip()
    return out or "-"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": OSCAL_NS, "value": _s(value)}


def _dt(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assessment_results(result: AuditResult, *, lang: Lang | str = Lang.EN) -> dict[str, Any]:
    """The OSCAL assessment-results document as a JSON-ready dict."""
    L = Labels(lang)
    run = run_uuid(result)
    # Parties outlive a run: the same organisation keeps its UUID across assessments.
    org_uuid = subject_uuid("party", result.organization)
    tool_uuid = subject_uuid("party", "guardrail")
    frameworks = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
    metadata: dict[str, Any] = {
        "title": _s(f"{L('title')} — {result.organization}"),
        "published": _dt(result.at),
        "last-modified": _dt(result.at),
        "version": _s(result.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")),
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("generator", f"guardrail {result.guardrail_version}"),
            _prop("stack", result.stack),
            _prop("complete", "true" if result.complete else "false"),
            *(_prop("pack", f"{p.id} {p.version}") for p in result.packs),
            *(_prop("input-sha256", f"{i.path} {i.sha256}") for i in result.inputs),
        ],
        "roles": [
            {"id": "prepared-for", "title": _s(L("organization"))},
            {"id": "assessor", "title": "guardrail"},
        ],
        "parties": [
            {"uuid": org_uuid, "type": "organization", "name": _s(result.organization)},
            {"uuid": tool_uuid, "type": "organization", "name": "guardrail (automated assessment)"},
        ],
        "responsible-parties": [
            {"role-id": "prepared-for", "party-uuids": [org_uuid]},
            {"role-id": "assessor", "party-uuids": [tool_uuid]},
        ],
        "remarks": _s(f"{L('disclaimer')} {L('uncertain_note')}"),
    }
    doc = {
        "uuid": stable_uuid(run, "assessment-results"),
        "metadata": metadata,
        "import-ap": {
            "href": result.stack,
            "remarks": "guardrail has no OSCAL assessment plan: the stack manifest and the "
            "framework packs listed in the metadata define what was assessed.",
        },
        "results": [_result(result, fw, L, run) for fw in frameworks],
    }
    return {"assessment-results": doc}


def _result(result: AuditResult, fw: str, L: Labels, ns: uuid.UUID) -> dict[str, Any]:
    titles = {f.id: f for f in result.frameworks}
    info = titles.get(fw)
    applicability = next((a for a in result.applicability if a.framework == fw), None)
    controls = {c.id: c for c in result.controls}
    findings = {f.id: f for f in result.findings}
    reviewed = [
        res
        for res in result.results
        if fw in res.frameworks
        and res.control in controls
        and res.status is not ControlStatus.NOT_APPLICABLE
    ]
    title = f"{fw.upper()} — {L.text(info.title)}" if info else fw.upper()
    if applicability is not None:
        verdict = L("applies") if applicability.applies else L("does_not_apply")
        reasons = " ".join(L.text(r) for r in applicability.reasons)
        description = f"{title}: {verdict}. {reasons}"
    else:
        description = title
    observations: list[dict[str, Any]] = []
    risks: list[dict[str, Any]] = []
    oscal_findings: list[dict[str, Any]] = []
    for res in reviewed:
        control = controls[res.control]
        own = [findings[i] for i in res.findings if i in findings]
        obs_ids = []
        risk_ids = []
        if own:
            for f in own:
                obs = _observation(f, fw, L, result, ns)
                observations.append(obs)
                obs_ids.append(obs["uuid"])
                risk = _risk(f, fw, L, ns, obs["uuid"])
                risks.append(risk)
                risk_ids.append(risk["uuid"])
        else:
            obs = _control_observation(control, res, L, result, ns, fw)
            observations.append(obs)
            obs_ids.append(obs["uuid"])
        oscal_findings.append(_finding(control, res, own, fw, L, ns, obs_ids, risk_ids))
    selection: dict[str, Any]
    if reviewed:
        selection = {"include-controls": [{"control-id": res.control} for res in reviewed]}
    else:
        selection = {"description": "-"}
    out: dict[str, Any] = {
        "uuid": _uuid(ns, "result", fw),
        "title": _s(title),
        "description": _s(description),
        "start": _dt(result.started),
        "end": _dt(result.finished),
        "props": [
            _prop("framework", fw),
            *([_prop("framework-version", info.version)] if info else []),
            *(
                [_prop("applies", "true" if applicability.applies else "false")]
                if applicability
                else []
            ),
        ],
        "reviewed-controls": {"control-selections": [selection]},
    }
    if observations:
        out["observations"] = observations
    if risks:
        out["risks"] = risks
    if oscal_findings:
        out["findings"] = oscal_findings
    if result.errors:
        out["remarks"] = _s(
            f"{L('run_errors')}: " + "; ".join(f"{e.stage}: {e.message}" for e in result.errors)
        )
    return out


def _uuid(ns: uuid.UUID, *parts: str) -> str:
    return str(uuid.uuid5(ns, "\x00".join(parts)))


def _observation(
    f: Finding, fw: str, L: Labels, result: AuditResult, ns: uuid.UUID
) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "uuid": _uuid(ns, "observation", fw, f.id),
        "title": _s(f"{f.control} {L.text(f.title)} — {f.target}"),
        "description": _s(L.text(f.message)),
        "props": [
            _prop("finding-id", f.id),
            _prop("severity", f.severity.value),
            _prop("target", str(f.target)),
            _prop("status", f.status.value),
            *(_prop("article", str(r)) for r in refs_in(f, fw)),
        ],
        "methods": ["TEST"],
        "types": ["finding"],
        "collected": _dt(result.at),
    }
    evidence = [{"description": _s(evidence_line(e, L.lang))} for e in f.evidence]
    if f.location is not None:
        evidence.append({"description": _s(f"{L('location')}: {f.location}")})
    if evidence:
        obs["relevant-evidence"] = evidence
    return obs


def _control_observation(
    control: Control, res: ControlResult, L: Labels, result: AuditResult, ns: uuid.UUID, fw: str
) -> dict[str, Any]:
    manual = res.status is ControlStatus.MANUAL
    note = L.text(res.note) if res.note else ""
    if res.status is ControlStatus.PASS:
        text = f"{res.targets_checked} {L('targets_passed')}"
    else:
        text = L("status_" + res.status.value)
    return {
        "uuid": _uuid(ns, "observation", fw, control.id),
        "title": _s(f"{control.id} {L.text(control.title)}"),
        "description": _s(f"{text}. {note}" if note else text),
        "props": [_prop("control-status", res.status.value)],
        "methods": ["EXAMINE"] if manual else ["TEST"],
        "types": ["control-objective"],
        "collected": _dt(result.at),
    }


def _risk(f: Finding, fw: str, L: Labels, ns: uuid.UUID, obs: str) -> dict[str, Any]:
    waived = f.status is FindingStatus.WAIVED
    risk: dict[str, Any] = {
        "uuid": _uuid(ns, "risk", fw, f.id),
        "title": _s(f"{f.control} {L.text(f.title)} — {f.target}"),
        "description": _s(L.text(f.message)),
        "statement": _s(f"{L('remediation')}: {L.text(f.remediation)}"),
        "props": [_prop("severity", f.severity.value), _prop("finding-id", f.id)],
        "status": "deviation-approved" if waived else "open",
        "related-observations": [{"observation-uuid": obs}],
    }
    if f.waiver is not None:
        risk["props"] += [
            _prop("waiver-owner", f.waiver.owner),
            _prop("waiver-expires", f.waiver.expires.isoformat()),
            _prop("waiver-reason", f.waiver.reason),
        ]
    return risk


def _finding(
    control: Control,
    res: ControlResult,
    own: list[Finding],
    fw: str,
    L: Labels,
    ns: uuid.UUID,
    obs_ids: list[str],
    risk_ids: list[str],
) -> dict[str, Any]:
    if res.status is ControlStatus.PASS:
        state, reason = "satisfied", "pass"
    elif res.status is ControlStatus.FAIL:
        state, reason = "not-satisfied", "fail"
    else:  # manual (not attested), waived (accepted risk), error (no result)
        state, reason = "not-satisfied", "other"
    refs = refs_in(control, fw)
    out: dict[str, Any] = {
        "uuid": _uuid(ns, "finding", fw, control.id),
        "title": _s(f"{control.id} {L.text(control.title)}"),
        "description": _s(L.text(control.objective)),
        "props": [
            _prop("control-status", res.status.value),
            _prop("severity", control.severity.value),
            _prop("targets-checked", str(res.targets_checked)),
            *(_prop("article", str(r)) for r in refs),
        ],
        "target": {
            "type": "objective-id",
            "target-id": control.id,
            "title": _s(L.text(control.title)),
            "status": {"state": state, "reason": reason},
        },
        "related-observations": [{"observation-uuid": u} for u in obs_ids],
    }
    if risk_ids:
        out["related-risks"] = [{"risk-uuid": u} for u in risk_ids]
    if res.note:
        out["remarks"] = _s(L.text(res.note))
    if own and res.status is not ControlStatus.PASS:
        out["target"]["description"] = _s(
            f"{L('open_findings')}: {sum(1 for f in own if f.gating)}"
        )
    return out
