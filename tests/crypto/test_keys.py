"""Keyrings: sources, file permissions, envelope encryption, rotation, redaction."""

from __future__ import annotations

import base64
import json
import os
import pickle
from pathlib import Path

import pytest
from tests.crypto.conftest import AT

from guardrail.crypto import FieldEncryptor, InvalidCiphertext, Keyring, LocalKMS
from guardrail.crypto.kms import KMS
from guardrail.errors import CryptoError, KeyNotFound
from guardrail.testing import capture_logs


def _material(path: Path) -> list[str]:
    return [k["material"] for k in json.loads(path.read_text())["keys"] if "material" in k]


def test_generate_rotate_retire(keyring: Keyring) -> None:
    assert keyring.primary_id == "0a0b0c0d" and len(keyring) == 1
    r2 = keyring.rotate(at=AT)
    assert len(r2) == 2 and r2.primary_id != keyring.primary_id
    assert r2.key_ids == (r2.primary_id, "0a0b0c0d")
    assert [(i.id, i.status) for i in r2.info()] == [
        (r2.primary_id, "primary"),
        ("0a0b0c0d", "decrypt-only"),
    ]
    assert keyring.primary_id in r2 and "zz" not in r2 and "ffffffff" not in r2
    r3 = r2.retire("0a0b0c0d")
    assert r3.key_ids == (r2.primary_id,)
    with pytest.raises(CryptoError, match="primary key and cannot be retired"):
        r2.retire(r2.primary_id)
    with pytest.raises(KeyNotFound, match="not in the keyring"):
        r2.retire("ffffffff")
    with pytest.raises(KeyNotFound, match="not a key id"):
        r2.retire("nothex")


def test_material_derived_key_id_is_stable() -> None:
    a = Keyring.from_material(bytes(32))
    b = Keyring.from_material(bytes(32))
    assert a.primary_id == b.primary_id
    assert Keyring.from_material(bytes([1]) * 32).primary_id != a.primary_id
    with pytest.raises(CryptoError, match="32 bytes"):
        Keyring.from_material(b"short")


def test_file_round_trip_is_private_and_atomic(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "keyring.json"
    keyring.rotate(at=AT).save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keyring.json"]  # no temp file left
    loaded = Keyring.from_file(path)
    assert loaded.info() == Keyring.from_file(path).info()
    token = FieldEncryptor(keyring, "c").encrypt("v")
    assert FieldEncryptor(loaded, "c").decrypt(token) == "v"
    with pytest.raises(CryptoError, match="already exists"):
        keyring.save(path)
    keyring.save(path, overwrite=True)
    assert Keyring.from_file(path).key_ids == ("0a0b0c0d",)


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o602])
def test_world_accessible_files_are_refused(tmp_path: Path, keyring: Keyring, mode: int) -> None:
    path = tmp_path / "k.json"
    keyring.save(path)
    os.chmod(path, mode)
    with pytest.raises(CryptoError, match="every user") as info:
        Keyring.from_file(path)
    assert "chmod 600" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a guardrail keyring"),
        ('{"format": "other"}', "not a guardrail keyring"),
        ('{"format": "guardrail-keyring", "version": 9}', "format version 9"),
        (
            '{"format": "guardrail-keyring", "version": 1, "primary": "00", "keys": []}',
            "not a guardrail keyring",
        ),
        (
            '{"format": "guardrail-keyring", "version": 1, "primary": "0a0b0c0d", "keys": '
            '[{"id": "0a0b0c0d", "created": "2026-01-01T00:00:00+00:00", "material": "AAAA"}]}',
            "32 bytes",
        ),
    ],
)
def test_corrupt_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "k.json"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(CryptoError, match=message):
        Keyring.from_file(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CryptoError, match="does not exist"):
        Keyring.from_file(tmp_path / "nope.json")
    with pytest.raises(CryptoError, match="not a regular file"):
        Keyring.from_file(tmp_path)


