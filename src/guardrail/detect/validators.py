"""Checksums and plausibility checks named by the pattern catalog.

A validator takes the matched text and returns ``False`` (not an instance: drop the match),
``True`` (keep the pattern's score) or a float in [0, 1] (the score this particular value
deserves, e.g. a phone number valid in a configured region scores higher than one that is only
*possible*). Validators are pure functions of the value; the few that need settings (phone
regions) are built by :func:`make_validators`.

Sources are cited next to each check; items the fact base could not confirm are marked ⚠.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache
from operator import mul

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "VALIDATORS",
    "ValidatorFn",
    "cn_bank_card",
    "cn_hk_macau_permit",
    "cn_license_plate",
    "cn_passport",
    "credential_value",
    "date_value",
    "email",
    "eu_street",
    "gb11643",
    "gb32100",
    "geo_coordinate",
    "iban",
    "imei",
    "ip_address",
    "ipv4_integer",
    "jwt",
    "known_iin",
    "luhn",
    "mac_address",
    "make_validators",
    "payment_card",
    "person_name",
    "phone_validator",
    "us_ssn",
]

#: ``value -> False | True | score``.
ValidatorFn = Callable[[str], bool | float]

_NON_DIGIT = re.compile(r"[^0-9]")


def _digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


# -- payment cards ---------------------------------------------------------------------------


# Luhn: the doubled value of each digit (2d, minus 9 when above 9), by ASCII code.
_LUHN_DOUBLE = bytes(
    ((2 * (c - 48)) - 9 if 2 * (c - 48) > 9 else 2 * (c - 48)) if 48 <= c <= 57 else 0
    for c in range(256)
)


def _luhn_ok(digits: str) -> bool:
    b = digits.encode("ascii")
    odd = b[-1::-2]
    total = sum(odd) - 48 * len(odd) + sum(b[-2::-2].translate(_LUHN_DOUBLE))
    return total % 10 == 0


def luhn(text: str) -> bool:
    """ISO/IEC 7812-1 Annex B (Luhn) check digit over the digits of ``text`` (12-19 digits)."""
    digits = text if text.isdigit() and text.isascii() else _digits(text)
    if not 12 <= len(digits) <= 19:
        return False
    return _luhn_ok(digits)


# Issuer identification number ranges (ISO/IEC 7812-1; network rules as published by the card
# schemes): (prefix low, prefix high, allowed lengths). Overlaps are fine: any match is enough.
_IIN_RANGES: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (4, 4, (13, 16, 19)),  # Visa
    (51, 55, (16,)),  # Mastercard
    (2221, 2720, (16,)),  # Mastercard 2-series
    (34, 34, (15,)),  # American Express
    (37, 37, (15,)),
    (62, 62, (16, 17, 18, 19)),  # China UnionPay (银联)
    (81, 81, (16, 17, 18, 19)),  # UnionPay 81 range ⚠
    (3528, 3589, (16, 17, 18, 19)),  # JCB
    (1800, 1800, (15,)),  # JCB (legacy 15-digit)
    (2131, 2131, (15,)),
    (300, 305, (14, 16, 19)),  # Diners Club International
    (36, 36, (14, 16, 19)),
    (38, 39, (14, 16, 19)),
    (309, 309, (14, 16, 19)),
    (6011, 6011, (16, 19)),  # Discover
    (644, 649, (16, 19)),
    (65, 65, (16, 19)),
    (622126, 622925, (16, 19)),  # Discover co-branded UnionPay range
    (50, 50, (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (56, 58, (12, 13, 14, 15, 16, 17, 18, 19)),
    (63, 63, (12, 13, 14, 15, 16, 17, 18, 19)),
    (67, 67, (12, 13, 14, 15, 16, 17, 18, 19)),
    (60, 60, (12, 13, 14, 15, 16, 17, 18, 19)),
    (2200, 2204, (16, 17, 18, 19)),  # Mir
)


#: :data:`_IIN_RANGES` with the prefix length each range reads.
_IIN_PREFIXES = tuple((low, high, lengths, len(str(low))) for low, high, lengths in _IIN_RANGES)


def known_iin(digits: str) -> bool:
    """Whether ``digits`` start with an issuer range of a major card network, at a valid length."""
    n = len(digits)
    for low, high, lengths, k in _IIN_PREFIXES:
        if n in lengths and low <= int(digits[:k]) <= high:
            return True
    return False


def payment_card(text: str) -> bool | float:
    """A Luhn-valid card number: full score with a known issuer range, a low score without.

    Luhn alone passes one random number in ten, so numbers outside every issuer range only
    count when context words (card, 卡号 …) lift them.
    """
    digits = text if text.isdigit() and text.isascii() else _digits(text)
    if not luhn(digits) or len(set(digits)) == 1:
        return False
    return True if known_iin(digits) else 0.3


def cn_bank_card(text: str) -> bool | float:
    """A PRC bank card number: Luhn-valid (UnionPay 62 scores highest), 16-19 digits."""
    digits = _digits(text)
    if not 16 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    if luhn(digits):
        return True
    return 0.3  # some domestic account numbers carry no Luhn digit: context must decide


# -- PRC identifiers -----------------------------------------------------------------------

# GB 11643-1999 §8.2: ISO 7064 MOD 11-2 weights and check characters.
_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"
_GB11643_OFFSET = 48 * sum(_GB11643_WEIGHTS)  # the weights applied to ASCII codes, not digits
# First two digits: province-level division codes (GB/T 2260).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 "
    "65 71 81 82 83 91".split()
)
_MAX_BIRTH_YEAR = datetime.now(UTC).year
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def gb11643(text: str) -> bool:
    """An 18-character PRC resident identity number: region, birth date and check character.

    GB 11643-1999: 6-digit address code (GB/T 2260), 8-digit birth date, 3-digit sequence,
    1 check character (ISO 7064 MOD 11-2). The birth date must be a real date from 1900 up to
    this year.
    """
    if len(text) != 18:
        return False
    body = text[:17]
    last = text[17]
    if not (body.isascii() and body.isdigit()):
        return False
    if last == "x":
        last = "X"
    elif last != "X" and not ("0" <= last <= "9"):
        return False
    if body[:2] not in _PROVINCES:
        return False
    # A real birth date, 1900 to this year (checked without building a date object: this
    # runs for every 18-digit run of every text).
    y, m, d = int(body[6:10]), int(body[10:12]), int(body[12:14])
    if not (1900 <= y <= _MAX_BIRTH_YEAR and 1 <= m <= 12 and 1 <= d <= _MONTH_DAYS[m]):
        return False
    if m == 2 and d == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        return False
    total = sum(map(mul, body.encode("ascii"), _GB11643_WEIGHTS)) - _GB11643_OFFSET
    return _GB11643_CHECK[total % 11] == last


# GB 32100-2015 §4-5: the unified social credit code uses 31 characters (no I, O, Z, S, V);
# the 18th is a check character with weights 3^(i) mod 31.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997: the organisation code (positions 9-17) has its own MOD 11 check character.
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def gb32100(text: str) -> bool:
    """An 18-character unified social credit code (统一社会信用代码) with a valid check."""
    s = text.upper()
    if len(s) != 18 or any(c not in _USCC_CHARS for c in s):
        return False
    if s[0] not in "159ANY" or not s[2:8].isdigit():  # registration authority, region code
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(s[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == s[17]


def cn_passport(text: str) -> bool:
    """PRC ordinary passports: ``E`` + 8 digits or ``E`` + letter + 7 digits (2012 e-passport);
    older ``G`` + 8 digits; diplomatic/service ``D``/``S``/``P`` + 7-8 digits. ⚠ Formats are
    from public issuing notices, not from the fact base; no check digit exists."""
    s = text.upper()
    if re.fullmatch(r"E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP]E?[0-9]{7}", s) is None:
        return False
    return len(set(s[1:])) > 1


def cn_hk_macau_permit(text: str) -> bool:
    """Exit-entry permit for travelling to Hong Kong and Macao (往来港澳通行证): ``C`` + 8
    characters; home-return permits (回乡证) ``H``/``M`` + 8 or 10 digits. ⚠ Formats are from
    public issuing notices, not from the fact base."""
    s = text.upper()
    if re.fullmatch(r"C[0-9A-HJ-NP-Z][0-9]{7}|[HM][0-9]{8}(?:[0-9]{2})?", s) is None:
        return False
    return len(set(s[1:])) > 1


# GA 36-2018 ⚠: province abbreviation, issuing-authority letter (no I/O), five characters;
# new-energy plates have six (D/F marks electric/hybrid).
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]|[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF])"
)


def cn_license_plate(text: str) -> bool:
    """A PRC motor-vehicle plate: at least one digit, not a word that happens to fit."""
    s = re.sub(r"[\s·•.-]", "", text.upper())
    return _PLATE.fullmatch(s) is not None and any(c.isdigit() for c in s[2:])


# -- US identifiers ------------------------------------------------------------------------


def us_ssn(text: str) -> bool:
    """A US social security number under the post-2011 randomized rules (SSA): area not 000,
    666 or 900-999; group not 00; serial not 0000; not a single repeated digit, not the
    well-known advertising numbers."""
    d = _digits(text)
    if len(d) != 9:
        return False
    area, group, serial = d[:3], d[3:5], d[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    if len(set(d)) == 1 or d in ("123456789", "078051120", "219099999"):
        return False
    seps = re.sub(r"[0-9]", "", text)
    return seps in ("", "--", "  ", "..")


# -- banking ---------------------------------------------------------------------------------

# ISO 13616 IBAN lengths per country (SWIFT IBAN registry). ⚠ not in the fact base; countries
# join the registry from time to time.
_IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}


def iban(text: str) -> bool:
    """ISO 13616-1 IBAN: registered country length and the ISO 7064 MOD 97-10 check (= 1)."""
    s = re.sub(r"[\s-]", "", text).upper()
    if _IBAN_LENGTHS.get(s[:2]) != len(s) or not s[2:4].isdigit() or not s.isalnum():
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


# -- network and device identifiers -----------------------------------------------------------


def ip_address(text: str) -> bool | float:
    """An IPv4 or IPv6 address. Unspecified, loopback and documentation-only values still
    count (they are addresses), but ``0.0.0.0``-style placeholders and version strings such as
    ``1.2.3.4`` with a leading ``v`` are left to the pattern's boundaries."""
    if ":" not in text:
        # The catalog's IPv4 regex already bounds every octet to 0-255.
        parts = text.split(".")
        if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
            return False
        return text != "0.0.0.0"  # noqa: S104 - a value checked, not an address bound
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    if addr.version == 6:
        groups = text.count(":")
        # "12:30:45" style clock times never reach here (ipaddress rejects them); require some
        # structure so hex words with colons are not addresses.
        return groups >= 2 and (("::" in text) or groups == 7)
    return not addr.is_unspecified


