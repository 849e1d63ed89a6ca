"""guardrail on Apache Spark: PII discovery and DP aggregation over DataFrames (``spark`` extra).

* :func:`scan_dataframe` / :func:`classify_columns` — :func:`guardrail.detect.scan_table`
  for a Spark DataFrame: the fast engine runs in ``mapInArrow`` on the executors, sampling
  runs in Spark, and the column reports (and per-cell detections) equal the single-machine
  results on the same rows. :func:`scan_findings` yields what ``guardrail scan`` prints.
* :func:`run_query` / :class:`SparkTable` — :func:`guardrail.privacy.run_query` on a
  DataFrame: contribution bounding on the executors (rows hashed by the privacy unit), the
  same exact noise-free totals as on one machine, noise and the ledger on the driver.
* :func:`get_session` — the running session (``spark-submit``, a notebook) or a new one;
  :class:`SparkConnector` — ``spark:parquet:PATH`` / ``spark:table:DB.TABLE`` sources for
  ``guardrail scan`` and audits.

This package is the only one that imports PySpark, and only when a function is called:
``import guardrail.spark`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardrail.spark.connector import SparkConnector
    from guardrail.spark.dp import SparkQueryPlan, SparkTable, run_query
    from guardrail.spark.scan import classify_columns, scan_dataframe, scan_findings
    from guardrail.spark.session import get_session
    from guardrail.spark.sources import parse_source

__all__ = [
    "SparkConnector",
    "SparkQueryPlan",
    "SparkTable",
    "classify_columns",
    "get_session",
    "parse_source",
    "run_query",
    "scan_dataframe",
    "scan_findings",
]

_LAZY = {
    "SparkConnector": "guardrail.spark.connector",
    "SparkQueryPlan": "guardrail.spark.dp",
    "SparkTable": "guardrail.spark.dp",
    "run_query": "guardrail.spark.dp",
    "classify_columns": "guardrail.spark.scan",
    "scan_dataframe": "guardrail.spark.scan",
    "scan_findings": "guardrail.spark.scan",
    "get_session": "guardrail.spark.session",
    "parse_source": "guardrail.spark.sources",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrail.spark' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
