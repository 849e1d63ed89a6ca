"""Value objects of differentially private (DP) analytics.

* :class:`QuerySpec` — what ``guardrail dp query --spec query.yaml`` reads: the privacy unit,
  the group-by, the aggregates, ε/δ, contribution bounds and how partitions are chosen.
* :class:`Release` — one noisy answer as recorded in the privacy ledger: ε, δ, mechanism,
  noise scales, the bounds that were applied, partition selection, estimated truncation bias
  and (optionally) the released cells with confidence intervals.
* :class:`LedgerEntry` / :class:`BudgetStatement` — what the ledger has charged a dataset.
* :class:`TrainingRun` — a DP-SGD run charged to the same ledger.

Everything here is safe to show: a release holds only noisy statistics, keys that were public
or passed DP partition selection, and parameters.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from guardrail.model._base import ValueObject

__all__ = [
    "Aggregate",
    "AppliedBounds",
    "BiasEstimate",
    "BudgetStatement",
    "Cell",
    "ContributionBounds",
    "CountAggregate",
    "DatasetBudget",
    "DistinctUsersAggregate",
    "EntryKind",
    "EntryState",
    "HistogramAggregate",
    "KeyValue",
    "LedgerEntry",
    "MeanAggregate",
    "Mechanism",
    "NoiseScale",
    "PartitionSelection",
    "Partitions",
    "PerUser",
    "PrivateSelection",
    "QuantilesAggregate",
    "QuerySpec",
    "Release",
    "SumAggregate",
    "TrainingRun",
]

Mechanism = Literal["gaussian", "laplace"]
#: How a user's rows in one partition are combined before the statistic is taken:
#: ``none`` — every row counts (bounded by ``max_rows_per_partition``);
#: ``sum`` / ``mean`` — one value per user and partition (robust to heavy users).
PerUser = Literal["none", "sum", "mean"]
EntryKind = Literal["release", "training"]
#: ``reserved``: budget held before noise is drawn (counts as spent, never refunded once
#: noise may have been drawn); ``spent``: the answer is recorded.
EntryState = Literal["reserved", "spent"]
#: A partition-key value: JSON scalars only.
KeyValue = str | int | float | bool | None

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
Column = Annotated[str, StringConstraints(min_length=1, max_length=256)]
DatasetName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$", max_length=200)
]
UnitName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]*$", max_length=64)]
PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
Share = Annotated[float, Field(gt=0, le=0.5, allow_inf_nan=False)]


def _check_range(value: tuple[float, float] | None, what: str) -> tuple[float, float] | None:
    if value is not None and not value[0] < value[1]:
        raise ValueError(f"{what} must be [lower, upper] with lower < upper")
    return value


# -- the query spec ---------------------------------------------------------------------------


class _AggregateBase(ValueObject):
    name: Name
    #: Relative share of the query's budget given to this aggregate (default: equal shares).
    weight: PositiveFinite = 1.0
    #: Bound on one user's contribution to this statistic (L2 norm for the Gaussian mechanism,
    #: L1 for Laplace), in the statistic's units. Default: derived from ``bounds`` when they
    #: are complete, otherwise chosen with DP from the data (``auto_share`` of the budget).
    norm_bound: PositiveFinite | None = None


class CountAggregate(_AggregateBase):
    """Rows per partition."""

    kind: Literal["count"]


class DistinctUsersAggregate(_AggregateBase):
    """Distinct privacy units (users) per partition: no truncation bias from heavy users."""

    kind: Literal["distinct_users"]


class SumAggregate(_AggregateBase):
    kind: Literal["sum"]
    column: Column
    per_user: PerUser = "none"


class MeanAggregate(_AggregateBase):
    """Mean of ``column``; with ``per_user: mean`` the mean over users of their own mean."""

    kind: Literal["mean"]
    column: Column
    per_user: PerUser = "none"


class QuantilesAggregate(_AggregateBase):
    """Quantiles (median = 0.5, p90 = 0.9) read from a noisy histogram of ``bins`` bins."""

    kind: Literal["quantiles"]
    column: Column
    q: tuple[Annotated[float, Field(gt=0, lt=1)], ...] = (0.5,)
    bins: Annotated[int, Field(ge=4, le=4096)] = 64
    #: Value range of the bins; default: the column's clamp bounds, else chosen with DP.
    range: tuple[Finite, Finite] | None = None
    #: Bin spacing: ``log`` suits positive heavy-tailed values (amounts); ``auto`` picks log
    #: when the range is positive and spans more than two decades.
    scale: Literal["linear", "log", "auto"] = "auto"
    per_user: PerUser = "none"

    @field_validator("q")
    @classmethod
    def _q(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v:
            raise ValueError("list at least one quantile, e.g. q: [0.5, 0.9]")
        if len(set(v)) != len(v):
            raise ValueError("quantiles must be distinct")
        return tuple(sorted(v))

    @field_validator("range")
    @classmethod
    def _range(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        return _check_range(v, "range")


class HistogramAggregate(_AggregateBase):
    """Counts of ``column`` per bin (public ``edges``, or ``bins`` equal bins over a range)."""

    kind: Literal["histogram"]
    column: Column
    edges: tuple[Finite, ...] | None = None
    bins: Annotated[int, Field(ge=1, le=4096)] | None = None
    range: tuple[Finite, Finite] | None = None

    @field_validator("range")
    @classmethod
    def _range(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        return _check_range(v, "range")

    @model_validator(mode="after")
    def _bins(self) -> HistogramAggregate:
        if (self.edges is None) == (self.bins is None):
            raise ValueError("give either edges: [e0, e1, ...] or bins: N (with an optional range)")
        if self.edges is not None:
            if len(self.edges) < 2 or any(
                b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)
            ):
                raise ValueError("edges must be at least two strictly increasing numbers")
            if self.range is not None:
                raise ValueError("range is only used with bins: N (edges already fix the range)")
        return self


Aggregate = Annotated[
    CountAggregate
    | DistinctUsersAggregate
    | SumAggregate
    | MeanAggregate
    | QuantilesAggregate
    | HistogramAggregate,
    Field(discriminator="kind"),
]


class ContributionBounds(ValueObject):
    """User-level contribution bounds. Missing ones are chosen with DP when needed."""

    #: A user contributes to at most this many partitions (weighted down when they have more;
    #: private partition selection keeps this many random partitions per user).
    max_partitions: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    #: A user's rows in one partition count as at most this many rows (a user with more rows
    #: is weighted down to this many; the expectation equals keeping that many random rows).
    max_rows_per_partition: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = None
    #: Per-column value clamping ``{column: [lower, upper]}``.
    clamp: dict[Column, tuple[Finite, Finite]] = Field(default_factory=dict)

    @field_validator("clamp")
    @classmethod
    def _clamp(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for column, pair in v.items():
            _check_range(pair, f"clamp.{column}")
        return v


class PrivateSelection(ValueObject):
    """Release only partitions whose noisy count of distinct users passes a DP threshold."""

    #: Partitions kept per user for the selection (default: chosen with DP).
    max_partitions: Annotated[int, Field(ge=1, le=10_000)] | None = None
    #: Share of the query's δ spent on the threshold (the rest goes to the Gaussian noise).
    delta_share: Annotated[float, Field(gt=0, lt=1)] = 0.5
    #: Share of the query's budget spent on the noisy selection counts.
    weight: PositiveFinite = 1.0


class Partitions(ValueObject):
    """Either a public list of keys (every key is output, empty or not) or private selection."""

    public: tuple[tuple[KeyValue, ...] | KeyValue, ...] | None = None
    private: PrivateSelection | None = None

    @model_validator(mode="after")
    def _one(self) -> Partitions:
        if (self.public is None) == (self.private is None):
            raise ValueError(
                "give either public: [key, ...] (every key is released) or private: {} "
                "(keys are selected with DP)"
            )
        if self.public is not None and len(self.public) == 0:
            raise ValueError("public lists no keys")
        return self


class DatasetBudget(ValueObject):
    """A dataset's total privacy budget: every release and training run composes into it."""

    epsilon: PositiveFinite
    delta: Probability = 1e-5