def test_env_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keyring: Keyring) -> None:
    keyring.save(tmp_path / "k.json")
    env = {"GUARDRAIL_KEYRING": (tmp_path / "k.json").read_text()}
    assert Keyring.from_env(environ=env).key_ids == ("0a0b0c0d",)
    single = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
    assert (
        Keyring.from_env("X", environ={"X": single}).primary_id
        == Keyring.from_material(bytes(range(32))).primary_id
    )
    with pytest.raises(CryptoError, match="is not set") as info:
        Keyring.from_env("GR_NOPE", environ={})
    assert "guardrail keys create" in str(info.value)
    with pytest.raises(CryptoError, match="neither a keyring"):
        Keyring.from_env("X", environ={"X": "short"})
    monkeypatch.setenv("GUARDRAIL_KEYRING", single)
    assert len(Keyring.from_env()) == 1


def test_envelope_encryption_with_local_kms(tmp_path: Path, keyring: Keyring) -> None:
    kms = LocalKMS.create(tmp_path / "kek.json", at=AT)
    assert isinstance(kms, KMS)
    path = tmp_path / "keyring.json"
    kr = keyring.rotate(at=AT)
    kr.save(path, kms=kms)
    doc = json.loads(path.read_text())
    assert doc["wrapping"] == {"kms": "local"} and _material(path) == []
    assert all(k["wrapped"].startswith("gr1:") for k in doc["keys"])
    with pytest.raises(CryptoError, match="wrapped by a key-encryption key"):
        Keyring.from_file(path)
    loaded = Keyring.from_file(path, kms=LocalKMS(tmp_path / "kek.json"))
    assert loaded.info() == kr.info()
    token = FieldEncryptor(kr, "c").encrypt("v")
    assert FieldEncryptor(loaded, "c").decrypt(token) == "v"
    # Another KEK cannot unwrap.
    other = LocalKMS.create(tmp_path / "other-kek.json")
    with pytest.raises(CryptoError, match="could not be unwrapped"):
        Keyring.from_file(path, kms=other)
    # Rotating the KEK keeps old wraps readable; re-saving wraps under the new KEK.
    rotated = kms.rotate(at=AT)
    assert rotated.primary_id != kms.primary_id
    assert Keyring.from_file(path, kms=rotated).info() == kr.info()
    kr.save(path, kms=rotated, overwrite=True)
    assert Keyring.from_file(path, kms=rotated).info() == kr.info()


def test_kms_wrap_is_bound_to_context(tmp_path: Path) -> None:
    kms = LocalKMS.create(tmp_path / "kek.json")
    wrapped = kms.wrap(b"k" * 32, context=b"a")
    assert kms.unwrap(wrapped, context=b"a") == b"k" * 32
    with pytest.raises(CryptoError):
        kms.unwrap(wrapped, context=b"b")


def test_keys_never_in_repr_logs_or_pickles(tmp_path: Path, keyring: Keyring) -> None:
    kms = LocalKMS.create(tmp_path / "kek.json")
    path = tmp_path / "k.json"
    secret = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
    with capture_logs() as logs:
        keyring.save(path)
        kr = Keyring.from_file(path)
        texts = [repr(kr), str(kr), repr(kms), repr(kr.info()), repr(kr._keys)]
    assert all(secret not in t and bytes(range(32)).hex() not in t for t in [*texts, *logs])
    for obj in (kr, kms):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(obj)


def test_aware_times_required() -> None:
    from datetime import datetime

    with pytest.raises(CryptoError, match="aware"):
        Keyring.generate(at=datetime(2026, 1, 1))


def test_merge_keeps_primary(keyring: Keyring) -> None:
    other = Keyring.from_material(bytes([7]) * 32)
    merged = keyring.merge(other)
    assert merged.primary_id == keyring.primary_id and len(merged) == 2
    token = FieldEncryptor(other, "c").encrypt("x")
    assert FieldEncryptor(merged, "c").decrypt(token) == "x"
    with pytest.raises(InvalidCiphertext):
        FieldEncryptor(keyring, "c").decrypt(token)
