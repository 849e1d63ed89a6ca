"""Deterministic encryption with AES-SIV (RFC 5297) for equality joins and look-ups.

The same value in the same context under the same key always gives the same token, so a
column can be indexed and joined on its tokens. That is also what it leaks: equal values are
visible as equal. Use :class:`~guardrail.crypto.fields.FieldEncryptor` unless you need the
equality. After a rotation, :meth:`DeterministicEncryptor.lookup_tokens` gives a value's
token under every key in the keyring for ``WHERE col IN (...)``.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from guardrail.crypto import _token
from guardrail.crypto._util import Unpicklable
from guardrail.crypto.fields import check_context
from guardrail.crypto.keys import Keyring
from guardrail.errors import InvalidCiphertext

__all__ = ["DeterministicEncryptor"]

_PURPOSE = b"deterministic/aes-256-siv"
_AAD_TAG = b"gr1|deterministic|"


class DeterministicEncryptor(Unpicklable):
    """Deterministic AEAD tokens for one field.

    >>> det = DeterministicEncryptor(Keyring.generate(), context="shop.customers.email")
    >>> det.encrypt("a@example.cn") == det.encrypt("a@example.cn")
    True
    """

    __slots__ = ("_aads", "_ciphers", "_context", "_keyring", "_primary")

    def __init__(self, keyring: Keyring, context: str) -> None:
        self._context = check_context(context)
        self._keyring = keyring
        ctx = context.encode("utf-8")
        self._ciphers: dict[bytes, AESSIV] = {}
        self._aads: dict[bytes, list[bytes]] = {}
        for kid in keyring._raw_ids():
            self._ciphers[kid] = AESSIV(keyring._derive(kid, _PURPOSE, 64))
            # One associated-data component (version, key id, context): S2V runs one CMAC per
            # component, so a single component is the cheaper, equally binding choice.
            self._aads[kid] = [_AAD_TAG + bytes([_token.V_DETERMINISTIC]) + kid + b"|" + ctx]
        self._primary = keyring._primary_raw_id()

    @property
    def context(self) -> str:
        return self._context

    @property
    def primary_id(self) -> str:
        return self._keyring.primary_id

    def _encrypt_with(self, kid: bytes, value: bytes) -> str:
        ct = self._ciphers[kid].encrypt(value, self._aads[kid])
        return _token.encode(bytes([_token.V_DETERMINISTIC]) + kid + ct)

    def encrypt(self, value: str) -> str:
        """The token for ``value`` under the primary key (always the same token)."""
        return self._encrypt_with(self._primary, value.encode("utf-8"))

    def encrypt_bytes(self, value: bytes) -> str:
        return self._encrypt_with(self._primary, value)

    def encrypt_many(self, values: Iterable[str]) -> list[str]:
        kid = self._primary
        enc = self._ciphers[kid].encrypt
        aad = self._aads[kid]
        head = bytes([_token.V_DETERMINISTIC]) + kid
        return _token.encode_many([head + enc(v.encode(), aad) for v in values])

    def lookup_tokens(self, value: str) -> tuple[str, ...]:
        """``value``'s token under every key (primary first), to find rows after a rotation."""
        data = value.encode("utf-8")
        return tuple(self._encrypt_with(kid, data) for kid in self._keyring._raw_ids())

    def decrypt_bytes(self, token: str) -> bytes:
        raw = _token.decode(token, _token.V_DETERMINISTIC)
        kid = raw[1:5]
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise InvalidCiphertext()
        try:
            return cipher.decrypt(raw[5:], self._aads[kid])
        except InvalidTag:
            raise InvalidCiphertext() from None

    def decrypt(self, token: str) -> str:
        try:
            return self.decrypt_bytes(token).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCiphertext() from None

    def needs_rotation(self, token: str) -> bool:
        return _token.key_id_of(token) != self._keyring.primary_id

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the primary key (unchanged if it already is)."""
        value = self.decrypt_bytes(token)
        if not self.needs_rotation(token):
            return token
        return self._encrypt_with(self._primary, value)

    def __repr__(self) -> str:
        return (
            f"DeterministicEncryptor(context={self._context!r}, "
            f"primary={self._keyring.primary_id!r})"
        )

    __str__ = __repr__
