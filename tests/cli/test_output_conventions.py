"""Output conventions every command shares: NO_COLOR, --quiet and one-line problems."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GUARDRAIL = Path(sys.executable).with_name("guardrail")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GUARDRAIL), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("value", ["1", "true", "anything", "0"])
def test_any_non_empty_no_color_turns_colour_off(value: str) -> None:
    """no-color.org: presence, not a boolean — even NO_COLOR=0 means no colour."""
    proc = _run("list", "frameworks", env={"NO_COLOR": value})
    assert proc.returncode == 0, proc.stderr
    assert "pipl" in proc.stdout.lower()
    assert "\x1b[" not in proc.stdout + proc.stderr


def test_empty_no_color_is_ignored() -> None:
    proc = _run("list", "frameworks", env={"NO_COLOR": ""})
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("args", [(), ("keys",), ("consent",)])
def test_a_bare_group_prints_its_help_and_exits_2(args: tuple[str, ...]) -> None:
    proc = _run(*args)
    assert proc.returncode == 2
    assert proc.stdout.startswith("Usage: guardrail")
    assert "error:" not in proc.stdout + proc.stderr
