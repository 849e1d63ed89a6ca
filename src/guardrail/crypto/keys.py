"""Keyrings: key ids, one primary key, decrypt-only older keys, rotation and key sources.

A :class:`Keyring` holds 256-bit master keys, each with a 4-byte key id (shown as 8 hex
digits). The *primary* key encrypts; every other key only decrypts, so tokens made before a
rotation keep working until they are re-encrypted (``FieldEncryptor.rotate``) and the old key
is retired. Each recipe derives its own subkey from a master key with HKDF-SHA256 (RFC 5869)
and a purpose label, so one master key never feeds two algorithms.

Key sources:

* :meth:`Keyring.from_file` — a JSON keyring file. Files readable by every user are refused.
  The file may hold the keys in the clear or *wrapped* by a key-encryption key held in a
  :class:`~guardrail.crypto.kms.KMS` (envelope encryption).
* :meth:`Keyring.from_env` — the same JSON document, or one base64url 32-byte key, in an
  environment variable (``GUARDRAIL_KEYRING`` by default).

Key material is never part of a ``repr``, an exception message or a log record, and keyrings
refuse to be pickled.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from guardrail.crypto._util import Unpicklable, atomic_write_secret, b64d, b64e, read_secret_file
from guardrail.errors import CryptoError, KeyNotFound
from guardrail.model.protect import KeyInfo

if TYPE_CHECKING:
    from guardrail.crypto.kms import KMS

__all__ = ["DEFAULT_ENV", "KEY_BYTES", "Keyring"]

KEY_BYTES = 32
KEY_ID_BYTES = 4
DEFAULT_ENV = "GUARDRAIL_KEYRING"
FILE_FORMAT = "guardrail-keyring"
FILE_VERSION = 1
_HKDF_PREFIX = b"guardrail/v1/"


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise CryptoError("at= must be an aware datetime", hint="pass datetime(..., tzinfo=UTC)")
    return at


class _Key:
    __slots__ = ("created", "id", "material")

    def __init__(self, key_id: bytes, material: bytes, created: datetime) -> None:
        self.id = key_id
        self.material = material
        self.created = created

    def __repr__(self) -> str:
        return f"<key {self.id.hex()} (material redacted)>"


def key_id_from_hex(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != KEY_ID_BYTES:
        raise KeyNotFound(
            f"'{text[:16]}' is not a key id",
            hint="key ids are 8 hex digits; see 'guardrail keys list'",
        )
    return raw


class Keyring(Unpicklable):
    """Master keys with ids: one primary (encrypts) and any number of decrypt-only keys.

    >>> kr = Keyring.generate()
    >>> kr2 = kr.rotate()            # new primary; the old key stays for decryption
    >>> kr2.primary_id != kr.primary_id and kr.primary_id in kr2
    True
    """

    __slots__ = ("_derived", "_keys", "_primary")

    def __init__(self, keys: Iterable[_Key], primary: bytes) -> None:
        self._keys: dict[bytes, _Key] = {}
        for k in keys:
            if len(k.material) != KEY_BYTES:
                raise CryptoError(f"key {k.id.hex()} is not {KEY_BYTES} bytes long")
            if k.id in self._keys:
                raise CryptoError(f"key id {k.id.hex()} appears twice in the keyring")
            self._keys[k.id] = k
        if primary not in self._keys:
            raise KeyNotFound(f"the primary key {primary.hex()} is not in the keyring")
        self._primary = primary
        self._derived: dict[tuple[bytes, bytes, int], bytes] = {}

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def generate(cls, *, at: datetime | None = None) -> Keyring:
        """A new keyring with one random 256-bit primary key."""
        key = _Key(secrets.token_bytes(KEY_ID_BYTES), secrets.token_bytes(KEY_BYTES), _now(at))
        return cls([key], key.id)

    @classmethod
    def from_material(
        cls, material: bytes, *, key_id: str | None = None, at: datetime | None = None
    ) -> Keyring:
        """A one-key keyring from 32 bytes of key material (tests, KMS-provided keys).

        Without ``key_id`` the id is derived from the material (HMAC-SHA256), so the same
        material always yields the same id and its tokens stay decryptable.
        """
        if len(material) != KEY_BYTES:
            raise CryptoError(f"key material must be {KEY_BYTES} bytes")
        kid = key_id_from_hex(key_id) if key_id is not None else _derived_id(material)
        return cls([_Key(kid, bytes(material), _now(at))], kid)

    @classmethod
    def from_env(
        cls,
        var: str = DEFAULT_ENV,
        *,
        environ: Mapping[str, str] | None = None,
        kms: KMS | None = None,
    ) -> Keyring:
        """Load from an environment variable: a keyring JSON document or one base64url key."""
        env = os.environ if environ is None else environ
        text = env.get(var)
        if not text or not text.strip():
            raise CryptoError(
                f"environment variable {var} is not set",
                hint="create a keyring with 'guardrail keys create FILE' and export its "
                f"contents as {var}, or pass --keyring FILE",
            )
        text = text.strip()
        if text.startswith("{"):
            return cls._from_json(text, source=f"environment variable {var}", kms=kms)
        try:
            material = b64d(text)
        except ValueError:
            material = b""
        if len(material) != KEY_BYTES:
            raise CryptoError(
                f"environment variable {var} holds neither a keyring nor a 32-byte base64url key",
                hint="export the contents of a file made by 'guardrail keys create'",
            )
        return cls.from_material(material)

    @classmethod
    def from_file(cls, path: str | Path, *, kms: KMS | None = None) -> Keyring:
        """Load a keyring file; refuses files that every user may read.

        A wrapped keyring (made with ``save(..., kms=...)``) needs the same ``kms``.
        """
        p = Path(path)
        text = read_secret_file(p, "keyring file")
        return cls._from_json(text, source=f"keyring file {p}", kms=kms)

    @classmethod
    def _from_json(cls, text: str, *, source: str, kms: KMS | None) -> Keyring:
        bad = CryptoError(
            f"{source} is not a guardrail keyring (or is corrupt)",
            hint="create one with 'guardrail keys create FILE'",
        )
        try:
            doc = json.loads(text)
        except ValueError:
            raise bad from None
        if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
            raise bad
        if doc.get("version") != FILE_VERSION:
            raise CryptoError(
                f"{source} has keyring format version {doc.get('version')!r}; this guardrail "
                f"reads version {FILE_VERSION}",
                hint="upgrade guardrail",
            )
        wrapping = doc.get("wrapping")
        if wrapping is not None and kms is None:
            raise CryptoError(
                f"{source} is wrapped by a key-encryption key",
                hint="pass the KMS that holds it (--kms FILE)",
            )
        if wrapping is not None and kms is not None and wrapping.get("kms") != kms.name:
            raise CryptoError(
                f"{source} was wrapped by KMS '{wrapping.get('kms')}', not '{kms.name}'",
                hint="pass the KMS the keyring was saved with",
            )
        keys: list[_Key] = []
        try:
            for entry in doc["keys"]:
                kid = key_id_from_hex(str(entry["id"]))
                created = datetime.fromisoformat(str(entry["created"]))
                if created.tzinfo is None:
                    raise ValueError("naive time")
                if wrapping is None:
                    material = b64d(str(entry["material"]))
                else:
                    assert kms is not None
                    material = kms.unwrap(str(entry["wrapped"]), context=_wrap_context(kid))
                keys.append(_Key(kid, material, created))
            primary = key_id_from_hex(str(doc["primary"]))
        except (KeyError, TypeError, ValueError, KeyNotFound):
            raise bad from None
        except CryptoError as exc:
            raise CryptoError(
                f"{source}: a key could not be unwrapped ({exc.message})",
                hint="check that the KMS is the one the keyring was saved with",
            ) from None
        if not keys:
            raise bad
        return cls(keys, primary)

    # -- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path, *, kms: KMS | None = None, overwrite: bool = False) -> None:
        """Write the keyring to ``path`` (mode 0600, atomically).

        With ``kms`` each key is wrapped by the KMS's key-encryption key (envelope
        encryption) and the file holds no usable key material on its own.
        """
        atomic_write_secret(Path(path), self._to_json(kms=kms), overwrite=overwrite)

    def _to_json(self, *, kms: KMS | None = None) -> str:
        entries: list[dict[str, Any]] = []
        for k in self._keys.values():
            entry: dict[str, Any] = {"id": k.id.hex(), "created": k.created.isoformat()}
            if kms is None:
                entry["material"] = b64e(k.material)
            else:
                entry["wrapped"] = kms.wrap(k.material, context=_wrap_context(k.id))
            entries.append(entry)
        doc: dict[str, Any] = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "primary": self._primary.hex(),
        }
        if kms is not None:
            doc["wrapping"] = {"kms": kms.name}
        doc["keys"] = entries
        return json.dumps(doc, indent=2) + "\n"

    # -- rotation ------------------------------------------------------------------------

    def rotate(self, *, at: datetime | None = None) -> Keyring:
        """A new keyring whose primary is a fresh key; every current key stays decrypt-only."""
        while True:
            kid = secrets.token_bytes(KEY_ID_BYTES)
            if kid not in self._keys:
                break
        new = _Key(kid, secrets.token_bytes(KEY_BYTES), _now(at))
        return Keyring([*self._keys.values(), new], kid)

    def retire(self, key_id: str) -> Keyring:
        """A new keyring without ``key_id`` (after its tokens were re-encrypted)."""
        kid = key_id_from_hex(key_id)
        if kid not in self._keys:
            raise KeyNotFound(
                f"key {key_id} is not in the keyring", hint="see 'guardrail keys list'"
            )
        if kid == self._primary:
            raise CryptoError(
                f"key {key_id} is the primary key and cannot be retired",
                hint="rotate first, re-encrypt, then retire the old key",
            )
        return Keyring([k for k in self._keys.values() if k.id != kid], self._primary)

    def merge(self, other: Keyring) -> Keyring:
        """A keyring with this one's primary and the keys of both (decrypt across rings)."""
        keys = dict(self._keys)
        for kid, k in other._keys.items():
            keys.setdefault(kid, k)
        return Keyring(keys.values(), self._primary)

    # -- inspection ----------------------------------------------------------------------

    @property
    def primary_id(self) -> str:
        """The primary key's id (8 hex digits)."""
        return self._primary.hex()

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id, the primary first, then newest to oldest."""
        return tuple(k.id.hex() for k in self._ordered())

    def info(self) -> tuple[KeyInfo, ...]:
        """Safe metadata (id, status, creation time) for listing; never the material."""
        return tuple(
            KeyInfo(
                id=k.id.hex(),
                status="primary" if k.id == self._primary else "decrypt-only",
                created=k.created,
            )
            for k in self._ordered()
        )

    def _ordered(self) -> list[_Key]:
        rest = sorted(
            (k for k in self._keys.values() if k.id != self._primary),
            key=lambda k: k.created,
            reverse=True,
        )
        return [self._keys[self._primary], *rest]

    def __contains__(self, key_id: object) -> bool:
        if isinstance(key_id, str):
            try:
                return bytes.fromhex(key_id) in self._keys
            except ValueError:
                return False
        return isinstance(key_id, bytes) and key_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Keyring(primary={self.primary_id!r}, keys={len(self._keys)})"

    __str__ = __repr__

    # -- for the recipes in this package (not public) ---------------------------------------

    def _primary_raw_id(self) -> bytes:
        return self._primary

    def _raw_ids(self) -> list[bytes]:
        return [k.id for k in self._ordered()]

    def _has(self, raw_id: bytes) -> bool:
        return raw_id in self._keys

    def _derive(self, raw_id: bytes, purpose: bytes, length: int = 32) -> bytes:
        """HKDF-SHA256 subkey of key ``raw_id`` for ``purpose`` (cached)."""
        slot = (raw_id, purpose, length)
        got = self._derived.get(slot)
        if got is None:
            key = self._keys[raw_id]
            got = HKDF(
                algorithm=hashes.SHA256(), length=length, salt=None, info=_HKDF_PREFIX + purpose
            ).derive(key.material)
            self._derived[slot] = got
        return got


def _derived_id(material: bytes) -> bytes:
    h = _hmac.HMAC(material, hashes.SHA256())
    h.update(b"guardrail/v1/key-id")
    return h.finalize()[:KEY_ID_BYTES]


def _wrap_context(kid: bytes) -> bytes:
    return b"guardrail/v1/keyring-key/" + kid.hex().encode("ascii")
