"""User-level contribution bounding as functions over columnar (numpy) arrays.

The contract, reusable by a distributed engine (each step is a group-by and a map):

1. :func:`encode_pairs` — rows → (user, partition) *pairs*; every row gets its pair index.
2. Per-pair statistics (:func:`pair_sum`): row counts, value sums, per-user means.
3. Per-pair factors: :func:`rows_factor` (at most ``M`` rows per partition),
   :func:`partitions_factor` (at most ``K`` partitions per user), or
   :func:`keep_random_partitions` (exactly ≤ ``K`` random partitions, for partition selection).
4. Per-user factors: :func:`user_norms` then :func:`clip_factors` (the user's whole
   contribution vector scaled to norm ≤ ``C``).
5. :func:`quantize` onto an integer grid and :func:`partition_totals`: exact integer sums per
   partition, ready for integer noise.

Bounds are enforced by *weighting*: a user with ``c > M`` rows in a partition counts as ``M``
rows and contributes ``sum·M/c`` (the expectation of keeping ``M`` random rows, with less
variance); a user in ``k > K`` partitions is weighted ``K/k`` in each. Both keep every user's
L1, L2 and L∞ contribution within the classic bounds (``M·K``, ``M·√K``, ``M``), which is
what the noise is calibrated to. The L2 clip then lets heavy-tailed data use one norm bound
``C`` instead of separate ``K`` and ``M``: a user concentrated in one partition keeps
``C`` rows' worth there instead of ``M``.

Nothing here draws noise or releases anything; arrays hold raw data and are never printed.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Pairs",
    "clip_factors",
    "dense_codes",
    "encode_pairs",
    "grid_for",
    "keep_random_partitions",
    "pair_sum",
    "partition_totals",
    "partitions_factor",
    "quantize",
    "rows_factor",
    "user_norms",
]

#: Quantization resolution: a bound C maps to ≥ 2**GRID_BITS grid units.
GRID_BITS = 20


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense integer codes 0..n-1 for ``values`` (first-appearance order), and n.

    Non-negative integers below 2**31 whose maximum is at most 4× the array length are used
    as they are (codes may then have gaps); anything else is hashed by pyarrow.
    """
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if lo >= 0 and hi < 2**31 and hi <= 4 * values.size + 1024:
            return values.astype(np.int64, copy=False), hi + 1
    if values.dtype.kind in "iu":
        enc = _arrow_int(values).dictionary_encode()  # type: ignore[attr-defined]
    else:
        import pyarrow as pa

        enc = pa.array(values).dictionary_encode()
    from guardrail.privacy.frame import arrow_numpy

    return arrow_numpy(enc.indices, fill=-1).astype(np.int64), len(enc.dictionary)


@dataclass(frozen=True, repr=False)
class Pairs:
    """Rows grouped into (user, partition) pairs. Holds raw structure: never printed."""

    #: 1 + the pair index of every row; 0 marks an excluded row (no user or no partition).
    #: (The offset lets ``np.bincount(row_pair1)[1:]`` skip excluded rows without a mask.)
    row_pair1: np.ndarray
    #: Dense user index of every pair (0 .. n_users-1).
    user: np.ndarray
    #: Partition index of every pair (0 .. n_parts-1).
    part: np.ndarray
    n_users: int
    n_parts: int
    #: Rows of every pair.
    rows: np.ndarray

    @property
    def n_pairs(self) -> int:
        return int(self.user.size)

    def __repr__(self) -> str:
        return f"Pairs(<{self.n_pairs} pairs, {self.n_parts} partitions; redacted>)"


def _arrow_int(values: np.ndarray) -> object:
    """Wrap an int64/uint32 numpy array as a pyarrow array without copying (nor pandas)."""
    import pyarrow as pa

    if values.dtype != np.uint32:
        values = np.ascontiguousarray(values, dtype=np.int64)
    kind = pa.uint32() if values.dtype == np.uint32 else pa.int64()
    return pa.Array.from_buffers(kind, values.size, [None, pa.py_buffer(values)])


