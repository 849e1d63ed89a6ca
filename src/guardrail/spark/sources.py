"""``spark:KIND:LOCATION`` URLs: parsing, reading them as DataFrames, listing their tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from guardrail.errors import ConnectorError
from guardrail.model.spark import SparkSource, SparkSourceKind
from guardrail.spark.session import spark_errors

__all__ = ["SparkTableRef", "parse_source", "read_source", "table_name_of", "tables_of"]

_KINDS = get_args(SparkSourceKind)
_HINT = (
    "use spark:parquet:PATH, spark:orc:PATH, spark:json:PATH, spark:csv:PATH, "
    "spark:table:DB.TABLE or spark:database:DB"
)
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def parse_source(url: str, *, base_dir: Path | None = None) -> SparkSource:
    """Parse a ``spark:KIND:LOCATION`` URL; relative local paths are resolved against
    ``base_dir`` (default: the current folder). Errors are
    :class:`~guardrail.errors.ConnectorError` naming the URL and the accepted forms."""
    if url.startswith("spark://"):
        raise ConnectorError(
            f"'{url}' is a Spark master URL, not a data source",
            hint="pass it with --spark-master and name the data as spark:parquet:PATH or "
            "spark:table:DB.TABLE",
        )
    head, sep, rest = url.partition(":")
    if head.lower() != "spark" or not sep:
        raise ConnectorError(f"'{url}' is not a spark: URL", hint=_HINT)
    kind, sep, location = rest.partition(":")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        raise ConnectorError(f"unknown Spark source kind '{kind}' in '{url}'", hint=_HINT)
    location = location.strip()
    if not sep or not location:
        raise ConnectorError(f"'{url}' names no {_what(kind)}", hint=_HINT)
    if kind in ("parquet", "orc", "json", "csv"):
        if location.startswith("file:") and not location.startswith("file://"):
            location = location[len("file:") :]
        if not _URL_SCHEME.match(location) and not Path(location).is_absolute():
            location = str((base_dir or Path()).joinpath(location).absolute())
    elif not re.fullmatch(r"[A-Za-z0-9_`.\-]+", location):
        raise ConnectorError(
            f"'{location}' is not a {_what(kind)} name",
            hint="catalog names are letters, digits, underscores and dots",
        )
    try:
        return SparkSource(kind=kind, location=location)
    except ValidationError:
        raise ConnectorError(f"'{url}' is not a valid spark: URL", hint=_HINT) from None


def _what(kind: str) -> str:
    return {"table": "table", "database": "database"}.get(kind, "path")


@dataclass(frozen=True)
class SparkTableRef:
    """One table of a Spark source: its display name, the name classification reads (a
    file's stem or a table's own name) and how to read it."""

    display: str
    name: str
    kind: str
    location: str
    comment: str | None = None


def table_name_of(source: SparkSource) -> str:
    """The name a table's rows are classified under: a file's stem ("customers.parquet" ->
    customers, like ``guardrail scan`` on a file), a folder's name, or a table's name."""
    if source.is_files:
        last = source.location.rstrip("/").rsplit("/", 1)[-1]
        stem = last.split(".", 1)[0]
        return stem if stem and not any(c in stem for c in "*?[{") else "table"
    return source.location.rsplit(".", 1)[-1].strip("`")


def tables_of(source: SparkSource, spark: Any, display: str) -> list[SparkTableRef]:
    """The tables a source names: one for files and tables, every table of a database."""
    if source.kind != "database":
        comment = None
        if source.kind == "table":
            with spark_errors(display):
                comment = _table_comment(spark, source.location)
        return [
            SparkTableRef(display, table_name_of(source), source.kind, source.location, comment)
        ]
    with spark_errors(display):
        listed = spark.catalog.listTables(source.location)
    out = []
    for t in sorted(listed, key=lambda t: t.name):
        if getattr(t, "isTemporary", False):
            continue
        full = f"{source.location}.{t.name}"
        out.append(SparkTableRef(full, t.name, "table", full, t.description or None))
    return out


def _table_comment(spark: Any, name: str) -> str | None:
    try:
        tables = spark.catalog.listTables(name.rsplit(".", 1)[0]) if "." in name else []
    except Exception:  # noqa: BLE001 - a comment is optional
        return None
    short = name.rsplit(".", 1)[-1]
    return next((t.description or None for t in tables if t.name == short), None)


def read_source(spark: Any, table: SparkTableRef) -> Any:
    """The table as a DataFrame (lazy: nothing is read until a job runs)."""
    with spark_errors(table.display):
        if table.kind == "table":
            return spark.table(table.location)
        reader = spark.read
        if table.kind == "csv":
            return reader.option("header", "true").csv(table.location)
        if table.kind == "json":
            return reader.json(table.location)
        if table.kind == "orc":
            return reader.orc(table.location)
        return reader.parquet(table.location)
