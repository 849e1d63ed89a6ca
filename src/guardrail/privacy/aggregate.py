"""DP aggregation: user-level bounding, one calibrated noise budget, cells with error bars.

A query (:class:`~guardrail.model.privacy.QuerySpec`) runs in four steps:

1. **Prepare** (no noise, nothing charged): encode users and partitions, group rows into
   (user, partition) pairs, compute per-pair statistics. Every input error surfaces here.
2. **Reserve** the release's cost in the ledger — atomically, before any noise is drawn.
3. **Release**, in two noisy phases that share the reserved budget:

   a. automatic bounds (norm bounds, value ranges, partitions per user) from noisy log-scale
      histograms of per-user quantities, and private partition selection (noisy distinct-user
      counts against a δ-threshold);
   b. the aggregates, each a per-partition vector of exact integer sums of bounded, quantized
      per-user contributions plus discrete Gaussian (or Laplace) noise, and a noisy estimate
      of what bounding removed (the truncation bias).

4. **Record** the noisy answer in the ledger; a retry of the same query gets it back.

Budget split. A Gaussian release is one Gaussian mechanism with noise multiplier z = σ/Δ
(:func:`~guardrail.privacy.accounting.calibrate_gaussian`). Component ``c`` with share
``w_c`` (Σ w_c = 1) and per-user bound ``Δ_c`` gets noise ``σ_c = Δ_c·z/√w_c``: composing the
components gives back exactly z. A Laplace release splits ε the same way (``ε_c = w_c·ε``).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from guardrail.errors import InputError, UsageError
from guardrail.model.privacy import (
    AppliedBounds,
    BiasEstimate,
    Cell,
    CountAggregate,
    DistinctUsersAggregate,
    HistogramAggregate,
    KeyValue,
    MeanAggregate,
    NoiseScale,
    PartitionSelection,
    QuantilesAggregate,
    QuerySpec,
    Release,
    SumAggregate,
)
from guardrail.privacy import bounding as bd
from guardrail.privacy.accounting import calibrate_gaussian
from guardrail.privacy.frame import Frame, arrow_numpy, key_value
from guardrail.privacy.mechanisms import (
    discrete_gaussian,
    discrete_laplace,
    gaussian_threshold,
    laplace_threshold,
    normal_quantile,
)

if TYPE_CHECKING:
    from guardrail.privacy.ledger import Charge, Ledger

__all__ = ["Progress", "QueryPlan", "describe", "plan_query", "query_digest", "run_query"]

Progress = Callable[[str, int, int], None]
AggregateSpec = (
    CountAggregate
    | DistinctUsersAggregate
    | SumAggregate
    | MeanAggregate
    | QuantilesAggregate
    | HistogramAggregate
)

#: Bias estimates clip each user's removed mass at this multiple of the aggregate's bound.
BIAS_CLIP_FACTOR = 8.0
#: Phase-1 histogram bins per octave (bins grow by 2**(1/BINS_PER_OCTAVE)).
BINS_PER_OCTAVE = 1
#: Probability that any empty bin of a phase-1 histogram looks occupied.
FALSE_BIN = 1e-3


def _noop(_d: str, _n: int, _t: int) -> None:
    return None


# -- public entry points ------------------------------------------------------------------------


def describe(spec: QuerySpec) -> str:
    """A one-line description of the query (no data)."""
    if spec.description:
        return spec.description
    parts = []
    for a in spec.aggregates:
        col = getattr(a, "column", None)
        per = getattr(a, "per_user", "none")
        inner = f"{col}" if col else ""
        if per != "none":
            inner = f"per-user {per} of {col}"
        parts.append(f"{a.kind}({inner})" if inner else a.kind)
    by = f" by {', '.join(spec.group_by)}" if spec.group_by else ""
    table = f" on {spec.table}" if spec.table else ""
    return f"{', '.join(parts)}{by}{table}"


def query_digest(spec: QuerySpec, source: str = "") -> str:
    """Stable digest of the query and its source: the key under which retries are served."""
    doc = {"spec": spec.model_dump(mode="json"), "source": source}
    blob = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def run_query(
    data: Any,
    spec: QuerySpec,
    *,
    ledger: Ledger,
    at: datetime,
    source: str = "",
    fresh: bool = False,
    progress: Progress | None = None,
) -> Release:
    """Answer ``spec`` on ``data`` with DP, charging ``ledger``; return the recorded release.

    The same query on the same source is answered from the ledger (no new noise, no new
    charge) unless ``fresh`` is true, which makes a new release and charges it again.
    Raises :class:`~guardrail.errors.PrivacyBudgetExceeded` when the dataset's budget cannot
    cover the release; nothing is drawn then.
    """
    progress = progress or _noop
    digest = query_digest(spec, source)
    ledger.ensure_dataset(spec.dataset, privacy_unit=spec.unit, budget=spec.budget, at=at)
    if not fresh:
        cached = ledger.lookup(spec.dataset, digest)
        if cached is not None:
            return cached
    plan = plan_query(data, spec, progress=progress)
    key = digest if not fresh else f"{digest}:{uuid.uuid4().hex}"
    reservation = ledger.reserve(
        spec.dataset,
        plan.charge(),
        privacy_unit=spec.unit,
        request_key=key,
        description=describe(spec),
        at=at,
    )
    if reservation.cached is not None:
        return reservation.cached
    try:
        release = plan.release(
            release_id=reservation.id,
            query_digest=digest,
            source=source,
            at=at,
            progress=progress,
        )
    except BaseException:
        if not plan.noise_drawn:
            ledger.cancel(reservation)
        raise
    ledger.commit(reservation, release)
    return release


def plan_query(data: Any, spec: QuerySpec, *, progress: Progress | None = None) -> QueryPlan:
    """Prepare ``spec`` on ``data`` without drawing noise (validation, encoding, pairs).

    ``data`` may also be a distributed table that plans queries itself: an object with a
    ``plan_dp_query(spec, progress)`` method returning a :class:`QueryPlan` whose noise-free
    totals (``_histogram_units``, ``_selection_counts``, ``_block_totals``, ``_bias_totals``)
    are computed where the data is (:class:`guardrail.spark.SparkTable`). The noise, the
    budget split and the ledger stay in this process.
    """
    planner = getattr(data, "plan_dp_query", None)
    if planner is not None:
        plan: QueryPlan = planner(spec, progress or _noop)
        return plan
    return QueryPlan(Frame(data), spec, progress or _noop)


# -- components -----------------------------------------------------------------------------


@dataclass
class _Budget:
    """The release's calibration: z (Gaussian) or ε (Laplace), and each component's share."""

    mechanism: str
    epsilon: float
    delta: float
    selection_delta: float
    z: float | None  # Gaussian noise multiplier of the whole release

    def noise(self, sensitivity: float, share: float) -> float:
        """Noise scale (σ for Gaussian, b for Laplace) for a component."""
        if self.mechanism == "gaussian":
            assert self.z is not None
            return sensitivity * self.z / math.sqrt(share)
        return sensitivity / (self.epsilon * share)

    def std(self, scale: float) -> float:
        return scale if self.mechanism == "gaussian" else math.sqrt(2.0) * scale

    def half_width(self, std: float, confidence: float) -> float:
        """Half-width of the central ``confidence`` interval of the noise with this std."""
        if self.mechanism == "gaussian":
            return normal_quantile(0.5 + confidence / 2) * std
        return std / math.sqrt(2.0) * math.log(1.0 / (1.0 - confidence))

    def tail(self, scale: float, p: float) -> float:
        """A level the noise exceeds with probability at most ``p``."""
        if self.mechanism == "gaussian":
            return scale * math.sqrt(2.0 * math.log(1.0 / p))
        return scale * math.log(1.0 / p)

    def mean_abs(self, scale: float) -> float:
        return scale * math.sqrt(2.0 / math.pi) if self.mechanism == "gaussian" else scale

    def draw(self, units: np.ndarray, scale_units: float) -> np.ndarray:
        if self.mechanism == "gaussian":
            return discrete_gaussian(units, scale_units)
        return discrete_laplace(units, scale_units)


@dataclass(repr=False)
class _Block:
    """One aggregate's per-pair data. ``vecs`` are bounded inputs before K/norm weighting."""

    agg: AggregateSpec
    stats: list[str]
    #: Per-pair vectors before the K-weighting and the norm clip (clamped, M-weighted).
    vecs: list[np.ndarray]
    #: Per-pair unbounded vectors (for the truncation-bias estimate); None: not estimated.
    raw: list[np.ndarray] | None
    #: Row-level histogram: bin of every row (or of every pair with per-user values).
    bins: np.ndarray | None = None
    row_level: bool = False
    edges: np.ndarray | None = None
    #: Mean: the value scale V dividing sums so (sum/V, count) are comparable.
    scale: float = 1.0
    derived_bound: float | None = None
    bound: float | None = None
    column: str | None = None
    share: float = 0.0
    pair_values: np.ndarray | None = None
    final_weight: np.ndarray | None = None

    @property
    def n_bins(self) -> int:
        return 1 if self.edges is None else int(self.edges.size - 1)


