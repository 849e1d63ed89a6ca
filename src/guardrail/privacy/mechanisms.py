"""Noise from OpenDP's vetted samplers, and the thresholds of DP partition selection.

Every random draw that protects a release comes from OpenDP's ``make_gaussian`` /
``make_laplace`` on **integer** vectors: the discrete Gaussian and discrete Laplace of
Canonne, Kamath & Steinke (2020), sampled exactly with OpenDP's CSPRNG. guardrail never
samples noise with floating-point arithmetic of its own (Mironov 2012: the low bits of
textbook float noise reveal the input). Callers put their statistics on an integer grid
first (:func:`guardrail.privacy.bounding.quantize`), so sums are exact, too.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = [
    "MAX_ABS",
    "discrete_gaussian",
    "discrete_laplace",
    "gaussian_threshold",
    "laplace_threshold",
    "normal_quantile",
]

#: Largest magnitude a value may have before noise is added (noise must not overflow i64).
MAX_ABS = 2**53


def _dp() -> Any:
    import opendp.prelude as dp

    # make_gaussian / make_laplace are in OpenDP's "contrib" set (proof documents linked
    # from their docstrings); nothing floating-point-specific is enabled.
    dp.enable_features("contrib")
    return dp


def _as_ints(values: np.ndarray) -> list[int]:
    arr = np.asarray(values)
    if arr.size and float(np.max(np.abs(arr))) >= MAX_ABS:
        raise OverflowError("statistic too large for exact integer noise")
    return [int(v) for v in arr.astype(np.int64).tolist()]


def _discrete(values: np.ndarray, scale: float, gaussian: bool) -> np.ndarray:
    """``values`` (integers) plus OpenDP's discrete Gaussian (L2) or Laplace (L1) noise."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not scale > 0 or not math.isfinite(scale):
        raise ValueError("noise scale must be a positive number")
    dp = _dp()
    make, distance = (
        (dp.m.make_gaussian, dp.l2_distance) if gaussian else (dp.m.make_laplace, dp.l1_distance)
    )
    meas = make(dp.vector_domain(dp.atom_domain(T="i64")), distance(T="i64"), scale=float(scale))
    return np.asarray(meas(_as_ints(values)), dtype=np.int64)


def discrete_gaussian(values: np.ndarray, scale: float) -> np.ndarray:
    """``values`` (integers) plus discrete Gaussian noise of standard deviation ≈ ``scale``."""
    return _discrete(values, scale, gaussian=True)


def discrete_laplace(values: np.ndarray, scale: float) -> np.ndarray:
    """``values`` (integers) plus discrete Laplace noise of scale ``scale`` (std ≈ √2·scale)."""
    return _discrete(values, scale, gaussian=False)


def gaussian_threshold(sigma: float, delta_per_key: float) -> float:
    """Threshold τ on a noisy distinct-user count so a key held by one user passes w.p. ≤ δ.

    The key's true count is 1; the discrete Gaussian is σ-subgaussian (Canonne, Kamath &
    Steinke 2020, Cor. 23), so P[1 + X > τ] ≤ exp(−(τ − 1)² / 2σ²) = ``delta_per_key``.
    """
    return 1.0 + sigma * math.sqrt(2.0 * math.log(1.0 / delta_per_key))


def laplace_threshold(scale: float, delta_per_key: float) -> float:
    """Threshold τ so P[1 + X > τ] ≤ ``delta_per_key`` for discrete Laplace noise X.

    For the discrete Laplace, P[X ≥ t] ≤ exp(−t / scale) for integers t ≥ 0.
    """
    return 1.0 + scale * math.log(1.0 / delta_per_key)


def normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)
