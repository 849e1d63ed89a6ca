"""Bounding invariants over columnar arrays (hypothesis) and the integer noise path."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.privacy import bounding as bd
from guardrail.privacy.mechanisms import (
    discrete_gaussian,
    discrete_laplace,
    gaussian_threshold,
    laplace_threshold,
)

rows = st.lists(
    st.tuples(st.integers(0, 30), st.integers(-1, 6), st.floats(-1e3, 1e3)),
    min_size=1,
    max_size=300,
)


def _pairs(data: list[tuple[int, int, float]]) -> tuple[bd.Pairs, np.ndarray]:
    users = np.array([u for u, _, _ in data], dtype=np.int64)
    parts = np.array([p for _, p, _ in data], dtype=np.int64)
    values = np.array([v for _, _, v in data], dtype=np.float64)
    return bd.encode_pairs(users, 31, parts, 7), values


@settings(max_examples=150, deadline=None)
@given(rows)
def test_pairs_group_rows_exactly(data: list[tuple[int, int, float]]) -> None:
    pairs, values = _pairs(data)
    expected: dict[tuple[int, int], list[float]] = defaultdict(list)
    for u, p, v in data:
        if p >= 0:
            expected[(u, p)].append(v)
    sums = bd.pair_sum(pairs, values)
    got = {
        (int(pairs.user[i]), int(pairs.part[i])): (pairs.rows[i], sums[i])
        for i in range(pairs.n_pairs)
    }
    assert pairs.n_pairs == len(got) == len(expected)
    # Small integer user ids are kept as codes: pairs map back to the input exactly.
    assert set(got) == set(expected)
    for key, (count, total) in got.items():
        assert count == len(expected[key]) and total == pytest.approx(sum(expected[key]))
    assert sorted(r for r, _ in got.values()) == sorted(len(v) for v in expected.values())
    assert sum(s for _, s in got.values()) == pytest.approx(sum(sum(v) for v in expected.values()))
    excluded = sum(1 for _, p, _ in data if p < 0)
    assert int((pairs.row_pair1 == 0).sum()) == excluded


@settings(max_examples=150, deadline=None)
@given(rows, st.integers(1, 4), st.integers(1, 5))
def test_weighting_keeps_every_user_within_the_classic_bounds(
    data: list[tuple[int, int, float]], k: int, m: int
) -> None:
    pairs, _ = _pairs(data)
    counts = pairs.rows
    w = bd.rows_factor(counts, m) * bd.partitions_factor(pairs, k)
    contrib = counts * w
    assert np.all(contrib <= m + 1e-9)  # L∞: at most M rows' worth per partition
    l1 = np.bincount(pairs.user, weights=contrib, minlength=pairs.n_users)
    l2 = np.sqrt(np.bincount(pairs.user, weights=contrib**2, minlength=pairs.n_users))
    assert np.all(l1 <= m * k + 1e-9)
    assert np.all(l2 <= m * np.sqrt(k) + 1e-9)
    # A user within the bounds is untouched.
    per_user_k = np.bincount(pairs.user, minlength=pairs.n_users)
    inside = (per_user_k[pairs.user] <= k) & (counts <= m)
    assert np.all(w[inside] == 1.0)


@settings(max_examples=100, deadline=None)
@given(rows, st.integers(1, 4))
def test_random_partitions_keep_at_most_k_per_user(
    data: list[tuple[int, int, float]], k: int
) -> None:
    pairs, _ = _pairs(data)
    keep = bd.keep_random_partitions(pairs, k, seed=3)
    kept = np.bincount(pairs.user[keep], minlength=pairs.n_users)
    have = np.bincount(pairs.user, minlength=pairs.n_users)
    assert np.array_equal(kept, np.minimum(have, k))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50),
    st.floats(1e-3, 1e4),
    st.sampled_from([1, 2]),
)
def test_clipping_and_quantizing_never_exceed_the_bound(
    values: list[float], bound: float, order: int
) -> None:
    v = np.array(values)
    pairs = bd.Pairs(
        row_pair1=np.arange(1, v.size + 1),
        user=np.zeros(v.size, dtype=np.int64),
        part=np.arange(v.size, dtype=np.int64),
        n_users=1,
        n_parts=v.size,
        rows=np.ones(v.size),
    )
    norm = bd.user_norms(pairs, [v], order)
    f = bd.clip_factors(norm, bound)
    grid = bd.grid_for(bound)
    units = bd.quantize(v * f[0], grid)
    assert np.all(np.abs(units * grid) <= np.abs(v * f[0]))
    clipped = np.sum(np.abs(units * grid) ** order) ** (1 / order)
    assert clipped <= bound * (1 + 1e-12)
    assert 2**20 <= bound / grid < 2**21


def test_partition_totals_are_exact_and_refuse_overflow() -> None:
    units = np.array([2.0**51, 1.0, 3.0])
    # 2**51 + 1 is exact in float64 (a naive float sum of scaled values would not be).
    assert bd.partition_totals(np.array([0, 0, 1]), units, 2).tolist() == [2.0**51 + 1, 3.0]
    with pytest.raises(OverflowError):
        bd.partition_totals(np.array([0, 0, 1]), units * 4, 2)


def test_dense_codes() -> None:
    codes, n = bd.dense_codes(np.array([5, 3, 5, 0]))
    assert codes.tolist() == [5, 3, 5, 0] and n == 6
    codes, n = bd.dense_codes(np.array([10**12, 7, 10**12]))
    assert codes.tolist() == [0, 1, 0] and n == 2
    codes, n = bd.dense_codes(np.array(["b", "a", "b"], dtype=object))
    assert codes.tolist() == [0, 1, 0] and n == 2


def test_integer_noise_has_the_stated_scale() -> None:
    zeros = np.zeros(20000, dtype=np.int64)
    g = discrete_gaussian(zeros, 7.0)
    assert g.dtype == np.int64 and abs(g.mean()) < 0.3 and 6.7 < g.std() < 7.3
    lap = discrete_laplace(zeros, 5.0)
    assert abs(lap.mean()) < 0.3 and 6.7 < lap.std() < 7.4  # √2·5 ≈ 7.07
    assert discrete_gaussian(np.zeros(0), 1.0).size == 0
    with pytest.raises(ValueError):
        discrete_gaussian(zeros[:3], 0.0)
    with pytest.raises(OverflowError):
        discrete_gaussian(np.array([2**60]), 1.0)


def test_thresholds_bound_the_single_user_tail() -> None:
    sigma, p = 10.0, 1e-6
    tau = gaussian_threshold(sigma, p)
    assert tau == pytest.approx(1 + sigma * np.sqrt(2 * np.log(1 / p)))
    noise = discrete_gaussian(np.zeros(50000, dtype=np.int64), sigma)
    assert not np.any(1 + noise > tau)
    assert laplace_threshold(4.0, p) == pytest.approx(1 + 4.0 * np.log(1 / p))


# Google differential-privacy, proto/testing/gaussian_closeness_test_cases.textproto:
# (case, raw input, variance). Our integer path (grid, discrete Gaussian) must produce these
# distributions: mean, variance and shape (KS) within fixed tolerances.
GOOGLE_GAUSSIAN_CASES = [
    ("Default parameters", 0.0, 11.73597717285156),
    ("Very high l_inf sensitivity", 0.0, 733498.5733032227),
    ("Large positive raw input", 1000000.0, 11.73597717285156),
    ("Fractional negative raw input", -125773.181179024284936, 11.73597717285156),
]


@pytest.mark.parametrize(("case", "raw", "variance"), GOOGLE_GAUSSIAN_CASES)
def test_google_gaussian_closeness_vectors(case: str, raw: float, variance: float) -> None:
    from scipy import stats

    n = 20000
    sigma = float(np.sqrt(variance))
    grid = bd.grid_for(sigma * 8)
    units = np.full(n, bd.quantize(np.array([raw]), grid)[0])
    out = discrete_gaussian(units, sigma / grid) * grid
    assert abs(out.mean() - raw) < 5 * sigma / np.sqrt(n) + grid, case
    assert out.var() == pytest.approx(variance, rel=0.05), case
    assert stats.kstest(out, "norm", args=(raw, sigma)).pvalue > 1e-4, case
