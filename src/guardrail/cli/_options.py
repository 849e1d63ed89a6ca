"""Option declarations several commands share (same name, type and default everywhere).

Only click is imported here, so ``guardrail --help`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["LANGS", "format_option", "lang_option", "stacked"]

F = TypeVar("F", bound=Callable[..., Any])

#: Languages of summaries, tables and reports.
LANGS = ("en", "zh")


def stacked(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator that applies DECORATORS as if they were written above each other, the
    first on top (so options appear in --help in the order given)."""

    def apply(fn: F) -> F:
        for deco in reversed(decorators):
            fn = deco(fn)
        return fn

    return apply


def format_option(*choices: str, help: str | None = None) -> Callable[[F], F]:
    """``--format`` (parameter ``fmt``) choosing one of CHOICES; the first is the default."""
    deco: Callable[[F], F] = click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )
    return deco


def lang_option(help: str | None = None, *, envvar: str | None = None) -> Callable[[F], F]:
    """``--lang en|zh`` (default en), optionally also read from ENVVAR."""
    deco: Callable[[F], F] = click.option(
        "--lang",
        type=click.Choice(list(LANGS)),
        default="en",
        show_default=True,
        envvar=envvar,
        help=help,
    )
    return deco
