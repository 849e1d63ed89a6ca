"""guardrail: audit an e-commerce stack for personal-data compliance (PIPL, GDPR, CCPA/CPRA).

The detection API is available at the top level and imported on first use, so
``import guardrail`` stays cheap::

    import guardrail
    guardrail.scan_text("手机13812345678")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Public names loaded lazily from their modules (module, attribute).
_LAZY: dict[str, tuple[str, str]] = {
    "scan_text": ("guardrail.detect", "scan_text"),
    "scan_texts": ("guardrail.detect", "scan_texts"),
    "scan_table": ("guardrail.detect", "scan_table"),
    "scan_array": ("guardrail.detect", "scan_array"),
    "scan_file": ("guardrail.detect", "scan_file"),
    "classify_columns": ("guardrail.detect", "classify_columns"),
    "Scanner": ("guardrail.detect", "Scanner"),
}

__all__ = [
    "Scanner",
    "__version__",
    "classify_columns",
    "scan_array",
    "scan_file",
    "scan_table",
    "scan_text",
    "scan_texts",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'guardrail' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
