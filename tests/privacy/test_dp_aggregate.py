"""DP aggregation end to end: error against the stated noise, bounding, selection, retries."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from scipy import stats

from guardrail.errors import InputError, PrivacyBudgetExceeded, UsageError
from guardrail.model.privacy import QuerySpec, Release
from guardrail.privacy import plan_query, run_query
from guardrail.privacy.ledger import Ledger
from guardrail.privacy.spec import parse_spec
from guardrail.testing import Canaries
from tests.privacy.conftest import AT, orders


def spec(text: str, **extra: Any) -> QuerySpec:
    s = parse_spec(text)
    return s.model_copy(update=extra) if extra else s


BASE = """
dataset: shop
user_column: user_id
privacy_unit: customer
budget: {epsilon: 1000000, delta: 1.0e-3}
"""


def cells(rel: Release, aggregate: str, statistic: str | None = None) -> dict[Any, Any]:
    return {
        c.key: c
        for c in rel.cells
        if c.aggregate == aggregate and (statistic is None or c.statistic == statistic)
    }


def _one_row_per_user(n_parts: int = 500, per_part: int = 6, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n = n_parts * per_part
    return {
        "user_id": np.arange(n),
        "province": np.arange(n) % n_parts,
        "amount": np.round(rng.uniform(0, 100, n), 2),
    }


def _public(n: int) -> str:
    return "[" + ", ".join(str(i) for i in range(n)) + "]"


# -- the stated noise is the noise -----------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["gaussian", "laplace"])
def test_release_error_matches_the_stated_noise(ledger: Ledger, mechanism: str) -> None:
    data = _one_row_per_user()
    true_c = np.bincount(data["province"], minlength=500)
    true_s = np.bincount(data["province"], weights=data["amount"], minlength=500)
    delta = "delta: 1.0e-6" if mechanism == "gaussian" else ""
    q = spec(
        BASE
        + f"""
group_by: [province]
partitions: {{public: {_public(500)}}}
epsilon: 1.0
{delta}
mechanism: {mechanism}
bounds: {{max_partitions: 1, max_rows_per_partition: 1, clamp: {{amount: [0, 100]}}}}
aggregates:
  - {{name: orders, kind: count}}
  - {{name: revenue, kind: sum, column: amount}}
"""
    )
    z: list[float] = []
    covered = 0
    for _ in range(3):
        rel = run_query(data, q, ledger=ledger, at=AT, fresh=True)
        assert rel.bounds.auto == ()  # every bound was given
        for name, truth in (("orders", true_c), ("revenue", true_s)):
            for (p,), c in cells(rel, name).items():
                assert c.std is not None and c.value is not None
                z.append((c.value - truth[p]) / c.std)
                covered += c.ci_low <= truth[p] <= c.ci_high  # type: ignore[operator]
    arr = np.array(z)
    assert arr.size == 3000
    assert abs(arr.mean()) < 0.15
    assert 0.9 < arr.std() < 1.1
    assert 0.93 < covered / arr.size < 0.97
    if mechanism == "gaussian":
        assert stats.kstest(arr, "norm").pvalue > 1e-4
    else:
        assert stats.kstest(arr, "laplace", args=(0, 1 / math.sqrt(2))).pvalue > 1e-4


def test_components_compose_to_the_charged_noise_multiplier(ledger: Ledger) -> None:
    data = orders(3000)
    q = spec(
        BASE
        + """
group_by: [province]
partitions: {private: {}}
epsilon: 2.0
aggregates:
  - {name: orders, kind: count}
  - {name: buyers, kind: distinct_users}
  - {name: basket, kind: mean, column: amount}
  - {name: amount_q, kind: quantiles, column: amount, q: [0.5, 0.9]}
  - {name: amount_h, kind: histogram, column: amount, bins: 8}
"""
    )
    rel = run_query(data, q, ledger=ledger, at=AT)
    assert rel.noise_multiplier is not None
    seen: dict[str, tuple[float, float]] = {}
    for n in rel.noise:
        seen.setdefault(n.component, (n.share, (n.sensitivity / n.std) ** 2))
    shares = sum(s for s, _ in seen.values())
    assert shares == pytest.approx(1.0, abs=1e-9)
    # Σ (Δ_c/σ_c)² = 1/z²: the components together are exactly the charged mechanism.
    assert sum(r for _, r in seen.values()) == pytest.approx(rel.noise_multiplier**-2, rel=1e-9)
    assert {"orders", "buyers", "basket", "amount_q", "amount_h", "selection"} <= set(seen)
    assert {"norm:orders", "norm:buyers", "norm:basket", "range:amount_q", "scale:basket"} <= set(
        rel.bounds.auto
    )
    stmt = ledger.budget("shop")
    assert stmt.entries[-1].noise_multiplier == rel.noise_multiplier
    assert rel.delta == 1e-6 and rel.partitions.delta == pytest.approx(5e-7)


# -- bounding ----------------------------------------------------------------------------------


def test_a_heavy_users_influence_is_bounded_as_configured(tmp_path: Any) -> None:
    base = orders(1500, seed=3)
    heavy = orders(1500, seed=3, heavy=5000)  # one more user: 5000 orders of 400 in province 0
    q = spec(
        BASE
        + f"""
