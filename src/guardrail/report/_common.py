"""Helpers shared by the renderers: labels, per-law references, ordering, evidence text.

Every renderer reads the same :class:`~guardrail.model.audit.AuditResult`; what they share
(which law an article belongs to, how a severity maps to a score, how evidence reads as one
line, deterministic identifiers) lives here so the formats cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from functools import cache

from guardrail.errors import ConfigError
from guardrail.model.audit import AuditResult, Control, Evidence, Finding
from guardrail.model.common import ArticleRef, Lang, LocalizedText, Severity
from guardrail.resources import data_dir
from guardrail.yamlio import parse_yaml

__all__ = [
    "SECURITY_SEVERITY",
    "Labels",
    "article_key",
    "evidence_line",
    "framework_of",
    "labels",
    "refs_in",
    "run_uuid",
    "severity_order",
    "stable_uuid",
    "subject_uuid",
]

#: SARIF ``security-severity`` per severity: GitHub reads > 9 as critical, 7-8.9 high,
#: 4-6.9 medium, < 4 low (github/docs sarif-support-for-code-scanning).
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.1",
}

# Which framework an instrument's provisions belong to. The packs cite the instruments each
# law relies on (PIPL's implementing rules and national standards; the GDPR's recitals; the
# CCPA's regulations). An instrument not listed here belongs to every framework of the
# finding that cites it, so a plugin pack's new instrument is never dropped from a report.
_FRAMEWORK_OF_INSTRUMENT: dict[str, str] = {
    "PIPL": "pipl",
    "NDSR": "pipl",
    "XBP": "pipl",
    "IRM": "pipl",
    "CSL": "pipl",
    "DSL": "pipl",
    "ECL": "pipl",
    "MINORS-REGS": "pipl",
    "AUDIT-MEASURES": "pipl",
    "GDPR": "gdpr",
    "GDPR-RECITAL": "gdpr",
    "EPRIVACY": "gdpr",
    "CAL-CIV": "ccpa",
    "CPPA-REGS": "ccpa",
    "CCPA/CPRA": "ccpa",
}
_FRAMEWORK_OF_PREFIX: tuple[tuple[str, str], ...] = (("GB/T", "pipl"), ("GB ", "pipl"))


def framework_of(ref: ArticleRef) -> str | None:
    """The framework id an article belongs to, or None when guardrail does not know it."""
    if ref.framework is not None:  # cited by a framework pack's crosswalk
        return ref.framework
    known = _FRAMEWORK_OF_INSTRUMENT.get(ref.instrument)
    if known:
        return known
    for prefix, fw in _FRAMEWORK_OF_PREFIX:
        if ref.instrument.startswith(prefix):
            return fw
    return None


def refs_in(item: Finding | Control, framework: str) -> tuple[ArticleRef, ...]:
    """The references of a finding or control that belong to ``framework``."""
    if framework not in item.frameworks:
        return ()
    out = []
    for ref in item.refs:
        fw = framework_of(ref)
        if fw == framework or (fw is None or fw not in item.frameworks):
            out.append(ref)
    return tuple(out)


_NUM = re.compile(r"(\d+)")


def article_key(ref: ArticleRef) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Natural order of provisions: Art. 5(1)(c) < Art. 13 < Art. 32(1)(a) < Art. 33(1)."""
    parts = tuple((int(p), "") if p.isdigit() else (-1, p) for p in _NUM.split(ref.provision) if p)
    return ref.instrument, parts


def severity_order(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; open before waived/baselined; then control and target (stable)."""
    return sorted(
        findings,
        key=lambda f: (-f.severity.rank, f.status.value != "open", f.control, str(f.target)),
    )


def evidence_line(evidence: Evidence, lang: Lang) -> str:
    """One line for an evidence item: summary, location, counts, facts and masked samples.

    Everything here is already masked or counted by the scanner; nothing is unmasked.
    """
    parts = [evidence.summary.get(lang)]
    if evidence.location is not None:
        parts.append(f"@ {evidence.location}")
    if evidence.counts:
        parts.append(", ".join(f"{c.count} × {c.entity}" for c in evidence.counts))
    if evidence.facts:
        parts.append("; ".join(f"{x.name}={_fact(x.value)}" for x in evidence.facts))
    if evidence.masked_samples:
        parts.append(" · ".join(evidence.masked_samples))
    return " — ".join(parts)


def _fact(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


_NAMESPACE = uuid.UUID("6f1c2a34-9d0e-5b7a-8c41-2f3e4d5a6b7c")


def run_uuid(result: AuditResult) -> uuid.UUID:
    """A UUID that identifies the run by its inputs and audit time (same inputs, same UUID)."""
    h = hashlib.sha256()
    for part in (
        result.organization,
        result.stack,
        result.at.isoformat(),
        result.guardrail_version,
        *(f"{i.path}={i.sha256}" for i in result.inputs),
        *(f"{p.id}={p.version}" for p in result.packs),
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return uuid.uuid5(_NAMESPACE, h.hexdigest())


def subject_uuid(*parts: str) -> str:
    """A UUID for something that outlives one run (the organisation, the tool)."""
    return str(uuid.uuid5(_NAMESPACE, "\x00".join(parts)))


def stable_uuid(run: uuid.UUID, *parts: str) -> str:
    """A deterministic UUID (v5) for one element of a run's report."""
    return str(uuid.uuid5(run, "\x00".join(parts)))


class Labels:
    """User-interface strings of the reports in one language (``reports/templates/labels.yaml``)."""

    def __init__(self, lang: Lang | str) -> None:
        self.lang = Lang(lang)
        self._table = _table()

    def __call__(self, key: str) -> str:
        try:
            return self._table[key].get(self.lang)
        except KeyError:
            raise ConfigError(
                f"report label '{key}' is missing from reports/templates/labels.yaml",
                hint="add it with an en and a zh text",
            ) from None

    def has(self, key: str) -> bool:
        return key in self._table

    def text(self, value: LocalizedText) -> str:
        return value.get(self.lang)

    def names(self) -> list[str]:
        return sorted(self._table)


@cache
def _table() -> dict[str, LocalizedText]:
    located = parse_yaml(
        data_dir("templates").joinpath("labels.yaml").read_text("utf-8"),
        "reports/templates/labels.yaml",
    )
    return {str(k): LocalizedText.model_validate(v) for k, v in located.data.items()}


def labels(lang: Lang | str) -> Labels:
    return Labels(lang)
