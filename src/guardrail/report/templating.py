"""The jinja2 environment for reports: autoescape, StrictUndefined, bundled templates."""

from __future__ import annotations

from functools import cache

import jinja2

from guardrail.resources import data_dir

__all__ = ["environment"]


def _load(name: str) -> str:
    return data_dir("templates").joinpath(name).read_text("utf-8")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env
