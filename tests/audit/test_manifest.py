from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import EXAMPLE

from guardrail.audit import load_stack
from guardrail.errors import ManifestError


def test_example_manifest_loads() -> None:
    loaded = load_stack(EXAMPLE)
    assert loaded.stack.organization.established_in == ("CN", "DE")
    assert loaded.line_of(("flows", 3, "to")) is not None
    assert len(loaded.sha256) == 64


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "stack.yaml"
    p.write_text(text)
    return p


def test_unknown_key_points_at_its_line(tmp_path: Path) -> None:
    text = (EXAMPLE / "stack.yaml").read_text()
    text = text.replace("  headcount: 420\n", "  headcount: 420\n  head_count: 420\n")
    line = text.splitlines().index("  head_count: 420") + 1
    with pytest.raises(ManifestError) as info:
        load_stack(_write(tmp_path, text))
    assert info.value.line == line
    assert "organization.head_count: unknown key" in str(info.value)
    assert info.value.file.endswith("stack.yaml")


def test_dangling_reference_points_at_its_line(tmp_path: Path) -> None:
    text = (
        (EXAMPLE / "stack.yaml").read_text().replace("    to: mailwave\n", "    to: mailwav\n", 1)
    )
    line = text.splitlines().index("    to: mailwav") + 1
    with pytest.raises(ManifestError) as info:
        load_stack(_write(tmp_path, text))
    assert info.value.line == line
    assert "unknown system, datastore or processor 'mailwav'" in str(info.value)


def test_folder_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no stack\.yaml"):
        load_stack(tmp_path)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="must be a mapping"):
        load_stack(_write(tmp_path, "- just\n- a list\n"))
