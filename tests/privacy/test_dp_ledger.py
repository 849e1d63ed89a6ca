"""The privacy ledger: composition equals Opacus, atomic reservations, retries, refusals."""

from __future__ import annotations

import multiprocessing as mp
import warnings
from pathlib import Path

import pytest

from guardrail.errors import ConfigError, PrivacyBudgetExceeded, UsageError
from guardrail.model.privacy import DatasetBudget, Release
from guardrail.privacy.accounting import RDP_ORDERS, calibrate_gaussian
from guardrail.privacy.ledger import Charge, Ledger
from tests.privacy.conftest import AT

ORDERS = [float(a) for a in RDP_ORDERS]


def _rdp(history: list[tuple[float, float, int]], delta: float) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from opacus.accountants import RDPAccountant

        acct = RDPAccountant()
        acct.history = list(history)
        return float(acct.get_epsilon(delta=delta, alphas=ORDERS))


def _prv(history: list[tuple[float, float, int]], delta: float) -> float:
    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        from opacus.accountants import PRVAccountant

        acct = PRVAccountant()
        acct.history = list(history)
        return float(acct.get_epsilon(delta=delta))


def _release(led: Ledger, ds: str, charge: Charge, key: str) -> Release:
    res = led.reserve(
        ds, charge, privacy_unit="customer", request_key=key, description=f"q {key}", at=AT
    )
    rel = Release(
        id=res.id,
        dataset=ds,
        description=f"q {key}",
        query_digest=key,
        privacy_unit="customer",
        mechanism="gaussian" if charge.mechanism != "laplace" else "laplace",
        epsilon=charge.epsilon,
        delta=charge.delta,
        noise_multiplier=charge.noise_multiplier,
        created=AT,
    )
    led.commit(res, rel)
    return rel


def _gauss(z: float, sel: float = 0.0) -> Charge:
    return Charge(
        mechanism="gaussian", epsilon=1.0, delta=1e-6, noise_multiplier=z, selection_delta=sel
    )


def _create(led: Ledger, ds: str = "shop", eps: float = 100.0, delta: float = 1e-6) -> None:
    led.ensure_dataset(
        ds, privacy_unit="customer", budget=DatasetBudget(epsilon=eps, delta=delta), at=AT
    )


def test_ledger_epsilon_equals_opacus_for_the_same_history(ledger: Ledger) -> None:
    _create(ledger)
    zs = [5.0, 3.0, 8.0, 4.5]
    for i, z in enumerate(zs):
        _release(ledger, "shop", _gauss(z), f"k{i}")
    sgd = Charge(
        mechanism="dp-sgd",
        epsilon=3.0,
        delta=1e-6,
        noise_multiplier=1.1,
        sample_rate=0.01,
        steps=500,
    )
    res = ledger.reserve(
        "shop",
        sgd,
        privacy_unit="customer",
        request_key="t",
        description="sgd",
        at=AT,
        kind="training",
    )
    history = [(z, 1.0, 1) for z in zs] + [(1.1, 0.01, 500)]
    stmt = ledger.budget("shop")
    assert stmt.epsilon_spent == _rdp(history, 1e-6)  # exactly: same accountant, same history
    assert stmt.reserved == 1 and stmt.releases == 4 and stmt.training_runs == 1
    cumulative = [e.epsilon_cumulative for e in stmt.entries]
    assert cumulative == sorted(cumulative)
    assert cumulative[0] == pytest.approx(_rdp(history[:1], 1e-6), rel=1e-12)
    assert cumulative[-1] == pytest.approx(stmt.epsilon_spent, rel=1e-12)
    assert stmt.epsilon_remaining == pytest.approx(100.0 - stmt.epsilon_spent)
    ledger.cancel(res)
    assert ledger.budget("shop").epsilon_spent == _rdp(history[:-1], 1e-6)


