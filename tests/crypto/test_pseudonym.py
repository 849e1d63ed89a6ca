from __future__ import annotations

import hmac
import pickle

from hypothesis import given
from hypothesis import strategies as st

from guardrail.crypto import Keyring, Pseudonymizer, is_pseudonym
from guardrail.crypto.pseudonym import PSEUDONYM_PREFIX


def test_known_answer(keyring: Keyring) -> None:
    # HMAC-SHA256 under HKDF-SHA256(material, info="guardrail/v1/pseudonym/hmac-sha256/" + ctx).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(
        hashes.SHA256(), 32, None, b"guardrail/v1/pseudonym/hmac-sha256/consent.subject"
    ).derive(bytes(range(32)))
    mac = hmac.digest(key, b"13812345678", "sha256")
    import base64

    expected = PSEUDONYM_PREFIX + base64.urlsafe_b64encode(bytes.fromhex("0a0b0c0d") + mac).decode()
    assert Pseudonymizer(keyring, "consent.subject").pseudonym("13812345678") == expected


@given(st.text(max_size=50))
def test_stable_and_context_separated(value: str) -> None:
    kr = Keyring.from_material(bytes(32))
    a = Pseudonymizer(kr, "consent.subject")
    b = Pseudonymizer(kr, "crm.customer")
    p = a.pseudonym(value)
    assert p == a.pseudonym(value.encode()) == a.pseudonym_many([value])[0]
    assert p != b.pseudonym(value) and is_pseudonym(p) and len(p) == 52
    assert value not in p[4:] or len(value) < 4


def test_rotation_lookup(keyring: Keyring) -> None:
    before = Pseudonymizer(keyring, "c").pseudonym("alice")
    rotated = keyring.rotate()
    p = Pseudonymizer(rotated, "c")
    assert p.pseudonym("alice") != before
    assert p.pseudonyms("alice") == (p.pseudonym("alice"), before)
    assert p.matches("alice", before) and not p.matches("bob", before)


def test_not_a_pseudonym() -> None:
    assert not is_pseudonym("13812345678") and not is_pseudonym(None)


def test_no_pickle_and_repr(keyring: Keyring) -> None:
    p = Pseudonymizer(keyring, "c")
    assert "0a0b0c0d" in repr(p) and bytes(range(32)).hex() not in repr(p)
    try:
        pickle.dumps(p)
    except TypeError:
        pass
    else:
        raise AssertionError("a Pseudonymizer must not pickle")
