"""Consent registry value objects: the purposes catalog, events, derived state, chain checks,
receipts and the facts the audit reads.

Events follow ISO/IEC TS 27560 (event time, validity, event type and state; see
../shared/reference/regulations.md §11.2) with the PRC additions the fact base recommends
(separate consent, 单独同意). Subjects are *keyed pseudonyms*: no model here ever holds a raw
subject identifier except :class:`ConsentRequest`, whose identifier fields are hidden from
``repr`` and validation errors.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from guardrail.model._base import ValueObject
from guardrail.model.common import ArticleRef, Lang, LocalizedText, Region, Slug
from guardrail.model.stack import CcpaUse, GdprBasis, LegalBasis, PeriodField, PiplBasis

__all__ = [
    "CONSENT_ACTIONS",
    "SUBJECT_ACTIONS",
    "ChainProblem",
    "ChainProblemKind",
    "Channel",
    "ChildAges",
    "ConsentAction",
    "ConsentCatalog",
    "ConsentEvent",
    "ConsentFacts",
    "ConsentPurpose",
    "ConsentRequest",
    "ConsentState",
    "Controller",
    "ControllerAddress",
    "EvidenceMethod",
    "ImportColumns",
    "ImportMapping",
    "ImportResult",
    "KantaraController",
    "KantaraPurpose",
    "KantaraReceipt",
    "KantaraService",
    "Lifecycle",
    "MissingReason",
    "NoticeVersion",
    "PurposeConsentFacts",
    "ReasonCount",
    "ReceiptCheck",
    "Regime",
    "SeparateConsentTrigger",
    "ServiceError",
    "StatusQuery",
    "SubjectId",
    "SubjectQuery",
    "VerifyReport",
    "WithdrawRequest",
    "reason_refs",
    "reason_text",
]

#: A raw subject identifier as the shop knows it (customer id, account name ...). It is
#: pseudonymised on the way in and never stored.
SubjectId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
#: A keyed pseudonym as stored in the registry.
Pseudonym = Annotated[str, StringConstraints(min_length=0, max_length=128)]
NoticeId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/+-]*$")
]
#: An opaque reference to the collection evidence (form id, request id, source row). Not a
#: place for personal data.
EvidenceRef = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
HexDigest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{32})?$")]
MinorAge = Annotated[int, Field(ge=0, le=17)]


class Regime(StrEnum):
    PIPL = "pipl"
    GDPR = "gdpr"
    CCPA = "ccpa"


class ConsentAction(StrEnum):
    """What an event says. Consent actions concern one purpose; the CCPA choices may concern
    every applicable purpose at once (``purpose`` left empty)."""

    GIVEN = "given"  # GDPR Art. 7(1): the controller must be able to demonstrate consent
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # PIPL Art. 15; GDPR Art. 7(3)
    EXPIRED = "expired"  # ISO/IEC TS 27560 event state
    OPT_OUT = "opt_out"  # Cal. Civ. Code §1798.120(a): opt out of sale/sharing
    OPT_IN = (
        "opt_in"  # affirmative authorisation to sell/share again (§1798.120(c), §1798.135(c)(4) ⚠)
    )
    LIMIT_SENSITIVE = "limit_sensitive"  # Cal. Civ. Code §1798.121 ⚠
    GPC = "gpc"  # opt-out preference signal, 11 CCR §7025(b)
    ERASED = "erased"  # tombstone written by erase(); never recorded directly


CONSENT_ACTIONS = frozenset(
    {ConsentAction.GIVEN, ConsentAction.REFUSED, ConsentAction.WITHDRAWN, ConsentAction.EXPIRED}
)
SUBJECT_ACTIONS = frozenset(
    {
        ConsentAction.OPT_OUT,
        ConsentAction.OPT_IN,
        ConsentAction.LIMIT_SENSITIVE,
        ConsentAction.GPC,
    }
)


class Channel(StrEnum):
    """How the choice was collected (ISO/IEC TS 27560 "collection method")."""

    WEB = "web"
    APP = "app"
    MINI_PROGRAM = "mini_program"
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"
    PAPER = "paper"
    API = "api"
    BROWSER_SIGNAL = "browser_signal"
    IMPORT = "import"
    OTHER = "other"


class EvidenceMethod(StrEnum):
    """What proves the choice (GDPR Art. 7(1))."""

    CHECKBOX = "checkbox"
    BUTTON = "button"
    SIGNATURE = "signature"
    DOUBLE_OPT_IN = "double_opt_in"
    VERBAL_RECORDED = "verbal_recorded"
    SETTINGS = "settings"
    GPC_HEADER = "gpc_header"
    IMPORTED = "imported"
    OTHER = "other"


class Lifecycle(StrEnum):
    NEVER_GIVEN = "never_given"
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class MissingReason(StrEnum):
    """Why processing is not covered (the ``reason`` of ``ConsentMissing``)."""

    NEVER_GIVEN = "never_given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOTICE_CHANGED = "notice_changed"
    SEPARATE_CONSENT_MISSING = "separate_consent_missing"
    GUARDIAN_NEEDED = "guardian_needed"
    OPTED_OUT = "opted_out"
    GPC_OPT_OUT = "gpc_opt_out"
    SENSITIVE_LIMITED = "sensitive_limited"


_REASON_REFS: dict[MissingReason, tuple[ArticleRef, ...]] = {
    MissingReason.NEVER_GIVEN: (
        ArticleRef(instrument="PIPL", provision="13(1)(1)"),
        ArticleRef(instrument="GDPR", provision="7(1)"),
    ),
    MissingReason.REFUSED: (
        ArticleRef(instrument="PIPL", provision="16"),
        ArticleRef(instrument="NDSR", provision="22(5)"),
    ),
    MissingReason.WITHDRAWN: (
        ArticleRef(instrument="PIPL", provision="15"),
        ArticleRef(instrument="GDPR", provision="7(3)"),
    ),
    MissingReason.EXPIRED: (ArticleRef(instrument="NDSR", provision="22(4)"),),
    MissingReason.NOTICE_CHANGED: (
        ArticleRef(instrument="PIPL", provision="14"),
        ArticleRef(instrument="NDSR", provision="22(6)"),
    ),
    MissingReason.SEPARATE_CONSENT_MISSING: (
        ArticleRef(instrument="PIPL", provision="23"),
        ArticleRef(instrument="PIPL", provision="29"),
        ArticleRef(instrument="PIPL", provision="39"),
        ArticleRef(instrument="NDSR", provision="62(7)"),
    ),
    MissingReason.GUARDIAN_NEEDED: (
        ArticleRef(instrument="PIPL", provision="31"),
        ArticleRef(instrument="GDPR", provision="8(1)"),
        ArticleRef(instrument="CAL-CIV", provision="1798.120(c)"),
    ),
    MissingReason.OPTED_OUT: (ArticleRef(instrument="CAL-CIV", provision="1798.120(a)"),),
    MissingReason.GPC_OPT_OUT: (ArticleRef(instrument="CPPA-REGS", provision="7025(b)"),),
    MissingReason.SENSITIVE_LIMITED: (
        ArticleRef(instrument="CAL-CIV", provision="1798.121", uncertain=True),
    ),
}


def reason_refs(reason: MissingReason) -> tuple[ArticleRef, ...]:
    """The provisions behind a missing-consent reason."""
    return _REASON_REFS[reason]


_REASON_TEXT: dict[MissingReason, tuple[str, str]] = {
    MissingReason.NEVER_GIVEN: ("consent was never given", "从未取得同意"),
    MissingReason.REFUSED: ("consent was refused", "个人已拒绝同意"),
    MissingReason.WITHDRAWN: ("consent was withdrawn", "个人已撤回同意"),
    MissingReason.EXPIRED: ("consent has expired", "同意已过有效期"),
    MissingReason.NOTICE_CHANGED: (
        "the notice changed since consent was given; ask again",
        "告知内容已变更，需重新取得同意",
    ),
    MissingReason.SEPARATE_CONSENT_MISSING: (
        "separate consent is required but was not given",
        "需要取得单独同意，但未取得",
    ),
    MissingReason.GUARDIAN_NEEDED: (
        "the subject is a minor: a parent's or guardian's consent is needed",
        "个人为未成年人，需取得其父母或其他监护人的同意",
    ),
    MissingReason.OPTED_OUT: (
        "the consumer opted out of sale and sharing",
        "消费者已选择退出出售和共享",
    ),
    MissingReason.GPC_OPT_OUT: (
        "a Global Privacy Control signal opted the consumer out of sale and sharing",
        "全球隐私控制（GPC）信号表示退出出售和共享",
    ),
    MissingReason.SENSITIVE_LIMITED: (
        "the consumer limited the use of sensitive personal information",
        "消费者已限制敏感个人信息的使用",
    ),
}


def reason_text(reason: MissingReason) -> LocalizedText:
    """What a missing-consent reason means, in English and Chinese."""
    en, zh = _REASON_TEXT[reason]
    return LocalizedText(en=en, zh=zh)


# ---------------------------------------------------------------------------------------------
# The purposes catalog


class SeparateConsentTrigger(StrEnum):
    """Why a purpose needs *separate* consent (单独同意, defined in NDSR Art. 62(7))."""

    THIRD_PARTY = "third_party"  # PIPL Art. 23
    PUBLIC_DISCLOSURE = "public_disclosure"  # PIPL Art. 25
    PUBLIC_CAMERAS = "public_cameras"  # PIPL Art. 26
    SENSITIVE = "sensitive"  # PIPL Art. 29
    CROSS_BORDER = "cross_border"  # PIPL Art. 39


class ConsentPurpose(ValueObject):
    """One processing purpose a subject can consent to."""

    id: Slug
    description: LocalizedText
    legal_basis: LegalBasis = LegalBasis()
    separate_consent: tuple[SeparateConsentTrigger, ...] = ()
    data_categories: tuple[str, ...] = ()
    retention: PeriodField | None = None
    #: How long a consent stays valid (ISO/IEC TS 27560 "validity duration"); ``None`` = until
    #: withdrawn.
    consent_validity: PeriodField | None = None
    #: Processes sensitive personal information (PIPL Art. 28, GDPR Art. 9, CCPA SPI).
    sensitive: bool = False
    #: Recipients' names (PIPL Art. 23 / 39 notice; Kantara ``thirdPartyName``).
    third_parties: tuple[str, ...] = ()
    #: Kantara 1.1 ``purposeCategory`` / ``piiCategory`` labels for receipts.
    kantara_purpose_category: str = "1 - Core Function"
    kantara_pii_categories: tuple[str, ...] = ("1 - Biographical",)
    primary: bool = False

    @property
    def requires_separate_consent(self) -> bool:
        return bool(self.separate_consent)

    @property
    def sale_or_share(self) -> bool:
        """Selling or sharing under CCPA (opt-out model, §1798.120)."""
        return self.legal_basis.ccpa in (CcpaUse.SALE, CcpaUse.SHARE)

    @property
    def consent_based(self) -> bool:
        """Processing relies on consent under PIPL (Art. 13(1)(1)) or GDPR (Art. 6(1)(a)), or
        needs separate consent."""
        return (
            self.legal_basis.pipl is PiplBasis.CONSENT
            or self.legal_basis.gdpr is GdprBasis.CONSENT
            or self.requires_separate_consent
        )

    @property
    def limitable(self) -> bool:
        """Subject to a request to limit the use of sensitive PI (Cal. Civ. Code §1798.121 ⚠)."""
        return self.sensitive and self.legal_basis.ccpa is not CcpaUse.BUSINESS_PURPOSE


class NoticeVersion(ValueObject):
    """One version of the privacy notice consents are given under."""

    version: NoticeId
    effective: date
    url: str | None = None
    languages: tuple[str, ...] = ("en",)
    #: Purposes whose processing changed materially in this version: consents given under an
    #: older notice must be renewed (PIPL Art. 14 ¶2; NDSR Art. 22(6)). ``"*"`` = every purpose.
    reconsent: tuple[Slug | Literal["*"], ...] = ()


class ControllerAddress(ValueObject):
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str


class Controller(ValueObject):
    """The PII controller named on receipts (Kantara 1.1 ``piiControllers``)."""

    name: str
    contact: str
    email: str
    phone: str
    address: ControllerAddress
    url: str | None = None


class ChildAges(ValueObject):
    """Below these ages a guardian must consent."""

    pipl: Annotated[int, Field(ge=1, le=18)] = 14  # PIPL Art. 31 (under 14)
    gdpr: Annotated[int, Field(ge=13, le=16)] = 16  # GDPR Art. 8(1): 16, Member States >= 13
    gdpr_by_country: dict[Region, Annotated[int, Field(ge=13, le=16)]] = Field(default_factory=dict)
    ccpa: Annotated[int, Field(ge=1, le=16)] = 13  # Cal. Civ. Code §1798.120(c): parent if < 13
    ccpa_opt_in: Annotated[int, Field(ge=1, le=18)] = 16  # §1798.120(c): opt-in needed if < 16


class ConsentCatalog(ValueObject):
    """The purposes, notice versions and controller a registry works with."""

    schema_version: Literal[1] = 1
    controller: Controller
    service: str
    jurisdiction: str
    language: Lang = Lang.EN
    #: Laws that bind the processing of *every* subject whatever their region, e.g. PIPL for
    #: processing in China (PIPL Art. 3(1)). The subject's own region adds its law.
    applies_to_all: tuple[Regime, ...] = ()
    child_ages: ChildAges = ChildAges()
    notices: tuple[NoticeVersion, ...] = Field(min_length=1)
    purposes: tuple[ConsentPurpose, ...] = Field(min_length=1)

    @field_validator("notices")
    @classmethod
    def _notices_ordered(cls, v: tuple[NoticeVersion, ...]) -> tuple[NoticeVersion, ...]:
        seen: set[str] = set()
        for i, n in enumerate(v):
            if n.version in seen:
                raise ValueError(f"notice version '{n.version}' appears twice")
            seen.add(n.version)
            if i and n.effective < v[i - 1].effective:
                raise ValueError("notices must be listed oldest first (by 'effective')")
        return v

    @model_validator(mode="after")
    def _references(self) -> ConsentCatalog:
        ids = [p.id for p in self.purposes]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"purpose '{dup}' appears twice")
        known = set(ids)
        for n in self.notices:
            for p in n.reconsent:
                if p != "*" and p not in known:
                    raise ValueError(
                        f"notice '{n.version}' names unknown purpose '{p}' in reconsent"
                    )
        return self

    def purpose(self, purpose_id: str) -> ConsentPurpose | None:
        return next((p for p in self.purposes if p.id == purpose_id), None)

    def notice(self, version: str) -> NoticeVersion | None:
        return next((n for n in self.notices if n.version == version), None)


# ---------------------------------------------------------------------------------------------
# Events


class ConsentRequest(ValueObject):
    """A choice to record, as a caller states it. ``subject`` and ``guardian`` are raw
    identifiers: they are pseudonymised by the registry and hidden from ``repr``."""

    subject: SubjectId = Field(repr=False)
    purpose: Slug | None = None
    action: ConsentAction = ConsentAction.GIVEN
    occurred_at: AwareDatetime | None = None
    notice_version: NoticeId | None = None
    channel: Channel = Channel.WEB
    separate_consent: bool = False
    gpc: bool = False
    region: Region | None = None
    minor_age: MinorAge | None = None
    guardian: SubjectId | None = Field(default=None, repr=False)
    evidence: EvidenceMethod | None = None
    evidence_ref: EvidenceRef | None = None
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ConsentRequest:
        if self.action is ConsentAction.ERASED:
            raise ValueError("'erased' is written by erase(), not recorded")
        if self.action in CONSENT_ACTIONS and self.purpose is None:
            raise ValueError(f"a '{self.action.value}' event needs a purpose")
        if self.guardian is not None and self.minor_age is None:
            raise ValueError("a guardian is recorded only for a minor (set minor_age)")
        if (
            self.expires_at is not None
            and self.occurred_at is not None
            and self.expires_at <= self.occurred_at
        ):
            raise ValueError("expires_at must be after occurred_at")
        return self


class ConsentEvent(ValueObject):
    """A stored event: append-only, hash-chained. ``subject`` and ``guardian`` are keyed
    pseudonyms; an erased event keeps its place in the chain but not its subject."""

    seq: Annotated[int, Field(ge=1)]
    event_id: EventId
    subject: Pseudonym
    purpose: Slug | None
    action: ConsentAction
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    notice_version: str | None = None
    channel: Channel
    separate_consent: bool = False
    gpc: bool = False
    region: Region | None = None
    minor_age: MinorAge | None = None
    guardian: Pseudonym | None = None
    evidence: EvidenceMethod | None = None
    evidence_ref: str | None = None
    expires_at: AwareDatetime | None = None
    digest: HexDigest
    chain: HexDigest
    erased_by: Annotated[int, Field(ge=1)] | None = None

    @property
    def erased(self) -> bool:
        return self.erased_by is not None


class ConsentState(ValueObject):
    """The state of one subject's consent to one purpose at one instant, derived from events."""

    purpose: Slug
    at: AwareDatetime
    valid: bool
    lifecycle: Lifecycle
    reason: MissingReason | None = None
    consent_required: bool
    since: AwareDatetime | None = None
    event_seq: int | None = None
    notice_version: str | None = None
    separate_consent: bool = False
    expires_at: AwareDatetime | None = None
    opted_out: bool = False
    gpc: bool = False
    sensitive_limited: bool = False
    minor_age: MinorAge | None = None
    region: Region | None = None
    guardian: bool = False
    #: The deciding consent was collected while the browser sent ``Sec-GPC: 1``.
    collected_with_gpc: bool = False

    @property
    def refs(self) -> tuple[ArticleRef, ...]:
        return reason_refs(self.reason) if self.reason is not None else ()


