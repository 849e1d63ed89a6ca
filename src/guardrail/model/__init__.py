"""Value objects shared across guardrail: frozen, strict-keyed pydantic models.

This package is a leaf: it imports nothing from the rest of guardrail but ``errors``.
"""

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
