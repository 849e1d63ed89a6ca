"""What an error message may repeat of a caller's input."""

from __future__ import annotations

import re

__all__ = ["shown"]

_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$")


def shown(text: object) -> str:
    """``text`` if it looks like an identifier we define (a purpose id, a notice version, a
    row key), else an ellipsis. Phone, ID and card numbers (long digit runs), e-mails and names
    never qualify, so a message cannot leak one that was typed in the wrong place.

    >>> shown("marketing"), shown("2026-03"), shown("13912345678"), shown("a@b.cn")
    ('marketing', '2026-03', '…', '…')
    """
    value = str(text)
    if _IDENTIFIER.match(value) and sum(c.isdigit() for c in value) <= 8:
        return value
    return "…"