@dataclass
class _Auto:
    """A phase-1 histogram to draw; ``apply`` consumes its noisy counts."""

    name: str
    statistic: str
    values: np.ndarray  # per-user (or per-row) value to histogram
    weights: np.ndarray | None  # None: weight 1 per entry (integer counts)
    edges: np.ndarray
    apply: Callable[[np.ndarray, float], None]
    share: float = 0.0


@dataclass
class _Outcome:
    cells: list[Cell] = field(default_factory=list)
    noise: list[NoiseScale] = field(default_factory=list)
    bias: list[BiasEstimate] = field(default_factory=list)


# -- the plan -------------------------------------------------------------------------------


class QueryPlan:
    """A prepared query: data encoded, bounds resolved as far as possible, no noise yet."""

    def __init__(self, frame: Frame, spec: QuerySpec, progress: Progress) -> None:
        self.spec = spec
        self.noise_drawn = False
        self._released = False
        self._frame = frame
        self._gaussian = spec.mechanism == "gaussian"
        self._order = 2 if self._gaussian else 1
        progress("encoding users and partitions", 0, 3)
        self._check_columns(frame)
        users, user_bound = self._users(frame)
        parts, self._keys, self._public = self._partitions(frame)
        progress("grouping rows by user and partition", 1, 3)
        self._pairs = bd.encode_pairs(users, user_bound, parts, len(self._keys))
        del users, parts
        progress("computing per-user statistics", 2, 3)
        self._values: dict[str, np.ndarray] = {}
        self._nans: dict[str, np.ndarray | None] = {}
        self._blocks = [self._block(a) for a in spec.aggregates]
        self._budget = self._calibrate()
        progress("prepared", 3, 3)

    # -- preparation --------------------------------------------------------------------------

    def _check_columns(self, frame: Frame) -> None:
        needed = [self.spec.user_column, *self.spec.group_by]
        needed += [a.column for a in self.spec.aggregates if hasattr(a, "column")]
        for name in needed:
            frame._get(name)

    def _users(self, frame: Frame) -> tuple[np.ndarray, int]:
        ints = frame.numpy_ints(self.spec.user_column)
        if ints is not None:
            codes, bound = bd.dense_codes(ints)
            return codes, bound
        arr = frame.arrow(self.spec.user_column)
        enc = arr.dictionary_encode()
        codes = arrow_numpy(enc.indices, fill=-1).astype(np.int64)
        return codes, len(enc.dictionary)

    def _partitions(self, frame: Frame) -> tuple[np.ndarray, list[tuple[KeyValue, ...]], bool]:
        import pyarrow as pa
        import pyarrow.compute as pc

        spec = self.spec
        n = frame.n_rows
        if not spec.group_by:
            return np.zeros(n, dtype=np.int64), [()], True
        assert spec.partitions is not None
        if spec.partitions.public is not None:
            keys = [k if isinstance(k, tuple) else (k,) for k in spec.partitions.public]
            if len(set(keys)) != len(keys):
                raise UsageError("partitions.public lists a key twice", hint="list every key once")
            fast = self._public_int_codes(frame, keys)
            if fast is not None:
                return fast, keys, True
        cols = [frame.arrow(c) for c in spec.group_by]
        if spec.partitions.public is not None:
            combined = np.zeros(n, dtype=np.int64)
            ok = np.ones(n, dtype=bool)
            stride = 1
            lookup_shape: list[int] = []
            value_sets = []
            for j, (name, col) in enumerate(zip(spec.group_by, cols, strict=True)):
                distinct = list(dict.fromkeys(k[j] for k in keys))
                try:
                    vs = pa.array(distinct).cast(col.type) if distinct else pa.array([])
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    raise InputError(
                        f"the public keys of '{name}' do not match the column's type ({col.type})",
                        hint="write the keys as the column stores them",
                    ) from None
                idx = pc.index_in(col, value_set=vs, skip_nulls=False)
                codes = arrow_numpy(idx, fill=-1).astype(np.int64)
                ok &= codes >= 0
                combined += np.maximum(codes, 0) * stride
                value_sets.append({v: i for i, v in enumerate(distinct)})
                lookup_shape.append(len(distinct))
                stride *= len(distinct)
            if stride > 50_000_000:
                raise UsageError(
                    "too many distinct public key values to combine",
                    hint="group by fewer columns or list fewer keys",
                )
            lookup = np.full(stride, -1, dtype=np.int64)
            for i, k in enumerate(keys):
                pos = 0
                s = 1
                for j, v in enumerate(k):
                    pos += value_sets[j][v] * s
                    s *= lookup_shape[j]
                lookup[pos] = i
            parts = np.where(ok, lookup[combined], -1)
            return parts, keys, True
        # Private selection: every key present in the data is a candidate (never released
        # unless it passes the DP threshold).
        combined = np.zeros(n, dtype=np.int64)
        ok = np.ones(n, dtype=bool)
        dicts = []
        stride = 1
        for col in cols:
            enc = col.dictionary_encode()
            codes = arrow_numpy(enc.indices, fill=-1).astype(np.int64)
            ok &= codes >= 0
            size = max(len(enc.dictionary), 1)
            if stride * size >= 2**62:
                combined, stride = bd.dense_codes(combined)
            combined += np.maximum(codes, 0) * stride
            dicts.append((enc.dictionary, stride, size))
            stride *= size
        combined[~ok] = -1
        dense, n_parts = bd.dense_codes(np.where(ok, combined, 0))
        parts = np.where(ok, dense, -1)
        # Key tuple of every partition code (computed lazily for released ones only).
        first = np.full(n_parts, -1, dtype=np.int64)
        rows = np.flatnonzero(ok)
        first[parts[rows][::-1]] = rows[::-1]
        self._private_first_row = first
        self._private_cols = cols
        return parts, [()] * n_parts, False

    @staticmethod
    def _int_keys(frame: Frame, spec: QuerySpec) -> bool:
        assert spec.partitions is not None and spec.partitions.public is not None
        return (
            len(spec.group_by) == 1
            and frame.numpy_ints(spec.group_by[0]) is not None
            and all(
                isinstance(k, int) and not isinstance(k, bool)
                for k in (k[0] if isinstance(k, tuple) else k for k in spec.partitions.public)
            )
        )

    def _public_int_codes(
        self, frame: Frame, keys: list[tuple[KeyValue, ...]]
    ) -> np.ndarray | None:
        """Integer column and integer keys: map through a lookup table (no hashing)."""
        if not self._int_keys(frame, self.spec):
            return None
        col = frame.numpy_ints(self.spec.group_by[0])
        assert col is not None
        values = np.array([int(k[0]) for k in keys], dtype=np.int64)  # type: ignore[arg-type]
        lo, hi = int(values.min()), int(values.max())
        if hi - lo > 50_000_000:
            return None
        cmin = int(col.min()) if col.size else 0
        if lo >= 0 and cmin >= 0:
            # Index the table by the raw value; values above hi clip onto the -1 sentinel.
            lut = np.full(hi + 2, -1, dtype=np.int64)
            lut[values] = np.arange(values.size)
            codes: np.ndarray = np.take(lut, col, mode="clip")
            return codes
        lut = np.full(hi - lo + 3, -1, dtype=np.int64)
        lut[values - lo + 1] = np.arange(values.size)
        # Out-of-range values land on the sentinel slots at either end.
        codes = lut[np.clip(col - (lo - 1), 0, hi - lo + 2)]
        return codes

    def _key_of(self, part: int) -> tuple[KeyValue, ...]:
        if self._public:
            return self._keys[part]
        row = int(self._private_first_row[part])
        return tuple(key_value(col[row].as_py()) for col in self._private_cols)

    def _floats(self, column: str) -> np.ndarray:
        if column not in self._values:
            values = self._frame.floats(column)
            self._values[column] = values
            nan = np.isnan(values)
            self._nans[column] = nan if nan.any() else None
        return self._values[column]

    def _nan(self, column: str) -> np.ndarray | None:
        """Null mask of a value column (None when it has no nulls)."""
        self._floats(column)
        return self._nans[column]

    def _rows_of(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(row positions, pair index) of included rows whose ``column`` is not null."""
        nan = self._nan(column)
        keep = self._pairs.row_pair1 > 0
        if nan is not None:
            keep &= ~nan
        rows = np.flatnonzero(keep)
        return rows, self._pairs.row_pair1[rows] - 1

    def _clamp(self, column: str) -> tuple[float, float] | None:
        return self.spec.bounds.clamp.get(column)

    def _block(self, agg: AggregateSpec) -> _Block:
        spec, pairs = self.spec, self._pairs
        k, m = spec.bounds.max_partitions, spec.bounds.max_rows_per_partition
        order = self._order
        if isinstance(agg, (CountAggregate, DistinctUsersAggregate)):
            if isinstance(agg, CountAggregate):
                counts = pairs.rows
                vec = counts * bd.rows_factor(counts, m)
                per_pair = m
                raw: list[np.ndarray] | None = [counts]
            else:
                vec = np.ones(pairs.n_pairs)
                per_pair = 1
                raw = [np.ones(pairs.n_pairs)]
            derived = _classic(per_pair, k, order) if per_pair is not None else None
            return _Block(agg, [agg.kind], [vec], raw, derived_bound=derived)
        column = agg.column
        values = self._floats(column)
        nan = self._nan(column)
        clamp = self._clamp(column)
        clamped = values if clamp is None else np.clip(values, clamp[0], clamp[1])
        if nan is not None:
            clamped = np.where(nan, 0.0, clamped)
            raw_values = np.where(nan, 0.0, values)
            n_valid = bd.pair_sum(pairs, (~nan).astype(np.float64))
        else:
            raw_values = values
            n_valid = pairs.rows
        if isinstance(agg, QuantilesAggregate | HistogramAggregate):
            return self._hist_block(agg, raw_values, n_valid)
        per_user = agg.per_user
        sums = bd.pair_sum(pairs, clamped)
        raw_sums = sums if clamp is None else bd.pair_sum(pairs, raw_values)
        has = n_valid > 0
        if per_user == "none":
            f = bd.rows_factor(n_valid, m)
            value_vec, count_vec = sums * f, n_valid * f
            raw_value, raw_count = raw_sums, n_valid
            per_pair = m
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                mean_c = np.where(has, sums / np.maximum(n_valid, 1), 0.0)
                mean_r = np.where(has, raw_sums / np.maximum(n_valid, 1), 0.0)
            if per_user == "sum":
                # The clamp applies to the per-user total.
                total = np.where(has, raw_sums, 0.0)
                value_vec = total if clamp is None else np.clip(total, clamp[0], clamp[1]) * has
                raw_value = total
            else:
                value_vec, raw_value = mean_c, mean_r
            count_vec = has.astype(np.float64)
            raw_count = count_vec
            per_pair = 1
        vmax = None if clamp is None else max(abs(clamp[0]), abs(clamp[1]))
        if isinstance(agg, SumAggregate):
            derived = (
                _classic(per_pair * vmax, k, order)
                if per_pair is not None and vmax is not None
                else None
            )
            return _Block(
                agg, ["sum"], [value_vec], [raw_value], derived_bound=derived, column=column
            )
        # Mean: (sum/V, count) per pair, clipped together so a user's ratio is kept.
        block = _Block(
            agg,
            ["sum", "count"],
            [value_vec, count_vec],
            [raw_value, raw_count],
            column=column,
        )
        if vmax is not None:
            block.scale = vmax if vmax > 0 else 1.0
            classic = _classic(per_pair, k, order) if per_pair is not None else None
            if classic is not None:
                block.derived_bound = classic * (math.sqrt(2.0) if order == 2 else 2.0)
        return block

    def _hist_block(
        self,
        agg: QuantilesAggregate | HistogramAggregate,
        values: np.ndarray,
        n_valid: np.ndarray,
    ) -> _Block:
        """``values`` has 0 where the column is null; ``n_valid`` counts non-null rows."""
        pairs = self._pairs
        k, m = self.spec.bounds.max_partitions, self.spec.bounds.max_rows_per_partition
        per_user = getattr(agg, "per_user", "none")
        block = _Block(agg, [], [], None, column=agg.column)
        if per_user == "none":
            block.vecs = [n_valid * bd.rows_factor(n_valid, m)]
            block.row_level = True
            per_pair = m
        else:
            sums = bd.pair_sum(pairs, values)
            has = n_valid > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                pv = np.where(has, sums / np.maximum(n_valid, 1), 0.0)
            block.pair_values = pv if per_user == "mean" else np.where(has, sums, 0.0)
            block.vecs = [has.astype(np.float64)]
            per_pair = 1
        if isinstance(agg, HistogramAggregate):
            block.raw = [block.vecs[0] if per_pair == 1 else n_valid]
        block.derived_bound = _classic(per_pair, k, self._order) if per_pair is not None else None
        # Bin edges: fixed now when public, else after automatic ranges (phase 1).
        if isinstance(agg, HistogramAggregate) and agg.edges is not None:
            block.edges = np.asarray(agg.edges, dtype=np.float64)
        else:
            rng = agg.range or self._clamp(agg.column)
            if rng is not None:
                block.edges = self._make_edges(agg, rng)
        return block

    def _make_edges(
        self, agg: QuantilesAggregate | HistogramAggregate, rng: tuple[float, float]
    ) -> np.ndarray:
        lo, hi = rng
        if isinstance(agg, HistogramAggregate):
            return np.linspace(lo, hi, (agg.bins or 1) + 1)
        scale = agg.scale
        if scale == "auto":
            scale = "log" if lo >= 0 and hi > 100 * max(lo, hi * 1e-6) else "linear"
        if scale == "log" and lo >= 0:
            start = max(lo, hi * 1e-4)
            inner = np.geomspace(start, hi, agg.bins)
            return (
                np.concatenate(([lo], inner)) if start > lo else np.geomspace(lo, hi, agg.bins + 1)
            )
        return np.linspace(lo, hi, agg.bins + 1)

    # -- calibration ----------------------------------------------------------------------------

    def _calibrate(self) -> _Budget:
        spec = self.spec
        delta = spec.release_delta
        private = spec.partitions is not None and spec.partitions.private is not None
        if spec.mechanism == "gaussian":
            sel_delta = delta * spec.partitions.private.delta_share if private else 0.0  # type: ignore[union-attr]
            z = calibrate_gaussian(spec.epsilon, delta - sel_delta)
            return _Budget("gaussian", spec.epsilon, delta, sel_delta, z)
        return _Budget("laplace", spec.epsilon, delta, delta if private else 0.0, None)

    def charge(self) -> Charge:
        """What the ledger must reserve for this release."""
        from guardrail.privacy.ledger import Charge

        b = self._budget
        if b.mechanism == "gaussian":
            return Charge(
                mechanism="gaussian",
                epsilon=b.epsilon,
                delta=b.delta,
                noise_multiplier=b.z,
                selection_delta=b.selection_delta,
            )
        return Charge(
            mechanism="laplace",
            epsilon=b.epsilon,
            delta=b.delta,
            pure_epsilon=b.epsilon,
            selection_delta=b.selection_delta,
        )

    # -- the release ----------------------------------------------------------------------------

    def release(
        self,
        *,
        release_id: str,
        query_digest: str,
        source: str,
        at: datetime,
        progress: Progress | None = None,
    ) -> Release:
        """Draw the noise and build the release. Call once, after the ledger reserved it."""
        if self._released:
            raise UsageError(
                "this query plan was already released",
                hint="plan the query again: every release needs its own reservation",
            )
        self._released = True
        progress = progress or _noop
        spec, budget, pairs = self.spec, self._budget, self._pairs
        out = _Outcome()
        # Shares: automatic bounds and bias estimates first, the rest by weight.
        self._auto_names: list[str] = []
        self._notes: list[str] = []
        pre = self._pre_autos()
        norm_blocks = [
            b for b in self._blocks if b.agg.norm_bound is None and b.derived_bound is None
        ]
        n_autos = len(pre) + len(norm_blocks)
        bias_blocks = [b for b in self._blocks if b.raw is not None]
        private = spec.partitions is not None and spec.partitions.private is not None
        auto_share = spec.auto_share if n_autos else 0.0
        bias_share = spec.bias_share if bias_blocks else 0.0
        weights = [b.agg.weight for b in self._blocks]
        sel_weight = spec.partitions.private.weight if private else 0.0  # type: ignore[union-attr]
        rest = 1.0 - auto_share - bias_share
        total_w = sum(weights) + sel_weight
        for b, w in zip(self._blocks, weights, strict=True):
            b.share = rest * w / total_w
        n_bias = sum(len(b.stats) for b in bias_blocks)

        # Phase 1: value ranges (and partitions per user), partition selection, norm bounds.
        steps = n_autos + (1 if private else 0) + len(self._blocks) + 1
        step = 0
        for a in pre:
            progress(f"choosing {a.statistic}", step, steps)
            step += 1
            a.share = auto_share / n_autos
            noisy, tau = self._noisy_histogram(a, out)
            a.apply(noisy, tau)
        released = np.arange(pairs.n_parts)
        selection = PartitionSelection(kind="public" if spec.group_by else "none")
        if private:
            progress("selecting partitions", step, steps)
            step += 1
            released, selection = self._select(rest * sel_weight / total_w, out)
        self._n_released = int(released.size)
        in_released = np.zeros(pairs.n_parts, dtype=bool)
        in_released[released] = True
        pair_in = in_released[pairs.part]
        for b in norm_blocks:
            a = self._norm_auto(b, pair_in)
            progress(f"choosing {a.statistic}", step, steps)
            step += 1
            a.share = auto_share / n_autos
            noisy, tau = self._noisy_histogram(a, out)
            a.apply(noisy, tau)
        for b in self._blocks:
            if b.bound is None:
                b.bound = b.agg.norm_bound or b.derived_bound
            if b.bound is None:  # pragma: no cover - every missing bound was chosen above
                raise UsageError(f"no contribution bound for aggregate '{b.agg.name}'")
        # Phase 2: the aggregates.
        results: dict[str, list[np.ndarray]] = {}
        for b in self._blocks:
            progress(f"releasing {b.agg.name}", step, steps)
            step += 1
            results[b.agg.name] = self._release_block(b, pair_in, out)
        progress("estimating truncation bias", step, steps)
        bias = {}
        for b in bias_blocks:
            bias[b.agg.name] = self._bias(b, pair_in, bias_share / max(n_bias, 1), out)
        self.noise_drawn = True
        cells = self._cells(released, results, bias, out)
        progress("done", steps, steps)
        return Release(
            id=release_id,
            dataset=spec.dataset,
            description=describe(spec),
            query_digest=query_digest,
            privacy_unit=spec.unit,
            mechanism=spec.mechanism,
            epsilon=spec.epsilon,
            delta=budget.delta,
            noise_multiplier=budget.z,
            source=source,
            group_by=spec.group_by,
            confidence=spec.confidence,
            noise=tuple(out.noise),
            bounds=self._applied_bounds(auto_share),
            partitions=selection,
            bias=tuple(out.bias),
            notes=tuple(self._notes),
            created=at,
            cells=tuple(cells),
        )

    # -- phase 1 ----------------------------------------------------------------------------

    def _pre_autos(self) -> list[_Auto]:
        """Phase-1 histograms needed before partition selection: value ranges and scales,
        and the partitions kept per user for private selection."""
        autos: list[_Auto] = []
        pairs = self._pairs
        spec = self.spec
        by_column: dict[str, list[_Block]] = {}
        for b in self._blocks:
            agg = b.agg
            needs_edges = (
                isinstance(agg, QuantilesAggregate | HistogramAggregate) and b.edges is None
            )
            needs_scale = isinstance(agg, MeanAggregate) and self._clamp(agg.column) is None
            if needs_edges or needs_scale:
                by_column.setdefault(b.column or "", []).append(b)
        # One noisy value histogram per column serves every aggregate of that column.
        autos.extend(self._value_auto(col, blocks) for col, blocks in by_column.items())
        if (
            spec.partitions is not None
            and spec.partitions.private is not None
            and (
                spec.bounds.max_partitions is None
                and spec.partitions.private.max_partitions is None
            )
        ):
            k = np.bincount(pairs.user, minlength=pairs.n_users)
            k = k[k > 0].astype(np.float64)
            edges = np.arange(0, 66, dtype=np.float64) + 0.5

            def set_k(noisy: np.ndarray, tau: float) -> None:
                q = _quantile_from_hist(noisy, np.arange(1, 66, dtype=np.float64), 0.9, tau)
                self._auto_k = max(1, int(q)) if math.isfinite(q) else 1
                if _visible(noisy, tau) is None:
                    self._notes.append(
                        "too few users to choose max_partitions from the data; 1 was used"
                    )
                self._auto_names.append("max_partitions")

            autos.append(
                _Auto(
                    "bounds:selection", "partitions per user", np.minimum(k, 65), None, edges, set_k
                )
            )
        return autos

    def _value_auto(self, col: str, blocks: list[_Block]) -> _Auto:
        """Noisy log-scale histogram of ``col``'s values, each user spreading weight 1."""
        pairs = self._pairs
        values = self._floats(col)
        rows, idx = self._rows_of(col)
        vals = values[rows]
        per_user_rows = np.bincount(pairs.user[idx], minlength=pairs.n_users)
        # Each user spreads weight 1 over their values: L1 and L2 sensitivity ≤ 1.
        w = 1.0 / per_user_rows[pairs.user[idx]]
        edges = _signed_log_edges()

        def apply(noisy: np.ndarray, tau: float) -> None:
            (lo, hi), seen = _visible_range(noisy, edges, tau)
            if not seen:
                self._notes.append(
                    f"too few users to choose the value range of '{col}' from the data; "
                    "set clamp or range in the spec"
                )
            mags = np.abs(_mids(edges))
            order = np.argsort(mags, kind="stable")
            typical = _quantile_from_hist(noisy[order], mags[order], 0.5, tau)
            for b in blocks:
                agg = b.agg
                if isinstance(agg, QuantilesAggregate | HistogramAggregate):
                    b.edges = self._make_edges(agg, (lo, hi))
                    self._auto_names.append(f"range:{agg.name}")
                if isinstance(agg, MeanAggregate):
                    ok = math.isfinite(typical) and typical > 0
                    b.scale = (typical if ok else max(abs(lo), abs(hi))) or 1.0
                    self._auto_names.append(f"scale:{agg.name}")

        return _Auto(f"range:{col}", f"value range of {col}", vals, w, edges, apply)

    def _norm_auto(self, b: _Block, pair_in: np.ndarray) -> _Auto:
        pairs = self._pairs
        k = self.spec.bounds.max_partitions
        f = bd.partitions_factor(pairs, k, present=pair_in) * pair_in
        vecs = [v * f for v in self._scaled_vecs(b)]
        norms = bd.user_norms(pairs, vecs, self._order)
        present = np.bincount(pairs.user, minlength=pairs.n_users) > 0
        norms = norms[present]
        edges = _log_edges()

        def apply(noisy: np.ndarray, tau: float) -> None:
            b.bound, seen = _choose_bound(
                noisy, edges, tau, self._n_outputs(b), self._block_noise_per_bound(b)
            )
            if not seen:
                self._notes.append(
                    f"too few users to choose the contribution bound of '{b.agg.name}' from "
                    "the data; set bounds (or norm_bound) in the spec"
                )
            self._auto_names.append(f"norm:{b.agg.name}")

        return _Auto(
            f"bounds:{b.agg.name}", f"norm bound of {b.agg.name}", norms, None, edges, apply
        )

    def _n_outputs(self, b: _Block) -> float:
        """Noisy numbers of the block over which clipping loss and noise are traded off."""
        n = max(self._n_released, 1)
        if isinstance(b.agg, HistogramAggregate):
            return float(n * b.n_bins)
        if isinstance(b.agg, QuantilesAggregate):
            return float(n * math.sqrt(b.n_bins))
        return float(n * len(b.stats))

    def _block_noise_per_bound(self, b: _Block) -> float:
        """Mean absolute noise per unit of norm bound, for the bound-choosing objective."""
        scale = self._budget.noise(1.0, b.share)
        return self._budget.mean_abs(scale)

    def _scaled_vecs(self, b: _Block) -> list[np.ndarray]:
        if isinstance(b.agg, MeanAggregate):
            return [b.vecs[0] / b.scale, b.vecs[1]]
        return list(b.vecs)

    def _histogram_units(self, a: _Auto) -> tuple[np.ndarray, float]:
        """Noise-free phase-1 histogram on its integer grid: ``(units per bin, grid)``."""
        bins = np.clip(np.searchsorted(a.edges, a.values, side="right") - 1, 0, a.edges.size - 2)
        if a.weights is None:
            return np.bincount(bins, minlength=a.edges.size - 1).astype(np.float64), 1.0
        grid = bd.grid_for(1.0)
        return bd.partition_totals(bins, bd.quantize(a.weights, grid), a.edges.size - 1), grid

    def _noisy_histogram(self, a: _Auto, out: _Outcome) -> tuple[np.ndarray, float]:
        units, grid = self._histogram_units(a)
        scale = self._budget.noise(1.0, a.share)
        self.noise_drawn = True
        noisy = self._budget.draw(units, scale / grid).astype(np.float64) * grid
        out.noise.append(
            NoiseScale(
                component=a.name,
                statistic=a.statistic,
                mechanism=self.spec.mechanism,
                std=self._budget.std(scale),
                sensitivity=1.0,
                share=a.share,
            )
        )
        return noisy, self._budget.tail(scale, FALSE_BIN / noisy.size)

    def _select(self, share: float, out: _Outcome) -> tuple[np.ndarray, PartitionSelection]:
        spec, budget = self.spec, self._budget
        assert spec.partitions is not None and spec.partitions.private is not None
        k = (
            spec.partitions.private.max_partitions
            or spec.bounds.max_partitions
            or getattr(self, "_auto_k", None)
            or 1
        )
        counts = self._selection_counts(k)
        sens = math.sqrt(k) if self._gaussian else float(k)
        scale = budget.noise(sens, share)
        self.noise_drawn = True
        noisy = budget.draw(counts, scale).astype(np.float64)
        per_key = budget.selection_delta / k
        if self._gaussian:
            tau = gaussian_threshold(scale, per_key)
        else:
            tau = laplace_threshold(scale, per_key)
        released = np.flatnonzero(noisy > tau)
        out.noise.append(
            NoiseScale(
                component="selection",
                statistic="distinct_users",
                mechanism=spec.mechanism,
                std=budget.std(scale),
                sensitivity=sens,
                share=share,
            )
        )
        # Sort released keys by key (never by count) so the order reveals nothing.
        keys = [self._key_of(int(p)) for p in released]
        order = sorted(range(len(keys)), key=lambda i: _sort_key(keys[i]))
        released = released[order]
        self._released_keys = [keys[i] for i in order]
        return released, PartitionSelection(
            kind="private",
            threshold=tau,
            delta=budget.selection_delta,
            max_partitions=k,
            released=int(released.size),
        )

    def _selection_counts(self, k: int) -> np.ndarray:
        """Noise-free distinct users per candidate partition, each user keeping at most ``k``
        partitions chosen at random."""
        pairs = self._pairs
        keep = bd.keep_random_partitions(pairs, k)
        return np.bincount(pairs.part[keep], minlength=pairs.n_parts).astype(np.float64)

    # -- phase 2 ----------------------------------------------------------------------------

    def _weights(self, b: _Block, pair_in: np.ndarray) -> np.ndarray:
        """Final per-pair weight: K-weighting within released partitions, then the norm clip."""
        pairs = self._pairs
        f = bd.partitions_factor(pairs, self.spec.bounds.max_partitions, present=pair_in) * pair_in
        vecs = [v * f for v in self._scaled_vecs(b)]
        assert b.bound is not None
        norms = bd.user_norms(pairs, vecs, self._order)
        g = bd.clip_factors(norms, b.bound)
        out: np.ndarray = f * g[pairs.user]
        return out

    def _block_totals(self, b: _Block, pair_in: np.ndarray) -> list[np.ndarray]:
        """Noise-free totals of a block's bounded contributions on its integer grid
        (``grid_for(b.bound)``): one flat (partition × bin) vector for histograms and
        quantiles, else one per-partition vector per statistic. Sets ``b.final_weight``."""
        pairs = self._pairs
        assert b.bound is not None
        w = self._weights(b, pair_in)
        b.final_weight = w
        grid = bd.grid_for(b.bound)
        if b.edges is not None:
            nb = b.n_bins
            if b.row_level:
                values = self._floats(b.column or "")
                rows, idx = self._rows_of(b.column or "")
                bins = _bin_of(values[rows], b.edges)
                units = bd.quantize(w[idx], grid)
                cell = pairs.part[idx] * nb + bins
            else:
                assert b.pair_values is not None
                has = b.vecs[0] > 0
                bins = _bin_of(b.pair_values[has], b.edges)
                units = bd.quantize(w[has], grid)
                cell = pairs.part[has] * nb + bins
            return [bd.partition_totals(cell, units, pairs.n_parts * nb)]
        return [
            bd.partition_totals(pairs.part, bd.quantize(vec * w, grid), pairs.n_parts)
            for vec in self._scaled_vecs(b)
        ]

    def _release_block(self, b: _Block, pair_in: np.ndarray, out: _Outcome) -> list[np.ndarray]:
        pairs, budget = self._pairs, self._budget
        exact = self._block_totals(b, pair_in)
        assert b.bound is not None
        grid = bd.grid_for(b.bound)
        scale = budget.noise(b.bound, b.share)
        results = []
        if b.edges is not None:
            nb = b.n_bins
            totals = exact[0]
            self.noise_drawn = True
            noisy = budget.draw(totals, scale / grid).astype(np.float64) * grid
            results.append(noisy.reshape(pairs.n_parts, nb))
            stat = "histogram" if isinstance(b.agg, HistogramAggregate) else "bin counts"
            out.noise.append(
                NoiseScale(
                    component=b.agg.name,
                    statistic=stat,
                    mechanism=self.spec.mechanism,
                    std=budget.std(scale),
                    sensitivity=b.bound,
                    share=b.share,
                )
            )
            return results
        for stat, totals in zip(b.stats, exact, strict=True):
            self.noise_drawn = True
            noisy = budget.draw(totals, scale / grid).astype(np.float64) * grid
            unit = b.scale if (isinstance(b.agg, MeanAggregate) and stat == "sum") else 1.0
            results.append(noisy * unit)
            out.noise.append(
                NoiseScale(
                    component=b.agg.name,
                    statistic=stat,
                    mechanism=self.spec.mechanism,
                    std=budget.std(scale) * unit,
                    sensitivity=b.bound * unit,
                    share=b.share,
                )
            )
        return results

    def _bias_clip(self, b: _Block, stat: str) -> tuple[float, float]:
        """(unit, clip) of a statistic's truncation-bias estimate: each user's removed mass
        is clipped at ``clip`` and put on the grid ``grid_for(clip)``."""
        assert b.bound is not None
        unit = b.scale if (isinstance(b.agg, MeanAggregate) and stat == "sum") else 1.0
        return unit, BIAS_CLIP_FACTOR * b.bound * unit

    def _bias_totals(self, b: _Block, pair_in: np.ndarray) -> list[float]:
        """Noise-free total of what bounding removed per statistic (clipped per user, on the
        grid of :meth:`_bias_clip`). Needs ``b.final_weight`` from :meth:`_block_totals`."""
        pairs = self._pairs
        assert b.raw is not None and b.bound is not None
        w = b.final_weight
        assert w is not None
        res = []
        bounded = self._scaled_vecs(b)
        for i, stat in enumerate(b.stats):
            unit, clip = self._bias_clip(b, stat)
            raw = b.raw[i] * pair_in
            if b.row_level or (isinstance(b.agg, HistogramAggregate) and b.edges is not None):
                kept = b.vecs[0] * w
            else:
                kept = bounded[i] * w * unit
            removed = np.bincount(pairs.user, weights=raw - kept, minlength=pairs.n_users)
            removed = np.clip(removed, -clip, clip)
            res.append(float(bd.quantize(removed, bd.grid_for(clip)).sum()))
        return res

    def _bias(
        self, b: _Block, pair_in: np.ndarray, share: float, out: _Outcome
    ) -> list[tuple[float, float]]:
        """Noisy total of what bounding removed, per statistic: (estimate, std)."""
        budget = self._budget
        exact = self._bias_totals(b, pair_in)
        res = []
        for stat, units in zip(b.stats, exact, strict=True):
            _unit, clip = self._bias_clip(b, stat)
            grid = bd.grid_for(clip)
            total = np.array([units])
            scale = budget.noise(clip, share)
            self.noise_drawn = True
            noisy = float(budget.draw(total, scale / grid)[0]) * grid
            std = budget.std(scale)
            out.noise.append(
                NoiseScale(
                    component=f"bias:{b.agg.name}.{stat}",
                    statistic=stat,
                    mechanism=self.spec.mechanism,
                    std=std,
                    sensitivity=clip,
                    share=share,
                )
            )
            out.bias.append(
                BiasEstimate(
                    aggregate=b.agg.name, statistic=stat, estimate=noisy, std=std, clip=clip
                )
            )
            res.append((noisy, std))
        return res

    # -- output -----------------------------------------------------------------------------

    def _cells(
        self,
        released: np.ndarray,
        results: dict[str, list[np.ndarray]],
        bias: dict[str, list[tuple[float, float]]],
        out: _Outcome,
    ) -> list[Cell]:
        conf = self.spec.confidence
        z = normal_quantile(0.5 + conf / 2)
        hw = self._budget.half_width
        keys = self._released_keys if not self._public else [self._keys[int(p)] for p in released]
        cells: list[Cell] = []
        for b in self._blocks:
            res = results[b.agg.name]
            scale_std = {n.statistic: n.std for n in out.noise if n.component == b.agg.name}
            bias_b = [
                (est if abs(est) > 3 * std else math.nan, std)
                for est, std in bias.get(b.agg.name, [])
            ] or None
            if isinstance(b.agg, (CountAggregate, DistinctUsersAggregate, SumAggregate)):
                vals = res[0][released]
                std = scale_std[b.stats[0]]
                alloc = _allocate(vals, bias_b[0][0] if bias_b else None)
                for key, v, eb in zip(keys, vals, alloc, strict=True):
                    cells.append(
                        Cell(
                            key=key,
                            aggregate=b.agg.name,
                            statistic=b.stats[0],
                            value=float(v),
                            std=std,
                            ci_low=float(v - hw(std, conf)),
                            ci_high=float(v + hw(std, conf)),
                            expected_bias=eb,
                        )
                    )
            elif isinstance(b.agg, MeanAggregate):
                s, c = res[0][released], res[1][released]
                ss, sc = scale_std["sum"], scale_std["count"]
                bs = _allocate(s, bias_b[0][0] if bias_b else None)
                bc = _allocate(c, bias_b[1][0] if bias_b else None)
                for key, si, ci, bsi, bci in zip(keys, s, c, bs, bc, strict=True):
                    if ci <= 0:
                        cells.append(
                            Cell(
                                key=key,
                                aggregate=b.agg.name,
                                statistic="mean",
                                value=None,
                                std=None,
                                ci_low=None,
                                ci_high=None,
                            )
                        )
                        continue
                    mean = si / ci
                    std = math.sqrt(ss**2 + (mean * sc) ** 2) / ci
                    eb = None
                    if bsi is not None and bci is not None and ci + bci > 0:
                        eb = (si + bsi) / (ci + bci) - mean
                    cells.append(
                        Cell(
                            key=key,
                            aggregate=b.agg.name,
                            statistic="mean",
                            value=float(mean),
                            std=float(std),
                            ci_low=float(mean - z * std),
                            ci_high=float(mean + z * std),
                            expected_bias=eb,
                        )
                    )
            elif isinstance(b.agg, HistogramAggregate):
                assert b.edges is not None
                hist = res[0][released]
                std = scale_std["histogram"]
                labels = _bin_labels(b.edges)
                flat = _allocate(hist.ravel(), bias_b[0][0] if bias_b else None)
                for i, (key, row) in enumerate(zip(keys, hist, strict=True)):
                    for j, (label, v) in enumerate(zip(labels, row, strict=True)):
                        cells.append(
                            Cell(
                                key=key,
                                aggregate=b.agg.name,
                                statistic=label,
                                value=float(v),
                                std=std,
                                ci_low=float(v - hw(std, conf)),
                                ci_high=float(v + hw(std, conf)),
                                expected_bias=flat[i * len(labels) + j],
                            )
                        )
            else:
                assert isinstance(b.agg, QuantilesAggregate) and b.edges is not None
                hist = res[0][released]
                sigma = scale_std["bin counts"]
                for key, row in zip(keys, hist, strict=True):
                    for q in b.agg.q:
                        v, lo, hi = _quantile_ci(row, b.edges, q, sigma, z)
                        q_std = None if lo is None or hi is None else (hi - lo) / (2 * z)
                        cells.append(
                            Cell(
                                key=key,
                                aggregate=b.agg.name,
                                statistic=_qname(q),
                                value=v,
                                std=q_std,
                                ci_low=lo,
                                ci_high=hi,
                                expected_bias=None,
                            )
                        )
        return cells

    def _applied_bounds(self, auto_share: float) -> AppliedBounds:
        spec = self.spec
        norm_bounds = {b.agg.name: float(b.bound) for b in self._blocks if b.bound is not None}
        ranges = {
            b.agg.name: (float(b.edges[0]), float(b.edges[-1]))
            for b in self._blocks
            if b.edges is not None
        }
        k = spec.bounds.max_partitions
        return AppliedBounds(
            max_partitions=k,
            max_rows_per_partition=spec.bounds.max_rows_per_partition,
            clamp=dict(spec.bounds.clamp),
            norm_bounds=norm_bounds,
            value_ranges=ranges,
            auto=tuple(self._auto_names),
            auto_share=auto_share,
        )

    def __repr__(self) -> str:
        return f"QueryPlan(dataset={self.spec.dataset!r}, aggregates={len(self._blocks)})"


# -- helpers ----------------------------------------------------------------------------------


def _classic(per_pair: float, k: int | None, order: int) -> float | None:
    """Per-user bound from ``K`` partitions of ``per_pair`` each (L2: ·√K, L1: ·K)."""
    if k is None:
        return None
    return per_pair * (math.sqrt(k) if order == 2 else k)


def _log_edges() -> np.ndarray:
    """Edges for non-negative magnitudes: [0, 2^-24) then one bin per octave up to 2^48."""
    steps = np.arange(-24 * BINS_PER_OCTAVE, 48 * BINS_PER_OCTAVE + 1) / BINS_PER_OCTAVE
    return np.concatenate(([0.0], 2.0**steps))


def _signed_log_edges() -> np.ndarray:
    pos = _log_edges()[1:]
    return np.concatenate((-pos[::-1], [0.0], pos))


def _mids(edges: np.ndarray) -> np.ndarray:
    """Geometric bin centres (arithmetic where a bin touches or crosses zero)."""
    lo, hi = edges[:-1], edges[1:]
    same = (lo * hi) > 0
    with np.errstate(invalid="ignore"):
        geo = np.sign(hi) * np.sqrt(np.abs(lo * hi))
    out: np.ndarray = np.where(same, geo, 0.5 * (lo + hi))
    return out


def _visible(noisy: np.ndarray, tau: float) -> tuple[int, int] | None:
    """First and last bin whose noisy count exceeds ``tau`` (None: no bin does).

    ``tau`` is set so an empty bin passes with probability ≤ 1e-3 over the whole histogram
    (Google's ApproxBounds idea): bins beyond the data cannot stretch a bound.
    """
    above = np.flatnonzero(noisy > tau)
    if above.size == 0:
        return None
    return int(above[0]), int(above[-1])


def _visible_range(
    noisy: np.ndarray, edges: np.ndarray, tau: float
) -> tuple[tuple[float, float], bool]:
    """Value range covered by the visible bins, and whether any bin was visible."""
    vis = _visible(noisy, tau)
    if vis is None:
        i = int(np.argmax(noisy))
        return (float(edges[i]), float(edges[i + 1])), False
    lo, hi = vis
    return (float(edges[lo]), float(edges[hi + 1])), True


def _choose_bound(
    noisy: np.ndarray, edges: np.ndarray, tau: float, n_out: float, noise_per_bound: float
) -> tuple[float, bool]:
    """Norm bound C minimising estimated clipping loss plus noise over the released cells.

    loss(C) = Σ_users (‖v‖ − C)⁺ + n_out · C · noise_per_bound, with the users' norms read
    from the noisy histogram between its first and last visible bins.
    """
    vis = _visible(noisy, tau)
    if vis is None:
        i = int(np.argmax(noisy))
        return float(edges[i + 1]), False
    lo, hi = vis
    counts = np.clip(noisy[: hi + 1], 0, None)
    mids = _mids(edges)[: hi + 1]
    best, best_loss = float(edges[hi + 1]), math.inf
    for c in edges[lo + 1 : hi + 2]:
        loss = float((counts * np.clip(mids - c, 0, None)).sum()) + n_out * c * noise_per_bound
        if loss < best_loss:
            best, best_loss = float(c), loss
    return best, True


def _quantile_from_hist(noisy: np.ndarray, points: np.ndarray, q: float, tau: float) -> float:
    """The ``q`` quantile of a noisy histogram (bins listed in increasing ``points``)."""
    vis = _visible(noisy, tau)
    counts = np.clip(noisy, 0, None)
    if vis is not None:
        counts[: vis[0]] = 0
        counts[vis[1] + 1 :] = 0
    total = counts.sum()
    if total <= 0:
        return math.nan
    cum = np.cumsum(counts)
    i = min(int(np.searchsorted(cum, q * total)), counts.size - 1)
    return float(points[i])


def _bin_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)


