"""OASIS CACAO Security Playbooks v2.0 export, and the structural checks the schemas miss.

The workflow follows the playbook's phases: start → detect/analyse/contain actions → a
``parallel`` step with one branch per legal order (PRC, EU, California, …) holding its
notification actions in deadline order → recover → improve → end. Obligations that depend on
unknown facts sit behind an ``if-condition`` on an external playbook variable
(``__affected_persons__:value >= 1000000``); each branch ends in its own ``end`` step.

Clocks are encoded twice, for people and for tools: each notification action carries its
legal window as ``timeout`` (milliseconds) and an external reference
``guardrail-clock:<obligation>:<ISO 8601 duration or timing word>``; the playbook's ``labels``
list the same ``clock:<obligation>:<…>`` values. :func:`check_cacao` verifies a document's
graph (links resolve, every branch ends in its own end step, agents and targets are defined,
no unknown keys) — the official schemas declare draft-07 and so cannot reject unknown keys
(fact base §10.3).

Identifiers are UUIDs in version-4 form derived from the organisation, the incident and the
step, so regenerating a playbook gives the same document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from guardrail.model.common import Lang
from guardrail.model.incident import (
    Condition,
    Obligation,
    Phase,
    Playbook,
    RecipientKind,
    Regime,
    RiskLevel,
    Step,
)
from guardrail.playbook._text import stable_uuid
from guardrail.playbook.render import texts

__all__ = [
    "CLOCK_REF_SOURCE",
    "check_cacao",
    "clock_label",
    "clock_refs",
    "render_cacao",
    "to_cacao",
]

CLOCK_REF_SOURCE = "guardrail"
_REGIME_ORDER = (Regime.PIPL, Regime.GDPR, Regime.CCPA)
_SEVERITY = {RiskLevel.HIGH: 80, RiskLevel.RISK: 50, RiskLevel.UNLIKELY: 20}


def clock_label(o: Obligation) -> str:
    assert o.clock is not None
    return f"clock:{o.id.value}:{o.clock.iso}"


def _ts(pb: Playbook) -> str:
    at = pb.generated_at
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


@dataclass
class _Builder:
    pb: Playbook
    lang: Lang
    workflow: dict[str, dict[str, Any]] = field(default_factory=dict)
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def id(self, kind: str, *parts: str) -> str:
        return f"{kind}--" + stable_uuid(self.pb.organization, self.pb.incident.id, kind, *parts)

    # -- agents and targets ------------------------------------------------------------------

    def agent(self, step: Step) -> str:
        o = step.owner
        key = self.id("individual", "owner", o.role)
        if key not in self.agents:
            tx = texts(self.lang)
            entry: dict[str, Any] = {
                "type": "individual",
                "name": f"{o.name} ({o.role})" if o.name else f"{o.role} ({tx.ui('unassigned')})",
            }
            if o.contact:
                entry["contact"] = {"contact_details": o.contact}
            self.agents[key] = entry
        return key

    def target(self, o: Obligation) -> str | None:
        r = o.recipient
        if r.kind is RecipientKind.REGISTER:
            return None
        person_like = r.kind in (
            RecipientKind.INDIVIDUALS,
            RecipientKind.GUARDIANS,
            RecipientKind.PUBLIC,
        )
        kind = "group" if person_like else "organization"
        key = self.id(kind, "recipient", o.id.value)
        entry: dict[str, Any] = {"type": kind, "name": texts(self.lang).t(r.name)}
        if r.contact:
            entry["contact"] = {"contact_details": r.contact}
        self.targets[key] = entry
        return key

    # -- steps -------------------------------------------------------------------------------

    def action(self, step: Step, obligation: Obligation | None = None) -> str:
        tx = texts(self.lang)
        key = self.id("action", step.id)
        refs = [{"name": str(r), "source": "guardrail: legal basis"} for r in step.refs]
        desc = tx.t(step.detail)
        node: dict[str, Any] = {"type": "action", "name": tx.t(step.title)}
        if obligation is not None and obligation.clock is not None:
            clock = obligation.clock
            refs.insert(
                0,
                {
                    "name": tx.clock(clock, self.pb),
                    "source": CLOCK_REF_SOURCE,
                    "external_id": f"guardrail-clock:{obligation.id.value}:{clock.iso}",
                },
            )
            span = clock.span
            if span is not None:
                node["timeout"] = int(span.total_seconds() * 1000)
            if obligation.deadline is not None and not self.pb.incident.scenario:
                desc += f" [{tx.ui('due')}: {obligation.deadline:%Y-%m-%dT%H:%MZ}]"
        if desc:
            node["description"] = desc
        if refs:
            node["external_references"] = refs
        node["commands"] = [
            {
                "type": "manual",
                "command": tx.t(step.title) + ". " + tx.t(step.detail),
                "playbook_activity": step.activity,
            }
        ]
        node["agent"] = self.agent(step)
        if obligation is not None:
            target = self.target(obligation)
            if target is not None:
                node["targets"] = [target]
        self.workflow[key] = node
        return key

    def end(self, *parts: str) -> str:
        key = self.id("end", *parts)
        self.workflow[key] = {"type": "end", "name": "end"}
        return key

    def chain(self, keys: list[str], then: str) -> str:
        """Link ``keys`` in order, the last to ``then``; returns the first (or ``then``)."""
        nxt = then
        for key in reversed(keys):
            self.workflow[key]["on_completion"] = nxt
            nxt = key
        return nxt

    def variable(self, c: Condition) -> None:
        name = f"__{c.variable}__"
        self.variables[name] = {
            "type": "bool" if isinstance(c.value, bool) else "integer",
            "description": texts(self.lang).t(c.text),
            "value": None,
            "constant": False,
            "external": True,
        }

    def guarded(self, step: Step, o: Obligation) -> str:
        """The action for ``o``, behind an if-condition when ``o`` is conditional."""
        action = self.action(step, o)
        if not o.conditions:
            return action
        for c in o.conditions:
            self.variable(c)
        key = self.id("if-condition", step.id)
        tx = texts(self.lang)
        self.workflow[action]["on_completion"] = self.end(step.id, "true")
        self.workflow[key] = {
            "type": "if-condition",
            "name": tx.t(step.title) + " — " + tx.ui("conditions"),
            "description": "; ".join(tx.t(c.text) for c in o.conditions),
            "condition": " AND ".join(c.cacao for c in o.conditions),
            "on_true": action,
            "on_false": self.end(step.id, "false"),
        }
        return key


def to_cacao(pb: Playbook, *, lang: Lang | str = Lang.EN) -> dict[str, Any]:
    """The playbook as a CACAO 2.0 document (a JSON-ready dict)."""
    lang = Lang(lang)
    tx = texts(lang)
    b = _Builder(pb, lang)
    by_id = {o.id: o for o in pb.obligations}
    steps_by_phase = {p: [s for s in pb.steps if s.phase is p] for p in Phase}

    def plain(steps: Iterable[Step]) -> list[str]:
        out = []
        for s in steps:
            if s.obligation is not None:
                out.append(b.guarded(s, by_id[s.obligation]))
            else:
                out.append(b.action(s))
        return out

    head = plain(
        [
            *steps_by_phase[Phase.DETECT],
            *steps_by_phase[Phase.ANALYSE],
            *steps_by_phase[Phase.CONTAIN],
        ]
    )
    notify = steps_by_phase[Phase.NOTIFY]
    prepare = [s for s in notify if s.obligation is None]
    branches: dict[Regime, list[Step]] = {}
    for s in notify:
        if s.obligation is not None:
            branches.setdefault(by_id[s.obligation].regime, []).append(s)
    tail = plain([*steps_by_phase[Phase.RECOVER], *steps_by_phase[Phase.IMPROVE]])
    end = b.end("workflow")
    after_notify = b.chain(tail, end)
    regimes = [r for r in _REGIME_ORDER if r in branches]
    if len(regimes) >= 2:
        par = b.id("parallel", "notify")
        heads = []
        for r in regimes:
            keys = plain(branches[r])
            heads.append(b.chain(keys, b.end("branch", r.value)))
        b.workflow[par] = {
            "type": "parallel",
            "name": tx.phase(Phase.NOTIFY),
            "description": "; ".join(tx.regime(r.value) for r in regimes),
            "next_steps": heads,
            "on_completion": after_notify,
        }
        notify_head = par
    elif regimes:
        notify_head = b.chain(plain(branches[regimes[0]]), after_notify)
    else:
        notify_head = after_notify
    first = b.chain(head + plain(prepare), notify_head)
    start = b.id("start", "workflow")
    b.workflow[start] = {
        "type": "start",
        "name": tx.ui("discovered"),
        "on_completion": first,
    }
    # Workflow in a readable order: start first, then insertion order.
    workflow = {start: b.workflow.pop(start), **b.workflow}
    active = [o for o in pb.obligations if o.status.active and o.clock is not None]
    author = "identity--" + stable_uuid(pb.organization, "identity")
    marking = "marking-tlp--" + stable_uuid(pb.organization, pb.incident.id, "tlp")
    created = _ts(pb)
    title = tx.ui("library_title" if pb.incident.scenario else "title")
    doc: dict[str, Any] = {
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "id": "playbook--" + stable_uuid(pb.organization, pb.incident.id, "playbook"),
        "name": f"{title}: {tx.type_name(pb.incident.type.value)} — {pb.incident.id}",
        "description": (pb.incident.title or tx.type_name(pb.incident.type.value))
        + " · "
        + pb.organization,
        "playbook_types": ["notification", "investigation", "mitigation", "remediation"],
        "playbook_activities": sorted(
            {c["playbook_activity"] for n in workflow.values() for c in n.get("commands", ())}
        ),
        "playbook_processing_summary": {
            "manual_playbook": True,
            "parallel_processing": len(regimes) >= 2,
            "if_logic": any(n["type"] == "if-condition" for n in workflow.values()),
            "temporal_logic": any("timeout" in n for n in workflow.values()),
            "data_markings": True,
        },
        "created_by": author,
        "created": created,
        "modified": created,
        "labels": [
            "guardrail",
            "privacy-breach",
            f"incident-type:{pb.incident.type.value}",
            *(f"regime:{r.value}" for r in pb.assessment.regimes),
            *(clock_label(o) for o in active),
        ],
        "external_references": [
            {
                "name": "NIST SP 800-61r3: Incident Response Recommendations and Considerations "
                "for Cybersecurity Risk Management (CSF 2.0 Community Profile)",
                "source": "NIST",
            },
            {
                "name": "OASIS CACAO Security Playbooks Version 2.0",
                "url": "https://docs.oasis-open.org/cacao/security-playbooks/v2.0/"
                "security-playbooks-v2.0.html",
            },
        ],
        "markings": [marking],
        "workflow_start": start,
        "workflow": workflow,
        "agent_definitions": b.agents,
        "data_marking_definitions": {
            marking: {
                "type": "marking-tlp",
                "id": marking,
                "created_by": author,
                "created": created,
                "tlpv2_level": "TLP:AMBER+STRICT",
            }
        },
    }
    if pb.assessment.risk is not None:
        doc["severity"] = _SEVERITY[pb.assessment.risk]
    if b.variables:
        doc["playbook_variables"] = dict(sorted(b.variables.items()))
    if b.targets:
        doc["target_definitions"] = b.targets
    if not b.agents:
        del doc["agent_definitions"]
    return doc


def render_cacao(pb: Playbook, *, lang: Lang | str = Lang.EN) -> str:
    return json.dumps(to_cacao(pb, lang=lang), ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# Structural checks

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_STEP_KEY = re.compile(
    rf"^(start|end|action|playbook-action|parallel|if-condition|while-condition|switch-condition)--{_UUID}$"
)
_COMMON = {
    "type",
    "name",
    "description",
    "external_references",
    "delay",
    "timeout",
    "step_variables",
    "owner",
    "on_completion",
    "on_success",
    "on_failure",
    "step_extensions",
}
_ALLOWED = {
    "start": _COMMON,
    "end": _COMMON - {"on_completion", "on_success", "on_failure"},
    "action": _COMMON | {"commands", "agent", "targets", "in_args", "out_args"},
    "playbook-action": _COMMON | {"playbook_id", "playbook_version", "in_args", "out_args"},
    "parallel": _COMMON | {"next_steps"},
    "if-condition": _COMMON | {"condition", "on_true", "on_false"},
    "while-condition": _COMMON | {"condition", "on_true"},
    "switch-condition": _COMMON | {"switch", "cases"},
}
_COMMAND_KEYS = {
    "type",
    "description",
    "version",
    "playbook_activity",
    "external_references",
    "command",
    "command_b64",
}
_VAR_REF = re.compile(r"__[a-zA-Z_][a-zA-Z0-9_-]*__")


def _links(node: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key in ("on_completion", "on_success", "on_failure", "on_true", "on_false"):
        if key in node:
            out.append((key, node[key]))
    out += [("next_steps", s) for s in node.get("next_steps", ())]
    out += [("cases", s) for s in dict(node.get("cases", {})).values()]
    return out


def check_cacao(doc: dict[str, Any]) -> list[str]:
    """Problems the JSON schemas cannot see, as messages naming the step (empty = sound)."""
    problems: list[str] = []
    workflow = doc.get("workflow")
    if not isinstance(workflow, dict) or not workflow:
        return ["workflow: missing or empty"]
    agents = doc.get("agent_definitions", {}) or {}
    targets = doc.get("target_definitions", {}) or {}
    variables = set(doc.get("playbook_variables", {}) or {})
    start = doc.get("workflow_start")
    starts = [k for k, n in workflow.items() if n.get("type") == "start"]
    if start not in workflow:
        problems.append(f"workflow_start '{start}' is not a step")
    elif workflow[start].get("type") != "start":
        problems.append(f"workflow_start '{start}' is not a start step")
    if len(starts) != 1:
        problems.append(f"workflow has {len(starts)} start steps (one expected)")
    if not any(n.get("type") in ("action", "playbook-action") for n in workflow.values()):
        problems.append("workflow has no action step")
    if doc.get("workflow_exception") is not None and doc["workflow_exception"] not in workflow:
        problems.append("workflow_exception is not a step")
    incoming: dict[str, int] = dict.fromkeys(workflow, 0)
    activities: set[str] = set()
    for key, node in workflow.items():
        kind = node.get("type")
        if not _STEP_KEY.match(key):
            problems.append(f"{key}: step id is not '<type>--<UUIDv4>'")
        elif not key.startswith(f"{kind}--"):
            problems.append(f"{key}: id prefix does not match type '{kind}'")
        allowed = _ALLOWED.get(str(kind))
        if allowed is None:
            problems.append(f"{key}: unknown step type '{kind}'")
            continue
        extra = sorted(set(node) - allowed)
        if extra:
            problems.append(
                f"{key}: unknown propert{'ies' if len(extra) > 1 else 'y'} {', '.join(extra)}"
            )
        links = _links(node)
        if kind == "end":
            if links:
                problems.append(f"{key}: an end step links onward")
        elif kind in ("if-condition", "while-condition"):
            if "on_true" not in node:
                problems.append(f"{key}: {kind} without on_true")
            for var in _VAR_REF.findall(str(node.get("condition", ""))):
                if var not in variables:
                    problems.append(f"{key}: condition uses undefined variable {var}")
        elif kind == "parallel" and len(node.get("next_steps", ())) < 2:
            problems.append(f"{key}: parallel step with fewer than two branches")
        if kind in ("start", "action", "playbook-action") and not any(
            k in node for k in ("on_completion", "on_success")
        ):
            problems.append(f"{key}: no on_completion or on_success")
        if "on_completion" in node and ("on_success" in node or "on_failure" in node):
            problems.append(f"{key}: on_completion together with on_success/on_failure")
        for label, target in links:
            if target not in workflow:
                problems.append(f"{key}: {label} points to missing step '{target}'")
            else:
                incoming[target] += 1
        if kind == "action":
            agent = node.get("agent")
            if agent not in agents:
                problems.append(f"{key}: agent '{agent}' is not in agent_definitions")
            for t in node.get("targets", ()):
                if t not in targets:
                    problems.append(f"{key}: target '{t}' is not in target_definitions")
            commands = node.get("commands") or []
            if not commands:
                problems.append(f"{key}: action without commands")
            for i, c in enumerate(commands):
                extra = sorted(set(c) - _COMMAND_KEYS)
                if extra:
                    problems.append(f"{key}: command {i} has unknown keys {', '.join(extra)}")
                if c.get("type") == "manual" and not (c.get("command") or c.get("command_b64")):
                    problems.append(f"{key}: manual command {i} has no command text")
                if c.get("playbook_activity"):
                    activities.add(c["playbook_activity"])
    for key, node in workflow.items():
        if node.get("type") == "end" and incoming[key] > 1:
            problems.append(
                f"{key}: end step shared by {incoming[key]} branches (each needs its own)"
            )
    for activity in doc.get("playbook_activities", ()):
        if activity not in activities:
            problems.append(f"playbook_activities lists '{activity}' but no step performs it")
    if isinstance(start, str) and start in workflow:
        problems += _reachability(workflow, start)
    created, modified = doc.get("created", ""), doc.get("modified", "")
    if not re.match(r".*\.\d{3}Z$", str(created)):
        problems.append("created: not given to the millisecond")
    if str(modified) < str(created):
        problems.append("modified is earlier than created")
    return problems


def _reachability(workflow: dict[str, dict[str, Any]], start: str) -> list[str]:
    problems: list[str] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[tuple[str, list[str]]] = [
        (start, [t for _, t in _links(workflow[start]) if t in workflow])
    ]
    state[start] = 1
    while stack:
        node, todo = stack[-1]
        if not todo:
            state[node] = 2
            stack.pop()
            continue
        nxt = todo.pop()
        if state.get(nxt) == 1:
            if workflow[nxt].get("type") != "while-condition":
                problems.append(f"{nxt}: part of a cycle that no while-condition controls")
            continue
        if state.get(nxt) == 2:
            continue
        state[nxt] = 1
        stack.append((nxt, [t for _, t in _links(workflow[nxt]) if t in workflow]))
    for key in workflow:
        if key not in state:
            problems.append(f"{key}: not reachable from workflow_start")
    return problems


def clock_refs(doc: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
    """``obligation id -> (ISO clock, timeout ms)`` for every clock-carrying action."""
    out: dict[str, tuple[str, int | None]] = {}
    for node in (doc.get("workflow") or {}).values():
        for ref in node.get("external_references", ()) if isinstance(node, dict) else ():
            ext = str(ref.get("external_id", ""))
            if ref.get("source") == CLOCK_REF_SOURCE and ext.startswith("guardrail-clock:"):
                _, oid, iso = ext.split(":", 2)
                out[oid] = (iso, node.get("timeout"))
    return out
