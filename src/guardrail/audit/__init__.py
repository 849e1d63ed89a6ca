"""The audit: stack manifest, collectors, controls, applicability and findings.

Names are imported on first use, so ``from guardrail.audit import load_stack`` does not load
the engine, the detectors or the connectors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["AuditOptions", "LoadedStack", "fingerprint", "load_stack", "run_audit"]

_WHERE = {
    "AuditOptions": "guardrail.audit.engine",
    "fingerprint": "guardrail.audit.engine",
    "run_audit": "guardrail.audit.engine",
    "LoadedStack": "guardrail.audit.manifest",
    "load_stack": "guardrail.audit.manifest",
}

if TYPE_CHECKING:
    from guardrail.audit.engine import AuditOptions, fingerprint, run_audit
    from guardrail.audit.manifest import LoadedStack, load_stack


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrail.audit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