class SubjectQuery(ValueObject):
    """A request about one subject (history, erasure, GPC). The identifier travels in the
    body, never in a URL, so it stays out of access logs."""

    subject: SubjectId = Field(repr=False)
    region: Region | None = None


class StatusQuery(ValueObject):
    subject: SubjectId = Field(repr=False)
    purposes: tuple[Slug, ...] | None = None
    at: AwareDatetime | None = None


class WithdrawRequest(ValueObject):
    subject: SubjectId = Field(repr=False)
    #: Purposes to withdraw; omitted = every purpose currently consented to.
    purposes: tuple[Slug, ...] | None = None
    at: AwareDatetime | None = None
    channel: Channel = Channel.WEB
    evidence: EvidenceMethod | None = None
    evidence_ref: EvidenceRef | None = None
    #: Also opt out of sale/sharing and limit sensitive PI (CCPA).
    opt_out: bool = False


class ServiceError(ValueObject):
    """The body of every 4xx/5xx response of the consent service."""

    error: str
    hint: str | None = None
    problems: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Chain verification


class ChainProblemKind(StrEnum):
    EDITED = "edited"  # content no longer matches its digest
    MISSING = "missing"  # sequence numbers skipped: events deleted
    REORDERED = "reordered"  # an intact event sits at the wrong position
    BROKEN_LINK = "broken_link"  # the chain does not follow from the previous event
    TRUNCATED = "truncated"  # events at the end are gone (the head records more)
    HEAD_MISMATCH = "head_mismatch"  # the recorded head disagrees with the last event
    TOMBSTONE = "tombstone"  # erased events do not match their tombstone
    ANCHOR = "anchor"  # an external anchor (receipt, checkpoint) disagrees with the store


