"""Calibration arithmetic against Opacus' accountants and the research report's vectors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.privacy.accounting import (
    OPACUS_ORDERS,
    RDP_ORDERS,
    calibrate_gaussian,
    compose_gaussian,
    gaussian_epsilon,
)


def _opacus_rdp(
    history: list[tuple[float, float, int]], delta: float, orders: object = RDP_ORDERS
) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from opacus.accountants import RDPAccountant

        acct = RDPAccountant()
        acct.history = list(history)
        return float(acct.get_epsilon(delta=delta, alphas=[float(a) for a in orders]))


def test_orders_extend_opacus_defaults() -> None:
    from opacus.accountants import RDPAccountant

    assert list(OPACUS_ORDERS) == [float(a) for a in RDPAccountant.DEFAULT_ALPHAS]
    assert RDP_ORDERS.tolist()[: len(OPACUS_ORDERS)] == list(OPACUS_ORDERS)
    assert RDP_ORDERS.max() >= 1024


# ../shared/reference/differential-privacy.md §2.1, column "Opacus RDP" (δ = 1e-6).
@pytest.mark.parametrize(
    ("z", "k", "expected"),
    [
        (1, 1, 5.222),
        (2, 1, 2.419),
        (3, 1, 1.558),
        (4, 1, 1.143),
        (5, 1, 0.900),
        (1, 10, 20.552),
        (2, 10, 8.847),
        (5, 10, 3.131),
        (3, 100, 21.978),
        (5, 100, 11.689),
    ],
)
def test_gaussian_epsilon_matches_the_report(z: float, k: int, expected: float) -> None:
    # The report used Opacus' default orders; larger orders can only tighten.
    assert _opacus_rdp([(z, 1.0, k)], 1e-6, OPACUS_ORDERS) == pytest.approx(expected, abs=6e-4)
    assert gaussian_epsilon(z, 1e-6, steps=k) <= expected + 6e-4
    assert gaussian_epsilon(z, 1e-6, steps=k) == pytest.approx(
        _opacus_rdp([(z, 1.0, k)], 1e-6), rel=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(
    z=st.floats(min_value=0.3, max_value=200.0),
    delta=st.floats(min_value=1e-12, max_value=1e-2),
)
def test_gaussian_epsilon_equals_opacus(z: float, delta: float) -> None:
    assert gaussian_epsilon(z, delta) == pytest.approx(_opacus_rdp([(z, 1.0, 1)], delta), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    eps=st.floats(min_value=0.05, max_value=20.0),
    delta=st.floats(min_value=1e-12, max_value=1e-2),
)
def test_calibration_is_tight_and_safe(eps: float, delta: float) -> None:
    z = calibrate_gaussian(eps, delta)
    assert gaussian_epsilon(z, delta) <= eps
    assert _opacus_rdp([(z, 1.0, 1)], delta) <= eps * (1 + 1e-12)
    # 0.1 % less noise would overspend.
    assert gaussian_epsilon(z * 0.999, delta) > eps


def test_small_epsilon_can_be_stated() -> None:
    z = calibrate_gaussian(0.05, 1e-6)
    assert gaussian_epsilon(z, 1e-6) <= 0.05
    # With Opacus' default orders alone no amount of noise gets below ≈ 0.14 at δ = 1e-6.
    assert _opacus_rdp([(1e6, 1.0, 1)], 1e-6, OPACUS_ORDERS) > 0.13


def test_composition_of_gaussians_is_one_gaussian() -> None:
    zs = [3.0, 5.0, 7.5, 2.2]
    z = compose_gaussian(zs)
    assert z == pytest.approx(1 / math.sqrt(sum(1 / x**2 for x in zs)))
    together = _opacus_rdp([(x, 1.0, 1) for x in zs], 1e-6)
    assert gaussian_epsilon(z, 1e-6) == pytest.approx(together, rel=1e-12)
    assert compose_gaussian([]) == math.inf


def test_invalid_parameters_are_rejected() -> None:
    for eps, delta in [(0.0, 1e-6), (-1.0, 1e-6), (math.inf, 1e-6), (1.0, 0.0), (1.0, 1.0)]:
        with pytest.raises(ValueError):
            calibrate_gaussian(eps, delta)
    assert gaussian_epsilon(0.0, 1e-6) == math.inf
    assert np.isfinite(gaussian_epsilon(1e-3, 1e-6))
