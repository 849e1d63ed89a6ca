"""Splitting identifiers (column and field names) into comparable tokens."""

from __future__ import annotations

import re

__all__ = ["name_matches", "name_tokens"]

_SPLIT = re.compile(r"[^A-Za-z0-9\u3400-\u9fff]+|(?<=[a-z0-9])(?=[A-Z])")
_CJK = re.compile(r"[\u3400-\u9fff]")


def name_tokens(name: str) -> frozenset[str]:
    """Lower-case words of ``name`` plus joined neighbours: ``cardExpiryDate`` gives
    ``card``, ``expiry``, ``date``, ``card_expiry``, ``expiry_date``, ``card_expiry_date``."""
    parts = [p.lower() for p in _SPLIT.split(name) if p]
    tokens = set(parts)
    tokens.update("_".join(parts[i : i + 2]) for i in range(len(parts) - 1))
    tokens.add("_".join(parts))
    return frozenset(tokens)


def name_matches(name: str, words: tuple[str, ...] | list[str]) -> str | None:
    """The first of ``words`` that names ``name``: a whole token for Latin words, a substring
    for Chinese ones (Chinese identifiers have no separators)."""
    tokens = name_tokens(name)
    for w in words:
        if _CJK.search(w):
            if w in name:
                return w
        elif w.lower() in tokens:
            return w
    return None
