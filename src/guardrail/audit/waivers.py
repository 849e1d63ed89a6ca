"""Waivers (accepted risks with an owner and an expiry) and baselines (known findings).

``policies/waivers.yaml`` next to the manifest::

    schema_version: 1
    waivers:
      - control: C30
        target: "organization:officers.dpo"    # glob on kind:id, or give a fingerprint
        reason: External DPO's page goes live with the 2027 notice
        owner: Zhou Lan (General Counsel)
        expires: 2027-01-31
        ticket: PRIV-501

A waiver in force turns a matching finding into ``waived`` (not gating). An expired waiver
waives nothing: the finding stays open and the report says the waiver expired. A baseline
(a previous ``report.json`` or ``{"fingerprints": [...]}``) turns known findings into
``baselined``; new ones stay open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import Field

from guardrail.errors import InputError
from guardrail.model._base import ValueObject
from guardrail.model.audit import Evidence, EvidenceFact, Finding, FindingStatus, Waiver
from guardrail.model.common import LocalizedText
from guardrail.yamlio import load_yaml, validate

__all__ = ["WaiverFile", "apply_baseline", "apply_waivers", "load_baseline", "load_waivers"]


class WaiverFile(ValueObject):
    schema_version: Literal[1]
    waivers: tuple[Waiver, ...] = Field(default=())


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """The waivers in ``path`` (errors point at file:line)."""
    return validate(WaiverFile, load_yaml(path), what="waivers").waivers


def _matches(w: Waiver, f: Finding) -> bool:
    if w.control != f.control:
        return False
    if w.fingerprint is not None:
        return w.fingerprint == f.id
    return fnmatchcase(str(f.target), w.target)


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], *, today: date
) -> list[Finding]:
    waivers = list(waivers)
    out: list[Finding] = []
    for f in findings:
        w = next((w for w in waivers if _matches(w, f)), None)
        if w is None:
            out.append(f)
        elif w.expires >= today:
            out.append(f.model_copy(update={"status": FindingStatus.WAIVED, "waiver": w}))
        else:
            note = Evidence(
                summary=LocalizedText(
                    en=f"The waiver by {w.owner} expired on {w.expires}.",
                    zh=f"{w.owner} 的豁免已于 {w.expires} 到期。",
                ),
                facts=(
                    EvidenceFact(name="waiver_reason", value=w.reason),
                    EvidenceFact(name="waiver_ticket", value=w.ticket),
                ),
            )
            out.append(f.model_copy(update={"waiver": w, "evidence": (*f.evidence, note)}))
    return out


def load_baseline(path: str | Path) -> frozenset[str]:
    """Fingerprints from a previous JSON report or a ``{"fingerprints": [...]}`` file."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"baseline {path} not found", hint="write one with: guardrail audit STACK -o json"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(
            f"baseline {path} is not a JSON report", hint="use a report.json from an earlier run"
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("fingerprints"), list):
        ids = doc["fingerprints"]
    elif isinstance(doc, dict) and isinstance(doc.get("findings"), list):
        ids = [f.get("id") for f in doc["findings"] if isinstance(f, dict)]
    else:
        raise InputError(
            f"baseline {path} has neither 'findings' nor 'fingerprints'",
            hint="use a report.json from an earlier run",
        )
    return frozenset(str(i) for i in ids if isinstance(i, str))


def apply_baseline(findings: Iterable[Finding], known: frozenset[str]) -> list[Finding]:
    return [
        f.model_copy(update={"status": FindingStatus.BASELINED})
        if f.status is FindingStatus.OPEN and f.id in known
        else f
        for f in findings
    ]
