"""DP aggregation on Spark DataFrames: the bounding on the executors, noise and ledger here.

:class:`SparkTable` wraps a DataFrame so that :func:`guardrail.privacy.run_query` (and
:func:`run_query` below) answer a :class:`~guardrail.model.privacy.QuerySpec` on it with the
same bounding, calibration, noise, ledger and :class:`~guardrail.model.privacy.Release` as on
a single machine. :class:`SparkQueryPlan` is the single-machine
:class:`~guardrail.privacy.aggregate.QueryPlan` whose noise-free steps run on Spark:

* the rows are hash-partitioned by the privacy unit into *shards* (each holds every row of
  its users, in row order) and, when the query needs more than one pass, cached;
* for each noise-free step (phase-1 histograms, partition-selection counts, norm histograms,
  bounded totals and bias totals) every shard runs the single-machine plan on its rows
  (:mod:`guardrail.spark._dp_worker`) and returns integer grid units, which Spark adds up —
  exactly, so the driver gets the very totals the single-machine path computes;
* the driver keeps what needs privacy: the budget split, automatic bounds from noisy
  histograms, partition selection, OpenDP's noise, and the ledger's reserve/commit.

Only per-partition totals and histograms (small, integer) travel to the driver; rows and
per-user values stay on the executors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial, reduce
from typing import TYPE_CHECKING, Any

import numpy as np

from guardrail.errors import GuardrailError, InputError, RuleExecutionError, UsageError
from guardrail.model.privacy import KeyValue, QuerySpec, Release
from guardrail.privacy.aggregate import Progress, QueryPlan, _Auto, _Block, _noop, _sort_key
from guardrail.privacy.frame import Frame, key_value
from guardrail.spark import _dp_worker as worker
from guardrail.spark.session import spark_errors, track_jobs

if TYPE_CHECKING:
    from guardrail.privacy.ledger import Ledger

__all__ = ["SparkQueryPlan", "SparkTable", "run_query"]

#: The column numbering rows in the DataFrame's order (partition << 33 | position).
ROW = "__guardrail_row__"


class SparkTable:
    """A Spark DataFrame as the input of a DP query.

    ``shards``: Spark partitions the users are hashed into (default: twice the cluster's
    default parallelism); each shard must fit in one Python worker's memory. ``name``: how
    errors name the table.
    """

    def __init__(self, df: Any, *, shards: int | None = None, name: str = "DataFrame") -> None:
        if shards is not None and (isinstance(shards, bool) or shards < 1):
            raise UsageError(f"shards must be a positive number, not {shards}")
        self.df = df
        self.shards = shards
        self.name = name

    def plan_dp_query(self, spec: QuerySpec, progress: Progress) -> SparkQueryPlan:
        """The hook :func:`guardrail.privacy.plan_query` calls."""
        return SparkQueryPlan(self, spec, progress)

    def __repr__(self) -> str:
        return f"SparkTable({self.name!r}, columns={list(self.df.columns)!r})"


def run_query(
    df: Any,
    spec: QuerySpec,
    *,
    ledger: Ledger,
    at: datetime,
    source: str = "",
    fresh: bool = False,
    progress: Progress | None = None,
    shards: int | None = None,
) -> Release:
    """:func:`guardrail.privacy.run_query` on a Spark DataFrame (or a :class:`SparkTable`):
    same spec, same ledger protocol (answered from the ledger when asked again unless
    ``fresh``), same :class:`~guardrail.model.privacy.Release`."""
    from guardrail.privacy import run_query as _run_query

    table = df if isinstance(df, SparkTable) else SparkTable(df, shards=shards)
    return _run_query(
        table, spec, ledger=ledger, at=at, source=source, fresh=fresh, progress=progress
    )


class SparkQueryPlan(QueryPlan):
    """A :class:`~guardrail.privacy.aggregate.QueryPlan` whose data steps run on Spark.

    Preparing it reads the schema and, for a private partition selection, the distinct
    group-by keys (one Spark job). Everything else happens in :meth:`release`, after the
    ledger reserved the budget: one Spark pass per noise-free step the query needs.
    """

    def __init__(self, table: SparkTable, spec: QuerySpec, progress: Progress) -> None:
        from pyspark.sql import functions as F

        self._table = table
        self._spark = table.df.sparkSession
        self._cache: dict[tuple[str, int], np.ndarray] = {}
        self._released_parts: np.ndarray | None = None
        self._candidates: list[tuple[KeyValue, ...]] | None = None
        self._progress = progress
        self._shuffled: Any = None
        self._persisted = False
        df = table.df
        names = list(df.columns)
        for col in _needed(spec):
            if col not in names:
                known = ", ".join(sorted(names)[:20])
                raise InputError(f"no column named '{col}'", hint=f"the table has: {known}")
        if ROW in names or worker.PART in names:
            raise InputError(f"the DataFrame has a column named '{ROW}' or '{worker.PART}'")
        private = spec.partitions is not None and spec.partitions.private is not None
        progress("reading the schema", 0, 3)
        with spark_errors(table.name):
            selected = df.select(*[_col(c) for c in _needed(spec)])
            empty = _empty_arrow(selected)
            # Row numbers first: they keep the table's order through the joins and shuffles.
            data = selected.withColumn(ROW, F.monotonically_increasing_id())
            if private:
                progress("finding candidate partitions", 1, 3)
                data = self._encode_candidates(data, spec)
            self._data = data
        super().__init__(Frame(empty), spec, progress)

    # -- preparation --------------------------------------------------------------------------

    def _encode_candidates(self, selected: Any, spec: QuerySpec) -> Any:
        """Every key present in the data is a candidate: collect them (sorted by key, the
        order releases list them in) and number each row's key with a broadcast join."""
        import pyarrow as pa
        from pyspark.sql import functions as F

        keys = list(spec.group_by)
        complete = reduce(lambda a, b: a & b, [F.col(_q(k)).isNotNull() for k in keys])
        found = selected.select(*[_col(k) for k in keys]).where(complete).distinct().toArrow()
        tuples = [
            tuple(key_value(found.column(k)[i].as_py()) for k in keys)
            for i in range(found.num_rows)
        ]
        order = sorted(range(len(tuples)), key=lambda i: _sort_key(tuples[i]))
        self._candidates = [tuples[i] for i in order]
        codes = np.empty(len(order), dtype=np.int64)
        codes[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int64)
        numbered = found.append_column(worker.PART, pa.array(codes, pa.int64()))
        lookup = self._spark.createDataFrame(numbered)
        joined = selected.join(F.broadcast(lookup), keys, "left")
        return joined.select(
            *[_col(c) for c in _needed(spec) if c not in keys],
            F.col(ROW),
            F.coalesce(F.col(worker.PART), F.lit(-1)).alias(worker.PART),
        )

    def _partitions(self, frame: Frame) -> tuple[np.ndarray, list[tuple[KeyValue, ...]], bool]:
        if self._candidates is None:
            return super()._partitions(frame)
        return np.zeros(0, dtype=np.int64), [()] * len(self._candidates), False

    def _key_of(self, part: int) -> tuple[KeyValue, ...]:
        if self._candidates is None:
            return super()._key_of(part)
        return self._candidates[part]

    # -- the release --------------------------------------------------------------------------

    def release(
        self,
        *,
        release_id: str,
        query_digest: str,
        source: str,
        at: datetime,
        progress: Progress | None = None,
    ) -> Release:
        """:meth:`QueryPlan.release`, its noise-free steps on Spark; the shuffled rows are
        cached for the duration when the query needs more than one pass."""
        self._progress = progress or _noop
        try:
            return super().release(
                release_id=release_id,
                query_digest=query_digest,
                source=source,
                at=at,
                progress=progress,
            )
        finally:
            if self._persisted:
                self._shuffled.unpersist()
                self._persisted = False

    def passes(self) -> int:
        """Spark passes :meth:`release` will make (each a shuffle-free job once cached)."""
        pre = 1 if QueryPlan._pre_autos(self) else 0
        private = self.spec.partitions is not None and self.spec.partitions.private is not None
        norms = any(b.agg.norm_bound is None and b.derived_bound is None for b in self._blocks)
        return pre + (1 if private else 0) + (1 if norms else 0) + 1

    def _shards(self) -> Any:
        if self._shuffled is None:
            from pyspark import StorageLevel

            spark = self._spark
            n = self._table.shards or max(2 * spark.sparkContext.defaultParallelism, 1)
            user = _col(self.spec.user_column)
            # Each shard restores the table's row order itself (numpy argsort on the row
            # ids is cheaper than a Spark sort).
            shuffled = self._data.repartition(n, user)
            if self.passes() > 1:
                shuffled = shuffled.persist(StorageLevel.MEMORY_AND_DISK)
                self._persisted = True
            self._shuffled = shuffled
        return self._shuffled

    def _round(self, job: worker.RoundJob, label: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Run one noise-free step on every shard; the exact sums per request."""
        from pyspark.sql import functions as F

        data = self._shards()
        watch = None if self._progress is _noop else self._progress
        with spark_errors(self._table.name), track_jobs(self._spark, label, watch):
            out = data.mapInArrow(partial(worker.run_round, job=job), worker.OUTPUT_DDL)
            summed = (
                out.groupBy("req", "idx")
                .agg(F.sum("units").alias("units"), F.max("error").alias("error"))
                .toArrow()
            )
        return _sums(summed)

    def _state(self) -> tuple[worker.BlockState, ...]:
        return tuple(
            worker.BlockState(
                scale=float(b.scale),
                bound=None if b.bound is None else float(b.bound),
                edges=None if b.edges is None else tuple(float(x) for x in b.edges),
            )
            for b in self._blocks
        )

    def _job(self, kind: worker.RoundKind, **kw: Any) -> worker.RoundJob:
        released = None
        if self._released_parts is not None:
            released = tuple(int(p) for p in self._released_parts)
        return worker.RoundJob(
            spec=self.spec,
            kind=kind,
            row_column=ROW,
            n_candidates=None if self._candidates is None else len(self._candidates),
            blocks=self._state(),
            released=released,
            **kw,
        )

    # -- the noise-free steps, on Spark -------------------------------------------------------

    def _pre_autos(self) -> list[_Auto]:
        autos = super()._pre_autos()
        if autos:
            sums = self._round(self._job("pre"), "phase-1 histograms on Spark")
            for i, a in enumerate(autos):
                self._cache[("auto", id(a))] = _dense(sums.get(i), a.edges.size - 1)
        return autos

    def _histogram_units(self, a: _Auto) -> tuple[np.ndarray, float]:
        units = self._cache.get(("auto", id(a)))
        if units is None:  # pragma: no cover - every auto is computed when it is created
            raise RuleExecutionError(f"no Spark result for '{a.name}'")
        grid = 1.0 if a.weights is None else _unit_grid()
        return units, grid

    def _selection_counts(self, k: int) -> np.ndarray:
        sums = self._round(self._job("select", k=k), "partition selection on Spark")
        return _dense(sums.get(0), self._pairs.n_parts)

    def _select(self, share: float, out: Any) -> Any:
        released, selection = super()._select(share, out)
        self._released_parts = np.asarray(released, dtype=np.int64)
        return released, selection

    def _norm_auto(self, b: _Block, pair_in: np.ndarray) -> _Auto:
        # The driver holds no pairs: the histogram comes from the shards (released
        # partitions: self._released_parts); the base class supplies edges and the decision.
        auto = super()._norm_auto(b, np.ones(self._pairs.n_pairs, dtype=bool))
        key = ("norm", _block_index(self._blocks, b))
        if key not in self._cache:
            wanted = [
                x.agg.name
                for x in self._blocks
                if x.agg.norm_bound is None
                and x.derived_bound is None
                and ("norm", _block_index(self._blocks, x)) not in self._cache
            ]
            if b.agg.name not in wanted:
                wanted.append(b.agg.name)
            sums = self._round(
                self._job("norms", names=tuple(wanted)), "contribution norms on Spark"
            )
            for i, name in enumerate(wanted):
                j = next(n for n, x in enumerate(self._blocks) if x.agg.name == name)
                self._cache[("norm", j)] = _dense(sums.get(i), auto.edges.size - 1)
        self._cache[("auto", id(auto))] = self._cache[key]
        return auto

    def _totals(self) -> None:
        if ("totals", 0) in self._cache:
            return
        sums = self._round(self._job("totals"), "bounded totals on Spark")
        self._cache[("totals", 0)] = np.zeros(0)
        for i, b in enumerate(self._blocks):
            size = self._pairs.n_parts * (b.n_bins if b.edges is not None else 1)
            stats = 1 if b.edges is not None else len(b.stats)
            for s in range(stats):
                key = worker.totals_key(i, s)
                self._cache[("block", key)] = _dense(sums.get(key), size)
            if b.raw is not None:
                for s in range(len(b.stats)):
                    key = worker.totals_key(i, s, bias=True)
                    self._cache[("bias", key)] = _dense(sums.get(key), 1)

    def _block_totals(self, b: _Block, pair_in: np.ndarray) -> list[np.ndarray]:
        self._totals()
        i = _block_index(self._blocks, b)
        stats = 1 if b.edges is not None else len(b.stats)
        return [self._cache[("block", worker.totals_key(i, s))] for s in range(stats)]

    def _bias_totals(self, b: _Block, pair_in: np.ndarray) -> list[float]:
        self._totals()
        i = _block_index(self._blocks, b)
        return [
            float(self._cache[("bias", worker.totals_key(i, s, bias=True))][0])
            for s in range(len(b.stats))
        ]

    def __repr__(self) -> str:
        return (
            f"SparkQueryPlan(dataset={self.spec.dataset!r}, aggregates={len(self._blocks)}, "
            f"table={self._table.name!r})"
        )


# -- helpers ----------------------------------------------------------------------------------


def _needed(spec: QuerySpec) -> list[str]:
    cols = [spec.user_column, *spec.group_by]
    cols += [a.column for a in spec.aggregates if hasattr(a, "column")]
    return list(dict.fromkeys(cols))


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col(_q(name)).alias(name)


def _empty_arrow(df: Any) -> Any:
    """A zero-row Arrow table with the schema Spark's Arrow transfer gives ``df``."""
    return df.limit(0).toArrow()


def _unit_grid() -> float:
    from guardrail.privacy import bounding as bd

    return bd.grid_for(1.0)


def _block_index(blocks: list[_Block], b: _Block) -> int:
    for i, x in enumerate(blocks):
        if x is b:
            return i
    raise RuleExecutionError(f"unknown aggregate '{b.agg.name}'")  # pragma: no cover


def _dense(sparse: tuple[np.ndarray, np.ndarray] | None, size: int) -> np.ndarray:
    out = np.zeros(size, dtype=np.float64)
    if sparse is not None:
        idx, units = sparse
        if units.size and float(np.abs(units).max(initial=0)) >= 2.0**53:
            raise OverflowError("statistic too large for an exact sum on this grid")
        out[idx] = units.astype(np.float64)
    if float(np.abs(out).sum()) >= 2.0**53:
        raise OverflowError("statistic too large for an exact sum on this grid")
    return out


def _sums(table: Any) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per request: (indexes, exact unit sums); raises what a shard reported."""
    import pyarrow.compute as pc

    errors = table.filter(pc.equal(table.column("req"), -1))
    if errors.num_rows:
        _raise(errors.column("error")[0].as_py() or "")
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if table.num_rows == 0:
        return out
    req = np.asarray(table.column("req").to_numpy(), dtype=np.int64)
    idx = np.asarray(table.column("idx").to_numpy(), dtype=np.int64)
    units = np.asarray(table.column("units").to_numpy(), dtype=np.int64)
    for r in np.unique(req).tolist():
        mask = req == r
        out[int(r)] = (idx[mask], units[mask])
    return out


def _raise(text: str) -> None:
    import guardrail.errors as errs

    if text.startswith("\x1e"):
        raise RuleExecutionError(
            f"a Spark task crashed ({text[1:]})",
            hint="this is a bug in guardrail; the error type is all that is reported",
        )
    label, _, rest = text.partition("\x1f")
    message, _, hint = rest.partition("\x1f")
    if label == "OverflowError":
        raise OverflowError(message)
    cls: Callable[..., GuardrailError] = GuardrailError
    found = getattr(errs, label, None)
    if (
        isinstance(found, type)
        and issubclass(found, GuardrailError)
        and found not in (errs.ManifestError, errs.ConsentMissing)
    ):
        cls = found
    raise cls(message, hint=hint or None)
