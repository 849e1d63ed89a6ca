"""Markdown for pull-request and merge-request comments (GitHub-flavoured).

A verdict line, the per-law scorecard, a findings table, then one collapsed ``<details>``
block per finding with the message, articles, masked evidence and remediation. GitHub
rejects comments over 65,536 characters, so details are cut (whole findings at a time,
most severe kept) with a line saying how many were left out.
"""

from __future__ import annotations

import re

from guardrail.model.audit import AuditResult, Finding
from guardrail.model.common import Lang
from guardrail.report._common import Labels, evidence_line, refs_in, severity_order

__all__ = ["MAX_COMMENT_CHARS", "MarkdownReporter", "render_markdown"]

#: GitHub's limit for an issue or pull-request comment body.
MAX_COMMENT_CHARS = 65_536
_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}


class MarkdownReporter:
    suffix = ".md"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        return render_markdown(result, lang=lang).encode("utf-8")


def render_markdown(
    result: AuditResult, *, lang: Lang | str = Lang.EN, limit: int = MAX_COMMENT_CHARS
) -> str:
    L = Labels(lang)
    frameworks = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
    findings = severity_order(result.findings)
    open_findings = [f for f in findings if f.gating]
    head: list[str] = [f"## {L('title')} — {_cell(result.organization)}", ""]
    if result.errors:
        verdict = f"⚠️ **{L('verdict_incomplete')}**"
    elif open_findings:
        verdict = f"❌ **{L('verdict_fail')}**"
    else:
        verdict = f"✅ **{L('verdict_pass')}**"
    head += [verdict, ""]
    counts = {s: sum(1 for f in open_findings if f.severity.value == s) for s in _ICON}
    head.append(
        f"{L('open_findings')}: **{len(open_findings)}** — "
        + " · ".join(f"{_ICON[s]} {L(s)} {n}" for s, n in counts.items() if n)
    )
    head.append("")
    head.append(
        f"{L('generated')}: {result.at.isoformat()} · {L('stack')}: `{result.stack}` · "
        f"guardrail {result.guardrail_version}"
    )
    head.append("")
    if result.errors:
        head += [f"### {L('run_errors')}", ""]
        for e in result.errors:
            hint = f" — {_cell(e.hint)}" if e.hint else ""
            head.append(f"- **{_cell(e.stage)}**: {_cell(e.message)}{hint}")
        head.append("")

    applies = {a.framework: a.applies for a in result.applicability}
    head += [
        f"### {L('scorecards')}",
        "",
        f"| {L('framework')} | {L('applies')} | {L('passed')} | {L('failed')} | {L('manual')} "
        f"| {L('waived')} | {L('errors')} | {L('coverage')} |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for s in result.scorecards:
        yes = L("bool_yes") if applies.get(s.framework) else L("bool_no")
        head.append(
            f"| {s.framework.upper()} | {yes} | {s.passed} | {s.failed} | {s.manual} "
            f"| {s.waived} | {s.errors} | {s.coverage * 100:.0f} % |"
        )
    head.append("")

    footer = ["", f"<sub>{_cell(L('uncertain_note'))} {_cell(L('disclaimer'))}</sub>", ""]
    # What is left for the findings table and the details, with room for the "more" lines.
    budget = limit - len("\n".join(head)) - len("\n".join(footer)) - 400
    table: list[str] = []
    if findings:
        table = [
            f"### {L('findings')} ({len(findings)})",
            "",
            f"| {L('severity')} | {L('control')} | {L('target')} | {L('references')} "
            f"| {L('status')} |",
            "|---|---|---|---|---|",
        ]
        rows = [_row(f, frameworks, L) for f in findings]
        # The table gets at most half the budget; most severe rows first.
        room = budget // 2 - len("\n".join(table))
        listed = 0
        for row in rows:
            if len(row) + 1 > room:
                break
            table.append(row)
            room -= len(row) + 1
            listed += 1
        if listed < len(rows):
            table += ["", f"… {len(rows) - listed} {L('more_findings')}"]
        table.append("")
    else:
        table = [L("no_findings"), ""]
    out = "\n".join(head + table)
    budget = limit - len(out) - len("\n".join(footer)) - 200
    blocks = [_details(f, frameworks, L) for f in findings]
    shown = 0
    parts = []
    for block in blocks:
        if len(block) + 1 > budget:
            break
        parts.append(block)
        budget -= len(block) + 1
        shown += 1
    body = "\n".join(parts)
    if shown < len(blocks):
        body += f"\n\n… {len(blocks) - shown} {L('more_findings')}\n"
    return out + ("\n" + body if body else "") + "\n".join(footer)


def _row(f: Finding, frameworks: list[str], L: Labels) -> str:
    refs = ", ".join(
        f"{fw.upper()} " + ", ".join(str(r) for r in refs_in(f, fw))
        for fw in frameworks
        if refs_in(f, fw)
    )
    return (
        f"| {_ICON[f.severity.value]} {L(f.severity.value)} "
        f"| {f.control} {_cell(L.text(f.title))} | `{_code(str(f.target), table=True)}` "
        f"| {_cell(refs)} | {L('status_' + f.status.value)} |"
    )


def _details(f: Finding, frameworks: list[str], L: Labels) -> str:
    lines = [
        "<details>",
        f"<summary>{_ICON[f.severity.value]} <b>{f.control}</b> {_html(L.text(f.title))} — "
        f"<code>{_html(str(f.target))}</code></summary>",
        "",
        _text(L.text(f.message)),
        "",
    ]
    for fw in frameworks:
        refs = refs_in(f, fw)
        if refs:
            lines.append(f"- **{fw.upper()}**: " + ", ".join(_text(str(r)) for r in refs))
    if f.location is not None:
        lines.append(f"- {L('location')}: `{_code(str(f.location))}`")
    if f.evidence:
        lines.append(f"- {L('evidence')}:")
        for e in f.evidence:
            lines.append(f"  - {_text(evidence_line(e, L.lang))}")
    lines.append(f"- **{L('remediation')}**: {_text(L.text(f.remediation))}")
    if f.fix_command:
        lines.append(f"  `{_code(f.fix_command)}`")
    if f.waiver is not None:
        lines.append(
            f"- {L('waived_by')}: {_text(f.waiver.owner)} — {_text(f.waiver.reason)} "
            f"({L('expires')}: {f.waiver.expires.isoformat()})"
        )
    lines += ["", "</details>"]
    return "\n".join(lines)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~])")


def _text(text: str) -> str:
    """Plain text safe inside Markdown: no markup, links, HTML or table breaks."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def _cell(text: str) -> str:
    return _text(text)


def _code(text: str, *, table: bool = False) -> str:
    """Text inside a code span; in a table cell the pipe must still be escaped (GFM)."""
    out = text.replace("`", "'").replace("\n", " ")
    return out.replace("|", "\\|") if table else out


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")