group_by: [province]
partitions: {{public: {_public(5)}}}
epsilon: 100000
delta: 1.0e-6
bounds: {{max_partitions: 2, max_rows_per_partition: 10, clamp: {{amount: [0, 500]}}}}
aggregates:
  - {{name: orders, kind: count}}
  - {{name: revenue, kind: sum, column: amount}}
  - {{name: capped, kind: count, norm_bound: 3}}
"""
    )
    with (
        Ledger(f"sqlite:///{tmp_path / 'a.db'}") as a,
        Ledger(f"sqlite:///{tmp_path / 'b.db'}") as b,
    ):
        r0 = run_query(base, q, ledger=a, at=AT)
        r1 = run_query(heavy, q, ledger=b, at=AT)
    for name, per_part in (("orders", 10.0), ("revenue", 10 * 400.0), ("capped", 3.0)):
        c0, c1 = cells(r0, name), cells(r1, name)
        diff = np.array([c1[k].value - c0[k].value for k in sorted(c0)])
        tol = 8 * max(c0[(0,)].std or 0, 1e-9) * math.sqrt(2)
        assert abs(diff[0]) <= per_part + tol
        assert np.all(np.abs(diff[1:]) <= tol)
        assert diff[0] > per_part / 2  # the heavy user does count, up to the bound
    # Without the bounds the heavy user alone would add 5000 orders.
    assert cells(r1, "orders")[(0,)].value - cells(r0, "orders")[(0,)].value < 20


def test_private_selection_never_releases_a_key_held_by_one_user(ledger: Ledger) -> None:
    canary = Canaries(seed=11)
    rare = f"RARE-{canary.cn_mobile()}"
    data = orders(1500, seed=5)
    prov = np.array([f"P{p}" for p in data["province"]], dtype=object)
    user = np.concatenate([data["user_id"], np.full(40, 99999)])
    prov = np.concatenate([prov, np.full(40, rare, dtype=object)])
    amount = np.concatenate([data["amount"], np.full(40, 10.0)])
    frame = {"user_id": user, "province": list(prov), "amount": amount}
    q = spec(
        BASE
        + """
group_by: [province]
partitions: {private: {max_partitions: 1}}
epsilon: 0.5
delta: 1.0e-6
aggregates:
  - {name: orders, kind: count}
"""
    )
    released: set[Any] = set()
    for _ in range(25):
        rel = run_query(frame, q, ledger=ledger, at=AT, fresh=True)
        keys = [c.key for c in rel.cells]
        assert keys == sorted(keys)  # sorted by key, never by count
        released |= {k[0] for k in keys}
        assert rel.partitions.kind == "private" and rel.partitions.max_partitions == 1
        assert rel.partitions.threshold is not None and rel.partitions.threshold > 1
        canary.assert_absent(rel.model_dump_json(), names=["release"])
    assert released == {f"P{i}" for i in range(5)}


def test_public_partitions_release_every_key_and_drop_others(ledger: Ledger) -> None:
    data = _one_row_per_user(n_parts=4, per_part=50)
    q = spec(
        BASE
        + """
group_by: [province]
partitions: {public: [0, 1, 2, 7]}
epsilon: 1000
delta: 1.0e-6
bounds: {max_partitions: 1, max_rows_per_partition: 1}
aggregates:
  - {name: orders, kind: count}
"""
    )
    rel = run_query(data, q, ledger=ledger, at=AT)
    got = {k[0]: round(c.value or 0) for k, c in cells(rel, "orders").items()}
    assert got == {0: 50, 1: 50, 2: 50, 7: 0}


def test_string_keys_and_several_group_by_columns(ledger: Ledger) -> None:
    n = 400
    data = {
        "user_id": [f"u{i}" for i in range(n)],
        "city": ["上海" if i % 2 else "北京" for i in range(n)],
        "channel": ["app" if i % 4 < 2 else "web" for i in range(n)],
    }
    q = spec(
        BASE
        + """
