"""Reading ``incident.yaml`` and audit reports for the playbook generator.

Errors name the file and line and say how to fix them (exit 2 in the CLI); they never repeat
a value from the file, which may hold personal data.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from guardrail.errors import InputError, ManifestError
from guardrail.model.audit import AuditResult
from guardrail.model.incident import Incident
from guardrail.model.inventory import InventoryField
from guardrail.model.stack import Stack
from guardrail.playbook.facts import reference_problems
from guardrail.yamlio import load_yaml, validate

__all__ = ["load_incident", "load_inventory"]

MAX_REPORT_BYTES = 256 * 1024 * 1024


def load_incident(path: Path | str, stack: Stack, *, display: str | None = None) -> Incident:
    """Parse and validate an incident file against the manifest it refers to."""
    path = Path(path)
    shown = display or str(path)
    if path.is_dir():
        raise ManifestError(
            "is a folder, not an incident file", file=shown, hint="pass the incident YAML file"
        )
    located = load_yaml(path, display=shown)
    if not isinstance(located.data, dict):
        raise ManifestError(
            "an incident file is a mapping (id, type, discovered_at, ...)",
            file=shown,
            line=located.line_of(()),
            hint="see docs/playbook.md for the incident format",
        )
    incident = validate(Incident, located, what="incident")
    problems = reference_problems(incident, stack)
    if problems:
        loc, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ManifestError(
            f"{'.'.join(str(p) for p in loc)}: {message}{more}",
            file=shown,
            line=located.line_of(loc),
            hint="use the ids of the stack manifest",
        )
    return incident


def load_inventory(path: Path | str) -> tuple[InventoryField, ...]:
    """The data inventory of an audit report (``guardrail audit -o json``)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(
            f"{path}: file not found", hint="pass the report.json of an audit"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if size > MAX_REPORT_BYTES:
        raise InputError(f"{path}: larger than 256 MiB", hint="pass the report.json of an audit")
    try:
        result = AuditResult.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"{path}: not a guardrail audit report ({where}: {first['msg']})",
            hint="pass the report.json written by 'guardrail audit' of this version",
        ) from None
    return result.inventory