class ChainProblem(ValueObject):
    kind: ChainProblemKind
    seq: Annotated[int, Field(ge=0)]
    last_seq: Annotated[int, Field(ge=0)] | None = None
    message: str


class VerifyReport(ValueObject):
    ok: bool
    events: Annotated[int, Field(ge=0)]
    erased: Annotated[int, Field(ge=0)] = 0
    head_seq: Annotated[int, Field(ge=0)]
    head_chain: str
    problems: tuple[ChainProblem, ...] = ()
    problems_truncated: bool = False


# ---------------------------------------------------------------------------------------------
# Import


class ImportColumns(ValueObject):
    """Source column for each event field; ``None`` = not in the source."""

    subject: str = "customer_id"
    purpose: str = "purpose"
    action: str = "action"
    occurred_at: str = "occurred_at"
    notice_version: str | None = "notice_version"
    channel: str | None = "channel"
    separate_consent: str | None = "separate_consent"
    gpc: str | None = "gpc"
    region: str | None = None
    #: A birth date column: the subject's age at the event is derived and kept only if < 18.
    birth_date: str | None = None
    minor_age: str | None = None
    guardian: str | None = None
    evidence_ref: str | None = None
    expires_at: str | None = None


def _default_actions() -> dict[str, ConsentAction]:
    return {a.value: a for a in ConsentAction if a is not ConsentAction.ERASED}


