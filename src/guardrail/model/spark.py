"""Value objects of the Spark integration: a data source named by a ``spark:`` URL.

``spark:KIND:LOCATION`` names what Spark reads — ``parquet``, ``orc``, ``json`` (JSON Lines)
or ``csv`` (with a header row) files at a path or glob (local, ``hdfs://``, ``s3a://`` ...),
a catalog ``table`` (``db.table``) or every table of a ``database``. The Spark *master* is
not part of the source: it comes from ``--spark-master``, ``GUARDRAIL_SPARK_MASTER`` or
``spark-submit``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from guardrail.model._base import ValueObject

__all__ = ["FILE_KINDS", "SparkSource", "SparkSourceKind"]

SparkSourceKind = Literal["parquet", "orc", "json", "csv", "table", "database"]
#: Kinds that name files (a path or glob) rather than catalog objects.
FILE_KINDS: frozenset[str] = frozenset({"parquet", "orc", "json", "csv"})


class SparkSource(ValueObject):
    """A parsed ``spark:KIND:LOCATION`` URL. ``location`` is a path (resolved against the
    folder the URL was given relative to), a table name or a database name."""

    kind: SparkSourceKind
    location: Annotated[str, StringConstraints(min_length=1, max_length=4096)]

    @property
    def url(self) -> str:
        return f"spark:{self.kind}:{self.location}"

    @property
    def is_files(self) -> bool:
        return self.kind in FILE_KINDS
