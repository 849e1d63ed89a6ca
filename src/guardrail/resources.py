"""Access to the data shipped with guardrail: policy packs, rules and report templates.

In a wheel they live under ``guardrail/_data/``; in a source checkout (editable install) they
are the repository's top-level ``policies/``, ``rules/`` and ``reports/templates/`` folders.
Both are read through :mod:`importlib.resources` traversables.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

__all__ = ["DataKind", "data_dir"]

DataKind = Literal["policies", "rules", "templates"]

_SOURCE_LAYOUT: dict[str, tuple[str, ...]] = {
    "policies": ("policies",),
    "rules": ("rules",),
    "templates": ("reports", "templates"),
}


def data_dir(kind: DataKind) -> Traversable:
    """The folder of bundled ``kind`` data."""
    packaged = resources.files("guardrail").joinpath("_data", kind)
    if packaged.is_dir():
        return packaged
    # Editable install: src/guardrail/resources.py -> repository root.
    root = Path(__file__).resolve().parents[2]
    source = root.joinpath(*_SOURCE_LAYOUT[kind])
    if source.is_dir():
        return source
    raise FileNotFoundError(f"guardrail's bundled {kind} are missing; reinstall guardrail")
