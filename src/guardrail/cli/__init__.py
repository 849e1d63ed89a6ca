"""The ``guardrail`` command line. The only place that prints or exits.

Commands are imported lazily: ``guardrail --help`` loads click and this module only.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from guardrail import __version__

__all__ = ["main"]

# name -> (module, attribute, short help). Short help lives here so listing commands in
# --help does not import them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": ("guardrail.cli.audit", "audit", "Audit a stack against PIPL, GDPR and CCPA."),
    "check": ("guardrail.cli.audit", "check", "Fast CI gate: manifest, config, sampled data."),
    "rules": ("guardrail.cli.rules", "rules", "Classification rules: run rule fixtures."),
    "scan": ("guardrail.cli.scan", "scan", "Find personal data in text, files or databases."),
    "dp": ("guardrail.cli.dp", "dp", "Differentially private aggregates and the privacy ledger."),
    "diff": ("guardrail.cli.diff", "diff", "New, fixed and changed findings of two reports."),
    "init": (
        "guardrail.cli.init",
        "init",
        "Create a stack manifest (blank, from a DB, from fides).",
    ),
    "inventory": (
        "guardrail.cli.inventory",
        "inventory",
        "Data inventory and records of processing (GDPR Art. 30, PIPL).",
    ),
    "list": ("guardrail.cli.listing", "list_", "List controls or frameworks."),
    "plugins": ("guardrail.cli.plugins", "plugins", "List installed plugins."),
    "consent": (
        "guardrail.cli.consent",
        "consent",
        "Consent registry: record, status, verify, serve.",
    ),
    "validate": ("guardrail.cli.validate", "validate", "Validate a manifest and its policies."),
    "schema": (
        "guardrail.cli.schema",
        "schema",
        "Print JSON Schemas (manifest, report, rules ...).",
    ),
    "playbook": ("guardrail.cli.playbook", "playbook", "Incident playbooks with the legal clocks."),
    "keys": ("guardrail.cli.keys", "keys", "Create, rotate and list encryption keyrings."),
    "protect": (
        "guardrail.cli.protect",
        "protect",
        "Encrypt, pseudonymise or mask columns at rest.",
    ),
    "reveal": ("guardrail.cli.protect", "reveal", "Decrypt protected values (audited)."),
    "verify-report": ("guardrail.cli.verify_report", "verify_report", "Verify signed reports."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        cmd: click.Command = getattr(module, spec[1])
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="guardrail")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the final verdict.")
@click.option("-v", "--verbose", is_flag=True, help="More detail; stack frames on crashes.")
@click.option(
    "--no-color",
    is_flag=True,
    help="Plain output without colours (also when NO_COLOR is set to any non-empty value).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="GUARDRAIL_CONFIG",
    help="Defaults for the commands' options (default: ./.guardrail.yaml if present).",
)
@click.pass_context
def cli(
    ctx: click.Context, quiet: bool, verbose: bool, no_color: bool, config_file: str | None
) -> None:
    """guardrail audits an e-commerce stack for personal-data compliance under China's PIPL,
    the EU GDPR and California's CCPA/CPRA.

    \b
    Exit codes: 0 clean · 1 findings at or above --fail-on · 2 usage, configuration or
    input error · 3 incomplete run (a collector, connector or rule failed).
    """
    import os
    from pathlib import Path

    from guardrail.cli._ui import UI

    # no-color.org: any non-empty NO_COLOR disables colour (it is not a boolean to parse).
    no_color = no_color or bool(os.environ.get("NO_COLOR"))
    ctx.obj = UI(quiet=quiet, verbose=verbose, color=not no_color)
    path = Path(config_file) if config_file else Path(".guardrail.yaml")
    if config_file or path.is_file():
        from guardrail.cli._config import default_map, load_config

        ctx.default_map = default_map(load_config(path))


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI and map every error to its documented exit code."""
    from guardrail.cli._errors import run

    return run(cli, argv if argv is not None else sys.argv[1:])
