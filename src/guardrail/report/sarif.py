"""SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One run per framework, told apart by ``automationDetails.id = guardrail/<framework>/`` so the
three laws' results coexist in one upload. Rules are the controls the framework cites, with
help text (objective, remediation, articles), ``security-severity`` and tags for the law and
each article. Results point at the manifest file and line that declares the target and carry
the finding's stable fingerprint in ``partialFingerprints.primaryLocationLineHash``, so a
dashboard keeps tracking a finding when lines move. Waived findings are reported with an
accepted external suppression (the waiver's reason as justification), not dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from guardrail.model.audit import AuditResult, Control, Finding, FindingStatus
from guardrail.model.common import Lang, Severity
from guardrail.report._common import (
    SECURITY_SEVERITY,
    Labels,
    evidence_line,
    refs_in,
)

__all__ = ["SARIF_SCHEMA", "SarifReporter", "sarif_log"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_MAX_TAGS = 20  # GitHub keeps 20 tags per rule


class SarifReporter:
    suffix = ".sarif"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        doc = sarif_log(result, lang=lang)
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sarif_log(result: AuditResult, *, lang: Lang | str = Lang.EN) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    L = Labels(lang)
    frameworks = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [_run(result, fw, L) for fw in frameworks],
    }


def _run(result: AuditResult, fw: str, L: Labels) -> dict[str, Any]:
    titles = {f.id: f for f in result.frameworks}
    controls = [c for c in result.controls if fw in c.frameworks]
    index = {c.id: i for i, c in enumerate(controls)}
    results = [
        _result(f, fw, index, L, result.stack)
        for f in result.findings
        if fw in f.frameworks and f.control in index
    ]
    info = titles.get(fw)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "guardrail",
                "fullName": f"guardrail — {L.text(info.title)}" if info else "guardrail",
                "version": result.guardrail_version,
                "semanticVersion": result.guardrail_version,
                "rules": [_rule(c, fw, L) for c in controls],
                "properties": {"framework": fw, "frameworkVersion": info.version if info else ""},
            }
        },
        "automationDetails": {
            "id": f"guardrail/{fw}/",
            "description": {"text": L.text(info.title) if info else fw.upper()},
        },
        "invocations": [_invocation(result)],
        "language": "zh-CN" if L.lang is Lang.ZH else "en-US",
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return run


def _rule(control: Control, fw: str, L: Labels) -> dict[str, Any]:
    refs = refs_in(control, fw)
    citations = ", ".join(str(r) for r in refs)
    help_text = (
        f"{L.text(control.objective)}\n\n{L('remediation')}: {L.text(control.remediation)}"
        + (f"\n{L('fix_command')}: {control.fix_command}" if control.fix_command else "")
        + (f"\n\n{L('references')}: {citations}" if citations else "")
    )
    help_md = (
        f"{_md(L.text(control.objective))}\n\n**{L('remediation')}:** "
        f"{_md(L.text(control.remediation))}"
        + (f"\n\n`{control.fix_command}`" if control.fix_command else "")
        + (f"\n\n**{L('references')}:** {_md(citations)}" if citations else "")
    )
    tags = ["privacy", "compliance", fw, *(str(r) for r in refs)]
    return {
        "id": control.id,
        "name": _pascal(control.slug),
        "shortDescription": {"text": L.text(control.title)},
        "fullDescription": {"text": L.text(control.objective)},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL[control.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[control.severity],
            "precision": "high" if control.check else "medium",
            "tags": list(dict.fromkeys(tags))[:_MAX_TAGS],
        },
    }


def _result(f: Finding, fw: str, index: dict[str, int], L: Labels, stack: str) -> dict[str, Any]:
    refs = refs_in(f, fw)
    text = L.text(f.message)
    if refs:
        text += f" ({', '.join(str(r) for r in refs)})"
    loc = f.location
    physical: dict[str, Any] = {
        "artifactLocation": _artifact(loc.path if loc is not None and loc.path else stack)
    }
    physical["region"] = {"startLine": loc.line if loc is not None and loc.line else 1}
    if loc is not None and loc.column:
        physical["region"]["startColumn"] = loc.column
    out: dict[str, Any] = {
        "ruleId": f.control,
        "ruleIndex": index[f.control],
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {
                        "name": f.target.id,
                        "fullyQualifiedName": str(f.target),
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f.id},
        "properties": {
            "security-severity": SECURITY_SEVERITY[f.severity],
            "severity": f.severity.value,
            "target": str(f.target),
            "tags": [fw, *(str(r) for r in refs)][:_MAX_TAGS],
            "remediation": L.text(f.remediation),
            "evidence": [evidence_line(e, L.lang) for e in f.evidence],
        },
    }
    if f.status is FindingStatus.WAIVED:
        suppression: dict[str, Any] = {"kind": "external", "status": "accepted"}
        if f.waiver is not None:
            suppression["justification"] = (
                f"{f.waiver.reason} ({L('owner')}: {f.waiver.owner}, "
                f"{L('expires')}: {f.waiver.expires.isoformat()})"
            )
        out["suppressions"] = [suppression]
    elif f.status is FindingStatus.BASELINED:
        out["baselineState"] = "unchanged"
        out["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": "baseline"}
        ]
    return out


def _artifact(path: str) -> dict[str, str]:
    """Relative paths resolve against the checkout (``%SRCROOT%``); absolute ones are file URIs."""
    p = PurePosixPath(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    return {"uri": quote(p.as_posix(), safe="/"), "uriBaseId": "%SRCROOT%"}


def _invocation(result: AuditResult) -> dict[str, Any]:
    inv: dict[str, Any] = {
        "executionSuccessful": result.complete,
        "startTimeUtc": _utc(result.started),
        "endTimeUtc": _utc(result.finished),
    }
    if result.errors:
        inv["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f"{e.stage}: {e.message}" + (f" — {e.hint}" if e.hint else "")},
                "descriptor": {"id": e.stage},
            }
            for e in result.errors
        ]
    return inv


def _utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _pascal(slug: str) -> str:
    return "".join(
        p[:1].upper() + p[1:] for p in slug.replace("_", "-").replace(".", "-").split("-")
    )


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
