"""Signatures: JWTs (consent receipts), detached JWS (report digests) and JWKS export.

Only two asymmetric algorithms exist here: ``EdDSA`` (Ed25519, the default) and ``ES256``
(ECDSA P-256 with SHA-256). Verification *pins* the accepted algorithms, matches the header's
``kid`` and ``alg`` against the key, and therefore cannot be tricked by ``alg: none`` or by
HMAC/RSA key confusion. Every failure raises :class:`~guardrail.errors.InvalidSignature`.

    sk = SigningKey.generate(alg="EdDSA", kid="k1")
    token = sign_jwt({"sub": "gp1:...", "iat": 1767225600}, sk)
    claims = verify_jwt(token, jwks([sk.public()]), algorithms=("EdDSA",))
    sig = sign_detached(digest_bytes, sk)       # "<header>..<signature>" (RFC 7515 App. F)
    verify_detached(digest_bytes, sig, [sk.public()])
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast, get_args

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from guardrail.crypto._util import Unpicklable, atomic_write_secret, b64d, b64e, read_secret_file
from guardrail.errors import CryptoError, InvalidSignature

__all__ = [
    "Algorithm",
    "KeySet",
    "SigningKey",
    "VerifyingKey",
    "jwks",
    "sign_detached",
    "sign_jwt",
    "verify_detached",
    "verify_jwt",
]

Algorithm: TypeAlias = Literal["EdDSA", "ES256"]
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)
_P256_BYTES = 32


def _check_alg(alg: object) -> Algorithm:
    if alg not in ALGORITHMS:
        raise CryptoError(
            f"unsupported signature algorithm {str(alg)[:20]!r}",
            hint="use 'EdDSA' (Ed25519) or 'ES256' (ECDSA P-256)",
        )
    return cast(Algorithm, alg)


def _check_kid(kid: object) -> str:
    if not isinstance(kid, str) or not kid or len(kid) > 200 or not kid.isprintable():
        raise CryptoError("a key id (kid) must be a short printable string")
    return kid


def _public_jwk(pub: Ed25519PublicKey | ec.EllipticCurvePublicKey) -> dict[str, str]:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    if isinstance(pub, Ed25519PublicKey):
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64e(pub.public_bytes(Encoding.Raw, PublicFormat.Raw)),
        }
    nums = pub.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64e(nums.x.to_bytes(_P256_BYTES, "big")),
        "y": b64e(nums.y.to_bytes(_P256_BYTES, "big")),
    }


def _thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a public JWK."""
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    h = hashes.Hash(hashes.SHA256())
    h.update(canonical.encode("utf-8"))
    return b64e(h.finalize())


class VerifyingKey:
    """A public key with its ``kid`` and algorithm; safe to share and to export as a JWK."""

    __slots__ = ("_pub", "alg", "kid")

    def __init__(
        self, pub: Ed25519PublicKey | ec.EllipticCurvePublicKey, *, alg: Algorithm, kid: str
    ) -> None:
        alg = _check_alg(alg)
        if alg == "EdDSA" and not isinstance(pub, Ed25519PublicKey):
            raise CryptoError("an EdDSA key must be an Ed25519 key")
        if alg == "ES256" and not (
            isinstance(pub, ec.EllipticCurvePublicKey) and isinstance(pub.curve, ec.SECP256R1)
        ):
            raise CryptoError("an ES256 key must be a P-256 key")
        self._pub = pub
        self.alg: Algorithm = alg
        self.kid = _check_kid(kid)

    def to_jwk(self) -> dict[str, str]:
        """The public JWK (RFC 7517) with ``kid``, ``alg`` and ``use``."""
        return {**_public_jwk(self._pub), "kid": self.kid, "alg": self.alg, "use": "sig"}

    def thumbprint(self) -> str:
        return _thumbprint(_public_jwk(self._pub))

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerifyingKey:
        """Parse a public JWK (OKP/Ed25519 or EC/P-256); private members are ignored."""
        try:
            kty, crv = jwk["kty"], jwk["crv"]
            pub: Ed25519PublicKey | ec.EllipticCurvePublicKey
            if kty == "OKP" and crv == "Ed25519":
                pub = Ed25519PublicKey.from_public_bytes(b64d(jwk["x"]))
                alg: Algorithm = "EdDSA"
            elif kty == "EC" and crv == "P-256":
                x, y = b64d(jwk["x"]), b64d(jwk["y"])
                if len(x) != _P256_BYTES or len(y) != _P256_BYTES:
                    raise ValueError("coordinate length")
                pub = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
                ).public_key()
                alg = "ES256"
            else:
                raise CryptoError(
                    f"unsupported JWK ({str(kty)[:10]}/{str(crv)[:10]})",
                    hint="use OKP/Ed25519 or EC/P-256 keys",
                )
        except (KeyError, TypeError, ValueError):
            raise CryptoError("malformed JWK", hint="check the JWKS document") from None
        if "alg" in jwk and jwk["alg"] != alg:
            raise CryptoError(f"JWK alg {str(jwk['alg'])[:20]!r} does not match its key type")
        kid = jwk.get("kid") or _thumbprint(_public_jwk(pub))
        return cls(pub, alg=alg, kid=str(kid))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyingKey) and self.to_jwk() == other.to_jwk()

    def __hash__(self) -> int:
        return hash(self.thumbprint())

    def __repr__(self) -> str:
        return f"VerifyingKey(alg={self.alg!r}, kid={self.kid!r})"


