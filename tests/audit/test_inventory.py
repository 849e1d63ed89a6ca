"""The example shop's inventory labels every personal-data field under all three laws, and
pagila (PostgreSQL) and mall (MariaDB) inventories come from the real databases."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.cli.test_cli import invoke
from tests.datasets_support import load_mall, load_pagila

from guardrail.audit.facts import collect
from guardrail.audit.inventory import build_inventory, build_records
from guardrail.audit.manifest import load_source, load_stack
from guardrail.model.common import Lang
from guardrail.model.inventory import InventoryField
from guardrail.report.inventory import render_inventory

AT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture(scope="module")
def shop_inventory(shop_template: Path):  # type: ignore[no-untyped-def]
    facts, errors = collect(load_stack(shop_template), at=AT)
    assert errors == []
    fields = build_inventory(facts)
    return fields, build_records(facts, fields)


def test_every_personal_field_is_labelled_under_three_laws(shop_inventory) -> None:  # type: ignore[no-untyped-def]
    fields, _ = shop_inventory
    by = {(f.dataset, f.field): f for f in fields}
    # Sensitive PI carries the exact clause of each law.
    idn = by[("customers", "id_number")]
    assert idn.labels.pipl.kinds == ("specific_identity",)
    assert idn.labels.ccpa.clauses == ("(ae)(1)(A)",)
    assert idn.labels.gdpr.category == "personal"
    assert {str(r) for r in idn.labels.refs} == {
        "PIPL Art. 28",
        "GDPR Art. 4(1)",
        "Cal. Civ. Code §1798.140(ae)(1)(A) ⚠",
    }
    card = by[("payments", "card_number")]
    assert (
        card.labels.pipl.kinds == ("financial_account",) and card.sensitivity.value == "restricted"
    )
    street = by[("addresses", "street")]
    assert street.labels.pipl.kinds == ("whereabouts",)  # a person's address: 行踪轨迹
    email = by[("customers", "email")]
    assert not email.labels.sensitive_anywhere and email.source == "both"
    # Every field has categories, a PIPL/GDPR/CCPA reading and a source.
    for f in fields:
        assert f.categories, f.field
        refs = {r.instrument for r in f.labels.refs}
        assert {"PIPL", "GDPR", "CAL-CIV"} <= refs, f.field
        assert f.source in ("declared", "detected", "both", "inherited")
    # Destinations come from the flows: the marketing share to the US is recorded.
    assert "crm-to-mailwave" in email.transfers
    assert by[("customers", "id_number")].retention == "P3Y"


def test_processing_records(shop_inventory) -> None:  # type: ignore[no-untyped-def]
    _, records = shop_inventory
    by = {r.purpose: r for r in records}
    assert {"account", "order_fulfilment", "marketing", "analytics", "payment"} <= set(by)
    mkt = by["marketing"]
    assert mkt.legal_basis.gdpr is not None and mkt.legal_basis.gdpr.value == "consent"
    assert [r.id for r in mkt.recipients] == ["mailwave"]
    assert any("no mechanism" in t for t in mkt.transfers)
    assert by["analytics"].assessments == ("pipia:pipia-analytics-2026",)


@pytest.mark.parametrize("view", ["fields", "ropa", "pipl"])
def test_renderings(shop_inventory, view: str) -> None:  # type: ignore[no-untyped-def]
    fields, records = shop_inventory
    md = render_inventory(fields, records, fmt="md", view=view).decode()  # type: ignore[arg-type]
    assert md.count("\n") == (len(fields) if view == "fields" else len(records)) + 2
    rows = list(
        csv.reader(
            io.StringIO(
                render_inventory(fields, records, fmt="csv", view=view, lang=Lang.ZH).decode()
            )
        )
    )  # type: ignore[arg-type]
    assert len(rows) - 1 == (len(fields) if view == "fields" else len(records))
    doc = json.loads(render_inventory(fields, records, fmt="json"))
    assert len(doc["fields"]) == len(fields) and len(doc["records"]) == len(records)


def test_cli_inventory(shop_template: Path, tmp_path: Path) -> None:
    code, out, _ = invoke(
        "inventory", str(shop_template), "--format", "csv", "--at", "2026-11-22T00:00:00Z"
    )
    assert code == 0
    header = next(csv.reader(io.StringIO(out)))
    assert header[:3] == ["Datastore", "Dataset", "Field"]
    assert "(ae)(1)(A)" in out
    code, _, err = invoke(
        "inventory", str(shop_template), "--format", "xlsx", "-o", str(tmp_path / "inv.xlsx")
    )
    assert code == 0 and "wrote" in err
    wb = load_workbook(tmp_path / "inv.xlsx")
    assert wb.sheetnames == ["Fields", "GDPR Art. 30", "PIPL record"]
    code, out, _ = invoke("inventory", str(shop_template), "--view", "ropa", "--lang", "zh")
    assert code == 0 and "(a) 控制者" in out


def test_cli_rules_test(tmp_path: Path) -> None:
    rules = Path(__file__).resolve().parents[2] / "rules"
    code, out, _ = invoke("--no-color", "rules", "test", str(rules))
    assert code == 0 and "cases passed, 0 rule(s) without" in out
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.yaml").write_text(
        "schema_version: 1\ncases:\n  - name: wrong\n    rule: real-name-identity-record\n"
        "    table: {fields: [{name: n, entities: [PERSON]}]}\n    expect: {fired: true}\n"
    )
    code, out, _ = invoke("--no-color", "rules", "test", str(tmp_path))
    assert code == 1 and "FAIL" in out


def _ground_truth_recall(fields, dataset: str) -> float:  # type: ignore[no-untyped-def]
    from tests.datasets_support import ground_truth

    truth, ambiguous = ground_truth(dataset)
    found = {(f.dataset, f.field) for f in fields}
    truth -= ambiguous
    return len(truth & found) / len(truth)


def _inventory_of(url: str, load: Callable[[str], None]) -> tuple[InventoryField, ...]:
    """Load a sample database at ``url``, collect its facts and build the inventory."""
    load(url)
    facts, errors = collect(load_source(url), at=AT, sample_rows=200)
    assert errors == []
    return build_inventory(facts)


@pytest.mark.integration
def test_pagila_inventory_from_postgresql(pg_database: str) -> None:
    fields = _inventory_of(pg_database, load_pagila)
    by = {(f.dataset, f.field) for f in fields}
    assert ("customer", "email") in by
    assert all({"PIPL", "GDPR", "CAL-CIV"} <= {r.instrument for r in f.labels.refs} for f in fields)
    assert _ground_truth_recall(fields, "pagila") > 0.5


@pytest.mark.integration
def test_mall_inventory_from_mariadb(mysql_database: str) -> None:
    fields = _inventory_of(mysql_database, load_mall)
    by = {(f.dataset, f.field) for f in fields}
    assert ("ums_member", "phone") in by
    assert _ground_truth_recall(fields, "mall") > 0.5
