from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import SHARED

from guardrail.crypto import FF1, Keyring, decrypt_card, decrypt_phone, encrypt_card, encrypt_phone
from guardrail.errors import CryptoError, KeyNotFound

VECTORS = json.loads((SHARED / "vectors" / "ff1-nist-sp800-38g.json").read_text())["vectors"]


def test_all_nine_nist_vectors_are_present() -> None:
    assert sorted(v["sample"] for v in VECTORS) == list(range(1, 10))


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: f"sample{v['sample']}")
def test_nist_sp800_38g_vectors(vec: dict[str, object]) -> None:
    ff1 = FF1(bytes.fromhex(str(vec["key_hex"])), radix=int(str(vec["radix"])))
    tweak = bytes.fromhex(str(vec["tweak_hex"]))
    assert ff1.encrypt(str(vec["plaintext"]), tweak) == vec["ciphertext"]
    assert ff1.decrypt(str(vec["ciphertext"]), tweak) == vec["plaintext"]


@given(st.from_regex(r"[0-9]{6,40}", fullmatch=True), st.binary(max_size=40))
def test_decimal_round_trip(text: str, tweak: bytes) -> None:
    ff1 = FF1(bytes(range(32)))
    out = ff1.encrypt(text, tweak)
    assert len(out) == len(text) and out.isdigit()
    assert ff1.decrypt(out, tweak) == text


@given(st.text(alphabet="ABCDEFGHJK", min_size=6, max_size=30), st.binary(max_size=20))
def test_custom_alphabet_round_trip(text: str, tweak: bytes) -> None:
    ff1 = FF1(bytes(16), alphabet="ABCDEFGHJK")
    out = ff1.encrypt(text, tweak)
    assert set(out) <= set("ABCDEFGHJK") and len(out) == len(text)
    assert ff1.decrypt(out, tweak) == text


def test_large_radix_alphabet_round_trip() -> None:
    alphabet = "".join(chr(0x4E00 + i) for i in range(1000))  # 1000 CJK numerals
    ff1 = FF1(bytes(24), alphabet=alphabet)
    text = alphabet[5] + alphabet[999] + alphabet[0]
    assert ff1.decrypt(ff1.encrypt(text, b"t"), b"t") == text


def test_tweak_changes_output() -> None:
    ff1 = FF1(bytes(32))
    assert ff1.encrypt("0123456789", b"a") != ff1.encrypt("0123456789", b"b")


@pytest.mark.parametrize(
    ("kwargs", "text", "message"),
    [
        ({}, "12345", "fewer than 10^6"),
        ({}, "12a456", "outside the FF1 alphabet"),
        ({}, "+123456", "outside the FF1 alphabet"),
        ({"radix": 2}, "1" * 19, "fewer than 10^6"),
        ({"radix": 37}, "0", "needs an alphabet"),
        ({"alphabet": "aab"}, "ab", "distinct"),
        ({"radix": 16, "alphabet": "0123456789"}, "0", "does not match"),
    ],
)
def test_bad_input(kwargs: dict[str, object], text: str, message: str) -> None:
    with pytest.raises(CryptoError, match=re.escape(message)):
        FF1(bytes(16), **kwargs).encrypt(text)  # type: ignore[arg-type]


def test_domain_bound_for_radix_2_is_20_bits() -> None:
    ff1 = FF1(bytes(16), radix=2)
    assert ff1.min_length() == 20
    assert len(ff1.encrypt("1" * 20)) == 20


def test_bad_key_and_no_pickle_or_key_in_repr() -> None:
    with pytest.raises(CryptoError, match="16, 24 or 32"):
        FF1(b"short")
    key = bytes(range(16))
    ff1 = FF1(key)
    assert key.hex() not in repr(ff1) and "redacted" in repr(ff1)
    with pytest.raises(TypeError):
        pickle.dumps(ff1)


def test_from_keyring_records_key_id(keyring: Keyring) -> None:
    ff1 = FF1.from_keyring(keyring, context="shop.payments.card")
    assert ff1.key_id == keyring.primary_id
    rotated = keyring.rotate()
    old = FF1.from_keyring(rotated, context="shop.payments.card", key_id=keyring.primary_id)
    assert old.encrypt("0123456789") == ff1.encrypt("0123456789")
    other = FF1.from_keyring(keyring, context="shop.payments.other")
    assert other.encrypt("0123456789") != ff1.encrypt("0123456789")
    with pytest.raises(KeyNotFound):
        FF1.from_keyring(keyring, context="x", key_id="ffffffff")


@pytest.mark.parametrize(
    ("card", "kept_head", "kept_tail"),
    [
        ("6228480012345678", "622848", "5678"),
        ("6228 4800 1234 5678 901", "6228 48", "8 901"),
        ("4111-1111-1111-1111", "4111-11", "1111"),
        ("378282246310005", "3782", "0005"),  # 15 digits: 7 encrypted, BIN shortened
        ("3056930902590", "305", "2590"),  # 13 digits
    ],
)
def test_card_helper_keeps_bin_and_last_four(card: str, kept_head: str, kept_tail: str) -> None:
    ff1 = FF1(bytes(32))
    out = encrypt_card(ff1, card)
    assert out.startswith(kept_head) and out.endswith(kept_tail)
    assert len(out) == len(card) and [c.isdigit() for c in out] == [c.isdigit() for c in card]
    assert out != card
    assert decrypt_card(ff1, out) == card


def test_card_helper_refuses_short_numbers() -> None:
    with pytest.raises(CryptoError, match="at least 10 digits"):
        encrypt_card(FF1(bytes(16)), "123456789")


@pytest.mark.parametrize(
    ("phone", "prefix"),
    [
        ("+86 138 1234 5678", "+86 "),
        ("0086-13812345678", "0086-"),
        ("13812345678", ""),
        ("+1 415-555-0100", "+1 "),
    ],
)
def test_phone_helper_keeps_country_prefix(phone: str, prefix: str) -> None:
    ff1 = FF1(bytes(32))
    out = encrypt_phone(ff1, phone)
    assert out.startswith(prefix) and len(out) == len(phone) and out != phone
    assert decrypt_phone(ff1, out) == phone


def test_helpers_need_decimal_ff1() -> None:
    with pytest.raises(CryptoError, match="radix-10"):
        encrypt_card(FF1(bytes(16), radix=16), "6228480012345678")


def test_vectors_file_is_read_from_shared() -> None:
    assert Path(SHARED).name == "shared"
