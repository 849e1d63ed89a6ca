"""Generalisation: coarser values that still serve analysis (age bands, dates, postcodes).

Generalisation is one of the de-identification technique families of GB/T 37964-2019 ⚠ and
the usual way to raise a table's k-anonymity (see :mod:`guardrail.protect.anonymity`). Each
function is idempotent: generalising an already generalised value returns it unchanged.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

__all__ = ["age_band", "is_generalized_age", "truncate_date", "truncate_postcode"]

DateLevel = Literal["year", "quarter", "month"]

_BAND = re.compile(r"^(\d+)-(\d+)$|^(\d+)\+$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def is_generalized_age(value: str) -> bool:
    """True for ``30-39`` or ``90+``."""
    return bool(_BAND.match(value))


def age_band(age: int | str, *, width: int = 10, top_code: int | None = None) -> str:
    """The band of ``width`` years holding ``age``; ages at or above ``top_code`` become ``N+``.

    >>> age_band(34)
    '30-39'
    >>> age_band("97", width=5, top_code=90)
    '90+'
    >>> age_band("30-39")
    '30-39'
    """
    if isinstance(age, str):
        s = age.strip()
        if _BAND.match(s):
            return s
        if not s.isdigit():
            raise ValueError("not an age in whole years")
        age = int(s)
    if isinstance(age, bool) or age < 0 or age > 200:
        raise ValueError("not an age in whole years")
    if width < 1:
        raise ValueError("the band width must be at least 1")
    if top_code is not None and age >= top_code:
        return f"{top_code}+"
    low = age // width * width
    return f"{low}-{low + width - 1}"


def truncate_date(value: date | datetime | str, to: DateLevel = "year") -> str:
    """Keep the year, quarter (``2026-Q3``) or month (``2026-07``) of a date or timestamp.

    >>> truncate_date("1990-05-17", "month")
    '1990-05'
    >>> truncate_date("1990-05-17T08:00:00+08:00", "quarter")
    '1990-Q2'
    >>> truncate_date("1990-05", "year")
    '1990'
    """
    if isinstance(value, (date, datetime)):
        year, month = value.year, value.month
    else:
        s = value.strip()
        q = _QUARTER.match(s)
        if q:
            if to == "month":
                raise ValueError("a quarter cannot be truncated to a month")
            return q.group(1) if to == "year" else s
        m = _DATE.match(s)
        if not m:
            raise ValueError("not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
        year = int(m.group(1))
        if m.group(2) is None:
            if to != "year":
                raise ValueError("a bare year cannot be truncated to a finer level")
            return m.group(1)
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError("not an ISO date (month out of range)")
        if m.group(3) is None and to == "quarter":
            pass  # YYYY-MM -> quarter is fine
    if to == "year":
        return f"{year:04d}"
    if to == "quarter":
        return f"{year:04d}-Q{(month - 1) // 3 + 1}"
    return f"{year:04d}-{month:02d}"


def truncate_postcode(code: str, keep: int = 3, *, char: str = "*") -> str:
    """Keep the first ``keep`` letters/digits of a postcode; hide the rest, keeping its shape.

    >>> truncate_postcode("518057")
    '518***'
    >>> truncate_postcode("SW1A 2AA", keep=2)
    'SW** ***'
    """
    out = []
    seen = 0
    for c in code.strip():
        if c.isalnum():
            out.append(c if seen < keep else char)
            seen += 1
        else:
            out.append(c)
    return "".join(out)
