"""Importing fides manifests (``.fides/*.yml``, fideslang) as a starting stack manifest.

fides describes ``organization``, ``system`` (with ``privacy_declarations``: data categories,
data use, data subjects, dataset references) and ``dataset`` (collections and fields with data
categories). guardrail keeps what maps: systems, datasets and declared field categories,
purposes from the data uses; what fides does not know (regions, legal bases per law, transfer
mechanisms, retention, officers) is left for the organisation to fill in — the audit then
reports those gaps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from guardrail.errors import ManifestError
from guardrail.yamlio import load_yaml

__all__ = ["fides_to_stack_dict", "has_fides"]

_SLUG = re.compile(r"[^A-Za-z0-9_.:-]+")


def has_fides(folder: Path) -> bool:
    return (folder / ".fides").is_dir() and any((folder / ".fides").glob("*.y*ml"))


def _slug(value: str) -> str:
    return _SLUG.sub("-", value).strip("-") or "item"


def _fields(fields: list[dict[str, Any]], prefix: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in fields or []:
        name = f"{prefix}{f.get('name', '')}"
        cats = [c for c in f.get("data_categories") or [] if isinstance(c, str)]
        if cats:
            out.append({"name": name, "categories": cats})
        out.extend(_fields(f.get("fields") or [], prefix=f"{name}."))
    return out


def fides_to_stack_dict(folder: Path, *, region: str = "ZZ") -> dict[str, Any]:
    """A stack-manifest mapping from the fides resources in ``folder`` (a ``.fides`` dir)."""
    orgs: list[dict[str, Any]] = []
    systems: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    files = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
    if not files:
        raise ManifestError(
            "no fides YAML files",
            file=str(folder),
            hint="point at a .fides folder holding organization/system/dataset",
        )
    for path in files:
        doc = load_yaml(path).data
        if not isinstance(doc, dict):
            raise ManifestError("a fides file must be a mapping", file=str(path), line=1)
        orgs.extend(doc.get("organization") or [])
        systems.extend(doc.get("system") or [])
        datasets.extend(doc.get("dataset") or [])
    org = orgs[0] if orgs else {}
    uses: dict[str, list[str]] = {}
    out_systems = []
    for s in systems:
        sid = _slug(str(s.get("fides_key", s.get("name", "system"))))
        out_systems.append(
            {
                "id": sid,
                "name": str(s.get("name", sid)),
                "region": region,
                "description": s.get("description"),
            }
        )
        for decl in s.get("privacy_declarations") or []:
            use = str(decl.get("data_use", "")).strip()
            if use:
                uses.setdefault(_slug(use), []).extend(decl.get("data_categories") or [])
    ds_system = {
        str(ref): _slug(str(s.get("fides_key", s.get("name"))))
        for s in systems
        for d in s.get("privacy_declarations") or []
        for ref in d.get("dataset_references") or []
    }
    stores = []
    for d in datasets:
        key = str(d.get("fides_key", d.get("name", "dataset")))
        stores.append(
            {
                "id": _slug(key),
                "kind": "other",
                "scan": False,
                "region": region,
                **({"system": ds_system[key]} if key in ds_system else {}),
                "datasets": [
                    {"name": str(c.get("name")), "fields": _fields(c.get("fields") or [])}
                    for c in d.get("collections") or []
                ],
            }
        )
    purposes = [
        {
            "id": use,
            "description": {"en": use.replace(".", " "), "zh": use.replace(".", " ")},
            "categories": sorted(set(cats)),
        }
        for use, cats in sorted(uses.items())
    ]
    officers: dict[str, Any] = {}
    dpo = org.get("data_protection_officer") or {}
    if dpo.get("name"):
        officers["dpo"] = {"name": dpo["name"], "contact": dpo.get("email")}
    return {
        "schema_version": 1,
        "organization": {"name": str(org.get("name", "Organization")), "established_in": [region]},
        **({"officers": officers} if officers else {}),
        "systems": out_systems,
        "datastores": stores,
        "purposes": purposes,
    }
