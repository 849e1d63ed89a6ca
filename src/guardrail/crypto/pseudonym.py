"""Keyed pseudonyms: HMAC-SHA256 under a key derived per context.

``Pseudonymizer(kr, context="consent.subject").pseudonym("13812345678")`` is stable for the
same key and context, differs between contexts (so two systems' pseudonyms cannot be joined
without the key), and cannot be computed or reversed without the keyring: this is
pseudonymisation in the sense of GDPR Art. 4(5) and de-identification under PIPL Art. 73(3),
provided the keyring is kept apart from the data. No unkeyed hash is offered: a plain
SHA-256 of a phone number is reversed by enumerating the 10^11 numbers.

A pseudonym is ``gp1:`` + base64url(key id | HMAC-SHA256) (52 characters). After a key
rotation, :meth:`Pseudonymizer.pseudonyms` gives a value's pseudonym under every key, to
find records made before the rotation.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _hmac

from guardrail.crypto._util import Unpicklable
from guardrail.crypto.fields import check_context
from guardrail.crypto.keys import Keyring

__all__ = ["PSEUDONYM_PREFIX", "Pseudonymizer", "is_pseudonym"]

PSEUDONYM_PREFIX = "gp1:"
_PURPOSE = b"pseudonym/hmac-sha256/"
_b2a = binascii.b2a_base64
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:  # 36 bytes: never padded
    return _b2a(data, newline=False).translate(_URLSAFE)


def is_pseudonym(value: object) -> bool:
    """True if ``value`` has the shape of a guardrail pseudonym."""
    return isinstance(value, str) and len(value) == 52 and value.startswith(PSEUDONYM_PREFIX)


class Pseudonymizer(Unpicklable):
    """Keyed pseudonyms for one context.

    >>> p = Pseudonymizer(Keyring.generate(), context="consent.subject")
    >>> p.pseudonym("13812345678") == p.pseudonym("13812345678")
    True
    """

    __slots__ = ("_context", "_keyring", "_macs", "_primary")

    def __init__(self, keyring: Keyring, context: str) -> None:
        self._context = check_context(context)
        self._keyring = keyring
        purpose = _PURPOSE + context.encode("utf-8")
        self._macs: dict[bytes, _hmac.HMAC] = {
            kid: _hmac.HMAC(keyring._derive(kid, purpose), hashes.SHA256())
            for kid in keyring._raw_ids()
        }
        self._primary = keyring._primary_raw_id()

    @property
    def context(self) -> str:
        return self._context

    @property
    def primary_id(self) -> str:
        return self._keyring.primary_id

    def _with(self, kid: bytes, data: bytes) -> str:
        h = self._macs[kid].copy()
        h.update(data)
        return PSEUDONYM_PREFIX + _b64(kid + h.finalize()).decode("ascii")

    def pseudonym(self, value: str | bytes) -> str:
        """The pseudonym of ``value`` under the primary key."""
        return self._with(self._primary, value.encode("utf-8") if isinstance(value, str) else value)

    def pseudonym_many(self, values: Iterable[str]) -> list[str]:
        """Pseudonyms of many values (faster than a loop over :meth:`pseudonym`)."""
        kid = self._primary
        copy = self._macs[kid].copy
        b2a, table, prefix = _b2a, _URLSAFE, PSEUDONYM_PREFIX
        out: list[str] = []
        append = out.append
        for v in values:
            h = copy()
            h.update(v.encode())
            append(prefix + b2a(kid + h.finalize(), newline=False).translate(table).decode("ascii"))
        return out

    def pseudonyms(self, value: str | bytes) -> tuple[str, ...]:
        """``value``'s pseudonym under every key, primary first (look-ups across rotations)."""
        data = value.encode("utf-8") if isinstance(value, str) else value
        return tuple(self._with(kid, data) for kid in self._keyring._raw_ids())

    def matches(self, value: str | bytes, pseudonym: str) -> bool:
        """True if ``pseudonym`` is ``value``'s pseudonym under any key (constant-time compare)."""
        import hmac

        return any(hmac.compare_digest(p, pseudonym) for p in self.pseudonyms(value))

    def __repr__(self) -> str:
        return f"Pseudonymizer(context={self._context!r}, primary={self._keyring.primary_id!r})"

    __str__ = __repr__
