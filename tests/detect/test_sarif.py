"""SARIF output validates against the official SARIF 2.1.0 schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from tests.conftest import SHARED

from guardrail.detect import scan_file
from guardrail.detect.sarif import to_sarif
from guardrail.model.detection import ColumnCategory, ColumnEntity, ColumnReport
from guardrail.model.scan import Finding


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    path = SHARED / "schemas" / "sarif-2.1.0" / "sarif-schema-2.1.0.json"
    if not path.is_file():
        pytest.fail(f"the SARIF schema is missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_file_findings_and_columns_validate(tmp_path: Path, schema: dict[str, object]) -> None:
    log = tmp_path / "app.log"
    log.write_text("ok\nphone=13812345678 id 11010519491231002X\n")
    findings = [f for f in scan_file(log) if isinstance(f, Finding)]
    cell = Finding(
        source="db",
        entity="EMAIL_ADDRESS",
        start=0,
        end=6,
        score=0.9,
        recognizer="email_cell",
        preview="a***@b.cn",
        table="users",
        field="email",
        row=3,
    )
    column = ColumnReport(
        table="users",
        column="gender",
        entities=(ColumnEntity(entity="PHONE_NUMBER", hit_ratio=0.5, confidence=0.7),),
        categories=(ColumnCategory(category="user.demographic.gender", confidence=0.8),),
        reason="column name 'gender' matches 'gender'",
    )
    doc = to_sarif(
        [*findings, cell],
        [column],
        source=str(log),
        version="0.1.0",
        severity={"CN_RESIDENT_ID": 8.0},
    )
    jsonschema.validate(doc, schema)
    (run,) = doc["runs"]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("PHONE_NUMBER", "warning"),
        ("CN_RESIDENT_ID", "error"),
        ("EMAIL_ADDRESS", "warning"),
        ("PHONE_NUMBER", "note"),
        ("user.demographic.gender", "note"),
    ]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        "PHONE_NUMBER",
        "CN_RESIDENT_ID",
        "EMAIL_ADDRESS",
        "user.demographic.gender",
    }
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 7, "endColumn": 18}
    text = json.dumps(doc, ensure_ascii=False)
    assert "13812345678" not in text and "11010519491231002X" not in text
    # Fingerprints are stable across runs.
    again = to_sarif([*findings, cell], [column], source=str(log), version="0.1.0")
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == [
        r["partialFingerprints"] for r in results
    ]


def test_an_empty_scan_is_valid_sarif(schema: dict[str, object]) -> None:
    doc = to_sarif([], [], source="empty.log", version="0.1.0")
    jsonschema.validate(doc, schema)
    assert doc["runs"][0]["results"] == []
