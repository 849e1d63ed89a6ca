"""Report renderers. JSON is canonical; every other format renders from the same result."""

from __future__ import annotations

from typing import cast

from guardrail import plugins
from guardrail.report.base import Reporter

__all__ = ["Reporter", "formats", "reporter"]


def formats() -> list[str]:
    return plugins.names("guardrail.reporters")


def reporter(fmt: str) -> Reporter:
    """The reporter registered for ``fmt`` (``json``, ``html`` ...)."""
    factory = plugins.load("guardrail.reporters", fmt)
    return cast(Reporter, factory())
