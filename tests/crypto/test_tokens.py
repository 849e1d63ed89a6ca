"""Token known answers, round trips, context binding and rotation."""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.crypto import make_vectors

from guardrail.crypto import (
    DeterministicEncryptor,
    FieldEncryptor,
    InvalidCiphertext,
    Keyring,
    is_token,
    key_id_of,
)
from guardrail.errors import CryptoError

KAT = json.loads((Path(__file__).with_name("vectors") / "tokens.json").read_text("utf-8"))
RECIPES: dict[str, type[FieldEncryptor] | type[DeterministicEncryptor]] = {
    "field": FieldEncryptor,
    "deterministic": DeterministicEncryptor,
}


def _kr() -> Keyring:
    return make_vectors.keyring()


def test_known_answer_file_is_complete() -> None:
    whys = {v["why"] for v in KAT["invalid"]}
    assert {"tampered tag", "truncated", "wrong context", "unknown key id", "wrong version"} <= whys
    assert {v["recipe"] for v in KAT["valid"]} == {"field", "deterministic"}


@pytest.mark.parametrize(
    "vec", KAT["valid"], ids=lambda v: f"{v['recipe']}-{v['key_id']}-{len(v['plaintext'])}"
)
def test_verify_known_tokens(vec: dict[str, Any]) -> None:
    enc = RECIPES[vec["recipe"]](_kr(), vec["context"])
    assert enc.decrypt(vec["token"]) == vec["plaintext"]
    assert key_id_of(vec["token"]) == vec["key_id"] and is_token(vec["token"])


def test_generate_reproduces_the_deterministic_tokens() -> None:
    fresh = make_vectors.build()
    for old, new in zip(KAT["valid"], fresh["valid"], strict=True):
        if old["recipe"] == "deterministic":
            assert new["token"] == old["token"]
        else:  # random nonce: same layout, different token
            assert new["token"] != old["token"] and new["token"][:10] == old["token"][:10]


def test_generated_field_token_layout() -> None:
    token = FieldEncryptor(_kr(), "c").encrypt("abc")
    raw = base64.urlsafe_b64decode(token[4:] + "=" * (-len(token[4:]) % 4))
    assert token.startswith("gr1:") and raw[0] == 0x01 and raw[1:5].hex() == "0a0b0c0d"
    assert len(raw) == 1 + 4 + 12 + 3 + 16  # version, key id, nonce, ciphertext, tag


@pytest.mark.parametrize("vec", KAT["invalid"], ids=lambda v: f"{v['recipe']}-{v['why']}")
def test_invalid_tokens_raise_the_same_error(vec: dict[str, Any]) -> None:
    enc = RECIPES[vec["recipe"]](_kr(), vec["context"])
    with pytest.raises(InvalidCiphertext) as info:
        enc.decrypt(vec["token"])
    assert str(info.value) == "ciphertext is invalid or was not made for this context"
    err = info.value  # no chained exception tells the causes apart
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


@pytest.mark.parametrize("bad", [None, 42, b"gr1:AAAA", "gr1:", "gr1:!!!!"])
def test_non_tokens(bad: object) -> None:
    with pytest.raises(InvalidCiphertext):
        FieldEncryptor(_kr(), "c").decrypt(bad)  # type: ignore[arg-type]
    assert not is_token(bad)


def test_context_is_mandatory() -> None:
    for ctx in ("", "  "):
        with pytest.raises(CryptoError, match="context"):
            FieldEncryptor(_kr(), ctx)
        with pytest.raises(CryptoError, match="context"):
            DeterministicEncryptor(_kr(), ctx)


@settings(max_examples=60)
@given(st.text(max_size=200), st.text(min_size=1, max_size=30).filter(str.strip))
def test_field_round_trip(value: str, context: str) -> None:
    kr = Keyring.from_material(bytes(32))
    enc = FieldEncryptor(kr, context)
    a, b = enc.encrypt(value), enc.encrypt(value)
    assert a != b and enc.decrypt(a) == value == enc.decrypt(b)
    assert enc.encrypt_many([value, value]) != [a, b]
    assert enc.decrypt_many(enc.encrypt_many([value, "x"])) == [value, "x"]
    other = FieldEncryptor(kr, context + "/other")
    with pytest.raises(InvalidCiphertext):
        other.decrypt(a)


@settings(max_examples=60)
@given(st.text(max_size=200))
def test_deterministic_round_trip(value: str) -> None:
    det = DeterministicEncryptor(Keyring.from_material(bytes(32)), "c")
    token = det.encrypt(value)
    assert det.encrypt(value) == token == det.encrypt_many([value])[0]
    assert det.decrypt(token) == value
    with pytest.raises(InvalidCiphertext):
        DeterministicEncryptor(Keyring.from_material(bytes(32)), "d").decrypt(token)


@settings(max_examples=30)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=10))
def test_rotation_re_encrypts_under_primary(values: list[str]) -> None:
    kr = Keyring.from_material(bytes(32))
    old_tokens = FieldEncryptor(kr, "c").encrypt_many(values)
    det_old = [DeterministicEncryptor(kr, "c").encrypt(v) for v in values]
    kr2 = kr.rotate()
    enc = FieldEncryptor(kr2, "c")
    det = DeterministicEncryptor(kr2, "c")
    for v, t, d in zip(values, old_tokens, det_old, strict=True):
        assert enc.needs_rotation(t) and enc.decrypt(t) == v
        new = enc.rotate(t)
        assert key_id_of(new) == kr2.primary_id and not enc.needs_rotation(new)
        assert enc.rotate(new) == new and enc.decrypt(new) == v
        assert d in det.lookup_tokens(v) and det.lookup_tokens(v)[0] == det.encrypt(v)
        assert det.decrypt(det.rotate(d)) == v and key_id_of(det.rotate(d)) == kr2.primary_id
    # Retiring the old key after re-encryption: old tokens no longer decrypt.
    retired = kr2.retire(kr.primary_id)
    with pytest.raises(InvalidCiphertext):
        FieldEncryptor(retired, "c").decrypt(old_tokens[0])


def test_rotate_authenticates_current_tokens() -> None:
    enc = FieldEncryptor(_kr(), "c")
    token = enc.encrypt("x")
    with pytest.raises(InvalidCiphertext):
        enc.rotate(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_bytes_values() -> None:
    enc = FieldEncryptor(_kr(), "c")
    assert enc.decrypt_bytes(enc.encrypt_bytes(b"\x00\xff")) == b"\x00\xff"
    with pytest.raises(InvalidCiphertext):
        enc.decrypt(enc.encrypt_bytes(b"\xff\xfe"))  # not UTF-8: still the one error


def test_no_pickle_and_no_material_in_repr() -> None:
    kr = _kr()
    for obj in (kr, FieldEncryptor(kr, "c"), DeterministicEncryptor(kr, "c")):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(obj)
        text = repr(obj) + str(obj)
        assert make_vectors.MATERIAL.hex() not in text
        assert base64.urlsafe_b64encode(make_vectors.MATERIAL).decode()[:20] not in text