def ipv4_integer(text: str) -> bool:
    """An IPv4 address stored as an unsigned 32-bit integer (only used for columns named like
    ``ip``): at least 2^24 so small counters do not qualify."""
    if not text.isdigit() or len(text) > 10:
        return False
    value = int(text)
    return 1 << 24 <= value < 1 << 32


def mac_address(text: str) -> bool:
    """IEEE 802 MAC-48: six octets, one separator style; not all-zero or broadcast."""
    hexes = re.sub(r"[^0-9A-Fa-f]", "", text)
    if len(hexes) != 12:
        return False
    seps = set(re.sub(r"[0-9A-Fa-f]", "", text))
    if len(seps) > 1:
        return False
    return hexes.upper() not in ("000000000000", "FFFFFFFFFFFF")


def imei(text: str) -> bool:
    """3GPP TS 23.003 §6.2.1: a 15-digit IMEI (TAC + serial) whose last digit is a Luhn check."""
    digits = _digits(text)
    if len(digits) != 15 or len(set(digits)) == 1:
        return False
    return _luhn_ok(digits)


# -- contact -------------------------------------------------------------------------------


def email(text: str) -> bool:
    """RFC 5321 shape: no leading/trailing/double dots in the local part, a letters-only TLD."""
    local, _, domain = text.rpartition("@")
    if not local or len(local) > 64 or len(text) > 254:
        return False
    if local[0] == "." or local[-1] == "." or ".." in local or ".." in domain:
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(lb and lb[0] != "-" and lb[-1] != "-" for lb in labels)


