"""Console output: rich tables on a terminal, plain text otherwise, progress bars on a TTY."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["UI"]


@dataclass
class UI:
    quiet: bool = False
    verbose: bool = False
    color: bool = True
    _out: Any = field(default=None, repr=False)
    _err: Any = field(default=None, repr=False)

    @property
    def out(self) -> Any:
        if self._out is None:
            from rich.console import Console

            self._out = Console(
                no_color=not self.color,
                highlight=False,
                soft_wrap=False,
                emoji=False,
                width=None if sys.stdout.isatty() else 120,
            )
        return self._out

    @property
    def err(self) -> Any:
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True, no_color=not self.color, highlight=False, emoji=False)
        return self._err

    def info(self, message: str) -> None:
        """Progress and summary lines on stderr; silenced by --quiet."""
        if not self.quiet:
            self.err.print(message, markup=False, soft_wrap=True)

    def problem(self, message: str) -> None:
        """A problem the user must see (an input that failed, an incomplete run): on stderr even
        under --quiet, one line however long (never hard-wrapped, so CI logs stay greppable)."""
        self.err.print(message, markup=False, soft_wrap=True)

    def print(self, renderable: Any) -> None:
        # Lines of text are never hard-wrapped, so they stay greppable in CI logs.
        self.out.print(renderable, soft_wrap=isinstance(renderable, str))

    def raw(self, text: str) -> None:
        """Write machine output (JSON, JSONL ...) to stdout unchanged."""
        sys.stdout.write(text)
        sys.stdout.flush()

    @contextmanager
    def progress(self, description: str) -> Iterator[Callable[[str, int, int], None]]:
        """A progress callback; draws a bar only when stderr is a terminal."""
        if self.quiet or not sys.stderr.isatty():
            yield lambda _d, _n, _t: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=None)

            def update(desc: str, done: int, total: int) -> None:
                bar.update(task, description=desc, completed=done, total=total or None)

            yield update