def _default_channels() -> dict[str, Channel]:
    out = {c.value: c for c in Channel}
    out.update({"mini-program": Channel.MINI_PROGRAM, "miniprogram": Channel.MINI_PROGRAM})
    return out


class ImportMapping(ValueObject):
    """How rows of a source table (or CSV/JSONL file) become consent events."""

    schema_version: Literal[1] = 1
    table: str = "consent_events"
    #: A SELECT to run instead of reading ``table`` (e.g. to join a region column in).
    query: str | None = None
    #: Unique, increasing column used to resume an interrupted or repeated import.
    key: str = "id"
    columns: ImportColumns = ImportColumns()
    actions: dict[str, ConsentAction] = Field(default_factory=lambda: _default_actions())
    channels: dict[str, Channel] = Field(default_factory=lambda: _default_channels())
    purposes: dict[str, Slug] = Field(default_factory=dict)
    #: Time zone of naive timestamps in the source (IANA name).
    timezone: str = "UTC"
    default_channel: Channel = Channel.IMPORT


class ImportResult(ValueObject):
    source: str
    read: Annotated[int, Field(ge=0)]
    recorded: Annotated[int, Field(ge=0)]
    skipped: Annotated[int, Field(ge=0)] = 0
    first_seq: int | None = None
    last_seq: int | None = None
    resumed_after: str | None = None


