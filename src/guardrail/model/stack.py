"""The stack manifest (``stack.yaml``): what a shop declares about its processing.

The manifest is the organisation's own description of its systems, datastores, processors,
data flows, purposes, retention, officers and processes. Loading (YAML with line numbers,
fides import) lives in :mod:`guardrail.audit.manifest`; these are the value objects, kept in
``model`` so classification, reports and playbooks can read them without depending on the
audit layer.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from guardrail.model._base import ValueObject
from guardrail.model.common import EntityName, LocalizedText, Region, Slug
from guardrail.model.rules import RulePack

__all__ = [
    "EEA_COUNTRIES",
    "Anonymisation",
    "Assessment",
    "AssessmentKind",
    "Attestation",
    "Backup",
    "CcpaRole",
    "CcpaUse",
    "ComplianceAudit",
    "ConsentSource",
    "Contact",
    "Dataset",
    "Datastore",
    "DpaReference",
    "DsrProcess",
    "EncryptionAtRest",
    "FieldDeclaration",
    "Flow",
    "GdprBasis",
    "GdprRole",
    "IncidentResponse",
    "LegalBasis",
    "Notice",
    "Officer",
    "Officers",
    "Organization",
    "Period",
    "PersonCounts",
    "PiplBasis",
    "PiplRole",
    "PrivacySource",
    "ProcessingSet",
    "Processor",
    "Protection",
    "Purpose",
    "RetentionEnforcement",
    "RetentionRule",
    "Roles",
    "Stack",
    "System",
    "Transfer",
    "TransferMechanism",
    "frameworks_for_region",
    "is_eea",
]

# EU member states plus the EEA EFTA states, to which GDPR applies (EEA Agreement).
EEA_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)


def is_eea(region: str) -> bool:
    country = region.split("-", 1)[0]
    return region == "EU" or country in EEA_COUNTRIES


def frameworks_for_region(region: str) -> frozenset[str]:
    """The built-in frameworks whose territorial scope covers people located in ``region``.

    Mainland China only for PIPL (HK, MO and TW have their own laws: PIPL Art. 3 applies
    within the PRC's territory); EEA for GDPR (Art. 3); California for CCPA (§1798.140(i)).
    """
    out: set[str] = set()
    if region == "CN" or region.startswith("CN-"):
        out.add("pipl")
    if is_eea(region):
        out.add("gdpr")
    if region == "US-CA":
        out.add("ccpa")
    return frozenset(out)


# ---------------------------------------------------------------------------------------------
# Periods ("P3Y", "P6M", "P30D", "P1Y6M")

_PERIOD_RE = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")


class Period(ValueObject):
    """A calendar period in ISO 8601 form, restricted to years, months, weeks and days."""

    years: Annotated[int, Field(ge=0)] = 0
    months: Annotated[int, Field(ge=0)] = 0
    days: Annotated[int, Field(ge=0)] = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD_RE.match(text.strip().upper())
        if not m or text.strip().upper() == "P":
            raise ValueError("a period is written like P3Y, P6M, P30D or P1Y6M (ISO 8601)")
        weeks = int(m.group("w") or 0)
        return cls(
            years=int(m.group("y") or 0),
            months=int(m.group("m") or 0),
            days=int(m.group("d") or 0) + 7 * weeks,
        )

    def __str__(self) -> str:
        out = "P"
        if self.years:
            out += f"{self.years}Y"
        if self.months:
            out += f"{self.months}M"
        if self.days or out == "P":
            out += f"{self.days}D"
        return out

    @property
    def approx(self) -> timedelta:
        """Length in days for comparisons (a year = 365 d, a month = 30 d)."""
        return timedelta(days=365 * self.years + 30 * self.months + self.days)

    def before(self, at: datetime) -> datetime:
        """The instant ``self`` before ``at`` (calendar arithmetic, clamped month ends)."""
        month_index = at.year * 12 + (at.month - 1) - (12 * self.years + self.months)
        year, month = divmod(month_index, 12)
        month += 1
        day = min(at.day, _days_in_month(year, month))
        return at.replace(year=year, month=month, day=day) - timedelta(days=self.days)


def _days_in_month(year: int, month: int) -> int:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def _period_in(value: Any) -> Any:
    if isinstance(value, str):
        return Period.parse(value)
    return value


PeriodField = Annotated[
    Period, BeforeValidator(_period_in), PlainSerializer(str, return_type=str, when_used="json")
]

# ---------------------------------------------------------------------------------------------
# Organisation and officers


class PersonCounts(ValueObject):
    """Numbers of distinct natural persons, by region code (``CN``, ``EU``, ``US-CA`` ...)."""

    total: Annotated[int, Field(ge=0)] = 0
    sensitive: Annotated[int, Field(ge=0)] = 0
    by_region: dict[Region, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sensitive_within_total(self) -> PersonCounts:
        if self.sensitive > self.total and self.total:
            raise ValueError("sensitive cannot exceed total")
        return self


class Organization(ValueObject):
    name: str
    established_in: tuple[Region, ...] = Field(min_length=1)
    customers_in: tuple[Region, ...] = ()
    headcount: Annotated[int, Field(ge=0)] | None = None
    persons_processed: PersonCounts = PersonCounts()
    annual_revenue_usd: Annotated[int, Field(ge=0)] | None = None
    # CCPA §1798.140(d)(1)(B): consumers/households whose PI is bought, sold or shared per year.
    ca_consumers_sold_or_shared: Annotated[int, Field(ge=0)] | None = None
    # CCPA §1798.140(d)(1)(C): share of annual revenue from selling or sharing PI.
    revenue_share_from_selling_pi: Annotated[float, Field(ge=0, le=1)] | None = None
    sells_or_shares_pi: bool = False
    cii_operator: bool = False
    processes_important_data: bool = False
    offers_services_to_children: bool = False


class Officer(ValueObject):
    name: str
    role: str | None = None
    contact: str | None = None
    published: bool = False
    reported_to_authority: date | None = None
    member_of_management: bool = False


class Officers(ValueObject):
    pi_protection_officer: Officer | None = None  # PIPL Art. 52
    dpo: Officer | None = None  # GDPR Art. 37
    eu_representative: Officer | None = None  # GDPR Art. 27
    prc_representative: Officer | None = None  # PIPL Art. 53
    network_data_security_officer: Officer | None = None  # NDSR Art. 28/30


# ---------------------------------------------------------------------------------------------
# Systems, datastores, datasets, fields


class System(ValueObject):
    id: Slug
    name: str
    owner: str | None = None
    region: Region
    description: str | None = None
    public_endpoints: tuple[str, ...] = ()


class EncryptionAtRest(ValueObject):
    enabled: bool = False
    kms: str | None = None
    keys_stored_separately: bool = False


class Backup(ValueObject):
    enabled: bool = False
    region: Region | None = None
    encrypted: bool = False


class Protection(ValueObject):
    """Protections a field declares; masking is display-only and never counts as protection."""

    field_encrypted: bool = False
    pseudonymized: bool = False
    tokenized: bool = False
    hashed: bool = False
    masked_in_display: bool = False

    @property
    def protects_at_rest(self) -> bool:
        return self.field_encrypted or self.pseudonymized or self.tokenized or self.hashed


class FieldDeclaration(ValueObject):
    """A field the organisation declares, with its classification if known."""

    name: str
    categories: tuple[str, ...] = ()
    entity: EntityName | None = None
    protection: Protection = Protection()
    purposes: tuple[Slug, ...] = ()
    description: str | None = None


class Dataset(ValueObject):
    """A table, collection, key pattern or file set inside a datastore."""

    name: str
    description: str | None = None
    subjects: tuple[str, ...] = ("customer",)
    purposes: tuple[Slug, ...] = ()
    # Column holding the record's creation/last-activity time; used to probe retention.
    timestamp_field: str | None = None
    # production (live customer data), analytics (derived / reporting copies) or test.
    environment: Literal["production", "analytics", "test"] = "production"
    # Entities this dataset is declared to hold on purpose (e.g. client IPs in an access log
    # kept for security): the no-PII-in-logs check does not flag them.
    allowed_entities: tuple[EntityName, ...] = ()
    fields: tuple[FieldDeclaration, ...] = ()
    contains_minors: bool = False


class Datastore(ValueObject):
    """A place data rests: a database (connector URL) or a set of files."""

    id: Slug
    system: Slug | None = None
    # "logs" are files the application writes for operations (scanned as free text).
    kind: Literal["sql", "files", "logs", "redis", "other"] = "sql"
    # Either a URL (relative file paths are relative to the manifest) or an environment
    # variable holding it; credentials belong in the environment, never in the manifest.
    url: str | None = None
    url_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    region: Region
    encryption_at_rest: EncryptionAtRest = EncryptionAtRest()
    backups: Backup = Backup()
    datasets: tuple[Dataset, ...] = ()
    scan: bool = True

    @model_validator(mode="after")
    def _url_or_env(self) -> Datastore:
        if self.scan and self.kind != "other" and not (self.url or self.url_env):
            raise ValueError("a scanned datastore needs 'url' or 'url_env'")
        if self.url and _URL_PASSWORD_RE.search(self.url):
            raise ValueError(
                "put credentials in an environment variable (url_env), not in the manifest"
            )
        return self


_URL_PASSWORD_RE = re.compile(r"^[a-z0-9+]+://[^/@:]+:[^/@]+@", re.IGNORECASE)

# ---------------------------------------------------------------------------------------------
# Processors, flows, transfers


class PiplRole(StrEnum):
    ENTRUSTED = "entrusted"  # PIPL Art. 21 受托人
    RECIPIENT = "recipient"  # PIPL Art. 23 another processor
    JOINT = "joint"  # PIPL Art. 20


class GdprRole(StrEnum):
    PROCESSOR = "processor"
    SUB_PROCESSOR = "sub_processor"
    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint_controller"


class CcpaRole(StrEnum):
    SERVICE_PROVIDER = "service_provider"  # Cal. Civ. Code §1798.140(ag)
    CONTRACTOR = "contractor"  # §1798.140(j)
    THIRD_PARTY = "third_party"  # §1798.140(ai)


class Roles(ValueObject):
    pipl: PiplRole | None = None
    gdpr: GdprRole | None = None
    ccpa: CcpaRole | None = None


class DpaReference(ValueObject):
    reference: str
    signed: date | None = None
    expires: date | None = None
    clauses: tuple[
        Literal["purpose", "term", "security", "sub_processing", "return_or_delete", "audit"], ...
    ] = ()


class Processor(ValueObject):
    id: Slug
    name: str
    service: str | None = None
    roles: Roles = Roles()
    dpa: DpaReference | None = None
    region: Region
    sub_processors: tuple[Slug, ...] = ()


class TransferMechanism(StrEnum):
    NONE = "none"
    # PRC (PIPL Art. 38; XBP)
    CAC_SECURITY_ASSESSMENT = "cac_security_assessment"  # PIPL Art. 40; XBP Art. 7
    CAC_STANDARD_CONTRACT = "cac_standard_contract"  # PIPL Art. 38(1)(3); XBP Art. 8
    PI_PROTECTION_CERTIFICATION = "pi_protection_certification"  # PIPL Art. 38(1)(2)
    XBP_CONTRACT_NECESSITY = "xbp_contract_necessity"  # XBP Art. 5(1)
    XBP_HR = "xbp_hr"  # XBP Art. 5(2)
    XBP_EMERGENCY = "xbp_emergency"  # XBP Art. 5(3)
    # EU (GDPR Chapter V)
    ADEQUACY = "adequacy"  # GDPR Art. 45
    SCCS = "sccs"  # GDPR Art. 46(2)(c), Decision (EU) 2021/914
    BCRS = "bcrs"  # GDPR Art. 47
    DEROGATION = "derogation"  # GDPR Art. 49


class Transfer(ValueObject):
    """How a cross-border flow is made lawful, one entry per exporting regime."""

    mechanism: TransferMechanism
    evidence: str | None = None
    filed: date | None = None
    expires: date | None = None
    # GDPR: transfer-impact assessment after Schrems II (EDPB Rec. 01/2020).
    tia: bool = False


class Anonymisation(ValueObject):
    """How a flow is anonymised: differentially private releases recorded in a ledger."""

    method: Literal["differential_privacy", "aggregation", "k_anonymity"]
    dataset: str | None = None  # the ledger's dataset id
    releases: tuple[str, ...] = ()
    max_epsilon: Annotated[float, Field(gt=0)] | None = None


class Flow(ValueObject):
    id: Slug
    source: Slug = Field(alias="from")
    destination: Slug = Field(alias="to")
    categories: tuple[str, ...] = ()
    purpose: Slug | None = None
    from_region: Region
    to_region: Region
    transfers: tuple[Transfer, ...] = ()
    # Distinct persons whose PI went through this flow since 1 January (XBP thresholds).
    # None: not counted (a gap of its own, control C26).
    persons_since_jan1: PersonCounts | None = None
    separate_consent: bool = False
    kind: Literal["transfer", "sale", "share", "service", "internal"] = "service"
    # Only aggregates leave: the flow is anonymised (PIPL Art. 73(4), GDPR Recital 26) and
    # cites the differentially private releases that prove it (guardrail dp ledger ids).
    anonymised: Anonymisation | None = None

    model_config = ValueObject.model_config | {"populate_by_name": True}

    @property
    def cross_border(self) -> bool:
        a, b = self.from_region, self.to_region
        if is_eea(a) and is_eea(b):
            return False
        return a.split("-", 1)[0] != b.split("-", 1)[0] or (a == "EU") != (b == "EU")


# ---------------------------------------------------------------------------------------------
# Purposes, retention, notices, rights, incidents, assessments


class PiplBasis(StrEnum):
    """PIPL Art. 13(1) items (1)-(7). PIPL has no legitimate-interests basis."""

    CONSENT = "consent"  # 13(1)(1)
    CONTRACT_OR_HR = "contract_or_hr"  # 13(1)(2)
    LEGAL_DUTY = "legal_duty"  # 13(1)(3)
    EMERGENCY = "emergency"  # 13(1)(4)
    NEWS_REPORTING = "news_reporting"  # 13(1)(5)
    DISCLOSED_INFORMATION = "disclosed_information"  # 13(1)(6)
    OTHER_LAW = "other_law"  # 13(1)(7)


class GdprBasis(StrEnum):
    """GDPR Art. 6(1)(a)-(f)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class CcpaUse(StrEnum):
    """How CCPA sees the use: a business purpose (§1798.140(e)) or a sale/share."""

    BUSINESS_PURPOSE = "business_purpose"
    COMMERCIAL_PURPOSE = "commercial_purpose"
    SALE = "sale"
    SHARE = "share"


class LegalBasis(ValueObject):
    pipl: PiplBasis | None = None
    gdpr: GdprBasis | None = None
    ccpa: CcpaUse | None = None


class Purpose(ValueObject):
    id: Slug
    description: LocalizedText
    legal_basis: LegalBasis = LegalBasis()
    categories: tuple[str, ...] = ()
    requires_separate_consent: bool = False
    automated_decision_making: bool = False


class RetentionEnforcement(ValueObject):
    mechanism: Literal["ttl", "deletion_job", "manual", "none"] = "none"
    schedule: str | None = None
    evidence: str | None = None


class RetentionRule(ValueObject):
    """How long data is kept.

    Targets exactly one of: a dataset (``<datastore id>.<dataset name>``), a whole datastore
    (e.g. a log store), or a data category (``user.contact``).
    """

    dataset: str | None = None
    datastore: Slug | None = None
    category: str | None = None
    period: PeriodField
    # Legal minimum the period must respect, e.g. E-commerce Law Art. 31 (3 years).
    minimum: PeriodField | None = None
    basis: str | None = None
    enforcement: RetentionEnforcement = RetentionEnforcement()

    @model_validator(mode="after")
    def _target(self) -> RetentionRule:
        if sum(x is not None for x in (self.dataset, self.datastore, self.category)) != 1:
            raise ValueError(
                "a retention rule targets exactly one of 'dataset', 'datastore' or 'category'"
            )
        return self


class Notice(ValueObject):
    id: Slug
    url: str | None = None
    version: str
    effective: date
    languages: tuple[str, ...] = ("en",)
    items: tuple[
        Literal[
            "identity_contact",
            "purposes",
            "categories",
            "retention",
            "rights",
            "recipients",
            "transfers",
            "sensitive_necessity",
            "do_not_sell_link",
            "limit_spi_link",
        ],
        ...,
    ] = ()


class DsrProcess(ValueObject):
    channels: tuple[str, ...] = ()
    identity_verification: bool = False
    export_format: str | None = None
    account_cancellation: bool = False
    sla_days: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    records_retained: PeriodField | None = None


class Contact(ValueObject):
    """A person or body to reach during an incident."""

    role: str
    name: str
    contact: str | None = None
    region: Region | None = None


class IncidentResponse(ValueObject):
    plan: str | None = None
    owner: str | None = None
    last_drill: date | None = None
    playbooks: str | None = None
    breach_register: str | None = None
    # The response team (incident lead, legal, communications, IT security ...).
    team: tuple[Contact, ...] = ()
    # Authorities to notify: lead supervisory authority (GDPR Art. 56), the provincial CAC,
    # the California Attorney General ...; ``role`` names the regime.
    authorities: tuple[Contact, ...] = ()


class AssessmentKind(StrEnum):
    PIPIA = "pipia"  # PIPL Art. 55
    DPIA = "dpia"  # GDPR Art. 35
    CCPA_RISK = "ccpa_risk"  # CPPA regs §7150 et seq.
    TIA = "tia"


class Assessment(ValueObject):
    id: Slug
    kind: AssessmentKind
    covers: tuple[Slug, ...] = ()
    completed: date | None = None
    document: str | None = None


class ComplianceAudit(ValueObject):
    """A completed personal-information compliance audit (PIPL Art. 54, Minors Regs Art. 37,
    CPPA cybersecurity audit)."""

    kind: Literal["pipl", "minors", "cybersecurity"]
    completed: date
    auditor: str | None = None
    report: str | None = None


class ProcessingSet(ValueObject):
    """Which subjects a purpose is processing now: the distinct values of a column (optionally
    filtered on one column's value) of a table in a declared datastore."""

    purpose: Slug
    datastore: Slug
    table: str
    column: str
    where: dict[str, str | int | bool] = Field(default_factory=dict)
    # Columns that must hold a value (e.g. the subjects whose resident ID is stored).
    not_null: tuple[str, ...] = ()


class ConsentSource(ValueObject):
    """Where the consent registry lives (``guardrail consent``).

    The registry keys subjects with a keyring: ``keyring`` is a key file (relative to the
    manifest; mode 0600) or ``keyring_env`` names the variable holding it (default
    ``GUARDRAIL_KEYRING``).
    """

    url: str | None = None
    url_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    keyring: str | None = None
    keyring_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    # Who is processed for which purpose: lets the audit measure coverage, withdrawals not
    # propagated and GPC not honoured (without it those are attested, control C14/C17/C40).
    processing: tuple[ProcessingSet, ...] = ()


class PrivacySource(ValueObject):
    """Where the differential-privacy ledger lives (``guardrail dp``): a SQLAlchemy URL
    (relative SQLite paths are relative to the manifest) or an environment variable."""

    ledger: str | None = None
    ledger_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None


class Attestation(ValueObject):
    """A manual control's evidence: who vouches for it, where the proof is, until when."""

    control: Slug
    owner: str
    evidence: str
    expires: date


# ---------------------------------------------------------------------------------------------


class Stack(ValueObject):
    """The whole manifest."""

    schema_version: Literal[1] = 1
    organization: Organization
    officers: Officers = Officers()
    systems: tuple[System, ...] = ()
    datastores: tuple[Datastore, ...] = ()
    processors: tuple[Processor, ...] = ()
    flows: tuple[Flow, ...] = ()
    purposes: tuple[Purpose, ...] = ()
    retention: tuple[RetentionRule, ...] = ()
    notices: tuple[Notice, ...] = ()
    dsr: DsrProcess | None = None
    incident_response: IncidentResponse | None = None
    assessments: tuple[Assessment, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    compliance_audits: tuple[ComplianceAudit, ...] = ()
    consent: ConsentSource | None = None
    privacy: PrivacySource | None = None
    # Organisation overrides of the classification rules: custom categories, entity mappings,
    # combination and dataset rules (same shape as a rule pack; replaces entries by key/id).
    classification: RulePack | None = None

    @field_validator("systems", "datastores", "processors", "flows", "purposes")
    @classmethod
    def _unique_ids(cls, items: tuple[Any, ...]) -> tuple[Any, ...]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"duplicate id '{item.id}'")
            seen.add(item.id)
        return items

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Stack:
        if info.context and info.context.get("defer_references"):
            return self  # the manifest loader reports these with file and line
        problems = self.reference_problems()
        if problems:
            raise ValueError(problems[0][1])
        return self

    def reference_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Dangling references, as ``(location path, message)`` pairs, in document order."""
        out: list[tuple[tuple[str | int, ...], str]] = []
        systems = {s.id for s in self.systems}
        processors = {p.id for p in self.processors}
        nodes = systems | {d.id for d in self.datastores} | processors
        purposes = {p.id for p in self.purposes}
        datasets = {f"{d.id}.{ds.name}" for d in self.datastores for ds in d.datasets}
        for i, d in enumerate(self.datastores):
            if d.system is not None and d.system not in systems:
                out.append(
                    (
                        ("datastores", i, "system"),
                        f"datastore '{d.id}' names unknown system '{d.system}'",
                    )
                )
            for j, ds in enumerate(d.datasets):
                for pid in ds.purposes:
                    if pid not in purposes:
                        out.append(
                            (
                                ("datastores", i, "datasets", j, "purposes"),
                                f"dataset '{d.id}.{ds.name}' names unknown purpose '{pid}'",
                            )
                        )
        for i, p in enumerate(self.processors):
            for sub in p.sub_processors:
                if sub not in processors:
                    out.append(
                        (
                            ("processors", i, "sub_processors"),
                            f"processor '{p.id}' names unknown sub-processor '{sub}'",
                        )
                    )
        for i, f in enumerate(self.flows):
            for key, end in (("from", f.source), ("to", f.destination)):
                if end not in nodes:
                    out.append(
                        (
                            ("flows", i, key),
                            f"flow '{f.id}' names unknown system, datastore or processor '{end}'",
                        )
                    )
            if f.purpose is not None and f.purpose not in purposes:
                out.append(
                    (("flows", i, "purpose"), f"flow '{f.id}' names unknown purpose '{f.purpose}'")
                )
        for i, r in enumerate(self.retention):
            if r.datastore is not None and r.datastore not in {d.id for d in self.datastores}:
                out.append(
                    (
                        ("retention", i, "datastore"),
                        f"retention rule names unknown datastore '{r.datastore}'",
                    )
                )
            if r.dataset is not None and r.dataset not in datasets:
                out.append(
                    (
                        ("retention", i, "dataset"),
                        f"retention rule names unknown dataset '{r.dataset}' "
                        "(write it as <datastore id>.<dataset name>)",
                    )
                )
        for i, a in enumerate(self.assessments):
            for target in a.covers:
                if target not in nodes | purposes | datasets | {f.id for f in self.flows}:
                    out.append(
                        (
                            ("assessments", i, "covers"),
                            f"assessment '{a.id}' covers unknown item '{target}'",
                        )
                    )
        stores = {d.id for d in self.datastores}
        for i, ps in enumerate(self.consent.processing if self.consent else ()):
            if ps.datastore not in stores:
                out.append(
                    (
                        ("consent", "processing", i, "datastore"),
                        f"consent processing set for '{ps.purpose}' names unknown datastore "
                        f"'{ps.datastore}'",
                    )
                )
        return out

    def datastore(self, id: str) -> Datastore:
        for d in self.datastores:
            if d.id == id:
                return d
        raise KeyError(id)

    def retention_for(
        self, datastore: str, dataset: str | None = None, categories: tuple[str, ...] = ()
    ) -> RetentionRule | None:
        """The most specific rule: dataset, then datastore, then the first category matched.

        Category rules match a field category or any of its descendants (``user.contact``
        covers ``user.contact.phone``).
        """
        if dataset is not None:
            key = f"{datastore}.{dataset}"
            for r in self.retention:
                if r.dataset == key:
                    return r
        for r in self.retention:
            if r.datastore == datastore:
                return r
        for r in self.retention:
            if r.category is not None and any(
                c == r.category or c.startswith(r.category + ".") for c in categories
            ):
                return r
        return None
