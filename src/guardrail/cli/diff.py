"""``guardrail diff``: new, fixed and changed findings between two JSON reports."""

from __future__ import annotations

import json
from pathlib import Path

import click

from guardrail.cli._options import format_option
from guardrail.cli._ui import UI

__all__ = ["diff"]


@click.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@format_option("table", "json")
@click.option(
    "--fail-on-new", is_flag=True, help="Exit 1 when NEW has open findings OLD did not have."
)
@click.pass_obj
def diff(ui: UI, old: Path, new: Path, fmt: str, fail_on_new: bool) -> int:
    """Compare two report.json files by finding fingerprint: new, fixed and changed."""
    from rich.table import Table

    from guardrail.audit.diff import diff_results
    from guardrail.errors import ExitCode, InputError
    from guardrail.report.json import load_result

    def read(path: Path) -> object:
        try:
            return load_result(path.read_bytes())
        except FileNotFoundError:
            raise InputError(f"{path} not found", hint="give two report.json files") from None
        except (ValueError, OSError):
            raise InputError(
                f"{path} is not a guardrail JSON report",
                hint="use report.json written by guardrail audit -o json",
            ) from None

    result = diff_results(read(old), read(new))  # type: ignore[arg-type]
    if fmt == "json":
        ui.raw(
            json.dumps(
                {
                    "new": [f.id for f in result.new],
                    "fixed": [f.id for f in result.fixed],
                    "changed": [{"id": c.new.id, "fields": list(c.fields)} for c in result.changed],
                    "unchanged": result.unchanged,
                },
                indent=2,
            )
            + "\n"
        )
    else:
        table = Table(title=f"{old} → {new}", title_justify="left")
        for col in ("Change", "Severity", "Control", "Target", "Detail"):
            table.add_column(col, overflow="fold")
        for f in result.new:
            table.add_row("[red]new[/]", f.severity.value, f.control, str(f.target), f.status.value)
        for f in result.fixed:
            table.add_row("[green]fixed[/]", f.severity.value, f.control, str(f.target), "")
        for c in result.changed:
            detail = ", ".join(
                f"{n}: {_val(c.old, n)} → {_val(c.new, n)}" if n in ("severity", "status") else n
                for n in c.fields
            )
            table.add_row("changed", c.new.severity.value, c.new.control, str(c.new.target), detail)
        ui.print(table)
        ui.print(
            f"{len(result.new)} new, {len(result.fixed)} fixed, {len(result.changed)} "
            f"changed, {result.unchanged} unchanged"
        )
    gating_new = [f for f in result.new if f.gating]
    return int(ExitCode.FINDINGS) if fail_on_new and gating_new else int(ExitCode.OK)


def _val(f: object, name: str) -> str:
    value = getattr(f, name)
    return str(getattr(value, "value", value))
