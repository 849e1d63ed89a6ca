"""The ``gr1:`` token layout shared by the encryption recipes.

    gr1:<base64url( version:1 | key id:4 | body )>

``version`` names the recipe and its format (so a token can never be fed to the wrong
recipe): 0x01 AES-256-GCM field token (body = nonce:12 | ciphertext | tag:16), 0x02 AES-SIV
deterministic token (body = SIV:16 | ciphertext), 0x03 per-subject (crypto-shredding) token, whose key id is the 16-byte id of the subject's data
key (body = nonce:12 | ciphertext | tag:16). The version byte and key id are authenticated as
associated data together with the context.
"""

from __future__ import annotations

import base64
import binascii

from guardrail.errors import InvalidCiphertext

__all__ = [
    "PREFIX",
    "V_DETERMINISTIC",
    "V_FIELD",
    "V_SUBJECT",
    "decode",
    "encode",
    "encode_many",
    "is_token",
    "key_id_of",
]

PREFIX = "gr1:"
V_FIELD = 0x01
V_DETERMINISTIC = 0x02
V_SUBJECT = 0x03
_VERSIONS = frozenset({V_FIELD, V_DETERMINISTIC, V_SUBJECT})
_MIN_BODY = {V_FIELD: 12 + 16, V_DETERMINISTIC: 16, V_SUBJECT: 12 + 12 + 16}
_b64enc = base64.urlsafe_b64encode
_b64dec = binascii.a2b_base64
_b2a = binascii.b2a_base64
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode(raw: bytes) -> str:
    return PREFIX + _b2a(raw, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def encode_many(raws: list[bytes]) -> list[str]:
    """:func:`encode` for a list (the column fast path)."""
    b2a, table = _b2a, _URLSAFE
    return [
        PREFIX + b2a(r, newline=False).translate(table).rstrip(b"=").decode("ascii") for r in raws
    ]


def decode(token: object, version: int) -> bytes:
    """The raw token bytes; ``InvalidCiphertext`` unless well-formed for ``version``."""
    if not isinstance(token, str) or not token.startswith(PREFIX):
        raise InvalidCiphertext()
    body = token[4:]
    if "+" in body or "/" in body or "=" in body:
        raise InvalidCiphertext()
    try:
        raw = _b64dec(
            body.replace("-", "+").replace("_", "/") + "=" * (-len(body) % 4), strict_mode=True
        )
    except (binascii.Error, ValueError):
        raise InvalidCiphertext() from None
    if len(raw) < 5 + _MIN_BODY[version] or raw[0] != version:
        raise InvalidCiphertext()
    if _b64enc(raw).rstrip(b"=").decode("ascii") != body:  # one spelling per token
        raise InvalidCiphertext()
    return raw


def is_token(value: object) -> bool:
    """True if ``value`` looks like a guardrail token (any recipe, any key); no key needed."""
    if not isinstance(value, str) or not value.startswith(PREFIX) or len(value) < 12:
        return False
    try:
        head = _b64dec(value[4:12].replace("-", "+").replace("_", "/"))
    except (binascii.Error, ValueError):
        return False
    return head[0] in _VERSIONS


def key_id_of(token: str) -> str | None:
    """The key id a token was made with (8 hex digits; 32 for per-subject tokens), or ``None``."""
    if not is_token(token):
        return None
    if len(token) < 28:
        return None
    head = _b64dec(token[4:28].replace("-", "+").replace("_", "/"))
    return head[1:17].hex() if head[0] == V_SUBJECT else head[1:5].hex()
