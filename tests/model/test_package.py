"""``guardrail.model`` loads its public names on first use."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

import pytest

import guardrail.model as model
from guardrail.model import _SOURCES


def test_every_public_name_resolves_to_its_submodule_object() -> None:
    assert sorted(_SOURCES) == sorted(model.__all__)
    for name, source in _SOURCES.items():
        assert getattr(model, name) is getattr(import_module(f"guardrail.model.{source}"), name)
    assert set(model.__all__) <= set(dir(model))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        getattr(model, "Nope")


def test_importing_one_submodule_leaves_audit_unloaded() -> None:
    code = (
        "import sys\n"
        "import guardrail.model.data\n"
        "print('guardrail.model.audit' in sys.modules)\n"
        "from guardrail.model import Finding\n"
        "print('guardrail.model.audit' in sys.modules, Finding.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["False", "True guardrail.model.audit"]
