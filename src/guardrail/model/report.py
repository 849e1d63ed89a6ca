"""What verifying a signed report established (returned by ``guardrail.report.verify_report``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from guardrail.model._base import ValueObject

__all__ = ["InputCheck", "ReportSignature"]


class ReportSignature(ValueObject):
    """A report whose detached signature verified: which bytes, signed by which key."""

    report: str
    signature: str
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size: int
    kid: str
    alg: Literal["EdDSA", "ES256"]


class InputCheck(ValueObject):
    """One input named in a JSON report, re-hashed: does the file still match the report?"""

    path: str
    expected: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    actual: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None

    @property
    def ok(self) -> bool:
        return self.actual == self.expected
