"""Age profiles from sampled dates of birth (and the birth date inside PRC resident IDs).

Only counts leave this module: how many sampled people are under 13, 14, 16 and 18 at the
audit time. The values themselves are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from guardrail.model.classification import AgeProfile

__all__ = ["age_profile", "birth_date_of"]

_ISO = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# GB 11643: positions 7-14 of an 18-character resident ID are the birth date YYYYMMDD.
_CN_ID = re.compile(r"^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dXx]$")


def birth_date_of(value: str, *, resident_id: bool = False) -> date | None:
    s = value.strip()
    m = (_CN_ID if resident_id else None) and _CN_ID.match(s)
    if not m:
        m = _ISO.match(s) or _COMPACT.match(s)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _age(born: date, at: date) -> int:
    return at.year - born.year - ((at.month, at.day) < (born.month, born.day))


def age_profile(
    values: Iterable[str | None], *, at: datetime, resident_id: bool = False
) -> AgeProfile | None:
    """Counts of sampled people under 13/14/16/18 at ``at``; None if nothing parses as a date."""
    today = at.date()
    sampled = under13 = under14 = under16 = under18 = 0
    for v in values:
        if not v:
            continue
        born = birth_date_of(v, resident_id=resident_id)
        if born is None or born > today:
            continue
        sampled += 1
        age = _age(born, today)
        under13 += age < 13
        under14 += age < 14
        under16 += age < 16
        under18 += age < 18
    if not sampled:
        return None
    return AgeProfile(
        sampled=sampled, under_13=under13, under_14=under14, under_16=under16, under_18=under18
    )
