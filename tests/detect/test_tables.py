"""scan_table over pandas, Polars and Arrow frames; scan_array over one Arrow column."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from guardrail import scan_array as top_scan_array
from guardrail import scan_table as top_scan_table
from guardrail.detect import scan_array, scan_table
from guardrail.errors import InputError
from guardrail.testing import Canaries

ROWS = 60


@pytest.fixture(scope="module")
def data() -> dict[str, list[Any]]:
    c = Canaries(seed=11)
    return {
        "id": list(range(ROWS)),
        "phone": [c.cn_mobile() for _ in range(ROWS)],
        "id_number": [c.cn_resident_id() for _ in range(ROWS)],
        "note": [f"call me on {c.cn_mobile()}" if i % 3 == 0 else "thanks" for i in range(ROWS)],
        "amount": [f"{i * 1.5:.2f}" for i in range(ROWS)],
        "card": [c.card("62") if i % 2 else None for i in range(ROWS)],
    }


EXPECTED = {
    "id": set(),
    "phone": {"PHONE_NUMBER"},
    "id_number": {"CN_RESIDENT_ID"},
    "note": {"PHONE_NUMBER"},
    "amount": set(),
    "card": {"CREDIT_CARD"},
}


def verdict(scan: Any) -> dict[str, set[str]]:
    return {r.column: {e.entity for e in r.entities} for r in scan.reports}


def frames(data: dict[str, list[Any]]) -> dict[str, Any]:
    import pandas as pd
    import polars as pl

    return {
        "arrow": pa.table(data),
        "record_batch": pa.RecordBatch.from_pydict(data),
        "pandas": pd.DataFrame(data),
        "polars": pl.DataFrame(data),
        "dict": data,
    }


@pytest.mark.parametrize("kind", ["arrow", "record_batch", "pandas", "polars", "dict"])
def test_every_frame_kind_is_classified_alike(data: dict[str, list[Any]], kind: str) -> None:
    scan = scan_table(frames(data)[kind], name="customers")
    assert verdict(scan) == EXPECTED
    assert (scan.table, scan.rows, scan.scanned_rows) == ("customers", ROWS, ROWS)
    assert all(r.sampled == ROWS for r in scan.reports)
    assert repr(scan) == "TableScan('customers', rows=60, columns=6)"


def test_detections_per_cell(data: dict[str, list[Any]]) -> None:
    scan = scan_table(pa.table(data), detections=True)
    note = scan.columns["note"]
    assert note.counts() == {"PHONE_NUMBER": ROWS // 3}
    assert note.rows == list(range(0, ROWS, 3))
    row, det = next(iter(note))
    value = data["note"][row]
    assert value[det.start : det.end] == value.removeprefix("call me on ")
    card = scan.columns["card"]
    assert card.rows == list(range(1, ROWS, 2)) and set(card.entities) == {"CREDIT_CARD"}
    assert scan.columns["amount"].rows == []
    assert repr(card) == "ArrayScan(rows=60, detections=30)"  # counts, never values


def test_sampling_first_and_random(data: dict[str, list[Any]]) -> None:
    table = pa.table(data)
    first = scan_table(table, sample=10, detections=True)
    assert (first.rows, first.scanned_rows) == (ROWS, 10)
    assert first.columns["note"].rows == [0, 3, 6, 9]
    a = scan_table(table, sample=10, strategy="random", seed=1)
    b = scan_table(table, sample=10, strategy="random", seed=1)
    assert a.reports == b.reports and a.scanned_rows == 10
    whole = scan_table(table, sample=None)
    assert whole.scanned_rows == ROWS


def test_comments_guide_columns_with_opaque_names(data: dict[str, list[Any]]) -> None:
    table = pa.table({"c1": [None] * 5, "c2": ["x"] * 5})
    scan = scan_table(table, comments={"c1": "联系电话"})
    assert verdict(scan) == {"c1": {"PHONE_NUMBER"}, "c2": set()}


def test_scan_array_accepts_arrow_and_python_sequences(data: dict[str, list[Any]]) -> None:
    arr = pa.array(data["note"])
    chunked = pa.chunked_array([data["note"][:30], data["note"][30:]])
    a = scan_array(arr)
    assert a.counts() == {"PHONE_NUMBER": ROWS // 3} and a.length == ROWS
    assert scan_array(chunked).rows == a.rows
    assert scan_array(data["note"]).rows == a.rows
    assert top_scan_array is not None and top_scan_table is not None


def test_scan_array_uses_the_column_name_for_shapes() -> None:
    names = ["John Smith", "Mary Jones", None, ""]
    assert scan_array(names).rows == []
    named = scan_array(names, name="customer_name")
    assert named.rows == [0, 1] and set(named.entities) == {"PERSON"}


def test_a_non_frame_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot scan a list as a table"):
        scan_table([1, 2, 3])
