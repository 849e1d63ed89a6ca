"""Data-source connectors, looked up by URL scheme through the ``guardrail.connectors`` group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guardrail import plugins
from guardrail.connectors.base import Connector, SourceSpec, TextChunk, redact_url, scheme_of
from guardrail.errors import ConnectorError, PluginError

__all__ = ["Connector", "SourceSpec", "TextChunk", "open_source", "redact_url", "scheme_of"]

_SQLITE_MAGIC = b"SQLite format 3\x00"


def open_source(url: str, *, base_dir: Path | None = None) -> Connector:
    """Open the data source at ``url`` (a connector URL or a local path) read-only."""
    spec = SourceSpec(url=url, base_dir=base_dir or Path())
    scheme = scheme_of(url)
    if scheme is None:
        path = (spec.base_dir / url) if not Path(url).is_absolute() else Path(url)
        scheme = "sqlite" if _is_sqlite(path) else "file"
        if scheme == "sqlite":
            spec = SourceSpec(url=f"sqlite:///{path}", base_dir=spec.base_dir)
    try:
        factory: Any = plugins.load("guardrail.connectors", scheme)
    except PluginError as exc:
        if "no plugin named" in exc.message:
            known = ", ".join(plugins.names("guardrail.connectors"))
            raise ConnectorError(
                f"no connector for '{scheme}://' URLs ({spec.display})",
                hint=f"use one of: {known}, or a file path",
            ) from None
        raise
    connector: Connector = factory(spec)
    return connector


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False
