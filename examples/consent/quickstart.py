"""The consent registry in a few lines: record, check, withdraw, prove.

    python examples/consent/quickstart.py            # an in-memory registry, fresh keys

Real deployments pass a database URL (``sqlite:///consent.db`` or ``postgresql://...``), the
keyring from ``$GUARDRAIL_KEYRING`` (or ``--keyring FILE``) and a signing key file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from guardrail.consent import ConsentMissing, ConsentRegistry, verify_receipt
from guardrail.crypto import Keyring, SigningKey

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def main() -> dict[str, object]:
    registry = ConsentRegistry(
        "sqlite://",  # in memory
        keyring=Keyring.generate(),
        catalog=HERE / "shop-catalog.yaml",
        signing_key=SigningKey.generate(kid="receipts-2026"),
        clock=lambda: NOW,
    )
    # A customer in Shanghai agrees to marketing, with the separate consent PIPL Arts. 23 and 39
    # require for sharing with a US e-mail service.
    event = registry.record(
        "customer-42",
        "marketing",
        separate_consent=True,
        evidence="checkbox",
        region="CN",
        at=NOW - timedelta(days=10),
    )
    covered = registry.require("customer-42", "marketing").valid

    # A 12-year-old's consent needs a guardian (PIPL Art. 31).
    registry.record(
        "customer-43", "analytics", region="CN", minor_age=12, at=NOW - timedelta(days=3)
    )
    minor = registry.status("customer-43", "analytics").reason

    # A Californian's browser sends Sec-GPC: 1 - an opt-out of sale and sharing (11 CCR §7025).
    registry.record(
        "customer-44",
        "marketing",
        separate_consent=True,
        region="US-CA",
        at=NOW - timedelta(days=2),
    )
    registry.record_gpc("customer-44", region="US-CA", at=NOW - timedelta(days=1))
    gpc = registry.status("customer-44", "marketing").reason

    # The receipt proves the choice to the customer and anchors the chain.
    receipt = registry.receipt(event.event_id)
    checked = verify_receipt(receipt, registry.jwks(), registry=registry)

    registry.withdraw("customer-42", at=NOW)
    try:
        registry.require("customer-42", "marketing")
        withdrawn = None
    except ConsentMissing as exc:
        withdrawn = exc.reason

    report = registry.verify()
    registry.close()
    return {
        "covered": covered,
        "minor": minor.value if minor else None,
        "gpc": gpc.value if gpc else None,
        "receipt_in_registry": checked.in_registry,
        "after_withdrawal": withdrawn,
        "chain_ok": report.ok,
        "events": report.events,
    }


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
