"""Small helpers: bilingual text, tri-state logic, deterministic CACAO-style identifiers."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from guardrail.model.common import LocalizedText

__all__ = ["T", "all3", "any3", "stable_uuid"]


def T(en: str, zh: str) -> LocalizedText:
    return LocalizedText(en=en, zh=zh)


def any3(values: Iterable[bool | None]) -> bool | None:
    """Kleene OR: True if any is True, None if any is unknown, else False."""
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def all3(values: Iterable[bool | None]) -> bool | None:
    """Kleene AND: False if any is False, None if any is unknown, else True."""
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def stable_uuid(*parts: str) -> str:
    """A UUID in version-4 form derived from ``parts``: the same inputs give the same id, so
    a regenerated playbook is byte-identical (CACAO requires v4-shaped step identifiers)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
