"""DP-SGD charged to the same ledger, only when it protects the same unit."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pytest

from guardrail.errors import PrivacyBudgetExceeded, UsageError
from guardrail.model.privacy import DatasetBudget
from guardrail.privacy import run_query
from guardrail.privacy.accounting import RDP_ORDERS
from guardrail.privacy.ledger import Ledger
from guardrail.privacy.spec import parse_spec
from tests.privacy.conftest import AT, orders

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")

from guardrail.privacy.train import UserPoissonSampler, make_private  # noqa: E402


def _model() -> tuple[Any, Any]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.5)


def _data(n: int, users: np.ndarray | None = None) -> tuple[Any, np.ndarray]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 3, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).float().unsqueeze(1)
    ids = np.arange(n) if users is None else users
    return torch.utils.data.TensorDataset(x, y), ids


def _ledger(ledger: Ledger, eps: float = 10.0) -> None:
    ledger.ensure_dataset(
        "shop", privacy_unit="customer", budget=DatasetBudget(epsilon=eps, delta=1e-5), at=AT
    )


def _private(
    ledger: Ledger,
    *,
    n: int,
    user_ids: np.ndarray | None = None,
    privacy_unit: str = "customer",
    epsilon: float,
    epochs: int,
    batch: int,
    sampling: Literal["examples", "users"] = "examples",
) -> Any:
    """``make_private`` on ``n`` examples for the ledger's ``shop`` dataset (δ 1e-5, clip 1)."""
    dataset, ids = _data(n, user_ids)
    model, opt = _model()
    return make_private(
        model,
        opt,
        dataset,
        ledger=ledger,
        ledger_dataset="shop",
        privacy_unit=privacy_unit,
        user_ids=ids,
        target_epsilon=epsilon,
        target_delta=1e-5,
        epochs=epochs,
        expected_batch_size=batch,
        max_grad_norm=1.0,
        at=AT,
        sampling=sampling,
    )


def _rdp(history: list[tuple[float, float, int]], delta: float) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from opacus.accountants import RDPAccountant

        acct = RDPAccountant()
        acct.history = history
        return float(acct.get_epsilon(delta=delta, alphas=[float(a) for a in RDP_ORDERS]))


def _train(p: Any, epochs: int = 1) -> float:
    loss_fn = torch.nn.BCEWithLogitsLoss()
    last = float("nan")
    for _ in range(epochs):
        for x, y in p.data_loader:
            p.optimizer.zero_grad()
            loss = loss_fn(p.module(x), y)
            loss.backward()
            p.optimizer.step()
            last = loss.item()
    return last


def test_one_example_per_user_trains_and_composes_with_releases(ledger: Ledger) -> None:
    _ledger(ledger)
    q = parse_spec(
        "dataset: shop\nuser_column: user_id\nprivacy_unit: customer\nepsilon: 1\naggregates: [{name: c, kind: count}]\n"
    )
    rel = run_query(orders(300), q, ledger=ledger, at=AT)
    p = _private(ledger, n=400, epsilon=2.0, epochs=3, batch=50)
    run = p.run
    assert run.epsilon <= 2.0 and run.sample_rate == 1 / 8 and run.steps == 24
    assert run.sampling == "examples" and not run.secure_mode
    assert np.isfinite(_train(p, 3))
    stmt = ledger.budget("shop")
    history = [(rel.noise_multiplier, 1.0, 1), (run.noise_multiplier, run.sample_rate, run.steps)]
    assert stmt.epsilon_spent == _rdp(history, 1e-5)  # type: ignore[arg-type]
    assert stmt.training_runs == 1 and ledger.training_runs("shop") == [run]
    assert [e.kind for e in stmt.entries] == ["release", "training"]


def test_several_examples_per_user_are_refused_at_example_level(ledger: Ledger) -> None:
    _ledger(ledger)
    ids = np.arange(400) // 4  # four examples per customer
    with pytest.raises(UsageError, match="more than one training example") as info:
        _private(ledger, n=400, user_ids=ids, epsilon=2.0, epochs=1, batch=50)
    assert "sampling='users'" in (info.value.hint or "")
    assert ledger.budget("shop").entries == ()


def test_user_level_sampling_takes_one_example_per_user(ledger: Ledger) -> None:
    _ledger(ledger)
    ids = np.arange(400) // 4
    p = _private(ledger, n=400, user_ids=ids, epsilon=3.0, epochs=2, batch=20, sampling="users")
    assert p.run.sample_rate == 1 / 5 and p.run.steps == 10 and p.run.sampling == "users"
    assert np.isfinite(_train(p, 2))
    sampler = UserPoissonSampler(
        [np.arange(i * 4, i * 4 + 4) for i in range(100)],
        sample_rate=0.3,
        steps=50,
        generator=torch.Generator().manual_seed(3),
    )
    sizes = []
    for batch in sampler:
        users = [i // 4 for i in batch]
        assert len(users) == len(set(users))
        sizes.append(len(batch))
    assert 20 < np.mean(sizes) < 40


def test_other_units_and_overspending_are_refused(ledger: Ledger) -> None:
    _ledger(ledger, eps=1.0)
    ids = np.arange(200)
    with pytest.raises(UsageError, match="protects the privacy unit 'customer'"):
        _private(ledger, n=200, privacy_unit="example", epsilon=0.5, epochs=1, batch=20)
    with pytest.raises(PrivacyBudgetExceeded):
        _private(ledger, n=200, epsilon=2.0, epochs=1, batch=20)
    with pytest.raises(UsageError, match="one privacy unit per example"):
        _private(ledger, n=200, user_ids=ids[:10], epsilon=0.5, epochs=1, batch=20)
    assert ledger.budget("shop").entries == ()
