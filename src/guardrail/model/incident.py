"""Incidents, the legal obligations they trigger, and the playbook that discharges them.

Input: :class:`Incident` (``incident.yaml``): what happened, when, to which systems, datasets and
people, whether the data was encrypted and whether the key was exposed.

Output: :class:`Playbook`: every :class:`Obligation` decided for the incident (recipient,
absolute time-zone-aware deadline, legal basis, content required, exemptions, what is still
unknown and why), the response :class:`Step` s by NIST SP 800-61r3 / CSF 2.0 phase, and the
evidence checklist. Playbooks hold no personal data: counts, categories and the organisation's
own declared contacts only; free text from the incident is masked before it gets here.

:class:`LibraryProblem` is what :func:`guardrail.playbook.lint_library` reports about a
pre-generated playbook library (audit controls C32-C34).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from guardrail.model._base import ValueObject
from guardrail.model.common import ArticleRef, EntityName, LocalizedText, Region, Slug
from guardrail.model.stack import Contact

__all__ = [
    "AffectedData",
    "AffectedPersons",
    "AffectedScope",
    "Assessment",
    "Clock",
    "ClockStart",
    "Condition",
    "ContentItem",
    "Encryption",
    "Exemption",
    "ExposedData",
    "Incident",
    "IncidentSummary",
    "IncidentType",
    "IrmGrade",
    "LibraryEntry",
    "LibraryIndex",
    "LibraryProblem",
    "NoticeKind",
    "Obligation",
    "ObligationId",
    "ObligationStatus",
    "Owner",
    "Phase",
    "Playbook",
    "Recipient",
    "RecipientKind",
    "Regime",
    "RiskLevel",
    "Step",
    "Timing",
    "Unknown",
]

NonNegInt = Annotated[int, Field(ge=0)]

# ---------------------------------------------------------------------------------------------
# Input: the incident


class IncidentType(StrEnum):
    """What happened. The first six are personal-data breaches (GDPR Art. 4(12); PIPL Art. 57:
    leak, tampering or loss); the last two are unlawful processing, which becomes a breach only
    when data reached an unauthorised party (``unauthorised_disclosure: true``)."""

    EXFILTRATION = "exfiltration"  # data leak / exfiltration 数据泄露、窃取
    RANSOMWARE = "ransomware"  # 勒索软件
    UNAUTHORISED_ACCESS = "unauthorised_access"  # 未授权访问
    LOST_DEVICE = "lost_device"  # 设备或介质丢失
    MISDIRECTED = "misdirected"  # 误发（邮件、快递、文件）
    VENDOR_BREACH = "vendor_breach"  # 受托方 / 处理者事件
    UNLAWFUL_TRANSFER = "unlawful_transfer"  # 违规向境外或第三方提供
    CONSENT_VIOLATION = "consent_violation"  # 超出同意范围处理

    @property
    def is_breach(self) -> bool:
        return self not in (IncidentType.UNLAWFUL_TRANSFER, IncidentType.CONSENT_VIOLATION)


_TYPE_ALIASES = {
    "leak": "exfiltration",
    "data_leak": "exfiltration",
    "unauthorized_access": "unauthorised_access",
}


def _type_in(value: object) -> object:
    if isinstance(value, str):
        return _TYPE_ALIASES.get(value.strip().lower(), value.strip().lower())
    return value


class AffectedScope(ValueObject):
    """Systems, datastores and datasets of the manifest touched by the incident."""

    systems: tuple[Slug, ...] = ()
    datastores: tuple[Slug, ...] = ()
    # ``<datastore id>.<dataset name>``, as in the manifest's retention rules.
    datasets: tuple[str, ...] = ()


class AffectedPersons(ValueObject):
    """Natural persons affected, by region code (``CN``, ``DE``, ``US-CA`` ...).

    A region listed with ``null`` is affected but not counted yet; a region not listed is not
    affected. ``total`` defaults to the sum when every region is counted.
    """

    by_region: dict[Region, NonNegInt | None] = Field(default_factory=dict)
    total: NonNegInt | None = None
    # Approximate number of records concerned (GDPR Art. 33(3)(a)).
    records: NonNegInt | None = None
    # Minors (PRC: under 14 is sensitive PI, PIPL Art. 28) among them; None = unknown.
    minors: bool | None = None

    @model_validator(mode="after")
    def _total_covers_regions(self) -> AffectedPersons:
        known = sum(v for v in self.by_region.values() if v is not None)
        if self.total is not None and self.total < known:
            raise ValueError("total is smaller than the sum of the regions' counts")
        return self

    @property
    def counted_total(self) -> int | None:
        """The total if known (given, or every region counted)."""
        if self.total is not None:
            return self.total
        if all(v is not None for v in self.by_region.values()):
            return sum(v for v in self.by_region.values() if v is not None)
        return None

    @property
    def at_least(self) -> int:
        """A lower bound of the total."""
        known = sum(v for v in self.by_region.values() if v is not None)
        return max(known, self.total or 0)


class AffectedData(ValueObject):
    """Data involved beyond the fields the affected datasets declare in the manifest."""

    entities: tuple[EntityName, ...] = ()
    categories: tuple[str, ...] = ()
    # False while the incident is still being scoped: the absence of a category then proves
    # nothing, and obligations that depend on it stay conditional.
    complete: bool = True


class Encryption(ValueObject):
    """Encryption of the exposed copy as a whole, on top of the manifest's field protections.

    ``encrypted``: the copy that left (a laptop with full-disk encryption, an encrypted backup)
    was encrypted; ``key_exposed``: the key or credential went with it. ``None`` = unknown.
    """

    encrypted: bool | None = False
    key_exposed: bool | None = None


class RiskLevel(StrEnum):
    """Risk to the rights and freedoms of natural persons (GDPR Arts. 33(1), 34(1))."""

    UNLIKELY = "unlikely"
    RISK = "risk"
    HIGH = "high"


class Incident(ValueObject):
    """One incident, as the response team knows it at the time of writing."""

    schema_version: Literal[1] = 1
    id: Slug
    type: Annotated[IncidentType, BeforeValidator(_type_in)]
    title: str | None = None
    # Free text. Masked before it reaches any output (phones, IDs, cards, e-mails ...).
    description: str | None = None
    # When a signal of the incident was first detected (California: "discovery").
    discovered_at: AwareDatetime
    # When the organisation became aware with reasonable certainty that personal data was
    # affected (GDPR Art. 33(1)); defaults to discovered_at.
    aware_at: AwareDatetime | None = None
    occurred_from: AwareDatetime | None = None
    occurred_until: AwareDatetime | None = None
    contained_at: AwareDatetime | None = None
    # When handling of the incident ended (IRM Art. 8: the summary report is due 30 days later).
    handling_ended_at: AwareDatetime | None = None
    affected: AffectedScope = AffectedScope()
    persons: AffectedPersons = AffectedPersons()
    data: AffectedData = AffectedData()
    encryption: Encryption = Encryption()
    # Overrides the operator's CII status from the manifest (organization.cii_operator).
    cii: bool | None = None
    # The team's own risk assessment; when absent guardrail derives one and says why.
    risk: RiskLevel | None = None
    risk_reason: str | None = None
    # GDPR Art. 34(3)(b): later measures ensure the high risk is no longer likely to materialise.
    risk_removed: bool = False
    # GDPR Art. 34(3)(c): individual notice would involve disproportionate effort.
    individual_notice_disproportionate: bool = False
    # PIPL Art. 57 ¶2: the measures taken effectively avoid harm (individual notice optional).
    harm_avoided_by_measures: bool = False
    # Cal. Civ. Code §1798.82(c): a law enforcement agency asked to delay the notice.
    law_enforcement_delay: bool = False
    # Unlawful transfers and consent violations become breaches when data reached an
    # unauthorised party.
    unauthorised_disclosure: bool = False
    # Controller (default) or processor for the affected data; a processor notifies the
    # controller (GDPR Art. 33(2); Cal. Civ. Code §1798.82(b)).
    role: Literal["controller", "processor"] = "controller"
    controller: str | None = None
    # The manifest processor whose breach this is (vendor_breach).
    vendor: Slug | None = None
    # Notices already sent: obligation id -> time (resolves relative clocks, marks progress).
    sent: dict[str, AwareDatetime] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Incident:
        if self.aware_at is not None and self.aware_at < self.discovered_at:
            raise ValueError("aware_at is before discovered_at")
        if (
            self.occurred_from is not None
            and self.occurred_until is not None
            and self.occurred_until < self.occurred_from
        ):
            raise ValueError("occurred_until is before occurred_from")
        for name in ("contained_at", "handling_ended_at"):
            value = getattr(self, name)
            if value is not None and value < self.discovered_at:
                raise ValueError(f"{name} is before discovered_at")
        if self.role == "processor" and not self.controller:
            raise ValueError("a processor incident names the controller to notify ('controller')")
        if self.type is IncidentType.VENDOR_BREACH and self.role == "processor":
            raise ValueError("a vendor breach is handled as controller")
        unknown = sorted(set(self.sent) - {o.value for o in ObligationId})
        if unknown:
            raise ValueError(
                f"'sent' names unknown obligation '{unknown[0]}'; "
                f"use one of: {', '.join(o.value for o in ObligationId)}"
            )
        return self

    @property
    def awareness(self) -> datetime:
        return self.aware_at or self.discovered_at

    @property
    def is_breach(self) -> bool:
        return self.type.is_breach or self.unauthorised_disclosure


# ---------------------------------------------------------------------------------------------
# Output: obligations


class Regime(StrEnum):
    """The legal order an obligation belongs to (named like the framework packs)."""

    PIPL = "pipl"  # PRC: PIPL, the IRM, NDSR, Minors Regs
    GDPR = "gdpr"
    CCPA = "ccpa"  # California: Cal. Civ. Code §1798.82


class ObligationId(StrEnum):
    IRM_REPORT = "irm-report"
    PIPL_AUTHORITY = "pipl-authority"
    PIPL_INDIVIDUALS = "pipl-individuals"
    MINORS_GUARDIANS = "minors-guardians"
    POLICE_REPORT = "police-report"
    IRM_SUMMARY = "irm-summary"
    GDPR_AUTHORITY = "gdpr-authority"
    GDPR_SUBJECTS = "gdpr-subjects"
    BREACH_REGISTER = "breach-register"
    CA_RESIDENTS = "ca-residents"
    CA_ATTORNEY_GENERAL = "ca-attorney-general"
    PROCESSOR_TO_CONTROLLER = "processor-to-controller"


class ObligationStatus(StrEnum):
    REQUIRED = "required"
    CONDITIONAL = "conditional"  # depends on facts still unknown (see conditions)
    EXEMPT = "exempt"  # triggered, but an exemption applies (see exemptions)
    NOT_TRIGGERED = "not_triggered"

    @property
    def active(self) -> bool:
        return self in (ObligationStatus.REQUIRED, ObligationStatus.CONDITIONAL)


class RecipientKind(StrEnum):
    AUTHORITY = "authority"
    INDIVIDUALS = "individuals"
    PUBLIC = "public"  # public communication instead of individual notice
    ATTORNEY_GENERAL = "attorney_general"
    POLICE = "police"
    CONTROLLER = "controller"
    GUARDIANS = "guardians"
    REGISTER = "register"  # the organisation's own breach register


class Recipient(ValueObject):
    kind: RecipientKind
    name: LocalizedText
    contact: str | None = None
    region: Region | None = None
    # True when the recipient comes from the manifest (incident_response.authorities).
    configured: bool = False
    # People to notify (individual notices); None = not counted yet.
    persons: NonNegInt | None = None


class Timing(StrEnum):
    FIXED = "fixed"  # a number of hours or days
    IMMEDIATELY = "immediately"  # 立即 (PIPL Art. 57): no count, due at the clock start
    WITHOUT_UNDUE_DELAY = "without_undue_delay"  # GDPR Arts. 33(2), 34(1)
    PROMPTLY = "promptly"  # 及时
    MOST_EXPEDIENT = "most_expedient"  # §1798.82(a) before SB 446


class ClockStart(StrEnum):
    DISCOVERY = "discovery"
    AWARENESS = "awareness"
    HANDLING_END = "handling_end"
    AFTER = "after"  # after another obligation is discharged


class Clock(ValueObject):
    """A legal clock: from ``start`` (+ ``after``), ``hours`` elapsed or ``days`` calendar days
    ending at 23:59 in ``timezone`` (the recipient's statutory time zone)."""

    start: ClockStart
    after: ObligationId | None = None
    hours: NonNegInt | None = None
    days: NonNegInt | None = None
    timing: Timing = Timing.FIXED
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _shape(self) -> Clock:
        if (self.start is ClockStart.AFTER) != (self.after is not None):
            raise ValueError("'after' is set exactly when the clock starts after an obligation")
        if self.timing is Timing.FIXED and (self.hours is None) == (self.days is None):
            raise ValueError("a fixed clock has hours or days")
        return self

    @property
    def iso(self) -> str:
        """ISO 8601 duration (``PT72H``, ``P30D``) or the timing word (``immediately``)."""
        if self.hours is not None:
            return f"PT{self.hours}H"
        if self.days is not None:
            return f"P{self.days}D"
        return self.timing.value

    @property
    def span(self) -> timedelta | None:
        """The nominal length (calendar days as 24 h days), for CACAO timeouts."""
        if self.hours is not None:
            return timedelta(hours=self.hours)
        if self.days is not None:
            return timedelta(days=self.days)
        return None


class ContentItem(ValueObject):
    """One element a notice must contain, with its source."""

    id: str
    text: LocalizedText
    ref: ArticleRef


class Exemption(ValueObject):
    ref: ArticleRef
    applies: bool | None  # None = depends on facts still unknown
    reason: LocalizedText


class Condition(ValueObject):
    """A fact an obligation still depends on, as a CACAO variable comparison."""

    variable: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    op: Literal["==", ">=", ">"]
    value: int | bool
    text: LocalizedText

    @property
    def cacao(self) -> str:
        value = str(self.value).lower() if isinstance(self.value, bool) else str(self.value)
        return f"__{self.variable}__:value {self.op} {value}"


class NoticeKind(StrEnum):
    AUTHORITY_REPORT = "authority_report"
    SUBJECT_NOTICE = "subject_notice"
    CA_NOTICE = "ca_notice"
    PROCESSOR_NOTICE = "processor_notice"


class Obligation(ValueObject):
    """One decision of the obligations engine, explained."""

    id: ObligationId
    regime: Regime
    title: LocalizedText
    status: ObligationStatus
    recipient: Recipient
    clock: Clock | None = None
    # The clock's resolved start and the absolute deadline (None when the start is unknown or
    # the law gives no count; ``due`` then says when the playbook schedules it).
    start_at: AwareDatetime | None = None
    deadline: AwareDatetime | None = None
    due: AwareDatetime | None = None
    refs: tuple[ArticleRef, ...] = ()
    content: tuple[ContentItem, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    conditions: tuple[Condition, ...] = ()
    reasons: tuple[LocalizedText, ...] = ()
    notice: NoticeKind | None = None
    owner_role: str = "incident_lead"
    sent_at: AwareDatetime | None = None
    # Some ingredient is flagged ⚠ in the fact base: confirm before relying on it.
    uncertain: bool = False


class Unknown(ValueObject):
    """Something the team still has to find out, and the obligations that depend on it."""

    id: str
    text: LocalizedText
    affects: tuple[ObligationId, ...] = ()


# ---------------------------------------------------------------------------------------------
# Output: assessment and the playbook


class IrmGrade(StrEnum):
    """Incident levels of the IRM grading guide, by persons whose PI leaked (◐)."""

    GENERAL = "general"  # 一般 (below 较大 by the PI criterion)
    RELATIVELY_MAJOR = "relatively_major"  # 较大: ≥ 1,000,000 persons
    MAJOR = "major"  # 重大: ≥ 10,000,000
    ESPECIALLY_MAJOR = "especially_major"  # 特别重大: ≥ 100,000,000


class ExposedData(ValueObject):
    """One kind of data involved, with its meaning under each law and its protection."""

    entity: EntityName | None = None
    category: str
    datasets: tuple[str, ...] = ()
    source: Literal["declared", "detected", "incident"]
    pipl_sensitive: bool = False
    gdpr_special: bool = False
    ccpa_sensitive: bool = False
    # The Cal. Civ. Code §1798.82(h) element this data is, if any (e.g. "(h)(1)(B)").
    ca_element: str | None = None
    protection: Literal["plaintext", "encrypted", "tokenized", "pseudonymized", "hashed"]
    # Unreadable to the party that got it (encrypted/tokenised and key not exposed); None =
    # depends on whether the key was exposed.
    unintelligible: bool | None


class Assessment(ValueObject):
    """What the engine concluded about the incident before deciding obligations."""

    breach: bool
    regimes: tuple[Regime, ...]
    cii: bool
    irm_grade: IrmGrade | None  # None = persons not counted yet
    risk: RiskLevel | None  # None = depends on unknowns
    risk_declared: bool
    reasons: tuple[LocalizedText, ...] = ()
    data: tuple[ExposedData, ...] = ()
    persons_total: NonNegInt | None = None
    persons_at_least: NonNegInt = 0
    records: NonNegInt | None = None
    by_region: dict[Region, NonNegInt | None] = Field(default_factory=dict)


class IncidentSummary(ValueObject):
    """The incident as shown in outputs (free text masked)."""

    id: Slug
    type: IncidentType
    title: str | None = None
    description: str | None = None
    discovered_at: AwareDatetime
    aware_at: AwareDatetime
    occurred_from: AwareDatetime | None = None
    occurred_until: AwareDatetime | None = None
    contained_at: AwareDatetime | None = None
    handling_ended_at: AwareDatetime | None = None
    systems: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    role: Literal["controller", "processor"] = "controller"
    controller: str | None = None
    vendor: str | None = None
    law_enforcement_delay: bool = False
    # A library scenario: times are relative to T0 and counts unknown by design.
    scenario: bool = False


class Phase(StrEnum):
    """NIST SP 800-61r3 / CSF 2.0 incident-response phases, in order."""

    DETECT = "detect"
    ANALYSE = "analyse"
    CONTAIN = "contain"
    NOTIFY = "notify"
    RECOVER = "recover"
    IMPROVE = "improve"


class Owner(ValueObject):
    """Who does a step: a role of the manifest's incident team, resolved to a person."""

    role: str
    name: str | None = None  # None = nobody holds the role in the manifest
    contact: str | None = None


class Step(ValueObject):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    phase: Phase
    csf: str
    title: LocalizedText
    detail: LocalizedText
    owner: Owner
    due: AwareDatetime | None = None
    # How ``due`` is set: a statutory deadline or an internal target.
    legal: bool = False
    due_rule: LocalizedText | None = None
    obligation: ObligationId | None = None
    refs: tuple[ArticleRef, ...] = ()
    evidence: tuple[LocalizedText, ...] = ()
    # CACAO playbook activity (playbook-activity-type-ov).
    activity: str = "step-sequence"
    # How notices describe the step once done ("We revoked the credentials ...").
    measure: LocalizedText | None = None


class Playbook(ValueObject):
    """The canonical result: every other format renders from it."""

    schema_version: Literal[1] = 1
    guardrail_version: str
    generated_at: AwareDatetime
    organization: str
    # The organisation's home time zone, for times that belong to no recipient.
    timezone: str = "UTC"
    incident: IncidentSummary
    assessment: Assessment
    obligations: tuple[Obligation, ...]
    steps: tuple[Step, ...]
    team: tuple[Contact, ...] = ()
    unknowns: tuple[Unknown, ...] = ()

    def obligation(self, oid: ObligationId | str) -> Obligation:
        for o in self.obligations:
            if o.id == oid:
                return o
        raise KeyError(str(oid))

    @property
    def active_obligations(self) -> tuple[Obligation, ...]:
        return tuple(o for o in self.obligations if o.status.active)


class LibraryProblem(ValueObject):
    """One problem of a pre-generated playbook library (audit controls C32-C34)."""

    control: Literal["C32", "C33", "C34"]
    incident_type: IncidentType | None = None
    file: str | None = None
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    message: str


class LibraryEntry(ValueObject):
    """One incident type of a playbook library: its files (name -> SHA-256) and clocks."""

    files: dict[str, Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]]
    # Obligation id -> ISO 8601 duration or timing word, for every clock the playbook encodes.
    clocks: dict[str, str] = Field(default_factory=dict)


class LibraryIndex(ValueObject):
    """``index.json`` of a pre-generated playbook library (``guardrail playbook --library``)."""

    schema_version: Literal[1] = 1
    guardrail_version: str
    generated_at: AwareDatetime
    organization: str
    stack_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    regimes: tuple[Regime, ...]
    cii: bool
    types: dict[IncidentType, LibraryEntry]
