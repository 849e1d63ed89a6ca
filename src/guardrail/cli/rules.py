"""``guardrail rules``: tools for classification-rule authors."""

from __future__ import annotations

import json
from pathlib import Path

import click

from guardrail.cli._ui import UI

__all__ = ["rules"]


@click.group()
def rules() -> None:
    """Classification rules: test packs against their fixtures."""


@rules.command("test")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def test(ui: UI, folder: Path, fmt: str) -> int:
    """Run the fixtures in FOLDER/tests/*.yaml against the built-in rules extended by the rule
    packs in FOLDER/*.yaml. Exit 1 if a case fails or a rule of FOLDER's packs lacks a firing
    and a non-firing case."""
    from rich.table import Table

    from guardrail.classify.fixtures import run_fixtures
    from guardrail.classify.rules import builtin_rules, load_pack_dir
    from guardrail.errors import ExitCode

    rules_in_force = builtin_rules()
    own: list[str] = []  # the rules FOLDER's packs define: only they must be covered
    for pack, source in load_pack_dir(folder, label=str(folder)):
        rules_in_force = rules_in_force.extend(pack, source)
        own += [c.id for c in pack.combinations] + [d.id for d in pack.datasets]
    files = sorted((folder / "tests").glob("*.yaml")) + sorted((folder / "tests").glob("*.yml"))
    if not files:
        from guardrail.errors import ConfigError

        raise ConfigError(
            f"no fixture files in {folder / 'tests'}",
            hint="add tests/*.yaml fixtures (see docs/classification.md)",
        )
    report = run_fixtures(files, rules_in_force, required=own)
    if fmt == "json":
        ui.raw(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=f"rule fixtures in {folder}", title_justify="left")
        for col in ("File", "Case", "Rule", "Result"):
            table.add_column(col, overflow="fold")
        for r in report.results:
            table.add_row(
                r.file,
                r.case,
                r.rule,
                "[green]pass[/]" if r.passed else "[red]FAIL[/] " + "; ".join(r.problems),
            )
        ui.print(table)
        for u in report.uncovered:
            ui.print(f"[yellow]uncovered[/]: {u}")
        passed = sum(r.passed for r in report.results)
        ui.print(
            f"{passed}/{len(report.results)} cases passed, "
            f"{len(report.uncovered)} rule(s) without both a firing and a non-firing case"
        )
    return int(ExitCode.OK) if report.ok else int(ExitCode.FINDINGS)
