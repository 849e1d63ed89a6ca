"""The legal facts the obligations engine encodes, each with its citation.

Source: ../shared/reference/regulations.md §7 (breach notification), §10 (CACAO) and §13 (open
items). ✅ = checked against the primary text, ◐ = a secondary source quoting it, ⚠ = to be
confirmed: ⚠ facts are cited with ``uncertain=True`` and outputs flag them.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from guardrail.model.common import ArticleRef
from guardrail.model.stack import EEA_COUNTRIES, is_eea

__all__ = [
    "CA_AG_DAYS",
    "CA_AG_MIN_RESIDENTS",
    "CA_ELEMENTS",
    "CA_RESIDENTS_DAYS",
    "GDPR_SA_HOURS",
    "IRM_CII_HOURS",
    "IRM_EFFECTIVE",
    "IRM_ESPECIALLY_MAJOR",
    "IRM_MAJOR",
    "IRM_OTHER_HOURS",
    "IRM_RELATIVELY_MAJOR",
    "IRM_SUMMARY_DAYS",
    "SB446_EFFECTIVE",
    "TZ_CALIFORNIA",
    "TZ_PRC",
    "ca_element",
    "ref",
    "region_timezone",
]


def ref(text: str) -> ArticleRef:
    """``ref("GDPR 33(1)")``; a trailing ``?`` marks the provision uncertain (⚠)."""
    return ArticleRef.parse(text)


# --- PRC ---------------------------------------------------------------------------------------
TZ_PRC: Final = "Asia/Shanghai"
# IRM (国家网络安全事件报告管理办法, CAC 2025-09-11) in force from 2025-11-01 ◐.
IRM_EFFECTIVE: Final = date(2025, 11, 1)
# IRM Art. 4 ◐: CII operators report within 1 hour (protection department and public
# security), all other operators within 4 hours (provincial CAC), once the incident is 较大+.
IRM_CII_HOURS: Final = 1
IRM_OTHER_HOURS: Final = 4
# IRM grading guide ◐: PI of ≥ 1M persons leaked = 较大, ≥ 10M = 重大, ≥ 100M = 特别重大
# ("以上" includes the number). The non-PI criteria below 1M are an open item (§13 item 5 ⚠).
IRM_RELATIVELY_MAJOR: Final = 1_000_000
IRM_MAJOR: Final = 10_000_000
IRM_ESPECIALLY_MAJOR: Final = 100_000_000
# IRM Art. 8 ◐: summary report within 30 days after handling ends.
IRM_SUMMARY_DAYS: Final = 30

# --- EU ----------------------------------------------------------------------------------------
# GDPR Art. 33(1): without undue delay and, where feasible, not later than 72 hours after
# having become aware of the breach.
GDPR_SA_HOURS: Final = 72

# --- California --------------------------------------------------------------------------------
TZ_CALIFORNIA: Final = "America/Los_Angeles"
# Cal. Civ. Code §1798.82(a) as amended by SB 446 ◐ (from 2026-01-01): residents within 30
# calendar days of discovery or notification of the breach.
SB446_EFFECTIVE: Final = date(2026, 1, 1)
CA_RESIDENTS_DAYS: Final = 30
# §1798.82(f) as amended by SB 446 ◐: more than 500 residents -> one sample copy of the notice
# to the Attorney General within 15 calendar days of notifying the residents.
CA_AG_DAYS: Final = 15
CA_AG_MIN_RESIDENTS: Final = 500  # "more than 500"

# §1798.82(h) ⚠ (sub-letters after SB 446 are an open item, §13 item 7): personal information
# is a first name or initial and last name with one of (1)(A)-(…), or (2) a user name or e-mail
# address with a password or security question and answer. Entity -> element.
CA_ELEMENTS: Final[dict[str, str]] = {
    "US_SSN": "(h)(1)(A)",  # Social security number
    # Driver's licence, California ID card, tax ID, passport, military ID or other unique
    # identification number issued on a government document used to verify identity.
    "US_DRIVER_LICENSE": "(h)(1)(B)",
    "US_PASSPORT": "(h)(1)(B)",
    "CN_RESIDENT_ID": "(h)(1)(B)",
    "CN_PASSPORT": "(h)(1)(B)",
    "CN_HK_MACAU_PERMIT": "(h)(1)(B)",
    # Account number or credit or debit card number, in combination with any required security
    # code, access code or password: guardrail assumes the code went with it (conservative).
    "CREDIT_CARD": "(h)(1)(C)",
    "CN_BANK_CARD": "(h)(1)(C)",
    "IBAN_CODE": "(h)(1)(C)",
    "US_BANK_NUMBER": "(h)(1)(C)",
    "MEDICAL_RECORD": "(h)(1)(D)",
    "HEALTH_INSURANCE": "(h)(1)(E)",
    "BIOMETRIC": "(h)(1)(F)",
    "CN_LICENSE_PLATE": "(h)(1)(G)",  # automated license plate recognition data
    "GENETIC": "(h)(1)(H)",
    "CREDENTIAL": "(h)(2)",  # user name or e-mail with password / security Q&A
}
# Elements that need a name with them ((h)(1)); (h)(2) needs a user name or e-mail.
CA_NAME_ENTITIES: Final = frozenset({"PERSON"})
CA_LOGIN_ENTITIES: Final = frozenset({"EMAIL_ADDRESS", "PERSON"})
# Elements for which §1798.82(d)(2)(F)-(G) ⚠ add credit-bureau contacts and an offer of
# identity-theft prevention services (SSN, driver's licence or California ID).
CA_ID_THEFT_ENTITIES: Final = frozenset({"US_SSN", "US_DRIVER_LICENSE"})


def ca_element(entity: str | None) -> str | None:
    return CA_ELEMENTS.get(entity) if entity else None


# --- time zones for display and calendar-day clocks --------------------------------------------
_EEA_TZ: Final[dict[str, str]] = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "HR": "Europe/Zagreb",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "GR": "Europe/Athens",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SK": "Europe/Bratislava",
    "SI": "Europe/Ljubljana",
    "ES": "Europe/Madrid",
    "SE": "Europe/Stockholm",
    "IS": "Atlantic/Reykjavik",
    "LI": "Europe/Vaduz",
    "NO": "Europe/Oslo",
}
assert set(_EEA_TZ) == EEA_COUNTRIES


def region_timezone(region: str | None, default: str = "UTC") -> str:
    """The IANA time zone used to show a recipient's deadlines (a country's capital)."""
    if region is None:
        return default
    if region == "CN" or region.startswith("CN-"):
        return TZ_PRC
    if region == "US-CA":
        return TZ_CALIFORNIA
    if region == "EU":
        return "Europe/Brussels"
    if is_eea(region):
        return _EEA_TZ[region.split("-", 1)[0]]
    return default