group_by: [city, channel]
partitions: {public: [[上海, app], [上海, web], [北京, app], [北京, web], [广州, app]]}
epsilon: 1000
delta: 1.0e-6
bounds: {max_partitions: 1}
aggregates:
  - {name: buyers, kind: distinct_users}
"""
    )
    rel = run_query(data, q, ledger=ledger, at=AT)
    got = {k: round(c.value or 0) for k, c in cells(rel, "buyers").items()}
    assert got == {
        ("上海", "app"): 100,
        ("上海", "web"): 100,
        ("北京", "app"): 100,
        ("北京", "web"): 100,
        ("广州", "app"): 0,
    }


# -- estimands ---------------------------------------------------------------------------------


def test_mean_quantiles_histogram_and_distinct_users_are_accurate(ledger: Ledger) -> None:
    n = 20000
    rng = np.random.default_rng(2)
    amount = rng.uniform(0, 100, n)
    data = {"user_id": np.arange(n), "amount": amount}
    q = spec(
        BASE
        + """
epsilon: 20
delta: 1.0e-6
bounds: {max_rows_per_partition: 1, max_partitions: 1, clamp: {amount: [0, 100]}}
aggregates:
  - {name: basket, kind: mean, column: amount}
  - {name: q, kind: quantiles, column: amount, q: [0.5, 0.9], bins: 200, scale: linear}
  - {name: h, kind: histogram, column: amount, edges: [0, 25, 50, 100]}
  - {name: buyers, kind: distinct_users}
"""
    )
    rel = run_query(data, q, ledger=ledger, at=AT)
    assert cells(rel, "basket")[()].value == pytest.approx(amount.mean(), abs=1.0)
    assert cells(rel, "q", "p50")[()].value == pytest.approx(np.median(amount), abs=2.0)
    assert cells(rel, "q", "p90")[()].value == pytest.approx(np.quantile(amount, 0.9), abs=2.0)
    hist = {c.statistic: c.value for c in rel.cells if c.aggregate == "h"}
    truth = np.histogram(amount, [0, 25, 50, 100])[0]
    assert list(hist) == ["[0, 25)", "[25, 50)", "[50, 100]"]
    assert np.allclose(list(hist.values()), truth, atol=60)
    assert cells(rel, "buyers")[()].value == pytest.approx(n, abs=60)
    for c in rel.cells:
        assert c.ci_low is not None and c.ci_high is not None and c.ci_low <= c.value <= c.ci_high  # type: ignore[operator]


def test_per_user_estimands_resist_heavy_users(ledger: Ledger) -> None:
    n = 5000
    user = np.concatenate([np.arange(n), np.full(3000, n)])
    amount = np.concatenate([np.full(n, 10.0), np.full(3000, 1000.0)])
    data = {"user_id": user, "amount": amount}
    q = spec(
        BASE
        + """
epsilon: 50
delta: 1.0e-6
bounds: {clamp: {amount: [0, 1000]}}
aggregates:
  - {name: per_user, kind: mean, column: amount, per_user: mean}
  - {name: spend, kind: quantiles, column: amount, per_user: sum, q: [0.5]}
"""
    )
    rel = run_query(data, q, ledger=ledger, at=AT)
    # One user with 3000 orders of 1000 moves the row mean to ~380; per user it is ~10.2.
    assert cells(rel, "per_user")[()].value == pytest.approx(10.2, abs=2.0)
    assert cells(rel, "spend")[()].value == pytest.approx(10.0, rel=0.3)


def test_truncation_bias_is_estimated(ledger: Ledger) -> None:
    n = 3000
    data = {"user_id": np.repeat(np.arange(n), 3), "province": np.repeat(np.arange(n) % 3, 3)}
    q = spec(
        BASE
        + """
group_by: [province]
partitions: {public: [0, 1, 2]}
epsilon: 50
delta: 1.0e-6
bounds: {max_partitions: 1, max_rows_per_partition: 1}
aggregates:
  - {name: orders, kind: count}
"""
    )
    rel = run_query(data, q, ledger=ledger, at=AT)
    (bias,) = rel.bias
    assert bias.aggregate == "orders" and bias.clip == 8.0
    assert bias.estimate == pytest.approx(2 * n, abs=6 * bias.std)
    for c in cells(rel, "orders").values():
        assert c.value == pytest.approx(1000, abs=10)
        assert c.expected_bias == pytest.approx(2000, rel=0.1)


def test_automatic_bounds_beat_fixed_small_bounds(ledger: Ledger) -> None:
    data = orders(30000, seed=9)
    truth = np.bincount(data["province"], minlength=5)
    text = (
        BASE
        + f"""
