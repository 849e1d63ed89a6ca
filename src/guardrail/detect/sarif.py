"""Scan results as SARIF 2.1.0 (GitHub code scanning's format).

One rule per entity found (``shortDescription``, ``fullDescription`` and ``help`` as GitHub
requires; ``security-severity`` from the caller's severity table), one result per finding
with a masked preview in its message. Text findings carry a physical location with line
and column; table findings a logical location ``table.column`` with the row in
``properties``; column classifications are ``note`` results on ``table.column``.
``partialFingerprints.primaryLocationLineHash`` is a hash of the location and entity, so
re-scans of an unchanged file match up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from guardrail.detect.catalog import load_catalog
from guardrail.model.detection import ColumnReport
from guardrail.model.scan import Finding

__all__ = ["DEFAULT_SEVERITY", "SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: security-severity of an entity the caller gives no severity for (SARIF: 4.0-6.9 medium).
DEFAULT_SEVERITY = 5.0


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def _rule(entity: str, severity: float) -> dict[str, Any]:
    try:
        desc = load_catalog().entity(entity).description
    except Exception:  # noqa: BLE001 - a plugin entity without a catalog description
        desc = None
    name_en = desc.en if desc else entity
    name_zh = desc.zh if desc else entity
    return {
        "id": entity,
        "name": entity.title().replace("_", ""),
        "shortDescription": {"text": f"Personal data: {name_en}"},
        "fullDescription": {"text": f"{name_en} ({name_zh}) found in plaintext."},
        "help": {
            "text": (
                f"{name_en} is personal data. Remove it, mask it for display, or protect it "
                "at rest (field encryption or tokenisation) — see `guardrail scan --help`."
            )
        },
        "properties": {"security-severity": f"{severity:.1f}", "tags": ["privacy", "pii"]},
    }


def _category_rule(category: str) -> dict[str, Any]:
    """A rule for a personal-data category no value detector confirms (fideslang key)."""
    return {
        "id": category,
        "name": "".join(p.title() for p in category.replace("_", ".").split(".")),
        "shortDescription": {"text": f"Personal data category {category}"},
        "fullDescription": {
            "text": f"A column holds personal data of category {category} (by its name and "
            "table; no value pattern exists for it)."
        },
        "help": {"text": "Declare the column in the stack manifest and protect it as needed."},
        "properties": {"security-severity": "3.5", "tags": ["privacy", "pii", "category"]},
    }


def to_sarif(
    findings: Iterable[Finding],
    columns: Iterable[ColumnReport],
    *,
    source: str,
    version: str,
    severity: Callable[[str], float] | Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """A SARIF log for one scan of ``source``."""
    sev: Callable[[str], float]
    if isinstance(severity, Mapping):
        table = dict(severity)
        sev = lambda entity: table.get(entity, DEFAULT_SEVERITY)  # noqa: E731
    else:
        sev = severity or (lambda _entity: DEFAULT_SEVERITY)
    results: list[dict[str, Any]] = []
    entities: set[str] = set()
    categories: set[str] = set()
    for f in findings:
        entities.add(f.entity)
        level = "error" if sev(f.entity) >= 7.0 else "warning"
        result: dict[str, Any] = {
            "ruleId": f.entity,
            "level": level,
            "message": {"text": f"{f.entity} in plaintext: {f.preview}"},
            "properties": {"score": f.score, "recognizer": f.recognizer},
        }
        if f.line is not None:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.source},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column or 1,
                            "endColumn": (f.column or 1) + (f.end - f.start),
                        },
                    }
                }
            ]
            result["partialFingerprints"] = {
                "primaryLocationLineHash": _fingerprint(f.source, f.line, f.start, f.entity)
            }
        else:
            result["locations"] = [
                {
                    "physicalLocation": {"artifactLocation": {"uri": f.source}},
                    "logicalLocations": [
                        {"fullyQualifiedName": f"{f.table}.{f.field}", "kind": "member"}
                    ],
                }
            ]
            result["properties"]["row"] = f.row
            result["partialFingerprints"] = {
                "primaryLocationLineHash": _fingerprint(f.source, f.table, f.field, f.row, f.entity)
            }
        results.append(result)
    for c in columns:
        for e in c.entities:
            entities.add(e.entity)
            results.append(
                {
                    "ruleId": e.entity,
                    "level": "note",
                    "message": {
                        "text": f"column {c.table}.{c.column} holds {e.entity} "
                        f"(confidence {e.confidence:.2f}, hit ratio {e.hit_ratio:.2f}): {c.reason}"
                    },
                    "locations": [
                        {
                            "physicalLocation": {"artifactLocation": {"uri": source}},
                            "logicalLocations": [
                                {"fullyQualifiedName": f"{c.table}.{c.column}", "kind": "member"}
                            ],
                        }
                    ],
                    "partialFingerprints": {
                        "primaryLocationLineHash": _fingerprint(source, c.table, c.column, e.entity)
                    },
                    "properties": {
                        "kind": "column",
                        "confidence": e.confidence,
                        "hit_ratio": e.hit_ratio,
                    },
                }
            )
        for k in c.categories:
            categories.add(k.category)
            results.append(
                {
                    "ruleId": k.category,
                    "level": "note",
                    "message": {
                        "text": f"column {c.table}.{c.column} holds personal data of category "
                        f"{k.category} (confidence {k.confidence:.2f}): {c.reason}"
                    },
                    "locations": [
                        {
                            "physicalLocation": {"artifactLocation": {"uri": source}},
                            "logicalLocations": [
                                {"fullyQualifiedName": f"{c.table}.{c.column}", "kind": "member"}
                            ],
                        }
                    ],
                    "partialFingerprints": {
                        "primaryLocationLineHash": _fingerprint(
                            source, c.table, c.column, k.category
                        )
                    },
                    "properties": {"kind": "column", "confidence": k.confidence},
                }
            )
    rules = [_rule(e, sev(e)) for e in sorted(entities)]
    rules += [_category_rule(k) for k in sorted(categories)]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "guardrail",
                        "version": version,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"guardrail-scan/{_fingerprint(source)[:12]}"},
                "results": results,
            }
        ],
    }
