"""Base class for every value object that crosses a boundary."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ValueObject"]


class ValueObject(BaseModel):
    """Frozen, strict-keyed pydantic model.

    ``hide_input_in_errors`` keeps validated *values* (which may be personal data) out of
    ``ValidationError`` messages; only locations and types are reported.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        str_strip_whitespace=False,
        validate_default=True,
    )
