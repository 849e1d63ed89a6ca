from __future__ import annotations

import base64
import json
import os
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt as pyjwt
import pytest

from guardrail.crypto import (
    InvalidSignature,
    SigningKey,
    VerifyingKey,
    jwks,
    sign_detached,
    sign_jwt,
    verify_detached,
    verify_jwt,
)
from guardrail.errors import CryptoError

AT = datetime(2026, 11, 22, tzinfo=UTC)


def _b64(obj: object) -> str:
    raw = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(params=["EdDSA", "ES256"])
def sk(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(alg=request.param, kid=f"k-{request.param}")


def test_jwt_round_trip_with_kid_and_typ(sk: SigningKey) -> None:
    token = sign_jwt({"sub": "gp1:x", "exp": int((AT + timedelta(hours=1)).timestamp())}, sk)
    header = pyjwt.get_unverified_header(token)
    assert header == {"alg": sk.alg, "kid": sk.kid, "typ": "JWT"}
    claims = verify_jwt(token, jwks([sk.public()]), algorithms=(sk.alg,), at=AT)
    assert claims == {"sub": "gp1:x", "exp": int((AT + timedelta(hours=1)).timestamp())}


def test_jwt_time_checks_use_at() -> None:
    sk = SigningKey.generate(kid="k1")
    exp = int(AT.timestamp())
    token = sign_jwt({"exp": exp, "nbf": exp - 100}, sk)
    verify_jwt(token, sk, at=AT - timedelta(seconds=1))
    with pytest.raises(InvalidSignature, match="expired"):
        verify_jwt(token, sk, at=AT)
    verify_jwt(token, sk, at=AT, leeway=timedelta(seconds=5))
    with pytest.raises(InvalidSignature, match="not valid yet"):
        verify_jwt(token, sk, at=AT - timedelta(seconds=101))


def test_audience_and_issuer() -> None:
    sk = SigningKey.generate(kid="k1")
    token = sign_jwt({"aud": ["shop"], "iss": "guardrail"}, sk)
    with pytest.raises(InvalidSignature, match="audience"):
        verify_jwt(token, sk, at=AT)
    assert verify_jwt(token, sk, at=AT, audience="shop", issuer="guardrail")["iss"] == "guardrail"
    with pytest.raises(InvalidSignature, match="issuer"):
        verify_jwt(token, sk, at=AT, audience="shop", issuer="other")


def test_alg_none_is_refused() -> None:
    sk = SigningKey.generate(kid="k1")
    token = _b64({"alg": "none", "kid": "k1", "typ": "JWT"}) + "." + _b64({"sub": "x"}) + "."
    with pytest.raises(InvalidSignature, match="not allowed"):
        verify_jwt(token, sk, at=AT)


def test_hs256_key_confusion_is_refused() -> None:
    """An attacker signs with HS256 using the public key bytes as the HMAC secret."""
    sk = SigningKey.generate(alg="EdDSA", kid="k1")
    x = sk.public().to_jwk()["x"]
    public_raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    forged = pyjwt.encode({"sub": "admin"}, public_raw, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(InvalidSignature, match="not allowed"):
        verify_jwt(forged, jwks([sk]), at=AT)
    with pytest.raises(CryptoError, match="unsupported"):
        verify_jwt(forged, jwks([sk]), algorithms=("HS256",), at=AT)


def test_alg_header_must_match_the_key() -> None:
    ed = SigningKey.generate(alg="EdDSA", kid="same")
    es = SigningKey.generate(alg="ES256", kid="other")
    token = sign_jwt({"sub": "x"}, es)
    # Rewrite the header to name the Ed25519 key's kid: the key's alg no longer matches.
    head, body, sig = token.split(".")
    head = _b64({"alg": "ES256", "kid": "same", "typ": "JWT"})
    with pytest.raises(InvalidSignature, match="trusted key"):
        verify_jwt(f"{head}.{body}.{sig}", jwks([ed, es]), at=AT)


@pytest.mark.parametrize("mutation", ["claims", "signature", "unknown_kid", "truncated", "garbage"])
def test_tampered_jwt_fails(mutation: str) -> None:
    sk = SigningKey.generate(kid="k1")
    token = sign_jwt({"sub": "alice"}, sk)
    head, body, sig = token.split(".")
    bad = {
        "claims": f"{head}.{_b64({'sub': 'mallory'})}.{sig}",
        "signature": f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}",
        "unknown_kid": f"{_b64({'alg': 'EdDSA', 'kid': 'k2', 'typ': 'JWT'})}.{body}.{sig}",
        "truncated": token[: len(token) // 2],
        "garbage": "a.b.c",
    }[mutation]
    with pytest.raises(InvalidSignature):
        verify_jwt(bad, sk, at=AT)


def test_reserved_headers_cannot_be_overridden() -> None:
    sk = SigningKey.generate(kid="k1")
    with pytest.raises(CryptoError, match="'alg'"):
        sign_jwt({}, sk, headers={"alg": "none"})
    assert pyjwt.get_unverified_header(sign_jwt({}, sk, headers={"cty": "x"}))["cty"] == "x"


def test_detached_jws_is_rfc7515_appendix_f(sk: SigningKey) -> None:
    payload = b'{"sha256":"abc"}'
    sig = sign_detached(payload, sk)
    head, body, s = sig.split(".")
    assert body == ""
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    assert header == {"alg": sk.alg, "kid": sk.kid}  # no b64/crit: the payload is base64url-encoded
    # Re-attaching the base64url payload gives an ordinary JWS that pyjwt verifies.
    full = f"{head}.{_b64(payload)}.{s}"
    assert pyjwt.api_jws.PyJWS().decode(full, sk.public()._pub, algorithms=[sk.alg]) == payload
    assert verify_detached(payload, sig, [sk.public()]) == header


@pytest.mark.parametrize("mutation", ["payload", "attached", "signature", "kid", "alg"])
def test_detached_failures(mutation: str) -> None:
    sk = SigningKey.generate(kid="k1")
    payload = b"digest"
    sig = sign_detached(payload, sk)
    head, _, s = sig.split(".")
    cases = {
        "payload": (b"digesT", sig),
        "attached": (payload, f"{head}.{_b64(payload)}.{s}"),
        "signature": (payload, f"{head}..{s[::-1]}"),
        "kid": (payload, f"{_b64({'alg': 'EdDSA', 'kid': 'nope'})}..{s}"),
        "alg": (payload, f"{_b64({'alg': 'HS256', 'kid': 'k1'})}..{s}"),
    }
    data, signature = cases[mutation]
    with pytest.raises(InvalidSignature):
        verify_detached(data, signature, jwks([sk]))


def test_pinned_algorithms_exclude_others() -> None:
    es = SigningKey.generate(alg="ES256", kid="e")
    sig = sign_detached(b"x", es)
    with pytest.raises(InvalidSignature, match="not allowed"):
        verify_detached(b"x", sig, [es], algorithms=("EdDSA",))


def test_jwks_is_public_only_and_parses_back(sk: SigningKey) -> None:
    doc = jwks([sk, sk.public()])
    assert all("d" not in k for k in doc["keys"])
    assert {k["kid"] for k in doc["keys"]} == {sk.kid}
    assert VerifyingKey.from_jwk(doc["keys"][0]) == sk.public()
    # A JWKS with other services' RSA keys is still usable.
    doc["keys"].append({"kty": "RSA", "kid": "rsa1", "n": "AQAB", "e": "AQAB"})
    verify_detached(b"p", sign_detached(b"p", sk), doc)


def test_default_kid_is_rfc7638_thumbprint() -> None:
    # RFC 8037 Appendix A.3: thumbprint of the example Ed25519 key.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    vk = VerifyingKey.from_jwk(jwk)
    assert vk.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    sk = SigningKey.generate()
    assert sk.kid == sk.public().thumbprint()


def test_save_load_and_permissions(tmp_path: Path, sk: SigningKey) -> None:
    path = tmp_path / "signing.jwk"
    sk.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = SigningKey.load(path)
    assert loaded.public() == sk.public() and loaded.kid == sk.kid
    verify_detached(b"x", sign_detached(b"x", loaded), [sk.public()])
    with pytest.raises(CryptoError, match="already exists"):
        sk.save(path)
    os.chmod(path, 0o644)
    with pytest.raises(CryptoError, match="chmod 600"):
        SigningKey.load(path)
    os.chmod(path, 0o600)
    path.write_text('{"kty": "OKP"}')
    with pytest.raises(CryptoError, match="not a private JWK"):
        SigningKey.load(path)


def test_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sk = SigningKey.generate(kid="env")
    sk.save(tmp_path / "k")
    monkeypatch.setenv("GR_TEST_SIGNING", (tmp_path / "k").read_text())
    assert SigningKey.from_env("GR_TEST_SIGNING").public() == sk.public()
    monkeypatch.delenv("GR_TEST_SIGNING")
    with pytest.raises(CryptoError, match="not set"):
        SigningKey.from_env("GR_TEST_SIGNING")


def test_private_key_never_shown_or_pickled(tmp_path: Path) -> None:
    sk = SigningKey.generate(kid="k1")
    sk.save(tmp_path / "k")
    d = json.loads((tmp_path / "k").read_text())["d"]
    assert d not in repr(sk) and d not in str(sk) and "redacted" in repr(sk)
    with pytest.raises(TypeError):
        pickle.dumps(sk)


def test_unsupported_algorithm() -> None:
    with pytest.raises(CryptoError, match="unsupported"):
        SigningKey.generate(alg="RS256")  # type: ignore[arg-type]
