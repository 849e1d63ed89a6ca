from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.errors import ManifestError
from guardrail.model.stack import Stack
from guardrail.yamlio import load_yaml, parse_yaml, validate


def test_lines_are_recorded() -> None:
    located = parse_yaml("a: 1\nb:\n  - x: 2\n  - y: 3\n", "t.yaml")
    assert located.line_of(("b", 1, "y")) == 4
    assert located.line_of(("b", 1, "missing")) == 4  # nearest ancestor


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("a: [1\nb: 2\n", 2, "invalid YAML"),
        ("", None, "empty"),
        ("a: &x 1\nb:\n  <<: {c: 1}\n", 3, "merge keys"),
    ],
)
def test_bad_yaml(text: str, line: int | None, fragment: str) -> None:
    with pytest.raises(ManifestError) as info:
        parse_yaml(text, "stack.yaml")
    assert info.value.line == line
    assert fragment in str(info.value)


def test_validation_error_points_at_line() -> None:
    text = "organization:\n  name: Shop\n  established_in: [CN]\n  colour: blue\n"
    with pytest.raises(ManifestError) as info:
        validate(Stack, parse_yaml(text, "stack.yaml"), what="manifest")
    assert info.value.line == 4
    assert "organization.colour: unknown key" in str(info.value)


def test_validation_error_hides_values() -> None:
    text = "organization:\n  name: Shop\n  established_in: [CN]\n  headcount: 13912345678x\n"
    with pytest.raises(ManifestError) as info:
        validate(Stack, parse_yaml(text, "stack.yaml"))
    assert "13912345678" not in str(info.value)
    assert info.value.line == 4


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ManifestError, match="not UTF-8"):
        load_yaml(bad)