group_by: [province]
partitions: {{public: {_public(5)}}}
epsilon: 1.0
delta: 1.0e-6
aggregates:
  - {{name: orders, kind: count}}
"""
    )
    auto = run_query(data, spec(text), ledger=ledger, at=AT)
    fixed = run_query(
        data,
        spec(text + "bounds: {max_partitions: 1, max_rows_per_partition: 2}\n"),
        ledger=ledger,
        at=AT,
    )

    def err(rel: Release) -> float:
        got = np.array([c.value for _, c in sorted(cells(rel, "orders").items())])
        return float(np.median(np.abs(got - truth) / truth))

    assert "norm:orders" in auto.bounds.auto and auto.notes == ()
    assert err(auto) < err(fixed) / 2


# -- the ledger around a query ----------------------------------------------------------------


def test_retries_get_the_first_answer_and_fresh_releases_are_charged(ledger: Ledger) -> None:
    data = orders(500)
    q = spec(BASE + "epsilon: 1.0\naggregates: [{name: orders, kind: count}]\n")
    first = run_query(data, q, ledger=ledger, at=AT, source="orders.csv")
    again = run_query(data, q, ledger=ledger, at=AT, source="orders.csv")
    assert again == first
    other_source = run_query(data, q, ledger=ledger, at=AT, source="other.csv")
    fresh = run_query(data, q, ledger=ledger, at=AT, source="orders.csv", fresh=True)
    assert len({first.id, other_source.id, fresh.id}) == 3
    assert len(ledger.budget("shop").entries) == 3
    assert [r.id for r in ledger.releases("shop")] == [first.id, other_source.id, fresh.id]
    assert ledger.releases("shop")[0].cells == ()
    assert ledger.releases("shop", with_cells=True)[0] == first
    assert ledger.release(first.id) == first


def test_over_budget_queries_draw_no_noise(ledger: Ledger) -> None:
    data = orders(500)
    q = spec(
        BASE.replace("epsilon: 1000000, delta: 1.0e-3", "epsilon: 1.05, delta: 1.0e-6")
        + "epsilon: 1.0\naggregates: [{name: orders, kind: count}]\n"
    )
    run_query(data, q, ledger=ledger, at=AT)
    plan = plan_query(data, q)
    with pytest.raises(PrivacyBudgetExceeded):
        ledger.reserve(
            "shop", plan.charge(), privacy_unit="customer", request_key="x", description="d", at=AT
        )
    assert not plan.noise_drawn
    with pytest.raises(PrivacyBudgetExceeded):
        run_query(data, q, ledger=ledger, at=AT, fresh=True)
    assert len(ledger.budget("shop").entries) == 1


# -- input errors --------------------------------------------------------------------------------


def test_input_errors_name_the_column_not_the_value(ledger: Ledger) -> None:
    canary = Canaries(seed=4)
    email = canary.email()
    q = spec(BASE + "epsilon: 1.0\naggregates: [{name: s, kind: sum, column: amount}]\n")
    with pytest.raises(InputError, match="no column named 'amount'") as info:
        run_query({"user_id": [1, 2]}, q, ledger=ledger, at=AT)
    assert "user_id" in str(info.value)
    with pytest.raises(InputError, match="'amount' holds values that are not numbers") as info:
        run_query({"user_id": [1, 2], "amount": ["12.5", email]}, q, ledger=ledger, at=AT)
    canary.assert_absent(str(info.value), repr(info.value))
    keyed = spec(
        BASE
        + """
group_by: [province]
partitions: {public: [1, 2]}
epsilon: 1.0
aggregates: [{name: c, kind: count}]
"""
    )
    with pytest.raises(InputError, match="public keys of 'province' do not match"):
        run_query({"user_id": [1, 2], "province": [b"\x00", b"\x01"]}, keyed, ledger=ledger, at=AT)
    assert ledger.budget("shop").entries == ()


def test_a_new_dataset_needs_a_budget(ledger: Ledger) -> None:
    q = spec(
        "dataset: fresh\nuser_column: user_id\nepsilon: 1\naggregates: [{name: c, kind: count}]\n"
    )
    with pytest.raises(UsageError, match="has no budget"):
        run_query({"user_id": [1]}, q, ledger=ledger, at=AT)


def test_rows_without_a_user_are_left_out(ledger: Ledger) -> None:
    q = spec(
        BASE
        + "epsilon: 1000\ndelta: 1.0e-6\nbounds: {max_rows_per_partition: 1, max_partitions: 1}\naggregates: [{name: c, kind: count}]\n"
    )
    users: list[Any] = [f"u{i}" for i in range(300)] + [None] * 200
    rel = run_query({"user_id": users}, q, ledger=ledger, at=AT)
    assert cells(rel, "c")[()].value == pytest.approx(300, abs=5)


def test_quantiles_of_an_empty_partition_are_withheld(ledger: Ledger) -> None:
    q = spec(
        BASE
        + """
