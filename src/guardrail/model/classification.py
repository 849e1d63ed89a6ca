"""What a detected entity, a declared category or a whole field *means* under each law."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from guardrail.model._base import ValueObject
from guardrail.model.common import ArticleRef, EntityName, LocalizedText

__all__ = [
    "AgeProfile",
    "CcpaLabel",
    "DatasetClassification",
    "DatasetLabel",
    "EntityRule",
    "FieldClassification",
    "GbtLevel",
    "GdprLabel",
    "GdprSpecialKind",
    "PiplLabel",
    "PiplSensitiveKind",
    "RegimeLabels",
    "Sensitivity",
]


class Sensitivity(StrEnum):
    """Internal sensitivity level, least to most sensitive."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return list(Sensitivity).index(self)

    def max(self, other: Sensitivity) -> Sensitivity:
        return self if self.rank >= other.rank else other


class PiplSensitiveKind(StrEnum):
    """The kinds of sensitive personal information listed in PIPL Art. 28 ¶1."""

    BIOMETRIC = "biometric"  # 生物识别
    RELIGIOUS_BELIEF = "religious_belief"  # 宗教信仰
    SPECIFIC_IDENTITY = "specific_identity"  # 特定身份
    MEDICAL_HEALTH = "medical_health"  # 医疗健康
    FINANCIAL_ACCOUNT = "financial_account"  # 金融账户
    WHEREABOUTS = "whereabouts"  # 行踪轨迹
    MINOR_UNDER_14 = "minor_under_14"  # 不满十四周岁未成年人的个人信息
    OTHER = "other"  # the list ends with "etc." (等)


class PiplLabel(ValueObject):
    """General personal information (PIPL Art. 4) or sensitive PI (Art. 28) of some kinds."""

    sensitive: bool = False
    kinds: tuple[PiplSensitiveKind, ...] = ()

    @model_validator(mode="after")
    def _kinds_iff_sensitive(self) -> PiplLabel:
        if self.sensitive != bool(self.kinds):
            raise ValueError("a PIPL label lists kinds exactly when it is sensitive")
        return self

    def merge(self, other: PiplLabel) -> PiplLabel:
        kinds = tuple(dict.fromkeys((*self.kinds, *other.kinds)))
        return PiplLabel(sensitive=bool(kinds), kinds=kinds)

    @property
    def refs(self) -> tuple[ArticleRef, ...]:
        if not self.sensitive:
            return (ArticleRef(instrument="PIPL", provision="4"),)
        out = [ArticleRef(instrument="PIPL", provision="28")]
        if PiplSensitiveKind.MINOR_UNDER_14 in self.kinds:
            out.append(ArticleRef(instrument="PIPL", provision="31"))
        return tuple(out)


class GdprSpecialKind(StrEnum):
    """The special categories of GDPR Art. 9(1)."""

    RACIAL_ETHNIC_ORIGIN = "racial_ethnic_origin"
    POLITICAL_OPINIONS = "political_opinions"
    RELIGIOUS_BELIEFS = "religious_beliefs"
    TRADE_UNION = "trade_union"
    GENETIC = "genetic"
    BIOMETRIC = "biometric"
    HEALTH = "health"
    SEX_LIFE_ORIENTATION = "sex_life_orientation"


class GdprLabel(ValueObject):
    """Personal data (Art. 4(1)), special categories (Art. 9(1)) and criminal data (Art. 10)."""

    special: tuple[GdprSpecialKind, ...] = ()
    criminal: bool = False

    @property
    def category(self) -> Literal["personal", "special", "criminal"]:
        if self.special:
            return "special"
        return "criminal" if self.criminal else "personal"

    def merge(self, other: GdprLabel) -> GdprLabel:
        return GdprLabel(
            special=tuple(dict.fromkeys((*self.special, *other.special))),
            criminal=self.criminal or other.criminal,
        )

    @property
    def refs(self) -> tuple[ArticleRef, ...]:
        out = []
        if self.special:
            out.append(ArticleRef(instrument="GDPR", provision="9(1)"))
        if self.criminal:
            out.append(ArticleRef(instrument="GDPR", provision="10"))
        return tuple(out) or (ArticleRef(instrument="GDPR", provision="4(1)"),)


