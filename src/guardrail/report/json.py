"""The canonical JSON report (``guardrail schema report`` prints its schema)."""

from __future__ import annotations

import json
from typing import Any

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang

__all__ = ["REPORT_FORMAT_VERSION", "JsonReporter", "report_schema"]

REPORT_FORMAT_VERSION = 1


class JsonReporter:
    suffix = ".json"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        del lang  # JSON carries both languages
        return (result.model_dump_json(indent=2) + "\n").encode("utf-8")


def report_schema() -> dict[str, Any]:
    schema = AuditResult.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://guardrail.invalid/schemas/report-v{REPORT_FORMAT_VERSION}.json"
    return schema


def load_result(data: bytes | str) -> AuditResult:
    """Parse a JSON report back into the model (for diff, verification and re-rendering)."""
    return AuditResult.model_validate(json.loads(data))