# ---------------------------------------------------------------------------------------------
# Receipts (Kantara Consent Receipt v1.1 view)


_ALIASED = ConfigDict(
    frozen=True,
    extra="forbid",
    hide_input_in_errors=True,
    validate_default=True,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
)


class KantaraController(ValueObject):
    model_config = _ALIASED

    pii_controller: str = Field(alias="piiController")
    contact: str
    address: dict[str, str]
    email: str
    phone: str
    pii_controller_url: str | None = Field(default=None, alias="piiControllerUrl")


class KantaraPurpose(ValueObject):
    model_config = _ALIASED

    purpose: str
    purpose_category: tuple[str, ...] = Field(alias="purposeCategory")
    consent_type: str = Field(alias="consentType")
    pii_category: tuple[str, ...] = Field(alias="piiCategory")
    primary_purpose: bool = Field(alias="primaryPurpose")
    termination: str
    third_party_disclosure: bool = Field(alias="thirdPartyDisclosure")
    third_party_name: str | None = Field(default=None, alias="thirdPartyName")


class KantaraService(ValueObject):
    service: str
    purposes: tuple[KantaraPurpose, ...]


class KantaraReceipt(ValueObject):
    """A Kantara Consent Receipt v1.1 (``KI-CR-v1.1.0``); validates against the published
    JSON Schema when dumped with ``model_dump(mode="json", exclude_none=True)``."""

    model_config = _ALIASED

    version: Literal["KI-CR-v1.1.0"] = "KI-CR-v1.1.0"
    jurisdiction: str
    consent_timestamp: Annotated[int, Field(ge=0)] = Field(alias="consentTimestamp")
    collection_method: str = Field(alias="collectionMethod")
    consent_receipt_id: str = Field(alias="consentReceiptID")
    public_key: str | None = Field(default=None, alias="publicKey")
    language: str
    pii_principal_id: str = Field(alias="piiPrincipalId")
    pii_controllers: tuple[KantaraController, ...] = Field(alias="piiControllers")
    policy_url: str = Field(alias="policyUrl")
    services: tuple[KantaraService, ...]
    sensitive: bool
    spi_cat: tuple[str, ...] = Field(alias="spiCat")


