"""Import helpers for the example shop's scripts (they are not part of the package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shop"


def _module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"shop_{name}", EXAMPLE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_servers(sqlite_path: Path, url: str) -> dict[str, int]:
    counts: dict[str, int] = _module("load_servers").load(sqlite_path, url)
    return counts
