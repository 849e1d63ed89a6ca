"""``spark:`` sources as a guardrail connector (entry point ``guardrail.connectors: spark``).

``spark:parquet:PATH``, ``spark:orc:PATH``, ``spark:json:PATH``, ``spark:csv:PATH`` (with a
header row), ``spark:table:DB.TABLE`` and ``spark:database:DB`` (every table). The connector
protocol gives audits what they need — tables with column comments, row samples, retention
probes (a distributed ``count(*)``) — and :meth:`SparkConnector.scan_in_place` gives
``guardrail scan`` the distributed scan, where only masked findings and column reports come
back to the driver. The Spark session starts on first use (``GUARDRAIL_SPARK_MASTER``, or
``spark-submit``'s), and is left running on :meth:`~SparkConnector.close` (it may be the
caller's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from guardrail.connectors.base import SampleStrategy, SamplingPlan, SourceSpec, TextChunk
from guardrail.errors import ConnectorError, GuardrailError
from guardrail.model.data import ColumnInfo, ColumnSample, TableInfo, TableSample
from guardrail.model.detection import ColumnReport
from guardrail.model.scan import Finding
from guardrail.spark.session import Progress, get_session, spark_errors
from guardrail.spark.sources import SparkTableRef, parse_source, read_source, tables_of

__all__ = ["SparkConnector"]


class SparkConnector:
    """Tables read by Spark. Read-only: nothing is ever written."""

    def __init__(self, spec: SourceSpec, *, master: str | None = None) -> None:
        self._display = spec.display
        self.source = parse_source(spec.url, base_dir=spec.base_dir)
        self._master = master
        self._spark: Any = None
        self._refs: list[SparkTableRef] | None = None

    @property
    def display(self) -> str:
        return self._display

    @property
    def spark(self) -> Any:
        if self._spark is None:
            self._spark = get_session(self._master)
        return self._spark

    def refs(self) -> list[SparkTableRef]:
        if self._refs is None:
            self._refs = tables_of(self.source, self.spark, self._display)
            if not self._refs:
                raise ConnectorError(f"{self._display} holds no tables", hint="check the name")
        return self._refs

    def _ref(self, table: TableInfo) -> SparkTableRef:
        for ref in self.refs():
            if ref.display == table.name:
                return ref
        raise ConnectorError(f"no table named {table.name} in {self._display}")

    def frame(self, table: TableInfo | SparkTableRef) -> Any:
        """The table as a Spark DataFrame."""
        ref = table if isinstance(table, SparkTableRef) else self._ref(table)
        return read_source(self.spark, ref)

    # -- the connector protocol ---------------------------------------------------------------

    def tables(self) -> list[TableInfo]:
        out = []
        for ref in self.refs():
            df = read_source(self.spark, ref)
            cols = tuple(
                ColumnInfo(
                    name=f.name,
                    type=f.dataType.simpleString(),
                    comment=_comment(f),
                    nullable=bool(f.nullable),
                )
                for f in df.schema.fields
            )
            out.append(TableInfo(name=ref.display, columns=cols, comment=ref.comment))
        return out

    def sample(
        self, table: TableInfo, *, limit: int = 1000, strategy: SampleStrategy = "first"
    ) -> TableSample:
        """Up to ``limit`` rows as strings, sampled in Spark (``random``: the seeded rows
        :func:`guardrail.spark.scan_dataframe` would scan)."""
        from guardrail.spark.scan import sample_strings

        ref = self._ref(table)
        with spark_errors(ref.display):
            data = sample_strings(self.frame(ref), limit=limit, strategy=strategy)
        comments = {c.name: c.comment for c in table.columns}
        columns = tuple(
            ColumnSample(name=n, values=v, comment=comments.get(n)) for n, v in data.items()
        )
        return TableSample(
            table=table.name, columns=columns, row_count=table.row_count, strategy=strategy
        )

    def count_older_than(self, table: TableInfo, column: str, cutoff: datetime) -> int:
        """Rows whose ``column`` (a timestamp, a date or ISO text) is before ``cutoff``:
        a ``count(*)`` Spark runs where the data is."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        ref = self._ref(table)
        df = self.frame(ref)
        field = next((f for f in df.schema.fields if f.name == column), None)
        if field is None:
            raise ConnectorError(
                f"{ref.display} has no column '{column}'", hint="check the timestamp_field"
            )
        col = F.col("`" + column.replace("`", "``") + "`")
        if isinstance(field.dataType, T.StringType):
            col = F.try_to_timestamp(col)  # text that is not a timestamp counts as not older
        elif not isinstance(field.dataType, T.TimestampType | T.TimestampNTZType | T.DateType):
            raise ConnectorError(
                f"{ref.display}.{column} is not a timestamp, date or text column",
                hint="point timestamp_field at the column recording when a row was created",
            )
        with spark_errors(ref.display):
            return int(df.where(col < F.lit(cutoff)).count())

    def texts(self) -> Iterator[TextChunk]:
        return iter(())

    def close(self) -> None:
        return None

    # -- scanning where the data is -----------------------------------------------------------

    def scan_in_place(
        self,
        plan: SamplingPlan,
        *,
        scanner: Any = None,
        language: Any = None,
        min_score: float | None = None,
        findings: bool = True,
        progress: Progress | None = None,
        errors: Callable[[str], None] | None = None,
        master: str | None = None,
    ) -> Iterator[Finding | ColumnReport]:
        """``guardrail scan``'s records for every table: findings with masked previews
        (unless ``findings`` is false), then column reports, computed on the executors. A
        table that fails is reported through ``errors`` (the scan goes on: an incomplete
        run); without it, the error is raised. ``master``: the Spark master, if the session
        is not running yet."""
        from guardrail.spark.scan import scan_findings

        if master is not None:
            self._master = master
        refs = self.refs()
        entities = tuple(scanner.entities) if scanner is not None else None
        for ref in refs:
            limit = plan.limit_for(ref.display)
            if limit <= 0:
                continue
            try:
                df = self.frame(ref)
            except GuardrailError as exc:
                # One named table or path that cannot be read is a bad source (exit 2);
                # one table of a database is an incomplete run.
                if errors is None or self.source.kind != "database":
                    raise
                errors(exc.message)
                continue
            try:
                yield from scan_findings(
                    df,
                    source=self._display,
                    table=ref.display,
                    name=ref.name,
                    entities=entities,
                    sample=limit,
                    strategy=plan.strategy,
                    min_score=min_score,
                    findings=findings,
                    table_comment=ref.comment,
                    language=language,
                    progress=progress,
                )
            except GuardrailError as exc:
                if errors is None:
                    raise
                errors(exc.message)

    def __repr__(self) -> str:
        return f"SparkConnector({self._display!r})"


def _comment(field: Any) -> str | None:
    meta = field.metadata.get("comment") if field.metadata else None
    return str(meta) if meta else None