class SigningKey(Unpicklable):
    """A private signing key (Ed25519 or P-256) with its ``kid``. Never printed or pickled."""

    __slots__ = ("_priv", "alg", "kid")

    def __init__(
        self, priv: Ed25519PrivateKey | ec.EllipticCurvePrivateKey, *, alg: Algorithm, kid: str
    ) -> None:
        self._priv = priv
        self.alg: Algorithm = _check_alg(alg)
        VerifyingKey(priv.public_key(), alg=alg, kid=kid)  # validates the pairing
        self.kid = _check_kid(kid)

    @classmethod
    def generate(cls, alg: Algorithm = "EdDSA", kid: str | None = None) -> SigningKey:
        """A new key; without ``kid`` the RFC 7638 thumbprint of the public key is used."""
        alg = _check_alg(alg)
        priv: Ed25519PrivateKey | ec.EllipticCurvePrivateKey = (
            Ed25519PrivateKey.generate()
            if alg == "EdDSA"
            else ec.generate_private_key(ec.SECP256R1())
        )
        return cls(priv, alg=alg, kid=kid or _thumbprint(_public_jwk(priv.public_key())))

    def public(self) -> VerifyingKey:
        return VerifyingKey(self._priv.public_key(), alg=self.alg, kid=self.kid)

    # -- files -----------------------------------------------------------------------------

    def save(self, path: str | Path, *, overwrite: bool = False) -> None:
        """Write the key as a private JWK (mode 0600, atomically)."""
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        jwk = self.public().to_jwk()
        if isinstance(self._priv, Ed25519PrivateKey):
            d = self._priv.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        else:
            d = self._priv.private_numbers().private_value.to_bytes(_P256_BYTES, "big")
        jwk["d"] = b64e(d)
        atomic_write_secret(Path(path), json.dumps(jwk, indent=2) + "\n", overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> SigningKey:
        """Read a private JWK written by :meth:`save`; refuses world-readable files."""
        p = Path(path)
        return cls._from_text(read_secret_file(p, "signing key file"), f"signing key file {p}")

    @classmethod
    def from_env(cls, var: str) -> SigningKey:
        """Read a private JWK from an environment variable."""
        text = os.environ.get(var)
        if not text:
            raise CryptoError(
                f"environment variable {var} is not set",
                hint="export the contents of a key file made by SigningKey.save",
            )
        return cls._from_text(text, f"environment variable {var}")

    @classmethod
    def _from_text(cls, text: str, source: str) -> SigningKey:
        bad = CryptoError(f"{source} is not a private JWK (or is corrupt)")
        try:
            jwk = json.loads(text)
            pub = VerifyingKey.from_jwk(jwk)
            d = b64d(jwk["d"])
            priv: Ed25519PrivateKey | ec.EllipticCurvePrivateKey
            if pub.alg == "EdDSA":
                priv = Ed25519PrivateKey.from_private_bytes(d)
            else:
                priv = ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
            key = cls(priv, alg=pub.alg, kid=pub.kid)
        except (ValueError, KeyError, TypeError, CryptoError):
            raise bad from None
        if key.public() != pub:
            raise bad
        return key

    def __repr__(self) -> str:
        return f"SigningKey(alg={self.alg!r}, kid={self.kid!r}, key=<redacted>)"

    __str__ = __repr__


KeySet: TypeAlias = (
    Mapping[str, Any]
    | VerifyingKey
    | SigningKey
    | Iterable[VerifyingKey | SigningKey | Mapping[str, Any]]
)


def jwks(keys: Iterable[VerifyingKey | SigningKey]) -> dict[str, list[dict[str, str]]]:
    """A JWKS document (``{"keys": [...]}``) with the *public* halves of ``keys``."""
    out = []
    for k in keys:
        vk = k.public() if isinstance(k, SigningKey) else k
        out.append(vk.to_jwk())
    return {"keys": out}


def _keyset(keys: KeySet) -> dict[str, VerifyingKey]:
    items: Iterable[Any]
    if isinstance(keys, (VerifyingKey, SigningKey)):
        items = [keys]
    elif isinstance(keys, Mapping):
        items = keys.get("keys", [keys])
        if not isinstance(items, list):
            raise CryptoError("malformed JWKS: 'keys' must be a list")
    else:
        items = keys
    found: dict[str, VerifyingKey] = {}
    for item in items:
        if isinstance(item, SigningKey):
            vk = item.public()
        elif isinstance(item, VerifyingKey):
            vk = item
        elif isinstance(item, Mapping):
            if item.get("kty") not in ("OKP", "EC") or item.get("crv") not in ("Ed25519", "P-256"):
                continue  # other services' keys (RSA, X25519 ...) cannot verify our algorithms
            vk = VerifyingKey.from_jwk(item)
        else:
            raise CryptoError(f"cannot use a {type(item).__name__} as a verification key")
        found.setdefault(vk.kid, vk)
    return found


def _pinned(algorithms: Iterable[str]) -> tuple[Algorithm, ...]:
    pinned = tuple(_check_alg(a) for a in algorithms)
    if not pinned:
        raise CryptoError("no signature algorithm is allowed", hint="pass algorithms=('EdDSA',)")
    return pinned


def _select(header: Mapping[str, Any], keys: KeySet, algorithms: Iterable[str]) -> VerifyingKey:
    pinned = _pinned(algorithms)
    alg = header.get("alg")
    if alg not in pinned:
        raise InvalidSignature("the signature algorithm is not allowed")
    if "crit" in header or "b64" in header:
        raise InvalidSignature("the signature uses an unsupported JWS extension")
    kid = header.get("kid")
    key = _keyset(keys).get(kid) if isinstance(kid, str) else None
    if key is None or key.alg != alg:
        raise InvalidSignature("the signature was not made by a trusted key")
    return key


def _header(segment: str) -> dict[str, Any]:
    try:
        header = json.loads(b64d(segment))
    except (ValueError, UnicodeDecodeError):
        raise InvalidSignature("malformed JWS header") from None
    if not isinstance(header, dict):
        raise InvalidSignature("malformed JWS header")
    return header


def sign_jwt(
    claims: Mapping[str, Any], key: SigningKey, *, headers: Mapping[str, Any] | None = None
) -> str:
    """A compact JWT signed with ``key``; the header carries ``kid`` and ``typ: JWT``."""
    extra = dict(headers or {})
    for reserved in ("alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u"):
        if reserved in extra:
            raise CryptoError(f"the JWT header '{reserved}' is set by guardrail")
    return jwt.encode(
        dict(claims), key._priv, algorithm=key.alg, headers={**extra, "kid": key.kid, "typ": "JWT"}
    )


def verify_jwt(
    token: str,
    keys: KeySet,
    *,
    algorithms: Iterable[str] = ("EdDSA", "ES256"),
    at: datetime | None = None,
    leeway: timedelta = timedelta(0),
    audience: str | None = None,
    issuer: str | None = None,
) -> dict[str, Any]:
    """The claims of ``token`` after checking signature, algorithm, key and times at ``at``.

    ``exp`` and ``nbf`` are checked against ``at`` (default: now). A token with an ``aud``
    claim is only accepted when ``audience`` names one of its audiences.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidSignature("malformed JWT")
    key = _select(_header(token.split(".", 1)[0]), keys, algorithms)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key._pub,
            algorithms=[key.alg],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.PyJWTError:
        raise InvalidSignature() from None
    when = (at or datetime.now(UTC)).timestamp()
    slack = leeway.total_seconds()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None:
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise InvalidSignature("the JWT 'exp' claim is not a number")
        if when >= exp + slack:
            raise InvalidSignature("the JWT has expired")
    if nbf is not None:
        if not isinstance(nbf, (int, float)) or isinstance(nbf, bool):
            raise InvalidSignature("the JWT 'nbf' claim is not a number")
        if when < nbf - slack:
            raise InvalidSignature("the JWT is not valid yet")
    aud = claims.get("aud")
    if aud is not None or audience is not None:
        auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if audience is None or audience not in auds:
            raise InvalidSignature("the JWT is not meant for this audience")
    if issuer is not None and claims.get("iss") != issuer:
        raise InvalidSignature("the JWT was not issued by the expected issuer")
    return claims


def sign_detached(payload: bytes, key: SigningKey) -> str:
    """A compact JWS over ``payload`` with the payload left out: ``<header>..<signature>``.

    The signing input is ``base64url(header) . base64url(payload)`` (RFC 7515 Appendix F);
    the verifier supplies the payload again.
    """
    if not isinstance(payload, (bytes, bytearray)):
        raise CryptoError("sign_detached signs bytes", hint="encode the payload first")
    full = jwt.api_jws.PyJWS().encode(
        bytes(payload), key._priv, algorithm=key.alg, headers={"kid": key.kid, "typ": None}
    )
    head, _body, sig = full.split(".")
    return f"{head}..{sig}"


def verify_detached(
    payload: bytes,
    signature: str,
    keys: KeySet,
    *,
    algorithms: Iterable[str] = ("EdDSA", "ES256"),
) -> dict[str, Any]:
    """Check a detached JWS over ``payload``; returns its protected header."""
    if not isinstance(signature, str) or signature.count(".") != 2:
        raise InvalidSignature("malformed detached JWS")
    head, body, sig = signature.split(".")
    if body:
        raise InvalidSignature("the JWS is not detached")
    header = _header(head)
    key = _select(header, keys, algorithms)
    full = f"{head}.{b64e(bytes(payload))}.{sig}"
    try:
        jwt.api_jws.PyJWS().decode_complete(full, key._pub, algorithms=[key.alg])
    except jwt.PyJWTError:
        raise InvalidSignature() from None
    return header
