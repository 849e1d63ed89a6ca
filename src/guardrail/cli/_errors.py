"""Mapping exceptions to one-line messages and exit codes (never a traceback, never data)."""

from __future__ import annotations

import sys
import traceback
from typing import NoReturn

import click

from guardrail.errors import ExitCode, GuardrailError

__all__ = ["fail", "run"]


def _verbose(argv: list[str]) -> bool:
    return "-v" in argv or "--verbose" in argv


def fail(message: str, hint: str | None = None, code: int = ExitCode.USAGE) -> NoReturn:
    line = f"error: {message}"
    if hint:
        line += f" — {hint}"
    click.echo(line, err=True)
    sys.exit(int(code))


def run(cli: click.Group, argv: list[str]) -> NoReturn:
    try:
        rv = cli.main(args=argv, prog_name="guardrail", standalone_mode=False)
    except GuardrailError as exc:
        fail(exc.message, exc.hint, exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(int(ExitCode.INCOMPLETE))
    except click.exceptions.NoArgsIsHelpError as exc:
        # A bare group (`guardrail`, `guardrail keys`): its help, not an error line.
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        sys.exit(int(ExitCode.USAGE))
    except click.UsageError as exc:
        # Usage errors (unknown option, bad value ...) are exit 2, like click's own.
        hint = f"see '{exc.ctx.command_path} --help'" if exc.ctx is not None else None
        fail(exc.format_message(), hint, ExitCode.USAGE)
    except click.ClickException as exc:
        # Other click errors (a bad file argument ...) are exit 2 as well.
        fail(exc.format_message(), None, ExitCode.USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(int(ExitCode.OK))
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback, no data
        if _verbose(argv):
            frames = traceback.extract_tb(exc.__traceback__)
            for fr in frames[-8:]:
                click.echo(f"  at {fr.filename}:{fr.lineno} in {fr.name}", err=True)
        fail(
            f"internal error ({type(exc).__name__})",
            "this is a bug in guardrail; rerun with --verbose and report the frames "
            "(they hold no data)",
            ExitCode.INCOMPLETE,
        )
    sys.exit(int(rv) if isinstance(rv, int) else 0)
