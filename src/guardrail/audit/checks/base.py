"""The check API: what an automated control check receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from guardrail.audit.manifest import LoadedStack
from guardrail.model._base import ValueObject
from guardrail.model.audit import Evidence, EvidenceFact, Target
from guardrail.model.common import LocalizedText, Severity
from guardrail.model.facts import Facts

__all__ = ["CheckContext", "CheckFn", "Loc", "Outcome", "Problems", "fact", "text", "verdict"]

# A manifest path: keys and list indexes from the document root.
Loc = tuple[str | int, ...]


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
    loc: Loc = ()
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


@dataclass
class Problems:
    """What a check found wrong with one target, kept in step in English and Chinese."""

    en: list[str] = field(default_factory=list)
    zh: list[str] = field(default_factory=list)

    def add(self, en: str, zh: str) -> None:
        self.en.append(en)
        self.zh.append(zh)

    def __bool__(self) -> bool:
        return bool(self.en)

    def failure(
        self, head_en: str, head_zh: str, tail_en: str = "", tail_zh: str = ""
    ) -> LocalizedText | None:
        """``head``, every problem as one sentence, then ``tail``; None when nothing is wrong."""
        if not self:
            return None
        return text(
            head_en + "; ".join(self.en) + "." + tail_en,
            head_zh + "；".join(self.zh) + "。" + tail_zh,
        )


def verdict(
    target: Target,
    loc: Loc,
    *,
    failure: LocalizedText | None,
    success: LocalizedText,
    evidence: tuple[Evidence, ...] = (),
    frameworks: frozenset[str] | None = None,
) -> Outcome:
    """The outcome for ``target``: failed with ``failure`` when there is one, else passed."""
    return Outcome(
        target=target,
        passed=failure is None,
        loc=loc,
        message=success if failure is None else failure,
        evidence=evidence,
        frameworks=frameworks,
    )
