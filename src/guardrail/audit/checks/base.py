"""The check API: what an automated control check receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from guardrail.audit.manifest import LoadedStack
from guardrail.model._base import ValueObject
from guardrail.model.audit import Evidence, EvidenceFact, Target
from guardrail.model.common import LocalizedText, Severity
from guardrail.model.facts import Facts

__all__ = ["CheckContext", "CheckFn", "Outcome", "fact", "text"]


class Outcome(ValueObject):
    """The verdict of a check for one target.

    ``loc`` is the manifest path the verdict is about (for file:line in reports and SARIF);
    ``frameworks`` narrows which laws the verdict concerns (e.g. a PRC outbound transfer);
    ``severity`` overrides the control's default for this target.
    """

    target: Target
    passed: bool
    message: LocalizedText
    evidence: tuple[Evidence, ...] = ()
    loc: tuple[str | int, ...] = ()
    frameworks: frozenset[str] | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class CheckContext:
    facts: Facts
    loaded: LoadedStack
    frameworks: frozenset[str]
    at: datetime

    def applies(self, framework: str) -> bool:
        return framework in self.frameworks


CheckFn = Callable[[CheckContext], list[Outcome]]


def text(en: str, zh: str) -> LocalizedText:
    return LocalizedText(en=en, zh=zh)


def fact(name: str, value: int | float | str | bool | None) -> EvidenceFact:
    return EvidenceFact(name=name, value=value)