class CcpaLabel(ValueObject):
    """Personal information or sensitive PI with its §1798.140(ae) clauses, e.g. ``(ae)(1)(A)``.

    The (ae) lettering may shift with amendments (fact base ⚠), so references are marked
    uncertain.
    """

    sensitive: bool = False
    clauses: tuple[Annotated[str, Field(pattern=r"^\(ae\)\([12]\)(\([A-G]\))?$")], ...] = ()

    @model_validator(mode="after")
    def _clauses_iff_sensitive(self) -> CcpaLabel:
        if self.sensitive != bool(self.clauses):
            raise ValueError("a CCPA label lists clauses exactly when it is sensitive")
        return self

    def merge(self, other: CcpaLabel) -> CcpaLabel:
        clauses = tuple(sorted(set(self.clauses) | set(other.clauses)))
        return CcpaLabel(sensitive=bool(clauses), clauses=clauses)

    @property
    def refs(self) -> tuple[ArticleRef, ...]:
        if not self.sensitive:
            return (ArticleRef(instrument="CAL-CIV", provision="1798.140(v)", uncertain=True),)
        return tuple(
            ArticleRef(instrument="CAL-CIV", provision=f"1798.140{c}", uncertain=True)
            for c in self.clauses
        )


#: GB/T 43697-2024 §6.1 levels.
GbtLevel = Literal["general", "important", "core"]
_GBT_RANK = {"general": 0, "important": 1, "core": 2}


class RegimeLabels(ValueObject):
    pipl: PiplLabel = PiplLabel()
    gdpr: GdprLabel = GdprLabel()
    ccpa: CcpaLabel = CcpaLabel()
    gbt_43697: GbtLevel = "general"

    def merge(self, other: RegimeLabels) -> RegimeLabels:
        level = max(self.gbt_43697, other.gbt_43697, key=_GBT_RANK.__getitem__)
        return RegimeLabels(
            pipl=self.pipl.merge(other.pipl),
            gdpr=self.gdpr.merge(other.gdpr),
            ccpa=self.ccpa.merge(other.ccpa),
            gbt_43697=level,
        )

    @property
    def sensitive_anywhere(self) -> bool:
        return self.pipl.sensitive or self.ccpa.sensitive or self.gdpr.category != "personal"

    @property
    def refs(self) -> tuple[ArticleRef, ...]:
        return (*self.pipl.refs, *self.gdpr.refs, *self.ccpa.refs)


class EntityRule(ValueObject):
    """Classification of one entity type: its data category and per-regime labels."""

    entity: EntityName
    category: str
    sensitivity: Sensitivity
    labels: RegimeLabels
    # False for entities that identify no natural person by themselves (an organisation's
    # registration code, a timestamp): detected, but not counted as personal data.
    personal: bool = True

    @property
    def sensitive_anywhere(self) -> bool:
        return self.personal and self.labels.sensitive_anywhere


class AgeProfile(ValueObject):
    """How many sampled dates of birth put the person under each age at audit time."""

    sampled: Annotated[int, Field(ge=0)]
    under_13: Annotated[int, Field(ge=0)] = 0
    under_14: Annotated[int, Field(ge=0)] = 0
    under_16: Annotated[int, Field(ge=0)] = 0
    under_18: Annotated[int, Field(ge=0)] = 0

    def under(self, age: int) -> int:
        return {13: self.under_13, 14: self.under_14, 16: self.under_16, 18: self.under_18}[age]


class FieldClassification(ValueObject):
    """One field's meaning under each law, and why."""

    datastore: str
    dataset: str
    field: str
    entities: tuple[EntityName, ...] = ()
    categories: tuple[str, ...] = ()
    labels: RegimeLabels = RegimeLabels()
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    personal: bool = True
    # declared (manifest), detected (scan), both, or inferred (a combination rule alone)
    source: Literal["declared", "detected", "both", "inferred"]
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None
    # Ids of the rules that shaped the result (entity:X, category:Y, combination:Z, override).
    rules: tuple[str, ...] = ()
    reason: str = ""


class DatasetLabel(ValueObject):
    """A label a dataset-level rule put on a whole dataset (e.g. large-scale, minors)."""

    rule: str
    title: LocalizedText
    refs: tuple[ArticleRef, ...] = ()


class DatasetClassification(ValueObject):
    datastore: str
    dataset: str
    fields: tuple[FieldClassification, ...] = ()
    labels: tuple[DatasetLabel, ...] = ()
    rows: int | None = None