class QuerySpec(ValueObject):
    """A DP aggregation query (``query.yaml``)."""

    schema_version: Literal[1] = 1
    #: The ledger's dataset: the protected population (e.g. ``shop``) whose budget is charged.
    dataset: DatasetName
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    #: Table to read when SOURCE is a database (ignored for CSV/Parquet files).
    table: Column | None = None
    #: Column identifying the privacy unit (one person): bounds are per value of this column.
    user_column: Column
    #: The privacy unit's name in the ledger (default: ``user_column``). Releases and training
    #: runs charge one dataset only when they protect the same unit.
    privacy_unit: UnitName | None = None
    group_by: tuple[Column, ...] = ()
    partitions: Partitions | None = None
    aggregates: Annotated[tuple[Aggregate, ...], Field(min_length=1, max_length=64)]
    epsilon: PositiveFinite
    #: The release's δ (Gaussian mechanism and private partition selection). Default 1e-6 for
    #: the Gaussian mechanism, 0 for Laplace with public partitions.
    delta: Probability | None = None
    mechanism: Mechanism = "gaussian"
    bounds: ContributionBounds = Field(default_factory=ContributionBounds)
    #: Share of the budget spent choosing missing bounds with DP.
    auto_share: Share = 0.1
    #: Share of the budget spent estimating the truncation bias that bounding causes.
    bias_share: Share = 0.05
    confidence: Annotated[float, Field(ge=0.5, lt=1)] = 0.95
    #: The dataset's total budget, used when the ledger does not know the dataset yet.
    budget: DatasetBudget | None = None

    @model_validator(mode="after")
    def _consistent(self) -> QuerySpec:
        names = [a.name for a in self.aggregates]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"aggregate names must be unique ({', '.join(dupes)})")
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by lists a column twice")
        if self.user_column in self.group_by:
            raise ValueError("the user column cannot be a group-by column")
        if self.group_by and self.partitions is None:
            raise ValueError(
                "group_by needs partitions: public: [...] (known keys) or private: {} "
                "(keys selected with DP, so rare keys cannot leak)"
            )
        if self.partitions is not None and self.partitions.public is not None:
            width = len(self.group_by)
            for key in self.partitions.public:
                n = len(key) if isinstance(key, tuple) else 1
                if n != width:
                    raise ValueError(
                        f"every public key needs {width} value(s), one per group_by column"
                    )
        if self.mechanism == "gaussian" and self.delta == 0:
            raise ValueError("the Gaussian mechanism needs delta > 0 (or use mechanism: laplace)")
        if (
            self.mechanism == "laplace"
            and self.delta
            and (self.partitions is None or self.partitions.private is None)
        ):
            raise ValueError(
                "with mechanism: laplace and public partitions the release is pure ε-DP; "
                "remove delta"
            )
        if (
            self.mechanism == "laplace"
            and self.partitions is not None
            and self.partitions.private is not None
            and not self.delta
        ):
            raise ValueError("private partition selection needs delta > 0")
        return self

    @property
    def unit(self) -> str:
        return self.privacy_unit or _unit_from_column(self.user_column)

    @property
    def release_delta(self) -> float:
        if self.delta is not None:
            return self.delta
        return 1e-6 if self.mechanism == "gaussian" else 0.0


