"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets).

Everything a compliance officer reads is in the chosen language (``lang``): labels come from
``reports/templates/labels.yaml``, control titles, messages, remediation and reasoning from the
result's bilingual texts. A Content-Security-Policy meta tag forbids any fetch, so a browser
opening the file never reaches the network; ``@media print`` and ``@page`` rules make it print
(and convert to PDF) cleanly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from guardrail.model.audit import (
    AuditResult,
    Control,
    ControlStatus,
    Finding,
    Waiver,
)
from guardrail.model.common import ArticleRef, Lang, Severity
from guardrail.model.inventory import InventoryField, TransferDecision
from guardrail.report._common import (
    Labels,
    article_key,
    refs_in,
    run_uuid,
    severity_order,
)
from guardrail.report.templating import environment

__all__ = ["HtmlReporter", "render_html"]

# Chart colours as literals: SVG presentation attributes do not take CSS variables in every
# renderer (WeasyPrint draws var() as black). They match the stylesheet's variables.
_SEV_COLOR = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#c0392b",
    Severity.MEDIUM: "#b9770e",
    Severity.LOW: "#2874a6",
    Severity.INFO: "#5d6d7e",
}
_BAR = (
    ("passed", "#1e8449"),
    ("failed", "#c0392b"),
    ("manual", "#7d3c98"),
    ("waived", "#797d7f"),
    ("errors", "#6e2c00"),
    ("not_applicable", "#d5d8dc"),
)
_TOC = (
    ("summary", "summary"),
    ("scorecards", "scorecards"),
    ("applicability", "applicability"),
    ("by-law", "findings_by_law"),
    ("findings", "finding_details"),
    ("controls", "controls"),
    ("inventory", "inventory"),
    ("transfers", "transfers"),
    ("waivers", "waivers"),
    ("appendix", "appendix"),
)


class HtmlReporter:
    suffix = ".html"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        return render_html(result, lang=lang).encode("utf-8")


def render_html(result: AuditResult, *, lang: Lang | str = Lang.EN) -> str:
    """The report as an HTML document (a string), in ``lang``."""
    lang = Lang(lang)
    L = Labels(lang)
    context = _context(result, L)
    return environment().get_template("report.html.j2").render(**context)


# -- view model ----------------------------------------------------------------------------


def _short(framework: str) -> str:
    return framework.upper()


def _context(result: AuditResult, L: Labels) -> dict[str, Any]:
    lang = L.lang
    titles = {f.id: f.title for f in result.frameworks}
    fw_order = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
    findings = severity_order(result.findings)
    open_findings = [f for f in findings if f.gating]
    counts = Counter(f.severity.value for f in open_findings)
    applies = {a.framework: a.applies for a in result.applicability}

    def fw_title(fid: str) -> str:
        return titles[fid].get(lang) if fid in titles else _short(fid)

    def refs_by_law(item: Finding | Control) -> list[tuple[str, tuple[ArticleRef, ...]]]:
        out = []
        for fw in fw_order:
            refs = refs_in(item, fw)
            if refs:
                out.append((_short(fw), refs))
        # References no loaded framework claims (a plugin pack's own instrument).
        claimed = {r for _, refs in out for r in refs}
        rest = tuple(r for r in item.refs if r not in claimed)
        if rest:
            out.append(("", rest))
        return out

    def opt(key: str, default: str) -> str:
        return L(key) if L.has(key) else default

    if result.errors:
        verdict = "incomplete"
    elif open_findings:
        verdict = "fail"
    else:
        verdict = "pass"

    toc = list(_TOC)
    if result.errors:
        toc.insert(0, ("run-errors", "run_errors"))

    return {
        "r": result,
        "lang": lang.value,
        "L": L,
        "t": L.text,
        "opt": opt,
        "when": _when,
        "fact": _fact,
        "fw_title": fw_title,
        "refs_by_law": refs_by_law,
        "report_id": str(run_uuid(result)),
        "toc": toc,
        "verdict": verdict,
        "severities": [s.value for s in Severity],
        "counts": {s.value: counts.get(s.value, 0) for s in Severity},
        "open_total": len(open_findings),
        "applying": [fw for fw, yes in applies.items() if yes],
        "transfers_bad": len({d.flow for d in result.transfers if not d.compliant}),
        "donut": _donut(counts),
        "scorecards": [
            {
                "short": _short(s.framework),
                "title": fw_title(s.framework),
                "card": s,
                "coverage": f"{s.coverage * 100:.0f} %",
                "bar": _bar(s.model_dump()),
            }
            for s in result.scorecards
        ],
        "bar_legend": _BAR,
        "by_law": _by_law(result, fw_order, fw_title),
        "findings": findings,
        "control_rows": _control_rows(result, L),
        "inventory": [_inventory_row(f, L) for f in result.inventory],
        "flows": _flows(result.transfers),
        "flow_chart": _flow_chart(result.transfers, L),
        "waivers": [_WaiverRow(w, w.expires < result.at.date()) for w in result.waivers],
    }


