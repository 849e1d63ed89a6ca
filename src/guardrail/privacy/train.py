"""DP-SGD with Opacus, charged to the same privacy ledger as aggregate releases.

:func:`make_private` wraps Opacus' ``PrivacyEngine``. Before any gradient noise is drawn it
calibrates the noise multiplier for the target (ε, δ) with Opacus' RDP accountant and
reserves the run ``(σ, q, steps)`` in the dataset's ledger — the same ledger, and the same
accountant, that composes the dataset's aggregate releases.

Composing a training run with user-level releases is only valid when the run protects the
same unit. Opacus' DP-SGD protects *one example*; it protects one *user* only when

* every user contributes at most one example (``sampling="examples"``, the default: this is
  checked from ``user_ids``), or
* users, not examples, are sampled (``sampling="users"``): each step includes every user
  with probability q and takes one random example of each included user, so a user's
  influence per step is one clipped gradient.

Anything else is refused with the reason. Opacus draws its noise with ``torch.normal``;
``secure_mode`` (a CSPRNG) needs ``torchcsprng``, which is rarely installable — the run's
``notes`` say which was used.
"""

from __future__ import annotations

import math
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from guardrail.errors import UsageError
from guardrail.model.privacy import TrainingRun

if TYPE_CHECKING:
    from guardrail.privacy.ledger import Ledger

__all__ = ["PrivateTraining", "UserPoissonSampler", "make_private"]


@dataclass
class PrivateTraining:
    """What :func:`make_private` returns: train with these, the budget is already charged."""

    module: Any
    optimizer: Any
    data_loader: Any
    engine: Any
    run: TrainingRun

    def __repr__(self) -> str:
        return f"PrivateTraining(run={self.run.id!r}, epsilon={self.run.epsilon:.4g})"


class UserPoissonSampler:
    """Batches of example indexes: each user w.p. ``sample_rate``, one random example each."""

    def __init__(
        self,
        groups: Sequence[np.ndarray],
        *,
        sample_rate: float,
        steps: int,
        generator: Any = None,
    ) -> None:
        import torch

        self._groups = [np.asarray(g, dtype=np.int64) for g in groups]
        self._sizes = torch.tensor([len(g) for g in self._groups], dtype=torch.float64)
        self.sample_rate = sample_rate
        self.steps = steps
        self.generator = generator

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[list[int]]:
        import torch

        n = len(self._groups)
        for _ in range(self.steps):
            mask = torch.rand(n, generator=self.generator) < self.sample_rate
            users = mask.nonzero(as_tuple=False).reshape(-1)
            picks = torch.floor(
                torch.rand(users.numel(), generator=self.generator, dtype=torch.float64)
                * self._sizes[users]
            ).long()
            yield [
                int(self._groups[u][p]) for u, p in zip(users.tolist(), picks.tolist(), strict=True)
            ]


def _groups(user_ids: Sequence[Any]) -> list[np.ndarray]:
    ids = np.asarray(user_ids)
    if ids.ndim != 1:
        raise UsageError("user_ids must be one id per training example")
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    return np.split(order, starts[1:])


