"""Signed receipts: EdDSA/ES256 JWTs with pinned algorithms and a Kantara 1.1 body."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import pytest
from tests.consent.conftest import KANTARA, NOW

from guardrail.consent import ConsentRegistry
from guardrail.consent.receipts import verify_receipt
from guardrail.crypto import InvalidSignature, SigningKey
from guardrail.errors import ConfigError, InputError

T0 = NOW - timedelta(days=3)


def _schema() -> dict[str, Any]:
    text = (KANTARA / "kantara-consent-receipt-v1_1-schema.json").read_text(encoding="utf-8")
    # The published file carries // comments (see SOURCE.txt): strip them before parsing.
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def kantara_validator() -> jsonschema.Draft4Validator:
    schema = _schema()
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_schema_accepts_the_published_example(
    kantara_validator: jsonschema.Draft4Validator,
) -> None:
    example = json.loads((KANTARA / "kantara-consent-receipt-v1_1-example.json").read_text())
    kantara_validator.validate(example)
    broken = dict(example)
    del broken["piiPrincipalId"]
    assert not kantara_validator.is_valid(broken)


@pytest.mark.parametrize(
    ("purpose", "action", "kw"),
    [
        ("marketing", "given", {"separate_consent": True, "evidence": "checkbox"}),
        ("sensitive_pi", "given", {"separate_consent": True}),
        ("analytics", "withdrawn", {}),
        (None, "opt_out", {}),
        (None, "limit_sensitive", {}),
        (None, "gpc", {"gpc": True}),
    ],
)
def test_receipts_validate_against_kantara_1_1(
    registry: ConsentRegistry,
    kantara_validator: jsonschema.Draft4Validator,
    signing_key: SigningKey,
    purpose: str | None,
    action: str,
    kw: dict[str, Any],
) -> None:
    event = registry.record("cust-1", purpose, action, at=T0, **kw)
    view = registry.kantara(event.event_id)
    kantara_validator.validate(view)
    assert view["consentReceiptID"] == event.event_id
    assert view["piiPrincipalId"] == event.subject
    token = registry.receipt(event.event_id)
    claims = _claims(token)
    kantara_validator.validate(claims)  # the JWT payload itself is a Kantara receipt
    assert claims["guardrail"]["seq"] == event.seq and claims["guardrail"]["chain"] == event.chain
    assert (claims["sub"], claims["jti"]) == (event.subject, event.event_id)
    check = verify_receipt(token, [signing_key.public()], registry=registry)
    assert (check.seq, check.in_registry, check.action) == (event.seq, True, action)


def test_sensitive_purpose_lists_spi_categories(registry: ConsentRegistry) -> None:
    event = registry.record("c", "sensitive_pi", at=T0, separate_consent=True)
    view = registry.kantara(event.seq)
    assert view["sensitive"] is True and "6 - Government Identifiers" in view["spiCat"]
    purpose = view["services"][0]["purposes"][0]
    assert purpose["consentType"] == "EXPLICIT" and purpose["thirdPartyDisclosure"] is False


def test_third_party_named(registry: ConsentRegistry) -> None:
    event = registry.record("c", "marketing", at=T0, separate_consent=True)
    purpose = registry.kantara(event.seq)["services"][0]["purposes"][0]
    assert (purpose["thirdPartyDisclosure"], purpose["thirdPartyName"]) == (True, "Mailwave Inc.")


def test_es256_receipts(make_registry: Callable[..., ConsentRegistry]) -> None:
    key = SigningKey.generate(alg="ES256", kid="es-1")
    reg = make_registry(signing_key=key)
    event = reg.record("c", "analytics", at=T0)
    token = reg.receipt(event.seq)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert (header["alg"], header["kid"]) == ("ES256", "es-1")
    assert verify_receipt(token, reg.jwks()).seq == event.seq


def test_default_algorithm_is_eddsa(registry: ConsentRegistry) -> None:
    token = registry.receipt(registry.record("c", "analytics", at=T0).seq)
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == "EdDSA"
    jwks = registry.jwks()
    assert [k["kty"] for k in jwks["keys"]] == ["OKP"] and "d" not in jwks["keys"][0]


def test_alg_none_and_hmac_confusion_are_rejected(
    registry: ConsentRegistry, signing_key: SigningKey
) -> None:
    token = registry.receipt(registry.record("c", "analytics", at=T0).seq)
    claims = _claims(token)
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": signing_key.kid})
    public_jwk = registry.jwks()["keys"][0]
    # HS256 "signed" with the public key's bytes: the classic key-confusion attack.
    hs = jwt.encode(
        claims,
        json.dumps(public_jwk).encode() * 2,
        algorithm="HS256",
        headers={"kid": signing_key.kid},
    )
    for forged in (unsigned, hs, token[:-4] + "AAAA", "a.b", ""):
        with pytest.raises(InvalidSignature):
            verify_receipt(forged, registry.jwks())


def test_receipt_signed_by_another_key_is_rejected(registry: ConsentRegistry) -> None:
    token = registry.receipt(registry.record("c", "analytics", at=T0).seq)
    with pytest.raises(InvalidSignature):
        verify_receipt(token, [SigningKey.generate(kid=SigningKey.generate().kid).public()])


def test_checkpoint_is_not_a_receipt(registry: ConsentRegistry) -> None:
    registry.record("c", "analytics", at=T0)
    with pytest.raises(InvalidSignature, match="not a consent receipt"):
        verify_receipt(registry.checkpoint(), registry.jwks())


def test_receipt_of_an_erased_event(registry: ConsentRegistry, signing_key: SigningKey) -> None:
    event = registry.record("c", "analytics", at=T0)
    token = registry.receipt(event.seq)
    registry.erase("c")
    with pytest.raises(InputError, match="erased"):
        registry.receipt(event.seq)
    assert verify_receipt(token, [signing_key.public()], registry=registry).in_registry is False


def test_no_signing_key(make_registry: Callable[..., ConsentRegistry]) -> None:
    reg = make_registry(signing_key=None)
    event = reg.record("c", "analytics", at=T0)
    with pytest.raises(ConfigError, match="signing key"):
        reg.receipt(event.seq)
    assert reg.kantara(event.seq)["version"] == "KI-CR-v1.1.0"


def test_unknown_receipt_reference(registry: ConsentRegistry) -> None:
    for ref in ("42", "0" * 32, "<script>"):
        with pytest.raises(InputError, match="no consent event"):
            registry.receipt(ref)


def test_kantara_example_is_read_from_shared(shared: Path) -> None:
    assert (shared / "schemas" / "kantara-cr-1.1" / "SOURCE.txt").is_file()