def _when(dt: datetime) -> str:
    return dt.astimezone(dt.tzinfo).strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _fact(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def _donut(counts: Counter[str]) -> list[dict[str, Any]]:
    """Segments of a ring chart on a circle of circumference 100 (r = 15.915)."""
    total = sum(counts.values())
    if not total:
        return []
    out = []
    done = 0.0
    for sev in Severity:
        n = counts.get(sev.value, 0)
        if not n:
            continue
        share = 100.0 * n / total
        out.append(
            {
                "severity": sev.value,
                "count": n,
                "color": _SEV_COLOR[sev],
                "dash": f"{share:.3f} {100 - share:.3f}",
                # Start at 12 o'clock (offset 25) and go clockwise.
                "offset": f"{(25 - done) % 100:.3f}",
            }
        )
        done += share
    return out


def _bar(card: dict[str, Any]) -> list[dict[str, Any]]:
    total = sum(int(card[k]) for k, _ in _BAR)
    out = []
    x = 0.0
    for key, color in _BAR:
        n = int(card[key])
        if not n or not total:
            continue
        width = 200.0 * n / total
        out.append(
            {"key": key, "color": color, "count": n, "x": f"{x:.2f}", "width": f"{width:.2f}"}
        )
        x += width
    return out


def _by_law(result: AuditResult, fw_order: list[str], fw_title: Any) -> list[dict[str, Any]]:
    laws = []
    for fw in fw_order:
        by_ref: dict[ArticleRef, list[Finding]] = {}
        for f in severity_order(result.findings):
            for ref in refs_in(f, fw):
                by_ref.setdefault(ref, []).append(f)
        # The law's own instrument first (the one its applicability cites), then the
        # implementing rules and standards, each in natural article order.
        primary = {r.instrument for a in result.applicability if a.framework == fw for r in a.refs}

        ordered = sorted(by_ref, key=lambda r: (r.instrument not in primary, article_key(r)))
        rows = []
        for ref in ordered:
            # One row per control citing the article; its findings' targets in one cell.
            by_control: dict[str, list[Finding]] = {}
            for f in by_ref[ref]:
                by_control.setdefault(f.control, []).append(f)
            rows.append({"ref": ref, "controls": [(fs[0], fs) for fs in by_control.values()]})
        laws.append({"id": fw, "short": _short(fw), "title": fw_title(fw), "rows": rows})
    return laws


def _control_rows(result: AuditResult, L: Labels) -> list[dict[str, Any]]:
    controls = {c.id: c for c in result.controls}
    rows = []
    for res in result.results:
        control = controls.get(res.control)
        if control is None:
            continue
        rows.append(
            {
                "control": control,
                "status": res.status.value,
                "note": L.text(res.note) if res.note else "",
                "checked": res.targets_checked if res.status is not ControlStatus.MANUAL else "—",
            }
        )
    return rows


def _inventory_row(f: InventoryField, L: Labels) -> dict[str, str]:
    labels = f.labels
    if labels.pipl.sensitive:
        kinds = ", ".join(L("pipl_kind_" + k.value) for k in labels.pipl.kinds)
        pipl = f"{L('pipl_sensitive')} ({kinds})"
    else:
        pipl = L("pipl_personal")
    gdpr_parts = []
    if labels.gdpr.special:
        kinds = ", ".join(L("gdpr_kind_" + k.value) for k in labels.gdpr.special)
        gdpr_parts.append(f"{L('gdpr_special')} ({kinds})")
    if labels.gdpr.criminal:
        gdpr_parts.append(L("gdpr_criminal"))
    gdpr = "; ".join(gdpr_parts) or L("gdpr_personal")
    if labels.ccpa.sensitive:
        ccpa = f"{L('ccpa_sensitive')} {' '.join(labels.ccpa.clauses)}"
    else:
        ccpa = L("ccpa_personal")
    protections = [
        L(f"protection_{name}")
        for name, on in f.protection.model_dump().items()
        if on is True and L.has(f"protection_{name}")
    ]
    return {
        "name": f"{f.datastore}.{f.dataset}.{f.field}",
        "owner": f.owner or "",
        "entities": ", ".join(f.entities) or "—",
        "categories": ", ".join(f.categories),
        "pipl": pipl,
        "gdpr": gdpr,
        "ccpa": ccpa,
        "gbt": L("gbt_" + labels.gbt_43697),
        "sensitivity": L("sensitivity_" + f.sensitivity.value),
        "protection": ", ".join(protections) or L("none"),
        "purposes": ", ".join(f.purposes) or "—",
        "retention": f.retention or "—",
        "recipients": ", ".join(f.recipients) or "—",
        "transfers": ", ".join(f.transfers) or "—",
        "source": L("source_" + f.source)
        + (f" ({f.confidence:.0%})" if f.confidence is not None else ""),
    }


@dataclass(frozen=True)
class _Flow:
    id: str
    source: str
    destination: str
    from_region: str
    to_region: str
    decisions: tuple[TransferDecision, ...]

    @property
    def ok(self) -> bool:
        return all(d.compliant for d in self.decisions)


def _flows(decisions: tuple[TransferDecision, ...]) -> list[_Flow]:
    grouped: dict[str, list[TransferDecision]] = {}
    for d in decisions:
        grouped.setdefault(d.flow, []).append(d)
    out = []
    for flow, ds in grouped.items():
        first = ds[0]
        out.append(
            _Flow(
                flow, first.source, first.destination, first.from_region, first.to_region, tuple(ds)
            )
        )
    return out


def _flow_chart(decisions: tuple[TransferDecision, ...], L: Labels) -> dict[str, Any]:
    """A two-column diagram: exporting regions on the left, importing regions on the right."""
    flows = _flows(decisions)
    left = sorted({f.from_region for f in flows})
    right = sorted({f.to_region for f in flows})
    row, top, w = 44, 10, 120
    ly = {r: top + i * row for i, r in enumerate(left)}
    ry = {r: top + i * row for i, r in enumerate(right)}
    nodes = [{"x": 20, "y": y, "w": w, "label": r} for r, y in ly.items()]
    nodes += [{"x": 600 - 20 - w, "y": y, "w": w, "label": r} for r, y in ry.items()]
    # One edge per (from, to) pair; red when any flow on it is not compliant.
    pairs: dict[tuple[str, str], list[_Flow]] = {}
    for f in flows:
        pairs.setdefault((f.from_region, f.to_region), []).append(f)
    edges = []
    for (a, b), fs in sorted(pairs.items()):
        ok = all(f.ok for f in fs)
        names = ", ".join(f.id for f in fs)
        edges.append(
            {
                "x1": 20 + w,
                "y1": ly[a] + 14,
                "x2": 600 - 20 - w - 2,
                "y2": ry[b] + 14,
                "cx": 300,
                "ok": ok,
                "label": f"{a} → {b}: {names} ({L('compliant')}: "
                f"{L('bool_yes') if ok else L('bool_no')})",
            }
        )
    height = top * 2 + max(len(left), len(right), 1) * row
    return {"nodes": nodes, "edges": edges, "height": height}


@dataclass(frozen=True)
class _WaiverRow:
    waiver: Waiver
    expired: bool