class ReceiptCheck(ValueObject):
    """A verified receipt: whose signature checked out, and whether the registry still holds
    the event unchanged (``None`` when no registry was consulted)."""

    receipt_id: str
    seq: Annotated[int, Field(ge=1)]
    chain: str
    subject: str
    purpose: str | None = None
    action: str
    issued_at: int
    in_registry: bool | None = None


# ---------------------------------------------------------------------------------------------
# Facts for the audit


class ReasonCount(ValueObject):
    reason: MissingReason
    subjects: Annotated[int, Field(ge=0)]


class PurposeConsentFacts(ValueObject):
    """Counts of subjects (never identities) for one purpose at ``ConsentFacts.at``."""

    purpose: Slug
    consent_required: bool
    separate_consent_required: bool
    sale_or_share: bool
    #: Subjects with at least one event for this purpose.
    subjects: Annotated[int, Field(ge=0)]
    valid: Annotated[int, Field(ge=0)]
    #: Subjects being processed for this purpose (from the caller's processing sets);
    #: ``None`` when no processing set was given.
    processed: Annotated[int, Field(ge=0)] | None = None
    processed_with_valid_consent: Annotated[int, Field(ge=0)] | None = None
    #: Share of processing covered by valid consent (processed subjects), or of known
    #: subjects when no processing set was given.
    coverage: Annotated[float, Field(ge=0, le=1)] | None = None
    missing: tuple[ReasonCount, ...] = ()
    #: Consents given without the separate consent the purpose requires (PIPL Art. 23-39).
    separate_consent_gaps: Annotated[int, Field(ge=0)] = 0
    #: Processed although consent was withdrawn (PIPL Art. 15, 47(1)(3); GDPR Art. 7(3)).
    withdrawals_not_propagated: Annotated[int, Field(ge=0)] | None = None
    #: Minors whose consent lacks a guardian's (PIPL Art. 31; GDPR Art. 8(1); §1798.120(c)).
    minors_without_guardian: Annotated[int, Field(ge=0)] = 0
    #: Sale/share processing although the subject sent GPC (11 CCR §7025(b)); ``None``
    #: without a processing set.
    gpc_not_honoured: Annotated[int, Field(ge=0)] | None = None
    #: Sale/share processing although the subject opted out (Cal. Civ. Code §1798.120(a)).
    opt_outs_not_honoured: Annotated[int, Field(ge=0)] | None = None
    #: Consents recorded while the browser sent ``Sec-GPC: 1`` for a sale/share purpose.
    consents_despite_gpc: Annotated[int, Field(ge=0)] = 0


class ConsentFacts(ValueObject):
    """What the consent registry tells the audit, at one instant."""

    at: AwareDatetime
    events: Annotated[int, Field(ge=0)]
    subjects: Annotated[int, Field(ge=0)]
    chain_verified: bool | None = None
    chain_problems: Annotated[int, Field(ge=0)] = 0
    gpc_subjects: Annotated[int, Field(ge=0)] = 0
    unknown_purposes: tuple[str, ...] = ()
    purposes: tuple[PurposeConsentFacts, ...] = ()

    def purpose(self, purpose_id: str) -> PurposeConsentFacts | None:
        return next((p for p in self.purposes if p.purpose == purpose_id), None)