# Phone numbers: validated with libphonenumber (the `phonenumbers` port) for a configurable
# region list. CN first: the shop's home market.
DEFAULT_PHONE_REGIONS = (
    "CN",
    "US",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BE",
    "AT",
    "CH",
    "SE",
    "DK",
    "NO",
    "FI",
    "IE",
    "PT",
    "PL",
    "CZ",
    "HU",
    "GR",
    "HK",
    "TW",
    "SG",
    "JP",
    "KR",
    "AU",
    "CA",
    "IN",
    "BR",
)

_PHONE_PLAIN = re.compile(r"[0-9]+")
_PHONE_DATE = re.compile(
    r"(?:19|20)[0-9]{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])"
    r"|(?:0?[1-9]|[12][0-9]|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)[0-9]{2}"
    r"|(?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])[-./](?:19|20)[0-9]{2}"
)
_PHONE_DECIMAL = re.compile(r"[0-9]+\.[0-9]{1,2}")
#: 3-2-4 digits is the SSN layout, no numbering plan's (an invalid SSN is no phone either).
_SSN_SHAPE = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}")
_CN_MOBILE = re.compile(r"(?:\+?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}")

#: Scores a phone validator returns (the catalog's context words add to them).
PHONE_INTERNATIONAL = 0.75  # "+" or "00" and valid for its country
PHONE_CN_MOBILE = 0.75  # 11-digit mainland mobile, valid per libphonenumber
PHONE_REGIONAL = 0.5  # valid in one of the configured regions, with separators
PHONE_POSSIBLE = 0.3  # plausible length only: needs context