group_by: [province]
partitions: {public: [0, 1]}
epsilon: 1.0
bounds: {max_partitions: 1, max_rows_per_partition: 1, clamp: {amount: [0, 100]}}
aggregates: [{name: q, kind: quantiles, column: amount}]
"""
    )
    data = {
        "user_id": np.arange(2000),
        "province": np.zeros(2000, dtype=np.int64),
        "amount": np.full(2000, 50.0),
    }
    rel = run_query(data, q, ledger=ledger, at=AT)
    by_key: dict[Any, list[Any]] = defaultdict(list)
    for c in rel.cells:
        by_key[c.key].append(c.value)
    assert by_key[(1,)] == [None]
    assert by_key[(0,)][0] == pytest.approx(50, abs=5)


def test_empty_partition_false_release_rate() -> None:
    """An empty partition's quantiles show at most at the rates _quantile_ci states."""
    from guardrail.privacy.aggregate import _quantile_ci

    rng = np.random.default_rng(20261122)
    edges = np.linspace(0.0, 100.0, 65)
    sigma = 3.0

    def shown(rows: np.ndarray) -> int:
        return sum(
            _quantile_ci(r, edges[: r.size + 1], 0.5, sigma, 1.96)[0] is not None for r in rows
        )

    # Gaussian noise, 64 bins: stated rate < 3e-7, so none of 20,000 empty partitions.
    assert shown(rng.normal(0.0, sigma, size=(20_000, 64))) == 0
    # Laplace noise, one bin (the worst case): the exact rate 4.2e-4 (stated < 5e-4).
    lap = rng.laplace(0.0, sigma / math.sqrt(2), size=(200_000, 1))
    expected = lap.shape[0] * 0.5 * math.exp(-5 * math.sqrt(2))  # P(Laplace > 5 std)
    assert abs(shown(lap) - expected) < 5 * math.sqrt(expected)
    # A partition well above the noise always shows.
    full = rng.normal(0.0, sigma, size=(200, 64))
    full[:, 30] += 80 * sigma  # threshold 5·σ·√64 = 40σ; the noise sum has std 8σ
    assert shown(full) == 200


def test_a_release_is_citable_audit_evidence(ledger: Ledger) -> None:
    from guardrail.privacy.evidence import ANONYMISATION_REFS, release_evidence

    q = spec(
        BASE + "epsilon: 0.5\ndescription: orders per day\naggregates: [{name: c, kind: count}]\n"
    )
    run_query(orders(300), q, ledger=ledger, at=AT)
    (rel,) = ledger.releases("shop")
    ev = release_evidence(rel, ledger.budget("shop", at=AT))
    facts = {f.name: f.value for f in ev.facts}
    assert facts["epsilon"] == 0.5 and facts["delta"] == 1e-6 and facts["dataset"] == "shop"
    assert facts["privacy_unit"] == "customer" and facts["release_id"] == rel.id
    assert 0 < facts["dataset_epsilon_spent"] <= 0.5  # type: ignore[operator]
    assert "ε=0.5" in ev.summary.en and "ε=0.5" in ev.summary.zh and "用户级" in ev.summary.zh
    assert [str(r) for r in ANONYMISATION_REFS] == [
        "PIPL Art. 73(4)",
        "PIPL Art. 4",
        "GDPR Recital 26",
        "Cal. Civ. Code §1798.140(m) ⚠",
    ]


def test_a_plan_releases_once() -> None:
    q = spec(BASE + "epsilon: 1.0\naggregates: [{name: c, kind: count}]\n")
    plan = plan_query(orders(200), q)
    first = plan.release(release_id="rel_x", query_digest="d", source="", at=AT)
    assert plan.noise_drawn and first.cells
    with pytest.raises(UsageError, match="already released"):
        plan.release(release_id="rel_y", query_digest="d", source="", at=AT)
