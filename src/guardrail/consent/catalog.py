"""The purposes catalog: loading it from YAML and compiling it for fast state derivation.

A catalog names the controller (for receipts), the notice versions consents are given under
and every purpose with its legal basis per regime. ``CompiledCatalog`` precomputes what
:mod:`guardrail.consent.state` needs per purpose so a status look-up does no model work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from guardrail.errors import ConfigError, ManifestError
from guardrail.model.consent import ConsentCatalog, ConsentPurpose, Regime
from guardrail.model.stack import Period, is_eea
from guardrail.yamlio import load_yaml, validate

__all__ = [
    "CompiledCatalog",
    "CompiledPurpose",
    "add_period",
    "catalog_digest",
    "load_catalog",
]

SCHEMA_HINT = "see 'guardrail consent schema catalog' for the expected shape"


def load_catalog(path: str | Path) -> ConsentCatalog:
    """Load and validate a catalog YAML file; errors name the file and line."""
    located = load_yaml(Path(path))
    try:
        return validate(ConsentCatalog, located, what="consent-catalog")
    except ManifestError as exc:
        raise ConfigError(exc.message, hint=SCHEMA_HINT) from None


def catalog_digest(catalog: ConsentCatalog) -> str:
    """SHA-256 of the catalog's canonical JSON: equal catalogs have equal digests."""
    doc = catalog.model_dump(mode="json")
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _date_us(d: date) -> int:
    return int(datetime.combine(d, time(0), tzinfo=UTC).timestamp()) * _US


def add_period(at: datetime, period: Period) -> datetime:
    """``at`` plus a calendar period (month ends clamped: Jan 31 + P1M = Feb 28/29)."""
    return _add_period(at, period.years, period.months, period.days)


def _add_period(at: datetime, years: int, months: int, days: int) -> datetime:
    month_index = at.year * 12 + (at.month - 1) + 12 * years + months
    year, month0 = divmod(month_index, 12)
    month = month0 + 1
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (nxt - date(year, month, 1)).days
    return at.replace(year=year, month=month, day=min(at.day, last_day)) + timedelta(days=days)


@lru_cache(maxsize=16_384)
def _period_shift_us(day: int, years: int, months: int, days: int) -> int:
    """How many µs a period adds to an instant of UTC day ``day`` (days since the epoch).
    In UTC it depends on the date only (the time of day passes through unchanged), so a
    look-up computes it once per date instead of building datetimes each time."""
    start = _EPOCH + timedelta(days=day)
    return (_add_period(start, years, months, days) - start) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class CompiledPurpose:
    id: str
    consent_based: bool
    separate_required: bool
    sale_or_share: bool
    limitable: bool
    validity: Period | None
    #: (effective instant in µs, index of the notice) for every notice that requires
    #: re-consent for this purpose, oldest first.
    reconsent: tuple[tuple[int, int], ...]

    def expiry_us(self, given_us: int) -> int | None:
        """When a consent given at ``given_us`` lapses under ``validity`` (µs since the
        epoch, UTC); ``None`` without a validity. Equals ``to_us(add_period(from_us(given_us),
        validity))``."""
        v = self.validity
        if v is None:
            return None
        return given_us + _period_shift_us(given_us // _DAY_US, v.years, v.months, v.days)

    def required_notice(self, at_us: int) -> int:
        """Index of the oldest notice a consent must have been given under at ``at_us``
        (-1 when any notice will do)."""
        need = -1
        for effective_us, index in self.reconsent:
            if effective_us > at_us:
                break
            need = index
        return need


class CompiledCatalog:
    """A catalog prepared for look-ups; immutable and shareable between threads."""

    __slots__ = (
        "_ages",
        "_all_laws",
        "_first_notice",
        "_notice_starts",
        "catalog",
        "digest",
        "notice_index",
        "purposes",
    )

    def __init__(self, catalog: ConsentCatalog) -> None:
        self.catalog = catalog
        self.digest = catalog_digest(catalog)
        self.notice_index: dict[str, int] = {n.version: i for i, n in enumerate(catalog.notices)}
        self._first_notice = catalog.notices[0].version
        #: (first µs of the effective day, version) per notice, in catalog order.
        self._notice_starts = tuple((_date_us(n.effective), n.version) for n in catalog.notices)
        self.purposes: dict[str, CompiledPurpose] = {
            p.id: self._compile(p, catalog) for p in catalog.purposes
        }
        self._all_laws = frozenset(catalog.applies_to_all)
        self._ages = catalog.child_ages

    @staticmethod
    def _compile(p: ConsentPurpose, catalog: ConsentCatalog) -> CompiledPurpose:
        reconsent = tuple(
            (_date_us(n.effective), i)
            for i, n in enumerate(catalog.notices)
            if "*" in n.reconsent or p.id in n.reconsent
        )
        return CompiledPurpose(
            id=p.id,
            consent_based=p.consent_based,
            separate_required=p.requires_separate_consent,
            sale_or_share=p.sale_or_share,
            limitable=p.limitable,
            validity=p.consent_validity,
            reconsent=reconsent,
        )

    def purpose(self, purpose_id: str) -> CompiledPurpose | None:
        return self.purposes.get(purpose_id)

    def notice_in_force(self, at: datetime) -> str:
        """The version of the notice in force at ``at`` (the first one before it begins)."""
        day = at.astimezone(UTC).date()
        current = self.catalog.notices[0].version
        for n in self.catalog.notices:
            if n.effective <= day:
                current = n.version
        return current

    def notice_in_force_us(self, at_us: int) -> str:
        """:meth:`notice_in_force` for an instant in µs since the epoch (UTC): a notice is in
        force from the first instant of its effective day."""
        current = self._first_notice
        for start_us, version in self._notice_starts:
            if start_us <= at_us:
                current = version
        return current

    def laws_for(self, region: str | None) -> frozenset[Regime]:
        """The regimes whose consent rules bind a subject from ``region`` (all three when the
        region is unknown: fail closed)."""
        if region is None:
            return frozenset(Regime)
        laws = set(self._all_laws)
        if region == "CN" or region.startswith("CN-"):
            laws.add(Regime.PIPL)  # PIPL Art. 3(1)
        if is_eea(region):
            laws.add(Regime.GDPR)  # GDPR Art. 3
        if region == "US-CA":
            laws.add(Regime.CCPA)  # Cal. Civ. Code §1798.140(i)
        return frozenset(laws)

    def guardian_age(self, region: str | None, purpose: CompiledPurpose) -> int:
        """Below this age a guardian must consent (0 = never)."""
        laws = self.laws_for(region)
        ages = [0]
        if Regime.PIPL in laws:
            ages.append(self._ages.pipl)  # PIPL Art. 31
        if Regime.GDPR in laws:
            country = (region or "").split("-", 1)[0]
            ages.append(self._ages.gdpr_by_country.get(country, self._ages.gdpr))  # GDPR Art. 8(1)
        if Regime.CCPA in laws and purpose.sale_or_share:
            ages.append(self._ages.ccpa)  # Cal. Civ. Code §1798.120(c)
        return max(ages)

    def minor_needs_opt_in(self, region: str | None, purpose: CompiledPurpose, age: int) -> bool:
        """CCPA: no sale or sharing of a consumer under 16 without affirmative opt-in
        (Cal. Civ. Code §1798.120(c))."""
        return (
            purpose.sale_or_share
            and Regime.CCPA in self.laws_for(region)
            and age < self._ages.ccpa_opt_in
        )
