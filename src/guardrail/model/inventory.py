"""The data inventory and the transfer register, as reported by an audit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from guardrail.model._base import ValueObject
from guardrail.model.classification import RegimeLabels, Sensitivity
from guardrail.model.common import LocalizedText, Region
from guardrail.model.stack import LegalBasis, Protection

__all__ = ["InventoryField", "ProcessingRecord", "Recipient", "TransferDecision"]


class InventoryField(ValueObject):
    """One field holding personal data, with what it means under each law and where it goes."""

    datastore: str
    dataset: str
    field: str
    entities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    labels: RegimeLabels = RegimeLabels()
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    # declared (manifest only), detected (scan only), both, or inherited (from the dataset)
    source: Literal["declared", "detected", "both", "inherited"]
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None
    protection: Protection = Protection()
    purposes: tuple[str, ...] = ()
    retention: str | None = None
    recipients: tuple[str, ...] = ()
    transfers: tuple[str, ...] = ()
    owner: str | None = None
    reason: str = ""


class TransferDecision(ValueObject):
    """How one cross-border flow is (or is not) made lawful, per exporting regime."""

    flow: str
    source: str
    destination: str
    from_region: Region
    to_region: Region
    regime: str
    route: str
    mechanisms: tuple[str, ...] = ()
    compliant: bool
    reasoning: tuple[LocalizedText, ...] = ()


class Recipient(ValueObject):
    """Who receives personal data for a purpose, with its role under each law."""

    id: str
    name: str
    region: Region | None = None
    roles: tuple[str, ...] = ()


class ProcessingRecord(ValueObject):
    """One processing activity (a purpose): the content of a GDPR Art. 30(1) record and of the
    PIPL processing record and impact-assessment inputs (Arts. 55, 56)."""

    purpose: str
    description: LocalizedText
    legal_basis: LegalBasis
    controller: str
    data_categories: tuple[str, ...] = ()
    sensitive_categories: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    transfers: tuple[str, ...] = ()
    retention: tuple[str, ...] = ()
    security_measures: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()
    separate_consent_required: bool = False
    automated_decision_making: bool = False
