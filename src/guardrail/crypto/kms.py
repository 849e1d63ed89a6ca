"""Key-management services for envelope encryption: data keys wrapped by a key-encryption key.

:class:`KMS` is the protocol a cloud or HSM adapter implements (``wrap``/``unwrap`` of short
keys, bound to a context). :class:`LocalKMS` is the file-backed implementation: its
key-encryption keys (KEKs) live in their own keyring file — keep it on another machine or
volume than the data and the wrapped keyring, so a copy of either alone is useless.

    kms = LocalKMS.create("kek.json")
    Keyring.generate().save("keyring.json", kms=kms)   # keys wrapped by the KEK
    kr = Keyring.from_file("keyring.json", kms=kms)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from guardrail.crypto._util import Unpicklable
from guardrail.crypto.fields import FieldEncryptor
from guardrail.crypto.keys import Keyring
from guardrail.errors import CryptoError, InvalidCiphertext

__all__ = ["KMS", "LocalKMS"]


@runtime_checkable
class KMS(Protocol):
    """Wraps and unwraps data keys under a key-encryption key it never hands out."""

    @property
    def name(self) -> str:
        """A stable identifier recorded next to wrapped keys (e.g. ``local``)."""
        ...

    def wrap(self, data_key: bytes, *, context: bytes) -> str:
        """An opaque text wrapping ``data_key``; ``context`` must match on unwrap."""
        ...

    def unwrap(self, wrapped: str, *, context: bytes) -> bytes:
        """The data key; raises :class:`~guardrail.errors.CryptoError` on any failure."""
        ...


class LocalKMS(Unpicklable):
    """A KMS whose key-encryption keys are a keyring in a local file (mode 0600).

    Wrapping is AES-256-GCM under the KEK keyring's primary key with the context as associated
    data; rotating the KEK keeps older KEKs for unwrapping.
    """

    __slots__ = ("_kek", "_path")

    name = "local"

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._kek = Keyring.from_file(self._path)

    @classmethod
    def create(cls, path: str | Path, *, at: datetime | None = None) -> LocalKMS:
        """Create a new KEK file at ``path`` (refuses to overwrite)."""
        Keyring.generate(at=at).save(path)
        return cls(path)

    def rotate(self, *, at: datetime | None = None) -> LocalKMS:
        """Add a new primary KEK to the file; older KEKs stay for unwrapping."""
        self._kek.rotate(at=at).save(self._path, overwrite=True)
        return LocalKMS(self._path)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def primary_id(self) -> str:
        return self._kek.primary_id

    def _enc(self, context: bytes) -> FieldEncryptor:
        return FieldEncryptor(self._kek, context="guardrail.kms/" + context.hex())

    def wrap(self, data_key: bytes, *, context: bytes) -> str:
        return self._enc(context).encrypt_bytes(data_key)

    def unwrap(self, wrapped: str, *, context: bytes) -> bytes:
        try:
            return self._enc(context).decrypt_bytes(wrapped)
        except InvalidCiphertext:
            raise CryptoError(
                f"the key-encryption key in {self._path} cannot unwrap this key",
                hint="use the KMS file the keyring was saved with",
            ) from None

    def __repr__(self) -> str:
        return f"LocalKMS(path={str(self._path)!r}, primary={self.primary_id!r})"
