"""Small shared value types: severities, localized text, article references, locations."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from guardrail.model._base import ValueObject

__all__ = [
    "ArticleRef",
    "EntityName",
    "Lang",
    "LocalizedText",
    "Region",
    "Severity",
    "Slug",
    "SourceLocation",
]

#: Entity names are UPPER_SNAKE and reuse Presidio's names where they exist.
EntityName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=64)]
#: Identifiers used in manifests and packs (ids of systems, flows, controls ...).
Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=128)]
#: A jurisdiction / region code: ISO 3166-1 alpha-2 ("CN", "DE"), a subdivision ("US-CA"),
#: or the union code "EU".
Region = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


class Severity(StrEnum):
    """Finding severities, most severe first. ``info`` never gates a CI run."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info; higher is more severe."""
        return _SEVERITY_RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class LocalizedText(ValueObject):
    """Text shown to people, in English and Chinese (both first-class)."""

    en: str
    zh: str

    def get(self, lang: Lang | str) -> str:
        return self.zh if Lang(lang) is Lang.ZH else self.en


# How each legal instrument's provisions are cited. Unknown instruments render as
# "<instrument> <provision>", so a new law pack needs no code.
_CITATION_FORMATS: dict[str, str] = {
    "PIPL": "PIPL Art. {p}",
    "GDPR": "GDPR Art. {p}",
    "GDPR-RECITAL": "GDPR Recital {p}",
    "CAL-CIV": "Cal. Civ. Code §{p}",
    "CPPA-REGS": "11 CCR §{p}",
    "NDSR": "NDSR Art. {p}",
    "XBP": "XBP Art. {p}",
    "IRM": "IRM Art. {p}",
    "CSL": "CSL Art. {p}",
    "DSL": "DSL Art. {p}",
    "ECL": "E-commerce Law Art. {p}",
    "MINORS-REGS": "Minors Regs Art. {p}",
    "AUDIT-MEASURES": "CAC Order 18 Art. {p}",
    "EPRIVACY": "ePrivacy Dir. Art. {p}",
}


class ArticleRef(ValueObject):
    """A citation of one provision: ``ArticleRef(instrument="GDPR", provision="33(1)")``.

    ``uncertain`` marks provisions the fact base flags for confirmation (⚠); reports show them
    with a marker so nobody mistakes them for verified citations.
    """

    instrument: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9/ .-]*[A-Z0-9]$")]
    provision: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    uncertain: bool = False
    # The framework pack that cites it (set when a pack's crosswalk supplies the reference).
    framework: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")] | None = None

    def __str__(self) -> str:
        fmt = _CITATION_FORMATS.get(self.instrument)
        text = fmt.format(p=self.provision) if fmt else f"{self.instrument} {self.provision}"
        return f"{text} ⚠" if self.uncertain else text

    @property
    def citation(self) -> str:
        return str(self)

    @classmethod
    def parse(cls, text: str) -> ArticleRef:
        """Parse the compact form used in YAML packs: ``"GDPR 33(1)"``, ``"CAL-CIV 1798.82(a)?"``.

        A trailing ``?`` marks the provision as uncertain.
        """
        m = _REF_RE.match(text.strip())
        if not m:
            raise ValueError(
                "article reference must look like 'GDPR 33(1)' (instrument, space, provision)"
            )
        provision = m.group("prov")
        uncertain = provision.endswith("?")
        return cls(
            instrument=m.group("inst"),
            provision=provision.rstrip("?").strip(),
            uncertain=uncertain,
        )


_REF_RE = re.compile(
    r"^(?P<inst>[A-Z][A-Z0-9/.-]*(?: [0-9]{4,5}(?:-[0-9]{4})?)?)\s+(?P<prov>\S.*)$"
)


class SourceLocation(ValueObject):
    """Where something is: a file (and line) or a datastore table/column (and row)."""

    path: str | None = None
    line: Annotated[int, Field(ge=1)] | None = None
    column: Annotated[int, Field(ge=1)] | None = None
    datastore: str | None = None
    table: str | None = None
    field: str | None = None
    row: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _something(self) -> SourceLocation:
        if self.path is None and self.datastore is None and self.table is None:
            raise ValueError("a location needs a path, a datastore or a table")
        return self

    def __str__(self) -> str:
        if self.path is not None:
            return f"{self.path}:{self.line}" if self.line is not None else self.path
        parts = [p for p in (self.datastore, self.table, self.field) if p]
        return ".".join(parts)
