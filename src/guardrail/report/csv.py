"""CSV for spreadsheets: one row per finding × framework (filter by law, sort by severity).

RFC 4180 (comma-separated, CRLF line ends, fields quoted when needed), UTF-8 with a byte-order
mark so Excel shows Chinese text correctly when the file is opened by double-click; read it
with ``encoding="utf-8-sig"``. The header row is English in both languages (machines read
it); the cells follow ``--lang``. Cells that a spreadsheet would evaluate (``=``, ``+``,
``-``, ``@`` first) are prefixed with ``'`` (OWASP CSV-injection guidance).
"""

from __future__ import annotations

import csv
import io

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report._common import Labels, evidence_line, refs_in, severity_order

__all__ = ["CSV_COLUMNS", "CsvReporter"]

CSV_COLUMNS = (
    "finding_id",
    "framework",
    "severity",
    "status",
    "control",
    "title",
    "target_kind",
    "target",
    "articles",
    "message",
    "evidence",
    "remediation",
    "fix_command",
    "location",
    "waiver_owner",
    "waiver_reason",
    "waiver_expires",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CsvReporter:
    suffix = ".csv"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        L = Labels(lang)
        frameworks = [f.id for f in result.frameworks] or [s.framework for s in result.scorecards]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for f in severity_order(result.findings):
            for fw in frameworks:
                if fw not in f.frameworks:
                    continue
                w = f.waiver
                row = [
                    f.id,
                    fw,
                    f.severity.value,
                    f.status.value,
                    f.control,
                    L.text(f.title),
                    f.target.kind,
                    f.target.id,
                    "; ".join(str(r) for r in refs_in(f, fw)),
                    L.text(f.message),
                    " | ".join(evidence_line(e, L.lang) for e in f.evidence),
                    L.text(f.remediation),
                    f.fix_command or "",
                    str(f.location) if f.location is not None else "",
                    w.owner if w else "",
                    w.reason if w else "",
                    w.expires.isoformat() if w else "",
                ]
                writer.writerow([_safe(c) for c in row])
        return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