def _bin_labels(edges: np.ndarray) -> list[str]:
    out = []
    for i in range(edges.size - 1):
        close = "]" if i == edges.size - 2 else ")"
        out.append(f"[{edges[i]:g}, {edges[i + 1]:g}{close}")
    return out


def _qname(q: float) -> str:
    return "p" + format(q * 100, "g").replace(".", "_")


# An empty partition's noisy bin counts are pure noise: their sum over n bins has standard
# deviation σ·√n (Gaussian: exactly normal). Quantiles are shown only above _EMPTY_Z such
# deviations, so an empty partition shows with probability below 3e-7 under Gaussian noise
# and below 5e-4 under Laplace noise (one bin; less with more bins — see
# test_empty_partition_false_release_rate). The running maximum of the cumulative sum, which
# the quantile itself reads, is biased upwards by noise and is not used for this test.
_EMPTY_Z = 5.0


def _quantile_ci(
    row: np.ndarray, edges: np.ndarray, q: float, sigma: float, z: float
) -> tuple[float | None, float | None, float | None]:
    """Quantile ``q`` of a noisy histogram, with an approximate confidence interval."""
    cum = np.maximum.accumulate(np.cumsum(row))
    total = float(cum[-1])
    if total <= 0:
        return None, None, None

    def at(rank: float) -> float:
        rank = min(max(rank, 0.0), total)
        i = int(np.searchsorted(cum, rank, side="left"))
        i = min(i, row.size - 1)
        prev = float(cum[i - 1]) if i > 0 else 0.0
        width = float(cum[i]) - prev
        frac = 0.0 if width <= 0 else min(max((rank - prev) / width, 0.0), 1.0)
        return float(edges[i] + frac * (edges[i + 1] - edges[i]))

    if float(row.sum()) <= _EMPTY_Z * sigma * math.sqrt(row.size):
        return None, None, None  # indistinguishable from an empty partition
    target = q * total
    value = at(target)
    i = min(int(np.searchsorted(cum, target)), row.size - 1)
    spread = z * sigma * math.sqrt((i + 1) + (q**2) * row.size)
    return value, at(target - spread), at(target + spread)


def _allocate(values: np.ndarray, total: float | None) -> list[float | None]:
    """Split an estimated total bias over partitions in proportion to their noisy values."""
    if total is None or not math.isfinite(total):
        return [None] * len(values)
    pos = np.clip(values, 0, None)
    s = float(pos.sum())
    if s <= 0:
        return [None] * len(values)
    return [float(total * p / s) for p in pos]


def _sort_key(key: Sequence[KeyValue]) -> tuple[tuple[int, str], ...]:
    return tuple((0, "") if v is None else (1, f"{type(v).__name__}:{v}") for v in key)
