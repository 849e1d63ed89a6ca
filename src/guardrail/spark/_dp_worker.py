"""Executor side of DP aggregation on Spark: one query plan per shard of users.

Rows are hash-partitioned by the privacy unit, so each Spark partition (a *shard*) holds
every row of its users, in the table's row order. Each shard builds the single-machine
:class:`~guardrail.privacy.aggregate.QueryPlan` on its rows — the same encoding, per-pair
statistics, K/M weights, clamps, per-user norms and clip factors, on the same values summed
in the same order — and evaluates the one noise-free step the driver asks for:

* ``pre``: the phase-1 histograms (value ranges, partitions per user);
* ``select``: distinct users per candidate partition (each user keeping ≤ K at random);
* ``norms``: the histograms of users' contribution norms (for automatic norm bounds);
* ``totals``: every aggregate's bounded per-partition totals and truncation-bias totals.

Every output is an integer count of grid units, so the shards' outputs add up *exactly* to
the single-machine totals; the driver adds them (in Spark) and draws the noise. Nothing here
draws noise, touches the ledger or imports PySpark.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from guardrail.errors import GuardrailError
from guardrail.model.privacy import QuerySpec
from guardrail.privacy.aggregate import QueryPlan, _noop
from guardrail.privacy.frame import Frame, arrow_numpy

__all__ = [
    "BIAS_BASE",
    "OUTPUT_DDL",
    "PART",
    "BlockState",
    "RoundJob",
    "ShardPlan",
    "run_round",
    "totals_key",
]

#: The global candidate-partition code of each row (private partition selection).
PART = "__guardrail_part__"
#: Output rows: request, index within the request's vector, units (or an error).
OUTPUT_DDL = "req int, idx bigint, units bigint, error string"
#: Request numbers of bias totals start here (aggregate totals: block·64 + statistic).
BIAS_BASE = 1 << 20

RoundKind = Literal["pre", "select", "norms", "totals"]


def totals_key(block: int, stat: int, *, bias: bool = False) -> int:
    return (BIAS_BASE if bias else 0) + block * 64 + stat


@dataclass(frozen=True)
class BlockState:
    """What the driver decided for one aggregate before this round (from noisy phase 1)."""

    scale: float
    bound: float | None
    edges: tuple[float, ...] | None


@dataclass(frozen=True)
class RoundJob:
    """One noise-free step for every shard (pickled into the Spark job)."""

    spec: QuerySpec
    kind: RoundKind
    row_column: str
    #: Candidate partitions of a private selection (None: the group-by keys are public).
    n_candidates: int | None = None
    blocks: tuple[BlockState, ...] = ()
    #: Released partition indexes (None: all).
    released: tuple[int, ...] | None = None
    k: int | None = None
    #: Blocks whose norm histogram is wanted (``norms``).
    names: tuple[str, ...] = ()


class ShardPlan(QueryPlan):
    """The single-machine plan on one shard's rows; partitions of a private selection come
    encoded by the driver (global candidate codes in :data:`PART`)."""

    def __init__(self, frame: Frame, spec: QuerySpec, n_candidates: int | None) -> None:
        self._n_candidates = n_candidates
        super().__init__(frame, spec, _noop)

    def _check_columns(self, frame: Frame) -> None:
        return None  # checked on the driver; a private selection ships codes, not keys

    def _partitions(self, frame: Frame) -> tuple[np.ndarray, list[Any], bool]:
        if self._n_candidates is None:
            return super()._partitions(frame)
        codes = arrow_numpy(frame.arrow(PART), fill=-1).astype(np.int64)
        return codes, [()] * self._n_candidates, False

    def apply(self, job: RoundJob) -> np.ndarray:
        """Take the driver's decisions; return the per-pair mask of released partitions."""
        for b, state in zip(self._blocks, job.blocks, strict=True):
            b.scale = state.scale
            b.bound = state.bound
            if state.edges is not None:
                b.edges = np.asarray(state.edges, dtype=np.float64)
        in_released = np.ones(self._pairs.n_parts, dtype=bool)
        if job.released is not None:
            in_released[:] = False
            in_released[np.asarray(job.released, dtype=np.int64)] = True
        mask: np.ndarray = in_released[self._pairs.part]
        return mask

    def outputs(self, job: RoundJob) -> Iterator[tuple[int, np.ndarray]]:
        """``(request, units)`` of the round; units are integer-valued."""
        pair_in = self.apply(job)
        if job.kind == "pre":
            for i, auto in enumerate(self._pre_autos()):
                yield i, self._histogram_units(auto)[0]
        elif job.kind == "select":
            assert job.k is not None
            yield 0, self._selection_counts(job.k)
        elif job.kind == "norms":
            by_name = {b.agg.name: b for b in self._blocks}
            for i, name in enumerate(job.names):
                yield i, self._histogram_units(self._norm_auto(by_name[name], pair_in))[0]
        else:
            for i, b in enumerate(self._blocks):
                for s, units in enumerate(self._block_totals(b, pair_in)):
                    yield totals_key(i, s), units
                if b.raw is not None:
                    for s, total in enumerate(self._bias_totals(b, pair_in)):
                        yield totals_key(i, s, bias=True), np.array([total])


def _rows(req: list[int], idx: list[Any], units: list[Any], error: str | None = None) -> Any:
    import pyarrow as pa

    n = len(req)
    return pa.RecordBatch.from_pydict(
        {
            "req": pa.array(req, pa.int32()),
            "idx": pa.array(np.concatenate(idx) if idx else [], pa.int64()),
            "units": pa.array(np.concatenate(units) if units else [], pa.int64()),
            "error": pa.array([error] * n if error else [None] * n, pa.string()),
        }
    )


def run_round(batches: Iterator[Any], job: RoundJob) -> Iterator[Any]:
    """One shard's part of a round: sparse ``(request, index, units)`` rows, or one error."""
    try:
        yield from _run(batches, job)
    except GuardrailError as exc:
        text = f"{type(exc).__name__}\x1f{exc.message}\x1f{exc.hint or ''}"
        yield _rows([-1], [np.zeros(1, np.int64)], [np.zeros(1, np.int64)], text)
    except OverflowError:
        text = "OverflowError\x1fstatistic too large for an exact sum on this grid\x1f"
        yield _rows([-1], [np.zeros(1, np.int64)], [np.zeros(1, np.int64)], text)
    except Exception as exc:  # noqa: BLE001 - other errors' text may quote values
        text = f"\x1e{type(exc).__name__}"
        yield _rows([-1], [np.zeros(1, np.int64)], [np.zeros(1, np.int64)], text)


def _run(batches: Iterator[Any], job: RoundJob) -> Iterator[Any]:
    import pyarrow as pa

    got = [b for b in batches if b.num_rows]
    if not got:
        return
    table = pa.Table.from_batches(got)
    ids = arrow_numpy(table.column(job.row_column))
    if ids.size > 1 and bool((ids[1:] < ids[:-1]).any()):
        # Rows of a pair are summed in table order, as on a single machine.
        table = table.take(pa.array(np.argsort(ids, kind="stable")))
    table = table.drop_columns([job.row_column])
    plan = ShardPlan(Frame(table), job.spec, job.n_candidates)
    reqs: list[int] = []
    idxs: list[np.ndarray] = []
    units: list[np.ndarray] = []
    for req, vec in plan.outputs(job):
        nz = np.flatnonzero(vec)
        if nz.size == 0:
            continue
        reqs.extend([req] * int(nz.size))
        idxs.append(nz.astype(np.int64))
        units.append(vec[nz].astype(np.int64))
    if reqs:
        yield _rows(reqs, idxs, units)
