"""``guardrail schema``: print the JSON Schemas of guardrail's inputs and outputs.

Every YAML document guardrail validates names itself (``validate(..., what=...)``); a
validation error's hint points at ``guardrail schema <name>`` (``yamlio.schema_name``), and
this table is where each name resolves. A test checks that every name used in the code is
listed here.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, NamedTuple

import click

from guardrail.cli._ui import UI

__all__ = ["SCHEMAS", "schema"]


class _Entry(NamedTuple):
    target: str  # "module:attribute" of a pydantic model, or of a function returning a schema
    about: str


SCHEMAS: dict[str, _Entry] = {
    "manifest": _Entry("guardrail.model.stack:Stack", "the stack manifest (stack.yaml)"),
    "report": _Entry("guardrail.report.json:report_schema", "the JSON audit report"),
    "config": _Entry("guardrail.cli._config:Config", "the .guardrail.yaml config file"),
    "waivers": _Entry("guardrail.audit.waivers:WaiverFile", "the waivers file"),
    "controls": _Entry("guardrail.audit.packs:ControlCatalog", "the control catalog"),
    "pack": _Entry("guardrail.audit.packs:FrameworkPack", "a framework pack"),
    "rules": _Entry("guardrail.model.rules:RulePack", "a classification rule pack"),
    "fixture": _Entry("guardrail.classify.fixtures:FixtureFile", "a rule fixture file"),
    "catalog": _Entry("guardrail.detect.catalog:Catalog", "a detection pattern catalog"),
    "protect-policy": _Entry("guardrail.model.protect:ProtectPolicy", "a protect policy"),
    "incident": _Entry("guardrail.model.incident:Incident", "an incident file (playbook)"),
    "consent-catalog": _Entry(
        "guardrail.model.consent:ConsentCatalog", "a consent purpose catalog"
    ),
    "consent-mapping": _Entry("guardrail.model.consent:ImportMapping", "a consent import mapping"),
    "dp-query": _Entry("guardrail.model.privacy:QuerySpec", "a differentially private query"),
    "playbook-steps": _Entry(
        "guardrail.playbook.build:_Catalog", "the bundled playbook step catalog"
    ),
    "playbook-labels": _Entry("guardrail.playbook.render:_Labels", "the bundled playbook labels"),
    "notice-templates": _Entry(
        "guardrail.playbook.render:_Notices", "the bundled notice templates"
    ),
}


def schema_document(name: str) -> dict[str, Any]:
    """The JSON Schema for ``name`` (a key of SCHEMAS)."""
    module, _, attr = SCHEMAS[name].target.partition(":")
    from pydantic import BaseModel

    obj = getattr(importlib.import_module(module), attr)
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        doc: dict[str, Any] = obj.model_json_schema(by_alias=True)
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        doc["title"] = f"guardrail {name}"
        return doc
    return dict(obj())


def _help() -> str:
    lines = "\n".join(f"  {name:<17} {entry.about}" for name, entry in SCHEMAS.items())
    return (
        "Print the JSON Schema of WHAT, one of:\n\n\b\n"
        f"{lines}\n\n"
        "Validation errors name the schema to read, e.g. "
        "\"see 'guardrail schema manifest' for the expected shape\"."
    )


@click.command(help=_help())
@click.argument("what", type=click.Choice(list(SCHEMAS)), metavar="WHAT")
@click.pass_obj
def schema(ui: UI, what: str) -> None:
    ui.raw(json.dumps(schema_document(what), indent=2, ensure_ascii=False) + "\n")