def test_mixed_ledger_matches_the_reports_vectors(ledger: Ledger) -> None:
    # Report §2.2: DP-SGD (σ=1.0, q=256/60000, 14,062 steps) + 10 releases at σ/Δ=5, δ=1e-6:
    # Opacus RDP 4.805, PRV 4.495 (default orders; larger orders can only tighten RDP).
    _create(ledger)
    sgd = Charge(
        mechanism="dp-sgd",
        epsilon=3.4,
        delta=1e-6,
        noise_multiplier=1.0,
        sample_rate=256 / 60000,
        steps=14062,
    )
    res = ledger.reserve(
        "shop",
        sgd,
        privacy_unit="customer",
        request_key="sgd",
        description="sgd",
        at=AT,
        kind="training",
    )
    for i in range(10):
        _release(ledger, "shop", _gauss(5.0), f"r{i}")
    rdp = ledger.budget("shop").epsilon_spent
    assert rdp == pytest.approx(4.805, abs=2e-3)
    prv = ledger.budget("shop", accountant="prv").epsilon_spent
    assert prv == pytest.approx(4.495, abs=0.02)
    # PRV on the uncollapsed history (10 separate releases) agrees within its ε error.
    history = [(1.0, 256 / 60000, 14062)] + [(5.0, 1.0, 1)] * 10
    assert prv == pytest.approx(_prv(history, 1e-6), abs=0.02)
    assert res.cached is None


def test_selection_delta_and_laplace_compose_by_basic_composition(ledger: Ledger) -> None:
    _create(ledger, delta=1e-5)
    _release(ledger, "shop", _gauss(4.0, sel=4e-6), "a")
    lap = Charge(mechanism="laplace", epsilon=0.5, delta=0.0, pure_epsilon=0.5)
    _release(ledger, "shop", lap, "b")
    stmt = ledger.budget("shop")
    assert stmt.delta_selection == pytest.approx(4e-6)
    assert stmt.epsilon_pure == 0.5
    assert stmt.epsilon_spent == pytest.approx(_rdp([(4.0, 1.0, 1)], 1e-5 - 4e-6) + 0.5, rel=1e-12)


def test_a_release_that_would_exceed_the_budget_is_refused(ledger: Ledger) -> None:
    _create(ledger, eps=1.0)
    z = calibrate_gaussian(0.8, 1e-6)
    _release(ledger, "shop", _gauss(z), "first")
    before = ledger.budget("shop")
    with pytest.raises(PrivacyBudgetExceeded) as info:
        ledger.reserve(
            "shop", _gauss(z), privacy_unit="customer", request_key="second", description="q", at=AT
        )
    assert "shop" in info.value.message and "ε=1" in info.value.message
    after = ledger.budget("shop")
    assert after.entries == before.entries  # nothing reserved
    # A release using exactly the remaining budget fits.
    _create(ledger, ds="exact", eps=1.0)
    _release(ledger, "exact", _gauss(calibrate_gaussian(1.0, 1e-6)), "all")
    assert ledger.budget("exact").epsilon_spent <= 1.0


def test_retries_are_served_from_the_first_answer(ledger: Ledger) -> None:
    _create(ledger)
    first = _release(ledger, "shop", _gauss(5.0), "same")
    again = ledger.reserve(
        "shop", _gauss(5.0), privacy_unit="customer", request_key="same", description="q", at=AT
    )
    assert again.cached == first and again.id == first.id
    assert ledger.lookup("shop", "same") == first
    assert ledger.lookup("shop", "other") is None
    assert len(ledger.budget("shop").entries) == 1


def test_an_unfinished_reservation_stays_spent(ledger: Ledger) -> None:
    _create(ledger)
    ledger.reserve(
        "shop", _gauss(5.0), privacy_unit="customer", request_key="open", description="q", at=AT
    )
    with pytest.raises(UsageError, match="reserved but has no recorded answer"):
        ledger.lookup("shop", "open")
    with pytest.raises(UsageError, match="--new-release"):
        ledger.reserve(
            "shop", _gauss(5.0), privacy_unit="customer", request_key="open", description="q", at=AT
        )
    assert ledger.budget("shop").epsilon_spent == _rdp([(5.0, 1.0, 1)], 1e-6)


