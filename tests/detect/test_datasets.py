"""Real databases: pagila (PostgreSQL) and mall (MariaDB) loaded from ../shared/datasets into
the real servers, every table sampled and classified, scored against ground_truth.csv."""

from __future__ import annotations

import pytest

from guardrail.classify import entity_rule
from guardrail.connectors import open_source
from guardrail.detect import classify_table
from guardrail.model.detection import ColumnReport


def _personal(report: ColumnReport) -> bool:
    """Whether a column is reported as personal data (what the ground truth marks)."""
    confident = [e for e in report.entities if e.confidence >= 0.5]
    return any(entity_rule(e.entity).personal for e in confident) or bool(report.categories)


def _classify(url: str) -> tuple[set[tuple[str, str]], dict[tuple[str, str], ColumnReport]]:
    found: set[tuple[str, str]] = set()
    reports: dict[tuple[str, str], ColumnReport] = {}
    conn = open_source(url)
    try:
        for info in conn.tables():
            sample = conn.sample(info, limit=1000)
            for r in classify_table(sample, table_comment=info.comment):
                reports[(info.name, r.column)] = r
                if _personal(r):
                    found.add((info.name, r.column))
    finally:
        conn.close()
    return found, reports


def _score(dataset: str, found: set[tuple[str, str]]) -> tuple[float, float]:
    from tests.datasets_support import ground_truth

    truth, ambiguous = ground_truth(dataset)
    truth -= ambiguous
    predicted = found - ambiguous
    tp = predicted & truth
    return len(tp) / len(predicted), len(tp) / len(truth)


@pytest.mark.integration
def test_pagila_on_postgresql(pg_database: str) -> None:
    from tests.datasets_support import load_pagila

    load_pagila(pg_database)
    found, reports = _classify(pg_database)
    precision, recall = _score("pagila", found)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    assert {e.entity for e in reports[("customer", "email")].entities} == {"EMAIL_ADDRESS"}
    assert {e.entity for e in reports[("address", "phone")].entities} == {"PHONE_NUMBER"}
    assert ("film", "title") not in found and ("language", "name") not in found


@pytest.mark.integration
def test_mall_on_mariadb(mysql_database: str) -> None:
    from tests.datasets_support import load_mall

    load_mall(mysql_database)
    found, reports = _classify(mysql_database)
    precision, recall = _score("mall", found)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    assert {e.entity for e in reports[("ums_member", "phone")].entities} == {"PHONE_NUMBER"}
    assert ("pms_product", "name") not in found