class _PhoneRegion:
    """libphonenumber's metadata for one region, compiled for a fast validity check.

    ``phonenumbers.parse`` + ``is_valid_number`` cost 25-45 µs per number; matching the
    national significant number against the region's number-type patterns (the same data
    ``is_valid_number`` uses) costs about 1 µs. National prefixes ("0", "1") are stripped
    with the region's ``national_prefix_for_parsing``; carrier-code transform rules (a handful
    of Latin American regions) are not applied.
    """

    __slots__ = ("_mobile", "_mobile_pattern", "cc", "lengths", "prefix", "valid")

    def __init__(self, region: str) -> None:
        from phonenumbers import PhoneMetadata

        md = PhoneMetadata.metadata_for_region(region)
        if md is None:
            raise ValueError(f"unknown phone region '{region}'")
        self.cc = str(md.country_code)
        self.prefix = (
            re.compile(md.national_prefix_for_parsing) if md.national_prefix_for_parsing else None
        )
        descs = (
            md.fixed_line,
            md.mobile,
            md.toll_free,
            md.premium_rate,
            md.shared_cost,
            md.personal_number,
            md.voip,
            md.pager,
            md.uan,
            md.voicemail,
        )
        pats = [
            d.national_number_pattern for d in descs if d is not None and d.national_number_pattern
        ]
        self.valid = re.compile("(?:" + ")|(?:".join(pats) + ")") if pats else None
        # Only CN's mobile pattern is used: compiled on first use.
        self._mobile_pattern = md.mobile.national_number_pattern if md.mobile is not None else None
        self._mobile: re.Pattern[str] | None = None
        lengths = md.general_desc.possible_length if md.general_desc is not None else ()
        self.lengths = frozenset(lengths or ())

    @property
    def mobile(self) -> re.Pattern[str] | None:
        """The region's mobile number pattern (its valid-number pattern if it has none)."""
        if self._mobile is None:
            self._mobile = re.compile(self._mobile_pattern) if self._mobile_pattern else self.valid
        return self._mobile

    def national(self, digits: str) -> int:
        """2 valid, 1 possible (length only), 0 neither — for a number dialled nationally."""
        if self.valid is None:
            return 0
        if self.valid.fullmatch(digits):
            return 2
        if self.prefix is not None:
            m = self.prefix.match(digits)
            if m is not None and m.end() and self.valid.fullmatch(digits[m.end() :]):
                return 2
            if m is not None and m.end() and len(digits) - m.end() in self.lengths:
                return 1
        return 1 if len(digits) in self.lengths else 0

    def significant(self, nsn: str) -> int:
        """The same for a national significant number (after a country code)."""
        if self.valid is not None and self.valid.fullmatch(nsn):
            return 2
        return 1 if len(nsn) in self.lengths else 0


@cache
def _phone_region(region: str) -> _PhoneRegion:
    return _PhoneRegion(region)


@cache
def _regions_for_cc(cc: str) -> tuple[str, ...]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return tuple(r for r in COUNTRY_CODE_TO_REGION_CODE.get(int(cc), ()) if r != "001")


_GROUPS = re.compile(r"[0-9]+")


def _phone_layout(body: str) -> bool:
    """Three or more digit groups, an area code in parentheses, or a trunk-prefixed area code
    ("010-12345678", "0755 1234567")."""
    groups = _GROUPS.findall(body)
    if len(groups) >= 3 or "(" in body:
        return True
    return len(groups) == 2 and groups[0][0] == "0" and 3 <= len(groups[0]) <= 5


_EXTENSION = re.compile(r"\s*(?:x|ext\.?|#)\s*[0-9]{1,6}$", re.I)
_TRUNK_ZERO = re.compile(r"\(0\)")