def _unit_from_column(column: str) -> str:
    out = "".join(c if c.isalnum() or c in "_.:-" else "_" for c in column)
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    return out[:64]


# -- releases ---------------------------------------------------------------------------------


class NoiseScale(ValueObject):
    """The noise added to one component of a release."""

    #: Aggregate name, ``selection`` (partition selection counts), ``bounds:<name>`` and
    #: ``range:<name>`` (automatic bounds), ``bounds:selection`` (automatic partitions per
    #: user) or ``bias:<name>.<statistic>`` (truncation-bias estimate). One component is one
    #: noisy vector (a mean's sum and count form one component).
    component: str
    statistic: str
    mechanism: Mechanism
    #: Standard deviation of the noise, in the statistic's units.
    std: float
    #: The per-user bound the noise is calibrated to (L2 for Gaussian, L1 for Laplace).
    sensitivity: float
    #: Share of the release's budget (ρ share for Gaussian, ε share for Laplace).
    share: float


class AppliedBounds(ValueObject):
    """Contribution bounds as applied; ``auto`` names those chosen with DP from the data."""

    max_partitions: int | None = None
    max_rows_per_partition: int | None = None
    clamp: dict[str, tuple[float, float]] = Field(default_factory=dict)
    norm_bounds: dict[str, float] = Field(default_factory=dict)
    value_ranges: dict[str, tuple[float, float]] = Field(default_factory=dict)
    auto: tuple[str, ...] = ()
    auto_share: float = 0.0


class PartitionSelection(ValueObject):
    kind: Literal["none", "public", "private"]
    #: Noisy distinct-user count a key must exceed to be released (private selection).
    threshold: float | None = None
    #: δ spent on the selection (added to the ledger by basic composition).
    delta: float = 0.0
    max_partitions: int | None = None
    released: int = 0


