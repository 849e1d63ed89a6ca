"""Value objects shared across guardrail: frozen, strict-keyed pydantic models.

This package is a leaf: it imports nothing from the rest of guardrail but ``errors``.

The names below are loaded on first use (PEP 562): importing one submodule
(``guardrail.model.data`` for a scan) does not import the others — ``model.audit`` alone
pulls in the inventory and stack models and costs a quarter of a second at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardrail.model.audit import (
        Applicability,
        AuditResult,
        Control,
        ControlResult,
        ControlStatus,
        Evidence,
        EvidenceFact,
        Finding,
        FindingStatus,
        FrameworkInfo,
        InputDigest,
        PackVersion,
        RunError,
        Scorecard,
        Target,
        Waiver,
    )
    from guardrail.model.common import ArticleRef, Lang, LocalizedText, Severity, SourceLocation
    from guardrail.model.detection import ColumnEntity, ColumnReport, Detection, EntityCount
    from guardrail.model.stack import Stack

#: Public name -> the submodule defining it.
_SOURCES = {
    "Applicability": "audit",
    "AuditResult": "audit",
    "Control": "audit",
    "ControlResult": "audit",
    "ControlStatus": "audit",
    "Evidence": "audit",
    "EvidenceFact": "audit",
    "Finding": "audit",
    "FindingStatus": "audit",
    "FrameworkInfo": "audit",
    "InputDigest": "audit",
    "PackVersion": "audit",
    "RunError": "audit",
    "Scorecard": "audit",
    "Target": "audit",
    "Waiver": "audit",
    "ArticleRef": "common",
    "Lang": "common",
    "LocalizedText": "common",
    "Severity": "common",
    "SourceLocation": "common",
    "ColumnEntity": "detection",
    "ColumnReport": "detection",
    "Detection": "detection",
    "EntityCount": "detection",
    "Stack": "stack",
}

__all__ = [
    "Applicability",
    "ArticleRef",
    "AuditResult",
    "ColumnEntity",
    "ColumnReport",
    "Control",
    "ControlResult",
    "ControlStatus",
    "Detection",
    "EntityCount",
    "Evidence",
    "EvidenceFact",
    "Finding",
    "FindingStatus",
    "FrameworkInfo",
    "InputDigest",
    "Lang",
    "LocalizedText",
    "PackVersion",
    "RunError",
    "Scorecard",
    "Severity",
    "SourceLocation",
    "Stack",
    "Target",
    "Waiver",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{source}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
