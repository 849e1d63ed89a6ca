"""The examples in the crypto and masking docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "guardrail.masking",
    "guardrail.crypto.keys",
    "guardrail.crypto.fields",
    "guardrail.crypto.deterministic",
    "guardrail.crypto.pseudonym",
    "guardrail.crypto.fpe",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