def test_privacy_units_never_mix(ledger: Ledger) -> None:
    _create(ledger)
    with pytest.raises(UsageError, match="privacy unit 'customer'"):
        ledger.reserve(
            "shop", _gauss(5.0), privacy_unit="order", request_key="x", description="q", at=AT
        )
    with pytest.raises(UsageError, match="privacy unit"):
        ledger.ensure_dataset("shop", privacy_unit="device", budget=None, at=AT)


def test_budgets_are_explicit(ledger: Ledger) -> None:
    with pytest.raises(UsageError, match="has no budget"):
        ledger.ensure_dataset("new", privacy_unit="customer", budget=None, at=AT)
    _create(ledger, eps=2.0)
    with pytest.raises(UsageError, match="ledger holds ε=2"):
        ledger.ensure_dataset(
            "shop", privacy_unit="customer", budget=DatasetBudget(epsilon=3.0, delta=1e-6), at=AT
        )
    _release(ledger, "shop", _gauss(calibrate_gaussian(1.5, 1e-6)), "a")
    with pytest.raises(UsageError, match="below what is spent"):
        ledger.set_budget("shop", epsilon=1.0, delta=1e-6, privacy_unit="customer", at=AT)
    raised = ledger.set_budget("shop", epsilon=4.0, delta=1e-6, privacy_unit="customer", at=AT)
    assert raised.epsilon_total == 4.0 and ledger.datasets() == ["shop"]


def test_bad_ledger_locations_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot parse"):
        Ledger("::not a url::")
    with pytest.raises(ConfigError, match="in-memory"):
        Ledger("sqlite://")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all")
    with pytest.raises(ConfigError, match="not a SQLite database"):
        Ledger(f"sqlite:///{junk}")
    with pytest.raises(ConfigError, match="cannot live"):
        Ledger("oracle://u@h/db")
    led = Ledger(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'l.db'}")
    assert "deep" in repr(led)
    led.close()


def test_passwords_never_show(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        Ledger("postgresql://u:s3cretpw@127.0.0.1:1/none")
    assert "s3cretpw" not in str(info.value)


# -- concurrency: several real processes ------------------------------------------------------


def _spender(url: str, barrier: object, z: float, key: str, out: object) -> None:
    led = Ledger(url)
    barrier.wait()  # type: ignore[attr-defined]
    try:
        _release(led, "shop", _gauss(z), key)
        out.put("ok")  # type: ignore[attr-defined]
    except PrivacyBudgetExceeded:
        out.put("refused")  # type: ignore[attr-defined]
    finally:
        led.close()


def _race(url: str, workers: int = 6) -> None:
    led = Ledger(url)
    _create(led, eps=1.0)
    z = calibrate_gaussian(0.45, 1e-6)
    # How many of these releases fit, by the same accountant.
    fits = max(k for k in range(1, workers + 1) if _rdp([(z, 1.0, 1)] * k, 1e-6) <= 1.0)
    assert 1 < fits < workers
    _rdp([(z, 1.0, 1)], 1e-6)  # import Opacus before forking: children inherit it
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(workers)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_spender, args=(url, barrier, z, f"w{i}", out)) for i in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    results = sorted(out.get(timeout=10) for _ in procs)
    assert results.count("ok") == fits
    stmt = led.budget("shop")
    assert len(stmt.entries) == fits
    assert stmt.epsilon_spent <= 1.0
    led.close()


def test_concurrent_spenders_never_exceed_the_budget_sqlite(ledger_url: str) -> None:
    _race(ledger_url)


@pytest.mark.integration
def test_concurrent_spenders_never_exceed_the_budget_postgresql(pg_database: str) -> None:
    _race(pg_database)


@pytest.mark.integration
def test_concurrent_spenders_never_exceed_the_budget_mariadb(mysql_database: str) -> None:
    _race(mysql_database)


def test_a_naive_time_is_an_input_error_before_anything_is_spent(ledger: Ledger) -> None:
    from datetime import datetime

    from guardrail.errors import InputError

    _create(ledger)
    with pytest.raises(InputError, match="timezone-aware"):
        ledger.reserve(
            "shop",
            _gauss(5.0),
            privacy_unit="customer",
            request_key="naive",
            description="q",
            at=datetime(2026, 1, 1),
        )
    assert ledger.budget("shop").epsilon_spent == 0