def encode_pairs(users: np.ndarray, user_bound: int, parts: np.ndarray, n_parts: int) -> Pairs:
    """Group rows by (user, partition).

    ``users`` are non-negative codes below ``user_bound`` (−1 = no user), ``parts`` partition
    indexes below ``n_parts`` (−1 = not a released partition). Rows with −1 are excluded.
    """
    n_parts = max(n_parts, 1)
    if user_bound * n_parts >= 2**62:
        users, user_bound = dense_codes(users)
    any_invalid = (users.size and int(users.min()) < 0) or (parts.size and int(parts.min()) < 0)
    # Keys below 2**32 hash as uint32: half the memory traffic of int64.
    small = user_bound * n_parts < 2**32 - 1 and not any_invalid
    key = np.multiply(users, n_parts, dtype=np.uint32 if small else np.int64, casting="unsafe")
    np.add(key, parts, out=key, casting="unsafe")
    if any_invalid:
        key[(users < 0) | (parts < 0)] = -1
    enc = _arrow_int(key).dictionary_encode()  # type: ignore[attr-defined]
    del key
    from guardrail.privacy.frame import arrow_numpy

    idx = arrow_numpy(enc.indices)
    uniq = arrow_numpy(enc.dictionary).astype(np.int64)
    bad = np.flatnonzero(uniq < 0) if any_invalid else np.zeros(0, dtype=np.int64)
    if bad.size:
        # One gather maps dictionary positions to 1-based pair numbers, 0 for the excluded
        # rows' key, and widens the indices to int64 (bincount needs intp).
        b = int(bad[0])
        lut = np.arange(1, uniq.size + 1, dtype=np.int64)
        lut[b] = 0
        lut[b + 1 :] -= 1
        uniq = np.delete(uniq, b)
        row_pair1 = lut[idx]
    else:
        row_pair1 = np.add(idx, 1, dtype=np.int64)
    del idx
    pair_user_raw = uniq // n_parts
    part = uniq - pair_user_raw * n_parts
    # Small raw codes are kept (bincounts tolerate gaps); others become dense.
    user, n_users = dense_codes(pair_user_raw)
    rows = np.bincount(row_pair1, minlength=uniq.size + 1)[1:].astype(np.float64)
    return Pairs(row_pair1, user, part, n_users, n_parts, rows)


def pair_sum(pairs: Pairs, values: np.ndarray | None = None) -> np.ndarray:
    """Per-pair sum of ``values`` over the pair's rows (row count when None).

    Rows to leave out of a sum carry 0 (or use a 0/1 ``values`` array to count them).
    """
    if values is None:
        return pairs.rows
    return np.bincount(pairs.row_pair1, weights=values, minlength=pairs.n_pairs + 1)[1:]


def rows_factor(counts: np.ndarray, max_rows: int | None) -> np.ndarray:
    """Per-pair weight so a user's rows in a partition count as at most ``max_rows`` rows."""
    if max_rows is None:
        return np.ones_like(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(counts > max_rows, max_rows / np.maximum(counts, 1), 1.0)
    return f


def partitions_factor(
    pairs: Pairs, max_partitions: int | None, present: np.ndarray | None = None
) -> np.ndarray:
    """Per-pair weight ``min(1, K/k)`` for a user present in ``k`` partitions."""
    if max_partitions is None:
        return np.ones(pairs.n_pairs)
    pres = np.ones(pairs.n_pairs) if present is None else present.astype(np.float64)
    k = np.bincount(pairs.user, weights=pres, minlength=pairs.n_users)
    per_user = np.where(k > max_partitions, max_partitions / np.maximum(k, 1), 1.0)
    out: np.ndarray = per_user[pairs.user]
    return out


def keep_random_partitions(
    pairs: Pairs, max_partitions: int, *, seed: int | None = None
) -> np.ndarray:
    """Boolean per pair: at most ``max_partitions`` partitions per user, chosen at random."""
    k = np.bincount(pairs.user, minlength=pairs.n_users)
    over = k[pairs.user] > max_partitions
    keep = ~over
    idx = np.flatnonzero(over)
    if idx.size:
        rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
        order = np.lexsort((rng.random(idx.size), pairs.user[idx]))
        users = pairs.user[idx][order]
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, users.size]))
        rank = np.arange(users.size) - first
        keep[idx[order[rank < max_partitions]]] = True
    result: np.ndarray = keep
    return result


def user_norms(pairs: Pairs, vectors: list[np.ndarray], order: int) -> np.ndarray:
    """Per-user L1 (``order=1``) or L2 norm of the per-pair vectors' concatenation."""
    if order == 1:
        total = sum(np.abs(v) for v in vectors)
        return np.bincount(
            pairs.user, weights=np.asarray(total, dtype=np.float64), minlength=pairs.n_users
        )
    sq = sum(v * v for v in vectors)
    return np.sqrt(
        np.bincount(pairs.user, weights=np.asarray(sq, dtype=np.float64), minlength=pairs.n_users)
    )


def clip_factors(norms: np.ndarray, bound: float) -> np.ndarray:
    """Per-user scale ``min(1, bound/norm)``, shaved so rounding cannot exceed the bound."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(norms > bound, bound / norms, 1.0)
    return f * (1.0 - 1e-12)


def grid_for(bound: float) -> float:
    """Power of two such that ``bound`` spans between 2**GRID_BITS and 2**(GRID_BITS+1) units."""
    if not bound > 0 or not math.isfinite(bound):
        raise ValueError("a contribution bound must be a positive number")
    return 2.0 ** (math.floor(math.log2(bound)) - GRID_BITS)


def quantize(values: np.ndarray, grid: float) -> np.ndarray:
    """``values / grid`` truncated toward zero: never larger in magnitude than the input."""
    return np.trunc(values / grid)


def partition_totals(part: np.ndarray, units: np.ndarray, n_parts: int) -> np.ndarray:
    """Exact per-partition sums of integer-valued ``units`` (float64 below 2**53 is exact)."""
    if units.size and float(np.abs(units).sum()) >= 2.0**53:
        raise OverflowError("statistic too large for an exact sum on this grid")
    return np.bincount(part, weights=units, minlength=n_parts)