class BiasEstimate(ValueObject):
    """DP estimate of how much bounding removed from an aggregate, summed over partitions.

    ``estimate`` is in the statistic's units (positive: the release is too low). Users whose
    removed mass exceeds ``clip`` count as ``clip``, so it is a lower bound when single users
    were truncated by more than that.
    """

    aggregate: str
    statistic: str
    estimate: float
    std: float
    clip: float


class Cell(ValueObject):
    """One released number: a statistic of one aggregate in one partition."""

    key: tuple[KeyValue, ...]
    aggregate: str
    #: ``count``, ``sum``, ``mean``, ``distinct_users``, ``p50`` / ``p90`` or a bin ``[lo, hi)``.
    statistic: str
    value: float | None
    #: Standard deviation of the noise in this value (approximate for means and quantiles).
    std: float | None
    ci_low: float | None
    ci_high: float | None
    #: Estimated truncation bias (true minus bounded); None when it cannot be estimated.
    expected_bias: float | None = None


class Release(ValueObject):
    """A DP release as recorded in the ledger. Audit evidence for anonymised analytics."""

    id: str
    dataset: str
    description: str
    #: Digest of the query (spec + source): a retry with the same digest gets this answer.
    query_digest: str
    privacy_unit: str
    mechanism: Mechanism
    #: The release's own guarantee (RDP accountant for Gaussian releases).
    epsilon: float
    delta: float
    #: Gaussian releases: σ/Δ of the equivalent single Gaussian mechanism (sample rate 1).
    noise_multiplier: float | None = None
    source: str = ""
    group_by: tuple[str, ...] = ()
    confidence: float = 0.95
    noise: tuple[NoiseScale, ...] = ()
    bounds: AppliedBounds = Field(default_factory=AppliedBounds)
    partitions: PartitionSelection = Field(default_factory=lambda: PartitionSelection(kind="none"))
    bias: tuple[BiasEstimate, ...] = ()
    #: Caveats found while releasing (e.g. automatic bounds resting on few users).
    notes: tuple[str, ...] = ()
    created: AwareDatetime
    state: EntryState = "spent"
    cells: tuple[Cell, ...] = ()


class TrainingRun(ValueObject):
    """A DP-SGD run charged to the ledger."""

    id: str
    dataset: str
    description: str
    privacy_unit: str
    epsilon: float
    delta: float
    noise_multiplier: float
    sample_rate: float
    steps: int
    max_grad_norm: float
    #: ``examples``: one example per user; ``users``: users sampled, one example each per step.
    sampling: Literal["examples", "users"] = "examples"
    #: Whether Opacus drew its noise from a CSPRNG (needs torchcsprng).
    secure_mode: bool = False
    created: AwareDatetime


class LedgerEntry(ValueObject):
    """One charge in a dataset's ledger, with the dataset's cumulative ε after it."""

    id: str
    kind: EntryKind
    state: EntryState
    description: str
    mechanism: Literal["gaussian", "laplace", "dp-sgd"]
    epsilon: float
    delta: float
    noise_multiplier: float | None = None
    sample_rate: float | None = None
    steps: int | None = None
    pure_epsilon: float = 0.0
    selection_delta: float = 0.0
    #: The dataset's ε (at its δ) after this entry, by the live (RDP) accountant.
    epsilon_cumulative: float
    created: AwareDatetime


class BudgetStatement(ValueObject):
    """What a dataset has spent: ε at the dataset's δ, by Opacus' RDP or PRV accountant.

    Gaussian releases and DP-SGD runs compose through the accountant; Laplace releases
    (``epsilon_pure``) and the δ of partition selection (``delta_selection``) add by basic
    composition: the dataset is (``epsilon_spent``, ``delta_total``)-DP.
    """

    dataset: str
    privacy_unit: str
    epsilon_total: float
    delta_total: float
    epsilon_spent: float
    epsilon_remaining: float
    epsilon_pure: float = 0.0
    delta_selection: float = 0.0
    accountant: Literal["rdp", "prv"]
    releases: int = 0
    training_runs: int = 0
    reserved: int = 0
    entries: tuple[LedgerEntry, ...] = ()
    created: AwareDatetime

    @field_validator("epsilon_spent", "epsilon_remaining")
    @classmethod
    def _finite(cls, v: float) -> float:
        if math.isnan(v):
            raise ValueError("must be a number")
        return v