def _international(digits: str) -> int:
    for k in (1, 2, 3):
        cc = digits[:k]
        regions = _regions_for_cc(cc)
        if regions:
            # The best verdict over the country code's regions; the main region comes first
            # and usually settles it, so the others (24 more for +1) are only built when not.
            nsn = digits[k:]
            best = 0
            for r in regions:
                verdict = _phone_region(r).significant(nsn)
                if verdict == 2:
                    return 2
                best = max(best, verdict)
            return best
    return 0


def phone_validator(regions: Iterable[str] = DEFAULT_PHONE_REGIONS) -> ValidatorFn:
    """A phone validator for ``regions`` (ISO 3166-1 alpha-2, CN included by default), using
    libphonenumber's metadata (the ``phonenumbers`` package)."""
    from phonenumbers import SUPPORTED_REGIONS

    wanted = tuple(dict.fromkeys(r.upper() for r in regions))
    for r in wanted:
        if not re.fullmatch(r"[A-Z]{2}", r):
            raise ValueError(f"'{r}' is not an ISO 3166-1 alpha-2 region code")
        if r not in SUPPORTED_REGIONS:
            raise ValueError(f"libphonenumber has no numbering plan for region '{r}'")

    cn = "CN" in wanted

    def validate(text: str) -> bool | float:
        if text.isdigit():  # the common case: no separators to strip
            n = len(text)
            if cn and n == 11 and text[0] == "1":
                mobile = _phone_region("CN").mobile
                ok = mobile is not None and mobile.fullmatch(text) is not None
                return PHONE_CN_MOBILE if ok else PHONE_POSSIBLE
            if not 6 <= n <= 15 or len(set(text)) == 1:
                return False
        body = _EXTENSION.sub("", text.strip())
        if _PHONE_DATE.fullmatch(body) or _PHONE_DECIMAL.fullmatch(body):
            return False
        if _SSN_SHAPE.fullmatch(body):
            return False
        if body.count(".") == 3 and "(" not in body and " " not in body:
            return False  # a dotted quad is an IP address
        international = body.startswith(("+", "00"))
        digits = _digits(_TRUNK_ZERO.sub("", body) if international else body)
        if not 6 <= len(digits) <= 15 or len(set(digits)) == 1:
            return False
        if international:
            verdict = _international(digits[2:] if body.startswith("00") else digits)
            return PHONE_INTERNATIONAL if verdict == 2 else (PHONE_POSSIBLE if verdict else False)
        plain = _PHONE_PLAIN.fullmatch(body) is not None
        if cn and _CN_MOBILE.fullmatch(body):
            mobile = _phone_region("CN").mobile
            ok = mobile is not None and mobile.fullmatch(digits[-11:]) is not None
            return PHONE_CN_MOBILE if ok else PHONE_POSSIBLE
        possible = False
        for region in wanted:
            verdict = _phone_region(region).national(digits)
            if verdict == 2:
                # Valid somewhere. Without context, only a phone-like layout counts: a bare
                # run of digits or two groups ("304 57938": a status code and a byte count)
                # is as likely an order number or a log field.
                return PHONE_REGIONAL if not plain and _phone_layout(body) else PHONE_POSSIBLE
            possible = possible or verdict == 1
        return PHONE_POSSIBLE if possible and len(digits) >= 7 else False

    return validate


# -- dates ---------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"((?:1[89]|20)[0-9]{2})[-/.年]\s*([0-9]{1,2})[-/.月]\s*([0-9]{1,2})")
_US_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]((?:1[89]|20)[0-9]{2})")


def date_value(text: str) -> bool:
    """A real calendar date (year 1800-2099) in ISO, Chinese (年月日), US or European order."""
    m = _ISO_DATE.match(text)
    if m:
        return _real(int(m[1]), int(m[2]), int(m[3]))
    m = _US_DATE.match(text)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        return _real(y, a, b) or _real(y, b, a)
    return True  # spelled-out dates ("5 March 2024") are checked by the regex itself


