"""Field encryption: AES-256-GCM tokens with key ids, bound to a field context.

A token is ``gr1:`` + base64url(0x01 | key id | nonce | ciphertext | tag). The associated
data binds the version byte, the key id and the *context* (e.g. ``shop.customers.id_number``),
so a token copied into another column does not decrypt there. Nonces are 96 random bits per
token (never a parameter); keep to fewer than 2**32 tokens per key (NIST SP 800-38D §8.3)
and rotate before that. Every failure raises the same :class:`InvalidCiphertext`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guardrail.crypto import _token
from guardrail.crypto._util import Unpicklable
from guardrail.crypto.keys import Keyring
from guardrail.errors import CryptoError, InvalidCiphertext

__all__ = ["FieldEncryptor", "is_token", "key_id_of"]

is_token = _token.is_token
key_id_of = _token.key_id_of

_PURPOSE = b"field/aes-256-gcm"
_AAD_TAG = b"gr1|field|"


def check_context(context: object) -> str:
    if not isinstance(context, str) or not context.strip():
        raise CryptoError(
            "a non-empty context is required",
            hint="name the field, e.g. context='shop.customers.id_number'",
        )
    return context


class FieldEncryptor(Unpicklable):
    """Encrypt values of one field (``context``) under a keyring's primary key.

    >>> enc = FieldEncryptor(Keyring.generate(), context="shop.customers.id_number")
    >>> token = enc.encrypt("11010519491231002X")
    >>> token.startswith("gr1:") and enc.decrypt(token) == "11010519491231002X"
    True
    """

    __slots__ = ("_aads", "_aeads", "_context", "_keyring", "_primary_aad", "_primary_head")

    def __init__(self, keyring: Keyring, context: str) -> None:
        self._context = check_context(context)
        self._keyring = keyring
        ctx = context.encode("utf-8")
        self._aeads: dict[bytes, AESGCM] = {}
        self._aads: dict[bytes, bytes] = {}
        for kid in keyring._raw_ids():
            self._aeads[kid] = AESGCM(keyring._derive(kid, _PURPOSE))
            self._aads[kid] = _AAD_TAG + bytes([_token.V_FIELD]) + kid + b"|" + ctx
        pid = keyring._primary_raw_id()
        self._primary_head = bytes([_token.V_FIELD]) + pid
        self._primary_aad = self._aads[pid]

    @property
    def context(self) -> str:
        return self._context

    @property
    def primary_id(self) -> str:
        return self._keyring.primary_id

    # -- encrypt -------------------------------------------------------------------------

    def encrypt(self, value: str) -> str:
        """A fresh token for ``value`` (a different token every call)."""
        return self.encrypt_bytes(value.encode("utf-8"))

    def encrypt_bytes(self, value: bytes) -> str:
        pid = self._primary_head[1:]
        nonce = os.urandom(12)
        ct = self._aeads[pid].encrypt(nonce, value, self._primary_aad)
        return _token.encode(self._primary_head + nonce + ct)

    def encrypt_many(self, values: Iterable[str]) -> list[str]:
        """Tokens for many values (faster than calling :meth:`encrypt` in a loop)."""
        vals = values if isinstance(values, (list, tuple)) else list(values)
        head = self._primary_head
        aead = self._aeads[head[1:]].encrypt
        aad = self._primary_aad
        # One CSPRNG read for all nonces: 96 fresh random bits per token, as in encrypt().
        nonces = os.urandom(12 * len(vals))
        raws = [
            head + (n := nonces[i : i + 12]) + aead(n, v.encode(), aad)
            for i, v in zip(range(0, 12 * len(vals), 12), vals, strict=True)
        ]
        return _token.encode_many(raws)

    # -- decrypt -------------------------------------------------------------------------

    def decrypt_bytes(self, token: str) -> bytes:
        raw = _token.decode(token, _token.V_FIELD)
        kid = raw[1:5]
        aead = self._aeads.get(kid)
        if aead is None:
            raise InvalidCiphertext()
        try:
            return aead.decrypt(raw[5:17], raw[17:], self._aads[kid])
        except InvalidTag:
            raise InvalidCiphertext() from None

    def decrypt(self, token: str) -> str:
        """The value in ``token``; ``InvalidCiphertext`` for any failure."""
        data = self.decrypt_bytes(token)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCiphertext() from None

    def decrypt_many(self, tokens: Iterable[str]) -> list[str]:
        return [self.decrypt(t) for t in tokens]

    # -- rotation ------------------------------------------------------------------------

    def needs_rotation(self, token: str) -> bool:
        """True if ``token`` was made with a key other than the primary."""
        return key_id_of(token) != self._keyring.primary_id

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the primary key (returned unchanged if it already is)."""
        if not self.needs_rotation(token):
            self.decrypt_bytes(token)  # still authenticate it
            return token
        return self.encrypt_bytes(self.decrypt_bytes(token))

    def __repr__(self) -> str:
        return f"FieldEncryptor(context={self._context!r}, primary={self.primary_id!r})"

    __str__ = __repr__
