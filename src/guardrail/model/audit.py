"""Controls, findings and the result of an audit run."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from guardrail.model._base import ValueObject
from guardrail.model.common import ArticleRef, LocalizedText, Severity, Slug, SourceLocation
from guardrail.model.detection import EntityCount
from guardrail.model.inventory import InventoryField, TransferDecision

__all__ = [
    "Applicability",
    "AuditResult",
    "Control",
    "ControlId",
    "ControlResult",
    "ControlStatus",
    "Evidence",
    "EvidenceFact",
    "Finding",
    "FindingStatus",
    "FrameworkInfo",
    "InputDigest",
    "PackVersion",
    "RunError",
    "Scorecard",
    "Target",
    "TargetKind",
    "Waiver",
]

ControlId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*[0-9]$", max_length=32)]
FrameworkId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=32)]


class Control(ValueObject):
    """A checkable assertion about the stack, independent of any one law.

    Which articles it satisfies is the business of the framework packs (crosswalks); ``refs``
    holds the union of the loaded packs' references, ``frameworks`` which packs cite it.
    """

    id: ControlId
    slug: Slug
    title: LocalizedText
    objective: LocalizedText
    severity: Severity
    # Name of the automated check; None means manual attestation.
    check: Slug | None = None
    remediation: LocalizedText
    fix_command: str | None = None
    refs: tuple[ArticleRef, ...] = ()
    frameworks: tuple[FrameworkId, ...] = ()

    @property
    def manual(self) -> bool:
        return self.check is None


TargetKind = Literal[
    "organization",
    "system",
    "datastore",
    "dataset",
    "field",
    "file",
    "flow",
    "processor",
    "purpose",
    "notice",
    "process",
    "consent",
    "release",
]


class Target(ValueObject):
    """What a finding is about, by identifier (never by value)."""

    kind: TargetKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


class EvidenceFact(ValueObject):
    """A measured or declared fact backing a finding (counts, ratios, dates, settings)."""

    name: str
    value: int | float | str | bool | None


class Evidence(ValueObject):
    """Why a control failed or passed. Holds counts and masked previews, never raw values."""

    summary: LocalizedText
    location: SourceLocation | None = None
    counts: tuple[EntityCount, ...] = ()
    facts: tuple[EvidenceFact, ...] = ()
    masked_samples: tuple[str, ...] = ()


class FindingStatus(StrEnum):
    OPEN = "open"
    WAIVED = "waived"
    BASELINED = "baselined"


class Waiver(ValueObject):
    """An accepted risk: who accepted it, why, until when."""

    control: ControlId
    target: str = "*"
    fingerprint: str | None = None
    reason: str
    owner: str
    expires: date
    ticket: str | None = None


class Finding(ValueObject):
    """A control that failed for one target.

    ``id`` is a stable fingerprint of (control, target): it does not change when line numbers,
    messages or evidence change, so baselines and waivers keep matching.
    """

    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    control: ControlId
    title: LocalizedText
    severity: Severity
    status: FindingStatus = FindingStatus.OPEN
    target: Target
    frameworks: tuple[FrameworkId, ...]
    refs: tuple[ArticleRef, ...]
    message: LocalizedText
    evidence: tuple[Evidence, ...] = ()
    remediation: LocalizedText
    fix_command: str | None = None
    location: SourceLocation | None = None
    waiver: Waiver | None = None

    @property
    def gating(self) -> bool:
        return self.status is FindingStatus.OPEN


class ControlStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    MANUAL = "manual"
    WAIVED = "waived"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class ControlResult(ValueObject):
    control: ControlId
    status: ControlStatus
    frameworks: tuple[FrameworkId, ...]
    targets_checked: Annotated[int, Field(ge=0)] = 0
    findings: tuple[str, ...] = ()
    note: LocalizedText | None = None


class FrameworkInfo(ValueObject):
    id: FrameworkId
    title: LocalizedText
    version: str


class Applicability(ValueObject):
    """Whether a framework binds the organisation, with the reasoning shown in the report."""

    framework: FrameworkId
    applies: bool
    reasons: tuple[LocalizedText, ...] = ()
    refs: tuple[ArticleRef, ...] = ()


class Scorecard(ValueObject):
    framework: FrameworkId
    passed: int = 0
    failed: int = 0
    manual: int = 0
    waived: int = 0
    errors: int = 0
    not_applicable: int = 0

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed + self.waived

    @property
    def coverage(self) -> float:
        """Share of applicable controls that were evaluated automatically or attested."""
        total = self.passed + self.failed + self.manual + self.waived + self.errors
        return (self.passed + self.failed + self.waived) / total if total else 0.0


class RunError(ValueObject):
    """A part of the run that failed; any of these makes the run incomplete (exit 3)."""

    stage: str
    message: str
    hint: str | None = None


class InputDigest(ValueObject):
    path: str
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class PackVersion(ValueObject):
    id: str
    version: str


class AuditResult(ValueObject):
    """Everything an auditor needs to read and reproduce a run."""

    schema_version: Literal[1] = 1
    guardrail_version: str
    organization: str
    stack: str
    started: AwareDatetime
    finished: AwareDatetime
    at: AwareDatetime
    frameworks: tuple[FrameworkInfo, ...]
    applicability: tuple[Applicability, ...]
    controls: tuple[Control, ...]
    results: tuple[ControlResult, ...]
    findings: tuple[Finding, ...]
    scorecards: tuple[Scorecard, ...]
    errors: tuple[RunError, ...] = ()
    inputs: tuple[InputDigest, ...] = ()
    packs: tuple[PackVersion, ...] = ()
    # The data inventory (every field holding personal data, labelled under each law).
    inventory: tuple[InventoryField, ...] = ()
    # The cross-border transfer register with the route reasoning per regime.
    transfers: tuple[TransferDecision, ...] = ()
    # Waivers in force or expired during this run.
    waivers: tuple[Waiver, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.errors

    def gating_findings(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.gating and f.severity.at_least(threshold)]

    def duration_seconds(self) -> float:
        return (self.finished - self.started).total_seconds()