def make_private(
    module: Any,
    optimizer: Any,
    dataset: Any,
    *,
    ledger: Ledger,
    ledger_dataset: str,
    privacy_unit: str,
    user_ids: Sequence[Any],
    target_epsilon: float,
    target_delta: float,
    epochs: int,
    expected_batch_size: int,
    max_grad_norm: float,
    at: datetime,
    sampling: Literal["examples", "users"] = "examples",
    description: str = "DP-SGD training run",
    secure_mode: bool = False,
    generator: Any = None,
) -> PrivateTraining:
    """Make ``module``/``optimizer`` differentially private and charge ``ledger_dataset``.

    ``user_ids`` gives the privacy unit (user) of every example of ``dataset``. Raises
    :class:`~guardrail.errors.PrivacyBudgetExceeded` if the run does not fit the budget, and
    :class:`~guardrail.errors.UsageError` if its privacy unit cannot compose with the ledger.
    """
    import torch
    from torch.utils.data import DataLoader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from opacus import PrivacyEngine
        from opacus.accountants import RDPAccountant
        from opacus.accountants.utils import get_noise_multiplier
        from opacus.data_loader import dtype_safe, shape_safe, wrap_collate_with_empty
        from opacus.utils.uniform_sampler import UniformWithReplacementSampler

    from guardrail.privacy.ledger import Charge

    if not target_epsilon > 0 or not 0 < target_delta < 1:
        raise UsageError("target_epsilon must be positive and target_delta in (0, 1)")
    if epochs < 1 or expected_batch_size < 1 or not max_grad_norm > 0:
        raise UsageError("epochs, expected_batch_size and max_grad_norm must be positive")
    statement = ledger.budget(ledger_dataset, at=at)
    if statement.privacy_unit != privacy_unit:
        raise UsageError(
            f"dataset '{ledger_dataset}' protects the privacy unit "
            f"'{statement.privacy_unit}', this run protects '{privacy_unit}'",
            hint="DP-SGD and releases compose only when they protect the same unit; "
            "train with the dataset's unit (one example per user, or sampling='users')",
        )
    n_examples = len(dataset)
    if len(user_ids) != n_examples:
        raise UsageError("user_ids must give one privacy unit per example of the dataset")
    groups = _groups(user_ids)
    n_units = len(groups)
    several = any(len(g) > 1 for g in groups)
    if several and sampling == "examples":
        raise UsageError(
            f"some {privacy_unit}s contribute more than one training example: example-level "
            f"DP-SGD would protect one example, not one {privacy_unit}, so it cannot be "
            f"charged to '{ledger_dataset}'",
            hint="aggregate to one example per user, or pass sampling='users' (each step "
            "samples users and takes one example of each)",
        )
    units = n_units if sampling == "users" else n_examples
    steps_per_epoch = max(1, math.ceil(units / expected_batch_size))
    sample_rate = 1.0 / steps_per_epoch
    steps = epochs * steps_per_epoch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sigma = float(
            get_noise_multiplier(
                target_epsilon=target_epsilon,
                target_delta=target_delta,
                sample_rate=sample_rate,
                steps=steps,
                accountant="rdp",
            )
        )
        acct = RDPAccountant()
        acct.history = [(sigma, sample_rate, steps)]
        epsilon = float(acct.get_epsilon(delta=target_delta))
    reservation = ledger.reserve(
        ledger_dataset,
        Charge(
            mechanism="dp-sgd",
            epsilon=epsilon,
            delta=target_delta,
            noise_multiplier=sigma,
            sample_rate=sample_rate,
            steps=steps,
        ),
        privacy_unit=privacy_unit,
        request_key=f"train:{uuid.uuid4().hex}",
        description=description,
        at=at,
        kind="training",
    )
    try:
        first = dataset[0]
        collate = wrap_collate_with_empty(
            collate_fn=torch.utils.data.default_collate,
            sample_empty_shapes=[(0, *shape_safe(x)) for x in first],
            dtypes=[dtype_safe(x) for x in first],
        )
        sampler: Any
        if sampling == "users":
            sampler = UserPoissonSampler(
                groups, sample_rate=sample_rate, steps=steps_per_epoch, generator=generator
            )
        else:
            sampler = UniformWithReplacementSampler(
                num_samples=n_examples,
                sample_rate=sample_rate,
                steps=steps_per_epoch,
                generator=generator,
            )
        loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)
        with warnings.catch_warnings():
            # Opacus warns that secure_mode is off; the run records it (TrainingRun.secure_mode).
            warnings.simplefilter("ignore")
            engine = PrivacyEngine(accountant="rdp", secure_mode=secure_mode)
            p_module, p_optimizer, p_loader = engine.make_private(
                module=module,
                optimizer=optimizer,
                data_loader=loader,
                noise_multiplier=sigma,
                max_grad_norm=max_grad_norm,
                poisson_sampling=False,
            )
        p_optimizer.expected_batch_size = max(1, round(units * sample_rate))
    except BaseException:
        ledger.cancel(reservation)  # no gradient noise has been drawn yet
        raise
    run = TrainingRun(
        id=reservation.id,
        dataset=ledger_dataset,
        description=description,
        privacy_unit=privacy_unit,
        epsilon=epsilon,
        delta=target_delta,
        noise_multiplier=sigma,
        sample_rate=sample_rate,
        steps=steps,
        max_grad_norm=max_grad_norm,
        sampling=sampling,
        secure_mode=secure_mode,
        created=at,
    )
    ledger.commit(reservation, run)
    return PrivateTraining(p_module, p_optimizer, p_loader, engine, run)
