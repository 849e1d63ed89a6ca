"""The consent registry: append-only, tamper-evident, per-law consent with signed receipts.

    from guardrail.consent import ConsentRegistry, ConsentMissing

    reg = ConsentRegistry("sqlite:///consent.db", catalog="purposes.yaml")  # $GUARDRAIL_KEYRING
    reg.record("customer-42", "marketing", separate_consent=True)
    reg.status("customer-42", "marketing").valid
    reg.require("customer-42", "marketing")        # raises ConsentMissing(reason=...) if not

The audit reads :func:`consent_facts`; the HTTP service is :func:`guardrail.consent.service.
create_app` (``guardrail consent serve``). See docs/consent.md.
"""

from guardrail.consent.catalog import load_catalog
from guardrail.consent.facts import consent_facts
from guardrail.consent.importer import import_events, load_mapping
from guardrail.consent.receipts import verify_receipt
from guardrail.consent.registry import ConsentRegistry, Erasure
from guardrail.errors import ConsentMissing
from guardrail.model.consent import (
    ConsentAction,
    ConsentCatalog,
    ConsentEvent,
    ConsentFacts,
    ConsentState,
    MissingReason,
    PurposeConsentFacts,
    VerifyReport,
)

__all__ = [
    "ConsentAction",
    "ConsentCatalog",
    "ConsentEvent",
    "ConsentFacts",
    "ConsentMissing",
    "ConsentRegistry",
    "ConsentState",
    "Erasure",
    "MissingReason",
    "PurposeConsentFacts",
    "VerifyReport",
    "consent_facts",
    "import_events",
    "load_catalog",
    "load_mapping",
    "verify_receipt",
]
