"""``guardrail list controls|frameworks``."""

from __future__ import annotations

import json

import click

from guardrail.cli._options import format_option, lang_option
from guardrail.cli._ui import UI

__all__ = ["list_"]


@click.command("list")
@click.argument("what", type=click.Choice(["controls", "frameworks"]))
@click.option(
    "-F",
    "--framework",
    "frameworks",
    multiple=True,
    metavar="ID",
    help="Only controls cited by these frameworks.",
)
@lang_option()
@format_option("table", "json")
@click.pass_obj
def list_(ui: UI, what: str, frameworks: tuple[str, ...], lang: str, fmt: str) -> None:
    """List the controls (with their article references) or the installed frameworks."""
    from rich.table import Table

    from guardrail.audit.packs import load_policies

    policies = load_policies(frameworks or None)
    if what == "frameworks":
        rows = [
            {
                "id": p.id,
                "title": p.title.get(lang),
                "version": p.version,
                "controls": len(p.requirements),
            }
            for p in policies.packs
        ]
        if fmt == "json":
            ui.raw(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
            return
        table = Table(title="frameworks", title_justify="left")
        for col in ("id", "title", "version", "controls"):
            table.add_column(col.capitalize())
        for r in rows:
            table.add_row(*(str(r[c]) for c in ("id", "title", "version", "controls")))
        ui.print(table)
        return
    controls = policies.controls()
    if fmt == "json":
        ui.raw(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "slug": c.slug,
                        "title": c.title.get(lang),
                        "severity": c.severity.value,
                        "mode": "manual" if c.manual else "automated",
                        "frameworks": list(c.frameworks),
                        "refs": [str(r) for r in c.refs],
                    }
                    for c in controls
                ],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return
    table = Table(title=f"controls ({len(controls)})", title_justify="left")
    for col in ("Id", "Title", "Severity", "Mode", "References"):
        table.add_column(col, overflow="fold")
    for c in controls:
        table.add_row(
            c.id,
            c.title.get(lang),
            c.severity.value,
            "manual" if c.manual else "automated",
            ", ".join(str(r) for r in c.refs),
        )
    ui.print(table)