def _real(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


# -- location ------------------------------------------------------------------------------

_COORD = re.compile(r"(-?[0-9]{1,3}\.([0-9]+))\s*[,，/ ]\s*(-?[0-9]{1,3}\.([0-9]+))")


def geo_coordinate(text: str) -> bool:
    """A latitude/longitude pair in decimal degrees, both in range, with at least four
    decimals (about 10 m: precise enough to locate a person)."""
    m = _COORD.search(text)
    if not m:
        return False
    lat, lon = float(m[1]), float(m[3])
    if len(m[2]) < 4 or len(m[4]) < 4:
        return False
    if abs(lat) <= 90 and abs(lon) <= 180:
        return True
    return abs(lon) <= 90 and abs(lat) <= 180  # "lng,lat" order (GeoJSON, AMap)


# -- credentials ----------------------------------------------------------------------------

_PLACEHOLDERS = frozenset(
    "null none nil undefined true false password passwd secret token changeme example "
    "redacted masked hidden xxxxxx ****** ******** your_password".split()
)


def credential_value(text: str) -> bool:
    """The value of a ``password=``/``token:`` pair: long enough, not a placeholder, not a
    template variable, not a mask."""
    value = text.strip().strip("'\"")
    if len(value) < 6 or value.lower() in _PLACEHOLDERS:
        return False
    return not (value.startswith(("${", "{{", "%(", "<", "$(")) or set(value) <= set("*xX•#."))


def jwt(text: str) -> bool:
    """RFC 7519: three base64url parts whose header decodes to a JSON object with ``alg``."""
    parts = text.split(".")
    if len(parts) != 3:
        return False
    try:
        head = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
        obj = json.loads(head)
    except (binascii.Error, ValueError):
        return False
    return isinstance(obj, dict) and "alg" in obj


# -- names ---------------------------------------------------------------------------------

_NAME_STOP = frozenset(
    """a an the this that these those it its i me my we our you your he him his she her they
    them their all any every everyone anyone someone nobody team customer customers client user
    users guest admin support service sales account card order invoice here there hello hi dear
    thanks thank please yes no ok okay sir madam mr mrs ms dr not and or but if when what who
    whom how why where on in at to from by for with of as is am are was were be been being do
    does did has have had will would can could should may might must shall just also very
    so than then now today tomorrow yesterday monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november
    december inc ltd llc corp co company group bank street road avenue city state country
    new old good great best first last next unknown anonymous n/a none null test""".split()
)


def person_name(text: str) -> bool:
    """A run of capitalised words that could be a name: not a sentence word ("This", "The",
    "Monday") or an organisation suffix, at most four tokens."""
    tokens = [t.strip(".,'’") for t in text.split()]
    tokens = [t for t in tokens if t]
    if not tokens or len(tokens) > 4:
        return False
    if tokens[0].lower() in _NAME_STOP or all(t.lower() in _NAME_STOP for t in tokens):
        return False
    return any(len(t) > 1 for t in tokens)


# Street words of European address formats written before the house number.
_EU_STREET_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "gasse",
    "platz",
    "allee",
    "ring",
    "damm",
    "ufer",
    "katu",
    "kuja",
    "tie",
    "polku",
    "vej",
    "vænget",
    "gade",
    "gatan",
    "vägen",
    "veien",
    "veg",
    "gata",
    "utca",
    "út",
    "tér",
    "straat",
    "laan",
    "plein",
    "gracht",
    "väg",
    "stræde",
)


def eu_street(text: str) -> bool:
    """ "Koskikatu 25": the word before the number ends with a European street suffix."""
    word = text.split()[0].rstrip(",.").lower() if text.split() else ""
    return len(word) > 4 and word.endswith(_EU_STREET_SUFFIXES)


VALIDATORS: dict[str, ValidatorFn] = {
    "person_name": person_name,
    "eu_street": eu_street,
    "luhn": luhn,
    "payment_card": payment_card,
    "cn_bank_card": cn_bank_card,
    "gb11643": gb11643,
    "gb32100": gb32100,
    "cn_passport": cn_passport,
    "cn_hk_macau_permit": cn_hk_macau_permit,
    "cn_license_plate": cn_license_plate,
    "us_ssn": us_ssn,
    "iban": iban,
    "ip_address": ip_address,
    "ipv4_integer": ipv4_integer,
    "mac_address": mac_address,
    "imei": imei,
    "email": email,
    "phone": phone_validator(),
    "date": date_value,
    "geo_coordinate": geo_coordinate,
    "credential_value": credential_value,
    "jwt": jwt,
}


def make_validators(*, phone_regions: Iterable[str] | None = None) -> dict[str, ValidatorFn]:
    """The validator table, with the phone validator built for ``phone_regions``."""
    table = dict(VALIDATORS)
    if phone_regions is not None:
        table["phone"] = phone_validator(phone_regions)
    return table
