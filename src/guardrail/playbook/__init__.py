"""Incident playbooks with the legal clocks of PIPL, the PRC incident rules, GDPR and California.

From an incident (``incident.yaml``) and the stack manifest, :func:`build_playbook` decides every
notification obligation — recipient, absolute time-zone-aware deadline, legal basis, mandatory
content, exemptions, open questions — and lays out the response by NIST SP 800-61r3 / CSF 2.0
phase. Renderers: :func:`render_markdown`, :func:`render_html`, :func:`render_cacao` (OASIS CACAO
2.0), :func:`render_ics` (iCalendar) and the canonical JSON (``Playbook.model_dump_json``).

:func:`generate_library` pre-generates a playbook for every incident type; :func:`lint_library`
checks such a library for audit controls C32-C34.

    stack = load_stack("examples/shop").stack           # guardrail.audit.manifest
    incident = load_incident("incident.yaml", stack)
    pb = build_playbook(incident, stack, at=datetime.now(UTC))
    pb.obligation("gdpr-authority").deadline             # aware_at + 72 h, UTC
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "build_playbook",
    "check_cacao",
    "deadline_of",
    "decide",
    "expected_clocks",
    "generate_library",
    "lint_library",
    "load_incident",
    "load_inventory",
    "render_cacao",
    "render_html",
    "render_ics",
    "render_markdown",
    "scenario_incident",
    "to_cacao",
]

# Submodules are imported on first use: jinja2 and icalendar load only for the formats asked.
_WHERE = {
    "build_playbook": "build",
    "scenario_incident": "build",
    "check_cacao": "cacao",
    "render_cacao": "cacao",
    "to_cacao": "cacao",
    "decide": "obligations",
    "deadline_of": "obligations",
    "expected_clocks": "library",
    "generate_library": "library",
    "lint_library": "library",
    "load_incident": "loading",
    "load_inventory": "loading",
    "render_html": "render",
    "render_markdown": "render",
    "render_ics": "ics",
}

if TYPE_CHECKING:
    from guardrail.playbook.build import build_playbook, scenario_incident
    from guardrail.playbook.cacao import check_cacao, render_cacao, to_cacao
    from guardrail.playbook.ics import render_ics
    from guardrail.playbook.library import expected_clocks, generate_library, lint_library
    from guardrail.playbook.loading import load_incident, load_inventory
    from guardrail.playbook.obligations import deadline_of, decide
    from guardrail.playbook.render import render_html, render_markdown


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrail.playbook' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"guardrail.playbook.{module}"), name)
