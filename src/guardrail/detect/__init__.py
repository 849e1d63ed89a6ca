"""PII detection: one pattern catalog feeding a fast engine, column classification, table and
file scanning, and a Presidio adapter.

    >>> from guardrail.detect import scan_text
    >>> [(d.entity, d.start, d.end) for d in scan_text("手机13812345678，邮箱a.b@example.com")]
    [('PHONE_NUMBER', 2, 13), ('EMAIL_ADDRESS', 16, 31)]

Public API: :func:`scan_text` and :func:`scan_texts` (batch), :class:`Scanner`,
:func:`default_scanner`, :func:`classify_columns` / :func:`classify_table` (names, comments
and sampled values), :func:`scan_table` (pandas, Polars and Arrow frames) and
:func:`scan_array` (one Arrow column), :func:`scan_file` (streaming text, logs, CSV, JSON
Lines and Parquet; gzip), :func:`load_catalog`, :func:`load_presidio_yaml` and
:data:`ENTITIES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from guardrail.detect.catalog import Catalog, EntitySpec, load_catalog, load_presidio_yaml
from guardrail.detect.scanner import DEFAULT_MIN_SCORE, Language, Scanner
from guardrail.model.detection import Detection

if TYPE_CHECKING:
    from guardrail.detect.tables import ArrayScan, TableScan
    from guardrail.model.data import ColumnSample, TableSample
    from guardrail.model.detection import ColumnReport

__all__ = [
    "DEFAULT_MIN_SCORE",
    "ENTITIES",
    "Catalog",
    "EntitySpec",
    "Scanner",
    "classify_columns",
    "classify_table",
    "default_scanner",
    "load_catalog",
    "load_presidio_yaml",
    "scan_array",
    "scan_file",
    "scan_table",
    "scan_text",
    "scan_texts",
]


def __getattr__(name: str) -> Any:
    if name == "ENTITIES":
        return load_catalog().entity_names
    raise AttributeError(f"module 'guardrail.detect' has no attribute {name!r}")


@cache
def default_scanner() -> Scanner:
    """The shared scanner: the catalog's default entities, plugins loaded, NER if a spaCy
    model is installed."""
    return Scanner()


def scan_text(text: str, *, language: Language = None) -> list[Detection]:
    """Personal data in ``text``: detections with ``.entity``, ``.start``, ``.end``
    (character offsets, end exclusive) and ``.score``, sorted by start.

    ``language``: ``None`` (English and Chinese recognizers), ``"en"`` or ``"zh"`` (adds
    jieba's part-of-speech pass for Chinese names without cue words).
    """
    return default_scanner().scan(text, language=language)


def scan_texts(texts: Iterable[str], *, language: Language = None) -> list[list[Detection]]:
    """:func:`scan_text` for many texts at once (scanned as one batch: much faster than a
    loop for short texts such as records, messages or log lines)."""
    return default_scanner().scan_many(texts, language=language)


def classify_columns(
    table: str, columns: Iterable[ColumnSample], **kwargs: Any
) -> list[ColumnReport]:
    """Classify a table's columns from names and comments (English and Chinese), the table
    they sit in and their sampled values; see :mod:`guardrail.detect.columns`."""
    from guardrail.detect.columns import classify_columns as _classify

    return _classify(table, columns, **kwargs)


def classify_table(sample: TableSample, **kwargs: Any) -> list[ColumnReport]:
    """Classify every column of a sampled table (what the audit calls per table)."""
    from guardrail.detect.columns import classify_table as _classify

    return _classify(sample, **kwargs)


def scan_table(frame: Any, **kwargs: Any) -> TableScan:
    """Classify the columns of a pandas, Polars or Arrow frame; see
    :func:`guardrail.detect.tables.scan_table`."""
    from guardrail.detect.tables import scan_table as _scan

    return _scan(frame, **kwargs)


def scan_array(array: Any, **kwargs: Any) -> ArrayScan:
    """Detections in every value of one Arrow column; see
    :func:`guardrail.detect.tables.scan_array`."""
    from guardrail.detect.tables import scan_array as _scan

    return _scan(array, **kwargs)


def scan_file(path: Any, **kwargs: Any) -> Any:
    """Stream findings from a text, log, CSV, JSON Lines or Parquet file (gzip too); see
    :func:`guardrail.detect.stream.scan_file`."""
    from guardrail.detect.stream import scan_file as _scan

    return _scan(path, **kwargs)
