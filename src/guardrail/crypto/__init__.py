"""Protection recipes over pyca/cryptography's vetted primitives.

Nothing here takes a nonce, IV, mode or salt: every recipe chooses them. Keys live in a
:class:`Keyring` (ids, one primary, decrypt-only older keys, rotation); tokens carry a
version byte and the key id; the field *context* is authenticated, so a value copied to
another column does not decrypt; and every decryption failure raises the same
:class:`~guardrail.errors.InvalidCiphertext`.

    kr = Keyring.generate()
    FieldEncryptor(kr, context="shop.customers.id_number").encrypt("11010519491231002X")
    DeterministicEncryptor(kr, context="shop.customers.email").encrypt("a@example.cn")
    Pseudonymizer(kr, context="consent.subject").pseudonym("13812345678")
    FF1(key, radix=10).encrypt("0123456789")

Signatures (consent receipts, report digests): :class:`SigningKey`, :func:`sign_jwt`,
:func:`verify_jwt`, :func:`sign_detached`, :func:`verify_detached`, :func:`jwks`.
Crypto-shredding (per-subject keys in a SQL key store) is :class:`SubjectKeyStore`, imported
lazily because it needs SQLAlchemy. This package is the only place in guardrail that imports
``cryptography``.
"""

from typing import TYPE_CHECKING, Any

from guardrail.crypto._token import is_token, key_id_of
from guardrail.crypto.deterministic import DeterministicEncryptor
from guardrail.crypto.fields import FieldEncryptor
from guardrail.crypto.fpe import FF1, decrypt_card, decrypt_phone, encrypt_card, encrypt_phone
from guardrail.crypto.keys import Keyring
from guardrail.crypto.kms import KMS, LocalKMS
from guardrail.crypto.pseudonym import Pseudonymizer, is_pseudonym
from guardrail.crypto.signing import (
    SigningKey,
    VerifyingKey,
    jwks,
    sign_detached,
    sign_jwt,
    verify_detached,
    verify_jwt,
)
from guardrail.errors import CryptoError, InvalidCiphertext, InvalidSignature, KeyNotFound

if TYPE_CHECKING:
    from guardrail.crypto.shred import SubjectEncryptor, SubjectKeyStore

__all__ = [
    "FF1",
    "KMS",
    "CryptoError",
    "DeterministicEncryptor",
    "FieldEncryptor",
    "InvalidCiphertext",
    "InvalidSignature",
    "KeyNotFound",
    "Keyring",
    "LocalKMS",
    "Pseudonymizer",
    "SigningKey",
    "SubjectEncryptor",
    "SubjectKeyStore",
    "VerifyingKey",
    "decrypt_card",
    "decrypt_phone",
    "encrypt_card",
    "encrypt_phone",
    "is_pseudonym",
    "is_token",
    "jwks",
    "key_id_of",
    "sign_detached",
    "sign_jwt",
    "verify_detached",
    "verify_jwt",
]


def __getattr__(name: str) -> Any:
    if name in ("SubjectKeyStore", "SubjectEncryptor"):
        from guardrail.crypto import shred

        return getattr(shred, name)
    raise AttributeError(f"module 'guardrail.crypto' has no attribute {name!r}")
