from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrail.protect.generalize import age_band, truncate_date, truncate_postcode


@pytest.mark.parametrize(
    ("args", "kwargs", "band"),
    [
        ((0,), {}, "0-9"),
        ((34,), {}, "30-39"),
        (("34",), {"width": 5}, "30-34"),
        ((97,), {"top_code": 90}, "90+"),
        (("89",), {"top_code": 90}, "80-89"),
        (("30-39",), {}, "30-39"),
        (("90+",), {}, "90+"),
    ],
)
def test_age_band(args: tuple[object, ...], kwargs: dict[str, int], band: str) -> None:
    assert age_band(*args, **kwargs) == band  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "-3", "3.5", "", 201, -1])
def test_age_band_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="age"):
        age_band(bad)  # type: ignore[arg-type]


@given(st.integers(0, 120), st.integers(1, 20))
def test_age_band_contains_age_and_is_idempotent(age: int, width: int) -> None:
    band = age_band(age, width=width)
    low, high = (int(x) for x in band.split("-"))
    assert low <= age <= high and high - low + 1 == width
    assert age_band(band, width=width) == band


@pytest.mark.parametrize(
    ("value", "level", "out"),
    [
        ("1990-05-17", "year", "1990"),
        ("1990-05-17", "month", "1990-05"),
        ("1990-11-17", "quarter", "1990-Q4"),
        ("1990-05-17 08:00:00", "month", "1990-05"),
        (date(2001, 2, 3), "quarter", "2001-Q1"),
        (datetime(2001, 7, 3, 4, 5), "month", "2001-07"),
        ("1990-05", "month", "1990-05"),
        ("1990-Q2", "quarter", "1990-Q2"),
        ("1990-Q2", "year", "1990"),
        ("1990", "year", "1990"),
    ],
)
def test_truncate_date(value: object, level: str, out: str) -> None:
    assert truncate_date(value, level) == out  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "level"),
    [("yesterday", "year"), ("1990-13-01", "month"), ("1990", "month"), ("1990-Q2", "month")],
)
def test_truncate_date_rejects(value: str, level: str) -> None:
    with pytest.raises(ValueError):
        truncate_date(value, level)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "keep", "out"),
    [
        ("518057", 3, "518***"),
        ("SW1A 2AA", 2, "SW** ***"),
        ("94105-1234", 3, "941**-****"),
        ("518***", 3, "518***"),
    ],
)
def test_truncate_postcode(code: str, keep: int, out: str) -> None:
    assert truncate_postcode(code, keep) == out
