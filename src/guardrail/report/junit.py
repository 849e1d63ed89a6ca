"""JUnit XML for CI test widgets (Jenkins, GitLab, Azure DevOps).

One ``<testsuite>`` per framework; inside it one ``<testcase>`` per control × target:

* each finding is a failing case (``<failure type="<severity>">`` with the message, the
  articles, the masked evidence and the remediation); a waived finding is ``<skipped>``;
* the targets a control checked without a finding are one passing case
  (``C22 … · 5 other targets passed``), or the whole control when nothing failed;
* a manual control is ``<skipped>`` (it needs an attestation), a control whose check crashed
  is an ``<error>``, a control that does not apply is ``<skipped>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building XML only; nothing untrusted is parsed
from collections import Counter
from datetime import UTC, datetime

from guardrail.model.audit import (
    AuditResult,
    Control,
    ControlResult,
    ControlStatus,
    Finding,
    FindingStatus,
)
from guardrail.model.common import Lang
from guardrail.report._common import Labels, evidence_line, refs_in

__all__ = ["JunitReporter"]


class JunitReporter:
    suffix = ".junit.xml"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        L = Labels(lang)
        frameworks = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
        root = ET.Element("testsuites", {"name": "guardrail"})
        totals: Counter[str] = Counter()
        for fw in frameworks:
            suite = _suite(result, fw, L)
            root.append(suite)
            for key in ("tests", "failures", "errors", "skipped"):
                totals[key] += int(suite.get(key, "0"))
        for key in ("tests", "failures", "errors", "skipped"):
            root.set(key, str(totals[key]))
        root.set("time", _seconds(result))
        root.set("timestamp", _ts(result.started))
        _clean(root)
        ET.indent(root, space="  ")
        body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _suite(result: AuditResult, fw: str, L: Labels) -> ET.Element:
    controls = {c.id: c for c in result.controls}
    findings = {f.id: f for f in result.findings}
    suite = ET.Element("testsuite", {"name": f"guardrail/{fw}"})
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("framework", fw),
        ("organization", result.organization),
        ("stack", result.stack),
        ("guardrail", result.guardrail_version),
        ("complete", "true" if result.complete else "false"),
    ):
        ET.SubElement(props, "property", {"name": name, "value": value})
    counts: Counter[str] = Counter()
    for res in result.results:
        control = controls.get(res.control)
        if control is None or fw not in res.frameworks:
            continue
        own = [findings[i] for i in res.findings if i in findings]
        for case, kind in _cases(res, control, own, fw, L):
            suite.append(case)
            counts["tests"] += 1
            if kind:
                counts[kind] += 1
    for key in ("tests", "failures", "errors", "skipped"):
        suite.set(key, str(counts[key]))
    suite.set("time", _seconds(result))
    suite.set("timestamp", _ts(result.started))
    return suite


def _case(control: Control, fw: str, name: str) -> ET.Element:
    return ET.Element(
        "testcase", {"classname": f"guardrail.{fw}.{control.id}", "name": name, "time": "0"}
    )


def _cases(
    res: ControlResult, control: Control, own: list[Finding], fw: str, L: Labels
) -> list[tuple[ET.Element, str | None]]:
    title = f"{control.id} {L.text(control.title)}"
    out: list[tuple[ET.Element, str | None]] = []
    if res.status is ControlStatus.MANUAL:
        case = _case(control, fw, title)
        ET.SubElement(case, "skipped", {"message": f"{L('manual')}: {_note(res, L)}".rstrip(": ")})
        return [(case, "skipped")]
    if res.status is ControlStatus.NOT_APPLICABLE:
        case = _case(control, fw, title)
        ET.SubElement(
            case, "skipped", {"message": f"{L('not_applicable')} {_note(res, L)}".strip()}
        )
        return [(case, "skipped")]
    if res.status is ControlStatus.ERROR:
        case = _case(control, fw, title)
        ET.SubElement(case, "error", {"message": _note(res, L) or L("error")})
        return [(case, "errors")]
    for f in own:
        case = _case(control, fw, f"{title} · {f.target}")
        if f.status is not FindingStatus.OPEN:
            reason = L(f"status_{f.status.value}")
            if f.waiver is not None:
                reason += (
                    f": {f.waiver.reason} ({L('owner')}: {f.waiver.owner}, "
                    f"{L('expires')}: {f.waiver.expires.isoformat()})"
                )
            ET.SubElement(case, "skipped", {"message": reason})
            out.append((case, "skipped"))
            continue
        failure = ET.SubElement(
            case, "failure", {"message": L.text(f.message), "type": f.severity.value}
        )
        failure.text = _details(f, fw, L)
        out.append((case, "failures"))
    rest = res.targets_checked - len(own)
    if not own:
        name = f"{title} · {res.targets_checked} {L('targets_passed')}"
        out.append((_case(control, fw, name), None))
    elif rest > 0:
        out.append((_case(control, fw, f"{title} · {rest} {L('other_targets_passed')}"), None))
    return out


def _details(f: Finding, fw: str, L: Labels) -> str:
    lines = [
        f"{L('severity')}: {L(f.severity.value)}",
        f"{L('target')}: {f.target}",
    ]
    refs = refs_in(f, fw)
    if refs:
        lines.append(f"{L('references')}: {', '.join(str(r) for r in refs)}")
    if f.location is not None:
        lines.append(f"{L('location')}: {f.location}")
    for e in f.evidence:
        lines.append(f"{L('evidence')}: {evidence_line(e, L.lang)}")
    lines.append(f"{L('remediation')}: {L.text(f.remediation)}")
    if f.fix_command:
        lines.append(f"{L('fix_command')}: {f.fix_command}")
    lines.append(f"id: {f.id}")
    return "\n".join(lines)


# XML 1.0 forbids most C0 control characters, even escaped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(root: ET.Element) -> None:
    for el in root.iter():
        if el.text:
            el.text = _ILLEGAL_XML.sub("\ufffd", el.text)
        for k, v in el.attrib.items():
            el.set(k, _ILLEGAL_XML.sub("\ufffd", v))


def _note(res: ControlResult, L: Labels) -> str:
    return L.text(res.note) if res.note else ""


def _seconds(result: AuditResult) -> str:
    return f"{max(result.duration_seconds(), 0.0):.3f}"


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
