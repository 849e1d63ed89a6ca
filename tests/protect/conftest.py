"""Fixtures of the protect tests: a small shop table in SQLite, CSV and Parquet, a keyring."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrail.crypto import Keyring

AT = datetime(2026, 11, 22, tzinfo=UTC)
COLUMNS = ("id", "name", "phone", "id_number", "email", "age", "city", "card")

POLICY = """\
schema_version: 1
context_prefix: shop
keyring: {file: keyring.json}
tables:
  customers:
    columns:
      id_number: {transform: encrypt}
      phone: {transform: fpe, format: phone}
      email: {transform: deterministic}
      name: {transform: mask, style: name}
      age: {transform: generalize, age_band: 10}
      card: {transform: pseudonymize}
    quasi_identifiers: [age, city]
"""


def row(i: int) -> tuple[object, ...]:
    """Deterministic test row ``i`` (1-based). Every 7th row has empty cells."""
    empty = i % 7 == 0
    return (
        i,
        ["张三", "欧阳娜娜", "Anna Keller", "李四"][i % 4] + str(i),
        None if empty else f"138{i:08d}",
        f"110105{19490101 + i % 28:08d}{i % 1000:03d}X",
        None if empty else f"user{i}@example.cn",
        20 + i % 50,
        ["深圳", "北京", "上海"][i % 3],
        f"62284800{i:08d}",
    )


def rows(n: int) -> list[tuple[object, ...]]:
    return [row(i) for i in range(1, n + 1)]


def make_sqlite(path: Path, n: int = 200) -> Path:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, id_number TEXT, "
        "email TEXT, age INTEGER, city TEXT, card TEXT)"
    )
    db.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?)", rows(n))
    db.commit()
    db.close()
    return path


def make_csv(path: Path, n: int = 200, *, delimiter: str = ",", bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        if bom:
            fh.write("\ufeff")
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows(n):
            w.writerow(["" if v is None else v for v in r])
    return path


def make_parquet(path: Path, n: int = 200) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = list(zip(*rows(n), strict=True))
    table = pa.table({name: list(values) for name, values in zip(COLUMNS, cols, strict=True)})
    pq.write_table(table, path)
    return path


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_material(bytes(range(32)), key_id="0a0b0c0d", at=AT)


@pytest.fixture
def workdir(tmp_path: Path, keyring: Keyring) -> Path:
    """A folder with keyring.json and protect.yaml (the policy above)."""
    keyring.save(tmp_path / "keyring.json")
    (tmp_path / "protect.yaml").write_text(POLICY, encoding="utf-8")
    return tmp_path


@pytest.fixture
def write_policy(workdir: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "protect.yaml") -> Path:
        path = workdir / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
