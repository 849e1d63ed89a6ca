"""The pre-generated library and its lint (audit controls C32-C34): a fresh library is clean;
each kind of damage is reported with the right control and code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from guardrail.model.incident import IncidentType, ObligationId, Regime
from guardrail.playbook import expected_clocks, generate_library, lint_library
from guardrail.playbook.library import LIBRARY_FILES
from tests.playbook.conftest import AT, with_org


@pytest.fixture(scope="module")
def built(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library")
    written = generate_library(stack, folder, at=AT, stack_sha256="a" * 64)
    assert len(written) == len(IncidentType) * len(LIBRARY_FILES) + 1
    return folder


@pytest.fixture
def library(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lib"
    shutil.copytree(built, copy)
    return copy


def codes(problems: list[Any]) -> set[tuple[str, str | None, str]]:
    return {
        (p.control, p.incident_type.value if p.incident_type else None, p.code) for p in problems
    }


def test_fresh_library_is_clean(built: Path, stack: Any) -> None:
    assert lint_library(built, stack=stack, stack_sha256="a" * 64) == []
    index = json.loads((built / "index.json").read_text())
    assert set(index["types"]) == {t.value for t in IncidentType}
    assert index["types"]["exfiltration"]["clocks"]["gdpr-authority"] == "PT72H"
    assert index["types"]["unlawful_transfer"]["clocks"] == {}
    assert index["regimes"] == ["pipl", "gdpr", "ccpa"] and index["cii"] is False


def test_expected_clocks() -> None:
    assert expected_clocks([Regime.PIPL, Regime.GDPR, Regime.CCPA], cii=True) == {
        ObligationId.IRM_REPORT: "PT1H",
        ObligationId.IRM_SUMMARY: "P30D",
        ObligationId.PIPL_AUTHORITY: "immediately",
        ObligationId.PIPL_INDIVIDUALS: "immediately",
        ObligationId.GDPR_AUTHORITY: "PT72H",
        ObligationId.GDPR_SUBJECTS: "without_undue_delay",
        ObligationId.CA_RESIDENTS: "P30D",
        ObligationId.CA_ATTORNEY_GENERAL: "P15D",
    }
    assert expected_clocks([Regime.GDPR], cii=False) == {
        ObligationId.GDPR_AUTHORITY: "PT72H",
        ObligationId.GDPR_SUBJECTS: "without_undue_delay",
    }


def test_missing_library_and_index(tmp_path: Path) -> None:
    assert codes(lint_library(tmp_path / "nope")) == {("C32", None, "library-missing")}
    (tmp_path / "lib").mkdir()
    assert codes(lint_library(tmp_path / "lib")) == {("C32", None, "index-missing")}
    (tmp_path / "lib" / "index.json").write_text("{not json")
    assert codes(lint_library(tmp_path / "lib")) == {("C32", None, "index-invalid")}


def test_missing_file(library: Path) -> None:
    (library / "ransomware" / "playbook.zh.md").unlink()
    assert codes(lint_library(library)) == {("C32", "ransomware", "file-missing")}


def test_missing_type(library: Path) -> None:
    index = json.loads((library / "index.json").read_text())
    del index["types"]["lost_device"]
    (library / "index.json").write_text(json.dumps(index))
    assert codes(lint_library(library)) == {("C32", "lost_device", "type-missing")}


def _edit_cacao(library: Path, kind: str, change: Any) -> None:
    path = library / kind / "playbook.cacao.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2))


def test_wrong_timeout(library: Path) -> None:
    def slower(doc: dict[str, Any]) -> None:
        for node in doc["workflow"].values():
            if node.get("timeout") == 72 * 3_600_000:
                node["timeout"] = 96 * 3_600_000

    _edit_cacao(library, "exfiltration", slower)
    assert codes(lint_library(library)) == {
        ("C32", "exfiltration", "file-changed"),
        ("C33", "exfiltration", "clock-timeout-wrong"),
    }


def test_missing_clock(library: Path) -> None:
    def drop(doc: dict[str, Any]) -> None:
        doc["labels"] = [x for x in doc["labels"] if not x.startswith("clock:irm-report")]
        for node in doc["workflow"].values():
            node["external_references"] = [
                r
                for r in node.get("external_references", ())
                if "irm-report" not in r.get("external_id", "")
            ] or [{"name": "none"}]

    _edit_cacao(library, "misdirected", drop)
    assert codes(lint_library(library)) == {
        ("C32", "misdirected", "file-changed"),
        ("C33", "misdirected", "clock-label-missing"),
        ("C33", "misdirected", "clock-step-missing"),
    }


def test_broken_graph(library: Path) -> None:
    def dangle(doc: dict[str, Any]) -> None:
        start = doc["workflow_start"]
        doc["workflow"][start]["on_completion"] = "action--00000000-0000-4000-8000-000000000000"

    _edit_cacao(library, "vendor_breach", dangle)
    got = codes(lint_library(library))
    assert ("C33", "vendor_breach", "cacao-invalid") in got


def test_missing_california_heading(library: Path) -> None:
    path = library / "exfiltration" / "playbook.en.md"
    path.write_text(path.read_text().replace("#### What You Can Do\n", "#### Tips\n"))
    assert codes(lint_library(library)) == {
        ("C32", "exfiltration", "file-changed"),
        ("C34", "exfiltration", "ca-heading-missing"),
    }


def test_missing_mandatory_content(library: Path) -> None:
    path = library / "ransomware" / "playbook.zh.html"
    text = path.read_text()
    # Drop the marker of the first section of the Chinese authority report.
    text = text.replace("<!-- guardrail:covers irm-7-unit pipl-57-3 gdpr-33-3-b -->", "", 1)
    path.write_text(text)
    got = lint_library(library)
    assert codes(got) == {
        ("C32", "ransomware", "file-changed"),
        ("C34", "ransomware", "notice-content-missing"),
    }
    (msg,) = [p.message for p in got if p.code == "notice-content-missing"]
    assert msg.endswith(
        "authority_report (zh) lacks mandatory content gdpr-33-3-b, irm-7-unit, pipl-57-3"
    )


def test_stale_library(built: Path, stack: Any) -> None:
    now_cii = with_org(stack, cii_operator=True)
    assert codes(lint_library(built, stack=now_cii)) == {("C33", None, "library-stale")}
    assert codes(lint_library(built, stack_sha256="b" * 64)) == {("C32", None, "library-outdated")}


def test_library_for_a_cii_operator_encodes_one_hour(stack: Any, tmp_path: Path) -> None:
    cii = with_org(stack, cii_operator=True)
    generate_library(cii, tmp_path, at=AT)
    assert lint_library(tmp_path, stack=cii) == []
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["types"]["exfiltration"]["clocks"]["irm-report"] == "PT1H"
