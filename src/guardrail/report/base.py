"""The reporter protocol: every format renders from the canonical :class:`AuditResult`."""

from __future__ import annotations

from typing import Protocol

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang

__all__ = ["Reporter"]


class Reporter(Protocol):
    """Renders an audit result to bytes. Registered in the ``guardrail.reporters`` group."""

    #: File name suffix, e.g. ``.json``.
    suffix: str

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes: ...
