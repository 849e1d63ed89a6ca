"""Consent receipts: signed JWTs with a Kantara Consent Receipt v1.1 body, and checkpoints.

A receipt's claims are the Kantara 1.1 fields (so the payload validates against the published
schema, which allows extra members) plus the JWT registered claims (``iss``, ``sub`` = the
subject's pseudonym, ``iat``, ``jti`` = the event id) and a ``guardrail`` claim with the
event's sequence number, digest and chain value. A receipt therefore proves the choice to the
subject *and* anchors the registry's chain: ``verify(anchors=[...])`` fails if the event it
names was later changed, moved or cut off.

Signing and verification come from :mod:`guardrail.crypto` (EdDSA by default, ES256
optional); verification pins the algorithms, so ``alg: none`` and HS/RS confusion fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from guardrail.consent.events import Row, from_us
from guardrail.crypto import InvalidSignature, SigningKey, VerifyingKey, sign_jwt, verify_jwt
from guardrail.errors import InputError
from guardrail.model.consent import (
    ChainProblem,
    ChainProblemKind,
    ConsentCatalog,
    ConsentPurpose,
    KantaraController,
    KantaraPurpose,
    KantaraReceipt,
    KantaraService,
    ReceiptCheck,
    VerifyReport,
)

if TYPE_CHECKING:
    from guardrail.consent.registry import ConsentRegistry

__all__ = [
    "ALGORITHMS",
    "check_anchors",
    "kantara_view",
    "sign_checkpoint",
    "sign_receipt",
    "verify_receipt",
]

#: Algorithms a receipt may use; nothing else is accepted.
ALGORITHMS = ("EdDSA", "ES256")
_CLAIM = "guardrail"
_RECEIPT = "consent-receipt"
_CHECKPOINT = "consent-checkpoint"


def _affected(catalog: ConsentCatalog, row: Row) -> list[ConsentPurpose]:
    if row.purpose is not None:
        p = catalog.purpose(row.purpose)
        return [p] if p is not None else []
    if row.action == "limit_sensitive":
        return [p for p in catalog.purposes if p.limitable]
    return [p for p in catalog.purposes if p.sale_or_share]


def _consent_type(row: Row, purpose: ConsentPurpose) -> str:
    if row.action in ("opt_out", "opt_in", "gpc", "limit_sensitive"):
        return "OPT-OUT" if row.action != "opt_in" else "OPT-IN"
    return "EXPLICIT" if purpose.consent_based else "N/A"


def _termination(purpose: ConsentPurpose) -> str:
    if purpose.consent_validity is not None:
        return f"valid for {purpose.consent_validity} unless withdrawn earlier"
    return "until withdrawn"


def kantara_view(catalog: ConsentCatalog, row: Row) -> KantaraReceipt:
    """The Kantara Consent Receipt v1.1 view of one stored event."""
    if row.erased_by is not None or row.subject is None or row.event_id is None:
        raise InputError(
            f"event #{row.seq} was erased or is a tombstone; it has no receipt",
            hint="receipts exist for live events only",
        )
    lang = catalog.language
    c = catalog.controller
    address = {"addressCountry": c.address.country}
    for key, value in (
        ("streetAddress", c.address.street),
        ("addressLocality", c.address.locality),
        ("addressRegion", c.address.region),
        ("postalCode", c.address.postal_code),
    ):
        if value:
            address[key] = value
    purposes = _affected(catalog, row)
    notice = catalog.notice(row.notice_version) if row.notice_version else None
    policy = (
        (notice.url if notice else None) or c.url or f"urn:guardrail:notice:{row.notice_version}"
    )
    method = f"{row.channel}; action: {row.action}"
    if row.evidence:
        method += f"; evidence: {row.evidence}"
    if row.separate_consent:
        method += "; separate consent"
    spi: list[str] = []
    for p in purposes:
        if p.sensitive:
            spi.extend(x for x in p.kantara_pii_categories if x not in spi)
    return KantaraReceipt(
        jurisdiction=catalog.jurisdiction,
        consentTimestamp=row.occurred_at // 1_000_000,
        collectionMethod=method,
        consentReceiptID=row.event_id,
        language=lang.value,
        piiPrincipalId=row.subject,
        piiControllers=(
            KantaraController(
                piiController=c.name,
                contact=c.contact,
                address=address,
                email=c.email,
                phone=c.phone,
                piiControllerUrl=c.url,
            ),
        ),
        policyUrl=policy,
        services=(
            KantaraService(
                service=catalog.service,
                purposes=tuple(
                    KantaraPurpose(
                        purpose=p.description.get(lang),
                        purposeCategory=(p.kantara_purpose_category,),
                        consentType=_consent_type(row, p),
                        piiCategory=p.kantara_pii_categories,
                        primaryPurpose=p.primary,
                        termination=_termination(p),
                        thirdPartyDisclosure=bool(p.third_parties),
                        thirdPartyName=", ".join(p.third_parties) or None,
                    )
                    for p in purposes
                ),
            ),
        ),
        sensitive=any(p.sensitive for p in purposes),
        spiCat=tuple(spi),
    )


def _issuer(catalog: ConsentCatalog) -> str:
    return catalog.controller.url or catalog.controller.name


def sign_receipt(registry: ConsentRegistry, row: Row) -> str:
    catalog = registry.catalog
    body = kantara_view(catalog, row).model_dump(mode="json", exclude_none=True)
    claims: dict[str, Any] = {
        **body,
        "iss": _issuer(catalog),
        "sub": row.subject,
        "iat": row.recorded_at // 1_000_000,
        "jti": row.event_id,
        _CLAIM: {
            "kind": _RECEIPT,
            "seq": row.seq,
            "digest": bytes(row.digest).hex(),
            "chain": bytes(row.chain).hex(),
            "purpose": row.purpose,
            "action": row.action,
            "notice_version": row.notice_version,
            "occurred_at": from_us(row.occurred_at).isoformat(),
            "separate_consent": bool(row.separate_consent),
            "gpc": bool(row.gpc),
        },
    }
    return sign_jwt(claims, registry.signing_key)


def sign_checkpoint(registry: ConsentRegistry) -> str:
    seq, chain = registry.store.head()
    now = registry._now()
    claims = {
        "iss": _issuer(registry.catalog) if registry._catalog is not None else "guardrail",
        "iat": int(now.timestamp()),
        _CLAIM: {"kind": _CHECKPOINT, "seq": seq, "chain": chain.hex()},
    }
    return sign_jwt(claims, registry.signing_key)


def verify_receipt(
    token: str,
    keys: Sequence[VerifyingKey | SigningKey] | dict[str, Any],
    *,
    registry: ConsentRegistry | None = None,
    at: datetime | None = None,
) -> ReceiptCheck:
    """Check a receipt's signature (algorithms pinned) and, given the registry, that the
    event it names is still in the chain unchanged. Raises ``InvalidSignature`` for a bad
    token; returns ``in_registry=False`` when the event was changed, moved or erased."""
    claims = verify_jwt(token, keys, algorithms=ALGORITHMS, at=at)
    ext = claims.get(_CLAIM)
    if not isinstance(ext, dict) or ext.get("kind") != _RECEIPT:
        raise InvalidSignature("the token is not a consent receipt")
    try:
        seq = int(ext["seq"])
        chain = str(ext["chain"])
        receipt_id = str(claims["jti"])
    except (KeyError, TypeError, ValueError):
        raise InvalidSignature("the consent receipt is missing its event claims") from None
    in_registry: bool | None = None
    if registry is not None:
        row = registry.store.by_seq(seq)
        in_registry = (
            row is not None
            and bytes(row.chain).hex() == chain
            and row.event_id == receipt_id
            and row.erased_by is None
        )
    return ReceiptCheck(
        receipt_id=receipt_id,
        seq=seq,
        chain=chain,
        subject=str(claims.get("sub", "")),
        purpose=ext.get("purpose"),
        action=str(ext.get("action", "")),
        issued_at=int(claims.get("iat", 0)),
        in_registry=in_registry,
    )


def check_anchors(
    registry: ConsentRegistry, report: VerifyReport, anchors: Iterable[str]
) -> VerifyReport:
    """Add a problem for every anchor (receipt or checkpoint) the store contradicts."""
    problems = list(report.problems)
    keys = registry.verifying_keys
    for i, token in enumerate(anchors, 1):
        try:
            claims = verify_jwt(token, keys, algorithms=ALGORITHMS)
            ext = claims.get(_CLAIM)
            if not isinstance(ext, dict) or ext.get("kind") not in (_RECEIPT, _CHECKPOINT):
                raise InvalidSignature("not a receipt or checkpoint")
            seq, chain = int(ext["seq"]), str(ext["chain"])
        except (InvalidSignature, KeyError, TypeError, ValueError):
            problems.append(
                ChainProblem(
                    kind=ChainProblemKind.ANCHOR,
                    seq=0,
                    message=f"anchor #{i} is not a receipt or checkpoint signed by this "
                    "registry's keys",
                )
            )
            continue
        if seq == 0:
            continue
        row = registry.store.by_seq(seq)
        if row is None or bytes(row.chain).hex() != chain:
            what = "is missing" if row is None else "differs from the anchored one"
            problems.append(
                ChainProblem(
                    kind=ChainProblemKind.ANCHOR,
                    seq=seq,
                    message=f"event #{seq} {what} (anchor #{i}): the chain was rewritten "
                    "or cut off after the anchor was issued",
                )
            )
    problems.sort(key=lambda p: (p.seq, p.kind.value))
    return report.model_copy(update={"ok": not problems, "problems": tuple(problems)})
