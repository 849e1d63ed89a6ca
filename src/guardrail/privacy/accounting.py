"""Calibration arithmetic for Gaussian releases (pure numpy, no torch).

The ledger composes releases with Opacus' accountants (:mod:`guardrail.privacy.ledger`),
evaluated at :data:`RDP_ORDERS`;
importing Opacus costs seconds, so the *calibration* of one release — which noise multiplier
z = σ/Δ makes a single Gaussian mechanism (ε, δ)-DP — uses the same RDP curve and the same
conversion as Opacus' ``RDPAccountant``, written out here:

* a Gaussian mechanism with sample rate 1 has RDP ``α / (2 z²)`` at every order α;
* ``ε(δ) = min_α [ rdp(α) − (ln δ + ln α)/(α − 1) + ln((α − 1)/α) ]``
  (Balle et al. 2020, Thm. 21, as in ``opacus.accountants.analysis.rdp.get_privacy_spent``).

For a given α the bound is monotone in z, so the smallest z meeting ε has a closed form per
order; the calibrated z is the minimum over orders. A test checks these numbers against
Opacus itself, and the ledger re-checks every charge with Opacus before noise is drawn.

Gaussian mechanisms compose into a Gaussian mechanism: k releases with multipliers z_i are
exactly one with ``z = (Σ 1/z_i²)^(-1/2)`` (their privacy-loss distributions are Gaussian).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "OPACUS_ORDERS",
    "RDP_ORDERS",
    "calibrate_gaussian",
    "compose_gaussian",
    "gaussian_epsilon",
    "rdp_to_epsilon",
]

#: Opacus' ``RDPAccountant.DEFAULT_ALPHAS``.
OPACUS_ORDERS: tuple[float, ...] = tuple(
    [1 + x / 10.0 for x in range(1, 100)] + [float(a) for a in range(12, 64)]
)
#: The orders the ledger evaluates Opacus' RDP accountant at: its defaults plus larger
#: integer orders. Every order gives a valid bound; without the large ones the accountant
#: cannot state ε below ≈ 0.15 at δ = 1e-6, however much noise is added.
RDP_ORDERS: np.ndarray = np.array(
    [*OPACUS_ORDERS, 64, 80, 96, 128, 160, 192, 256, 384, 512, 768, 1024], dtype=np.float64
)


def rdp_to_epsilon(rdp: np.ndarray, delta: float, orders: np.ndarray = RDP_ORDERS) -> float:
    """ε at ``delta`` of an RDP curve given at ``orders`` (Opacus' conversion)."""
    if not 0 < delta < 1:
        raise ValueError("delta must be in (0, 1)")
    eps = rdp - (math.log(delta) + np.log(orders)) / (orders - 1) + np.log((orders - 1) / orders)
    if np.isnan(eps).all():
        return math.inf
    return float(np.nanmin(eps))


def gaussian_epsilon(noise_multiplier: float, delta: float, steps: int = 1) -> float:
    """ε at ``delta`` of ``steps`` Gaussian releases with σ/Δ = ``noise_multiplier``."""
    if noise_multiplier <= 0:
        return math.inf
    rdp = steps * RDP_ORDERS / (2.0 * noise_multiplier**2)
    return rdp_to_epsilon(rdp, delta)


def calibrate_gaussian(epsilon: float, delta: float) -> float:
    """The smallest σ/Δ for which one Gaussian release is (ε, δ)-DP by the RDP accountant."""
    if not epsilon > 0 or not math.isfinite(epsilon):
        raise ValueError("epsilon must be a positive number")
    if not 0 < delta < 1:
        raise ValueError("delta must be in (0, 1)")
    a = RDP_ORDERS
    slack = epsilon + (math.log(delta) + np.log(a)) / (a - 1) - np.log((a - 1) / a)
    ok = slack > 0
    if not ok.any():  # pragma: no cover - every ε > 0 has some usable order
        raise ValueError("no RDP order reaches this epsilon")
    z = float(np.sqrt(a[ok] / (2.0 * slack[ok])).min())
    # Round up until the forward computation agrees (floating-point ties).
    while gaussian_epsilon(z, delta) > epsilon:
        z = math.nextafter(z, math.inf) * (1 + 1e-12)
    return z


def compose_gaussian(noise_multipliers: list[float] | tuple[float, ...]) -> float:
    """σ/Δ of the single Gaussian mechanism equal to composing the given ones."""
    if not noise_multipliers:
        return math.inf
    total = sum(1.0 / (z * z) for z in noise_multipliers)
    return 1.0 / math.sqrt(total)
