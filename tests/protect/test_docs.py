"""Every public name of crypto, masking and protect is documented with an example."""

from __future__ import annotations

import importlib
import re

import pytest
from tests.conftest import REPO

DOC = (REPO / "docs" / "protection.md").read_text(encoding="utf-8")
CODE = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", DOC, flags=re.S))


@pytest.mark.parametrize("module", ["guardrail.crypto", "guardrail.masking", "guardrail.protect"])
def test_public_names_are_documented(module: str) -> None:
    names = importlib.import_module(module).__all__
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", CODE)]
    assert missing == [], f"{module}: not in an example of docs/protection.md: {missing}"
