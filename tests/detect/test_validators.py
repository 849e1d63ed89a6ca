"""Checksum and validity vectors for every validator the catalog names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrail.detect import validators as v
from guardrail.detect.validators import (
    PHONE_CN_MOBILE,
    PHONE_INTERNATIONAL,
    PHONE_POSSIBLE,
    PHONE_REGIONAL,
    gb11643,
    luhn,
    phone_validator,
)
from guardrail.testing import Canaries


# 11010519491231002X is the example of GB 11643-1999; the others were computed by hand from
# the standard's weights (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) and check table "10X98765432".
@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "440306199003071232",
        "31010120001231456X",
        "31010120001231456x",
        "510107198506158881",
    ],
)
def test_gb11643_valid(value: str) -> None:
    assert gb11643(value)


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check character
        "99010519491231002X",  # no such province
        "110105194913310028",  # month 13
        "11010518000101001X",  # born before 1900 (check digit irrelevant)
        "1101051949123100",  # too short
        "11010519491231002Y",
    ],
)
def test_gb11643_invalid(value: str) -> None:
    assert not gb11643(value)


def test_gb11643_rejects_a_birth_date_in_the_future() -> None:
    year = date.today().year + 1
    body = f"110105{year}0101001"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    assert not gb11643(body + check)


@given(st.integers(min_value=0, max_value=10_000))
def test_canary_resident_ids_are_valid_and_one_changed_digit_is_not(seed: int) -> None:
    value = Canaries(seed=seed).cn_resident_id()
    assert gb11643(value)
    # ISO 7064 MOD 11-2 detects every single-digit substitution in the body.
    i = seed % 17
    changed = value[:i] + str((int(value[i]) + 1 + seed % 9) % 10) + value[i + 1 :]
    assert changed == value or not gb11643(changed)


@pytest.mark.parametrize(
    "value",
    ["4111111111111111", "5500 0000 0000 0004", "6212345678901232", "378282246310005"],
)
def test_luhn_valid(value: str) -> None:
    assert luhn(value)


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111112",
        "1234",
        "0000000000",
        "79927398713",  # Luhn-valid, but 11 digits: no payment card is that short
    ],
)
def test_luhn_invalid(value: str) -> None:
    assert not luhn(value)


@given(st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_luhn_completes_any_body(body: str) -> None:
    # Exactly one check digit completes a body (the property Canaries.card relies on).
    assert sum(luhn(body + d) for d in "0123456789") == 1


CASES: dict[str, tuple[Callable[[str], bool | float], list[str], list[str]]] = {
    "payment_card": (
        v.payment_card,
        [
            "4111111111111111",  # Visa
            "5500000000000004",  # Mastercard
            "6212345678901232",  # UnionPay 62
            "378282246310005",  # American Express
            "6011111111111117",  # Discover
            "3530111333300000",  # JCB
        ],
        ["4111111111111112", "1234567890"],
    ),
    # GB 32100-2015: 18 characters, check character over the 17 before it (MOD 31).
    "gb32100": (
        v.gb32100,
        ["91350100M000100Y43", "91110000802100433B"],
        ["91350100M000100Y44", "9135010OM000100Y43", "91350100M000100Y4"],
    ),
    "cn_passport": (
        v.cn_passport,
        ["E12345678", "G12345678", "EA1234567"],
        ["A1234567", "E1234567"],
    ),
    "cn_hk_macau_permit": (
        v.cn_hk_macau_permit,
        ["C12345678", "H12345678", "M12345678"],
        ["C1234567"],
    ),
    "cn_license_plate": (
        v.cn_license_plate,
        ["京A12345", "粤B·D12345", "沪AD12345"],
        ["京I12345", "京A1234"],  # I and O are never issued; too short
    ),
    # SSA rules: no 000/666/9xx area, no 00 group, no 0000 serial, known advertising numbers.
    "us_ssn": (
        v.us_ssn,
        ["536-22-1234", "536221234"],
        ["078-05-1120", "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"],
    ),
    "iban": (
        v.iban,
        ["DE89370400440532013000", "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00"],
        ["DE89370400440532013001", "GB82WEST1234569876543"],  # bad check; wrong length
    ),
    "ip_address": (
        v.ip_address,
        ["192.168.1.10", "2001:db8::8a2e:370:7334", "::1"],
        ["256.1.1.1", "1.2.3", "1.2.3.4.5"],
    ),
    "ipv4_integer": (v.ipv4_integer, ["3232235786", "16777216"], ["12", "4294967296"]),
    "mac_address": (
        v.mac_address,
        ["00:1A:2B:3C:4D:5E", "00-1A-2B-3C-4D-5E", "001A.2B3C.4D5E"],
        ["00:00:00:00:00:00", "FF:FF:FF:FF:FF:FF"],
    ),
    "imei": (v.imei, ["490154203237518"], ["490154203237517", "000000000000000"]),
    "email": (
        v.email,
        ["a.b@example.com", "x@例子.com"],
        ["a..b@example.com", ".a@example.com", "a@b"],
    ),
    "date_value": (
        v.date_value,
        ["1985-03-12", "1990年5月17日", "12/31/1999", "31/12/1999"],
        ["2023-02-30", "13/13/2000"],
    ),
    "geo_coordinate": (
        v.geo_coordinate,
        ["39.9042,116.4074", "40.7128, -74.0060", "116.4074,39.9042"],
        ["39.9,116.4", "95.1234,200.1234"],  # too coarse; out of range
    ),
    "credential_value": (
        v.credential_value,
        ["Hunter2Secret!"],
        ["password", "${DB_PASSWORD}", "******", "abc", "{{secret}}"],
    ),
    "jwt": (
        v.jwt,
        [
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        ],
        ["abc.def.ghi", "eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.sig"],  # header without alg
    ),
    "person_name": (
        v.person_name,
        ["John Smith", "Alice Johnson", "Mary-Jane O'Neil"],
        ["The Company", "Order Status"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_validator_vectors(name: str) -> None:
    fn, good, bad = CASES[name]
    assert {x for x in good if not fn(x)} == set()
    assert {x for x in bad if fn(x)} == set()


def test_cn_bank_card_scores_luhn_failures_low() -> None:
    assert v.cn_bank_card("6222021234567890128") is True
    assert v.cn_bank_card("6222021234567890127") == pytest.approx(0.3)


def test_every_catalog_validator_exists() -> None:
    from guardrail.detect import load_catalog

    known = set(v.make_validators())
    named = {
        p.validator
        for e in load_catalog().entities
        for p in (*e.patterns, *e.cells)
        if p.validator is not None
    }
    assert named - known == set()


@pytest.mark.parametrize(
    ("number", "score"),
    [
        ("13812345678", PHONE_CN_MOBILE),  # mainland mobile
        ("+86 138 1234 5678", PHONE_CN_MOBILE),
        ("+1 415 555 2671", PHONE_INTERNATIONAL),
        ("+44 20 7946 0958", PHONE_INTERNATIONAL),
        ("010-62345678", PHONE_REGIONAL),  # Beijing landline with trunk prefix
        ("(415) 555-2671", PHONE_REGIONAL),
        ("415-555-2671", PHONE_REGIONAL),
        ("05639 427598", PHONE_REGIONAL),  # German area code and subscriber number
        ("12345678901", PHONE_POSSIBLE),  # 11 digits, no mobile prefix: context needed
        ("304 57938", PHONE_POSSIBLE),  # a status code and a byte count, unless context says
        ("2024-03-20", False),
        ("1489.63", False),
        ("192.168.1.1", False),
        ("0000000000", False),
        ("+999 1234567", False),  # no such country code
        ("078-05-1120", False),  # SSN layout
    ],
)
def test_phone_validator(number: str, score: float | bool) -> None:
    assert phone_validator()(number) == score


def test_phone_regions_are_configurable() -> None:
    us_only = phone_validator(["us"])
    assert us_only("010-62345678") is False
    assert us_only("13812345678") == PHONE_POSSIBLE  # no CN mobile rule without CN
    assert us_only("(415) 555-2671") == PHONE_REGIONAL
    with pytest.raises(ValueError, match="'USA' is not an ISO 3166-1 alpha-2"):
        phone_validator(["USA"])
    with pytest.raises(ValueError, match="no numbering plan for region 'XX'"):
        phone_validator(["XX"])
