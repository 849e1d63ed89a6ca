"""Loading the shared real-world datasets (pagila, mall) into the real servers for tests."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import sqlalchemy as sa

SHARED = (Path(__file__).resolve().parents[1] / ".." / "shared").resolve()


def _parts(url: str) -> sa.URL:
    return sa.engine.make_url(url)


def load_pagila(url: str) -> None:
    """psql -f pagila-schema.sql then pagila-data.sql (PostgreSQL 15 prints 3 harmless errors
    for PG17-only features; they are not failures)."""
    u = _parts(url)
    base = [
        "psql",
        "-q",
        "-h",
        u.host or "127.0.0.1",
        "-p",
        str(u.port or 5432),
        "-U",
        u.username or "postgres",
        "-d",
        u.database or "postgres",
    ]
    for name in ("pagila-schema.sql", "pagila-data.sql"):
        subprocess.run(
            [*base, "-f", str(SHARED / "datasets" / "pagila" / name)],
            check=True,
            capture_output=True,
            timeout=600,
        )


def load_mall(url: str) -> None:
    """mariadb DB < mall.sql (the database must exist with utf8mb4)."""
    u = _parts(url)
    cmd = [
        "mariadb",
        "-h",
        u.host or "127.0.0.1",
        "-P",
        str(u.port or 3306),
        "-u",
        u.username or "root",
        u.database or "test",
    ]
    with (SHARED / "datasets" / "mall" / "mall.sql").open("rb") as fh:
        subprocess.run(cmd, stdin=fh, check=True, capture_output=True, timeout=600)


def ground_truth(dataset: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(personal-data columns, ambiguous columns) as (table, column) pairs."""
    folder = SHARED / "datasets" / dataset

    def read(name: str) -> set[tuple[str, str]]:
        with (folder / name).open(encoding="utf-8") as fh:
            return {(r["table"], r["column"]) for r in csv.DictReader(fh)}

    return read("ground_truth.csv"), read("ground_truth_ambiguous.csv")
