"""Fixtures for the playbook tests: the example stack, incidents built from dicts, the CACAO
schemas of ../shared registered offline, and helpers to decide obligations."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from guardrail.audit.manifest import load_stack
from guardrail.model.incident import Incident, Obligation, Playbook
from guardrail.model.stack import Stack
from guardrail.playbook import build_playbook
from tests.conftest import EXAMPLE, SHARED

AT = datetime(2026, 6, 11, 19, 0, tzinfo=UTC)
CACAO = SHARED / "schemas" / "cacao-2.0"
LEAK = EXAMPLE / "incidents" / "customer-leak.yaml"


@pytest.fixture(scope="session")
def stack() -> Stack:
    return load_stack(EXAMPLE / "stack.yaml").stack


def with_org(stack: Stack, **changes: Any) -> Stack:
    """``stack`` with some organisation fields changed (validated again)."""
    data = stack.model_dump(by_alias=True)
    data["organization"].update(changes)
    return Stack.model_validate(data)


def incident(**fields: Any) -> Incident:
    """An incident: the example leak's shape, with ``fields`` replacing keys."""
    base: dict[str, Any] = {
        "id": "INC-T",
        "type": "exfiltration",
        "discovered_at": "2026-06-12T02:40:00+08:00",
        "aware_at": "2026-06-12T09:15:00+08:00",
        "occurred_from": "2026-06-09T00:00:00+08:00",
        "affected": {"datasets": ["shop_db.customers", "shop_db.addresses"]},
        "persons": {"by_region": {"CN": 700000, "DE": 200000, "FR": 100000, "US-CA": 200000}},
        "encryption": {"encrypted": False, "key_exposed": False},
    }
    base.update(fields)
    return Incident.model_validate(base)


def playbook(stack: Stack, inc: Incident, **kw: Any) -> Playbook:
    return build_playbook(inc, stack, at=AT, **kw)


def statuses(pb: Playbook) -> dict[str, str]:
    return {o.id.value: o.status.value for o in pb.obligations}


def deadlines(pb: Playbook) -> dict[str, str | None]:
    """Active obligations' deadlines, in UTC to the minute."""

    def fmt(o: Obligation) -> str | None:
        return o.deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ") if o.deadline else None

    return {o.id.value: fmt(o) for o in pb.obligations if o.status.active}


@pytest.fixture(scope="session")
def cacao_validator() -> Callable[[dict[str, Any]], list[str]]:
    """Validate against the official CACAO 2.0 schemas, every schema registered under its
    ``$id`` so relative references resolve offline, under draft-07 as the files declare."""
    import jsonschema
    import referencing
    from referencing.jsonschema import DRAFT7

    if not CACAO.is_dir():
        pytest.fail(f"the shared CACAO schemas are missing: {CACAO}")
    resources = []
    for f in sorted(CACAO.rglob("*.json")):
        doc = json.loads(f.read_text("utf-8"))
        resources.append(
            (doc["$id"], referencing.Resource.from_contents(doc, default_specification=DRAFT7))
        )
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((CACAO / "playbook.json").read_text("utf-8"))
    validator = jsonschema.Draft7Validator(schema, registry=registry)

    def validate(doc: dict[str, Any]) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(doc)
        ]

    return validate


def read(path: Path) -> str:
    return path.read_text("utf-8")
