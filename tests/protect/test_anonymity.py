from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrail.protect.anonymity import AnonymityMeter, measure_anonymity

ROWS = [
    {"age": "30-39", "zip": "518***", "dx": "flu"},
    {"age": "30-39", "zip": "518***", "dx": "cold"},
    {"age": "30-39", "zip": "518***", "dx": "flu"},
    {"age": "40-49", "zip": "100***", "dx": "flu"},
    {"age": "40-49", "zip": "100***", "dx": "flu"},
]


def test_k_and_l() -> None:
    r = measure_anonymity(ROWS, quasi_identifiers=("age", "zip"), sensitive=("dx",))
    assert (r.rows, r.classes, r.k) == (5, 2, 2)
    assert r.l_diversity == {"dx": 1}  # the 40-49 class only ever has "flu"
    assert r.rows_below == {2: 0, 5: 5, 10: 5}


def test_column_form_equals_row_form() -> None:
    cols = {k: [r[k] for r in ROWS] for k in ("age", "zip", "dx")}
    assert measure_anonymity(
        cols, quasi_identifiers=("age",), sensitive=("dx",)
    ) == measure_anonymity(ROWS, quasi_identifiers=("age",), sensitive=("dx",))


def test_empty_and_errors() -> None:
    assert measure_anonymity([], quasi_identifiers=("a",)).k == 0
    with pytest.raises(ValueError, match="quasi-identifier"):
        AnonymityMeter(())
    with pytest.raises(KeyError, match="zip"):
        AnonymityMeter(("zip",)).add_columns({"age": [1]})


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 4)), min_size=1, max_size=60
    )
)
def test_chunked_equals_whole_and_k_is_min_class(data: list[tuple[int, int, int]]) -> None:
    rows = [{"a": a, "b": b, "s": s} for a, b, s in data]
    whole = measure_anonymity(rows, quasi_identifiers=("a", "b"), sensitive=("s",))
    meter = AnonymityMeter(("a", "b"), ("s",))
    for i in range(0, len(rows), 7):
        meter.add_rows(rows[i : i + 7])
    assert meter.report() == whole
    sizes: dict[tuple[int, int], int] = {}
    for a, b, _ in data:
        sizes[(a, b)] = sizes.get((a, b), 0) + 1
    assert whole.k == min(sizes.values()) and whole.classes == len(sizes)
