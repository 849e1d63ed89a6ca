"""Test helpers shipped for guardrail's own tests and for plugin authors.

The canary harness plants unique, *valid-looking* personal data (checksums pass, so detectors
fire) into inputs, then proves none of it appears in any output: stdout, stderr, log records,
exception messages, reprs or files written.

    canaries = Canaries(seed=7)
    value = canaries.cn_resident_id()
    ... plant value, run the code under test ...
    canaries.assert_absent(stdout, stderr, *files_under(out_dir))
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from guardrail.detect.validators import gb11643, luhn

__all__ = ["Canaries", "CanaryLeak", "capture_logs", "files_under"]

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


class CanaryLeak(AssertionError):
    """A planted value was found in an output. The message names where, not the value."""


@dataclass
class Canaries:
    """A set of unique planted values; every generator records what it returns."""

    seed: int = 0
    planted: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - reproducible test data  # noqa: S311 - reproducible test data, not keys

    def _keep(self, value: str) -> str:
        self.planted.append(value)
        return value

    def digits(self, n: int) -> str:
        return "".join(str(self._rng.randrange(10)) for _ in range(n))

    def cn_resident_id(self) -> str:
        born = date(1960, 1, 1) + timedelta(days=self._rng.randrange(40 * 365))
        body = f"110105{born:%Y%m%d}{self.digits(3)}"
        total = sum(int(c) * w for c, w in zip(body, _GB11643_WEIGHTS, strict=True))
        value = body + _GB11643_CHECK[total % 11]
        assert gb11643(value)
        return self._keep(value)

    def card(self, prefix: str = "4") -> str:
        body = prefix + self.digits(15 - len(prefix))
        for check in "0123456789":
            if luhn(body + check):
                return self._keep(body + check)
        raise AssertionError("unreachable: one check digit always satisfies Luhn")

    def cn_mobile(self) -> str:
        return self._keep("139" + self.digits(8))

    def email(self) -> str:
        return self._keep(f"canary.{self.digits(6)}@guardrail-canary.test")

    def name(self) -> str:
        return self._keep(
            "Zq" + "".join(self._rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(8)) + " Canary"
        )

    def secret(self, n: int = 32) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return self._keep("".join(self._rng.choice(alphabet) for _ in range(n)))

    def leaks(self, *outputs: str | bytes) -> list[tuple[int, str]]:
        """``(output index, which canary kind)`` for every planted value found."""
        found = []
        for i, out in enumerate(outputs):
            text = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
            for value in self.planted:
                if value in text:
                    found.append((i, _kind(value)))
        return found

    def assert_absent(self, *outputs: str | bytes, names: Iterable[str] | None = None) -> None:
        """Raise :class:`CanaryLeak` naming the output (never the value) that holds a canary."""
        labels = list(names) if names is not None else [f"output #{i}" for i in range(len(outputs))]
        leaks = self.leaks(*outputs)
        if leaks:
            where = ", ".join(f"{labels[i]} ({kind})" for i, kind in leaks)
            raise CanaryLeak(f"planted personal data leaked into: {where}")


def _kind(value: str) -> str:
    if "@" in value:
        return "e-mail"
    if value.endswith(" Canary"):
        return "name"
    if value.isdigit() and len(value) == 11:
        return "phone"
    if len(value) == 18 and gb11643(value):
        return "resident id"
    if value.isdigit():
        return "card"
    return "secret"


def files_under(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every file below ``root`` as ``(relative path, bytes)``."""
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        yield str(path.relative_to(root)), path.read_bytes()


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@contextmanager
def capture_logs() -> Iterator[list[str]]:
    """Capture every log record (any logger, DEBUG and up) as formatted text."""
    handler = _ListHandler()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
