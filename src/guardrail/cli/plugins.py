"""``guardrail plugins``: what is installed, without importing it."""

from __future__ import annotations

import json

import click

from guardrail.cli._options import format_option
from guardrail.cli._ui import UI

__all__ = ["plugins"]


@click.group()
def plugins() -> None:
    """Inspect plugins registered through entry points."""


@plugins.command("list")
@format_option("table", "json")
@click.option("--check", is_flag=True, help="Also import each plugin and report failures.")
@click.pass_obj
def list_plugins(ui: UI, fmt: str, check: bool) -> int:
    """List plugins by group, with the distribution that provides each."""
    from rich.table import Table

    from guardrail import plugins as registry
    from guardrail.errors import PluginError

    rows = []
    failures = 0
    for group in registry.GROUPS:
        for info in registry.available(group):
            status = "not loaded"
            if check:
                try:
                    registry.load(group, info.name)
                    status = "ok"
                except PluginError as exc:
                    status = f"error: {exc}"
                    failures += 1
            rows.append(
                {
                    "group": group.removeprefix("guardrail."),
                    "name": info.name,
                    "target": info.value,
                    "distribution": info.distribution,
                    "status": status,
                }
            )
    if fmt == "json":
        ui.raw(json.dumps(rows, indent=2) + "\n")
    else:
        table = Table(title="guardrail plugins", title_justify="left")
        for col in ("group", "name", "target", "distribution", "status"):
            table.add_column(col.capitalize(), overflow="fold")
        for r in rows:
            table.add_row(*(r[c] for c in ("group", "name", "target", "distribution", "status")))
        ui.print(table)
    return 2 if failures else 0
