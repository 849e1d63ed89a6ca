"""Purchase propensity with DP-SGD on the example shop, charged to the shop's privacy ledger.

    python examples/dp/propensity.py                       # generates the shop in a temp dir
    python examples/dp/propensity.py --shop DIR --ledger sqlite:///dp-ledger.db

1. Generate the example shop (``examples/shop/generate.py``) unless ``--shop`` points at one.
2. Declare the ledger dataset ``shop`` (privacy unit: customer; total ε=4, δ=1e-5).
3. Release orders, buyers and spend per order status with DP (``orders_by_status.yaml``).
4. Build **one example per customer** — features from orders before 2026-04-01, label: the
   customer ordered on or after it — and train a logistic regression with DP-SGD (ε=2),
   charged to the same ledger: one example per customer makes Opacus' example-level
   guarantee a customer-level one.
5. Show that training on *orders* (several per customer) at example level is refused.
6. Print the ledger: both charges composed by Opacus' RDP accountant, and the PRV statement.

The example shop's orders are random, so the model cannot beat chance by much (AUC ≈ 0.5);
the point is the privacy plumbing. The held-out AUC is a plain (non-DP) evaluation.
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import sys
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SHOP = HERE.parent / "shop"
CUTOFF = "2026-04-01"
AT = datetime(2026, 6, 30, tzinfo=UTC)


def generate_shop(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("shop_generate", SHOP / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(folder)
    return folder


def customer_examples(db: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer ids, features, labels): one row per customer."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        """
        SELECT c.id,
               c.marketing_opt_in,
               julianday(?) - julianday(c.created_at),
               c.locale,
               COUNT(o.id),
               COALESCE(SUM(CAST(o.total AS REAL)), 0),
               COALESCE(julianday(?) - julianday(MAX(o.created_at)), 1000),
               (SELECT COUNT(*) FROM orders o2 WHERE o2.customer_id = c.id AND o2.created_at >= ?)
        FROM customers c
        LEFT JOIN orders o ON o.customer_id = c.id AND o.created_at < ?
        GROUP BY c.id ORDER BY c.id
        """,
        (CUTOFF, CUTOFF, CUTOFF, CUTOFF),
    ).fetchall()
    conn.close()
    ids = np.array([r[0] for r in rows])
    locales = sorted({r[3] for r in rows})
    feats = []
    for _, opt_in, tenure, locale, n, spend, recency, _ in rows:
        feats.append(
            [
                float(opt_in),
                min(tenure, 2000) / 1000,
                n / 5,
                np.log1p(spend) / 10,
                min(recency, 1000) / 1000,
                *[float(locale == x) for x in locales],
            ]
        )
    labels = np.array([float(r[7] > 0) for r in rows])
    return ids, np.array(feats, dtype=np.float32), labels


def order_examples(db: Path) -> tuple[np.ndarray, np.ndarray]:
    """(customer id, features) per *order*: several examples per customer."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT customer_id, items, CAST(total AS REAL) FROM orders").fetchall()
    conn.close()
    return np.array([r[0] for r in rows]), np.array([[r[1], r[2]] for r in rows], np.float32)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def train(shop: Path, ledger_url: str, *, epochs: int = 8, quiet: bool = False) -> dict[str, Any]:
    import torch

    from guardrail.errors import UsageError
    from guardrail.model.privacy import DatasetBudget
    from guardrail.privacy import Ledger, load_spec, run_query
    from guardrail.privacy.train import make_private

    say = (lambda *_a: None) if quiet else print
    # Opacus' per-sample-gradient hooks warn about inputs that need no gradient: harmless.
    warnings.filterwarnings("ignore", message="Full backward hook is firing")
    db = shop / "data" / "shop.db"
    ledger = Ledger(ledger_url)
    ledger.ensure_dataset(
        "shop", privacy_unit="customer", budget=DatasetBudget(epsilon=4.0, delta=1e-5), at=AT
    )

    # 3. A DP release on the orders table, charged to 'shop'.
    spec = load_spec(HERE / "orders_by_status.yaml")
    conn = sqlite3.connect(db)
    cols = list(zip(*conn.execute("SELECT customer_id, status, total FROM orders"), strict=True))
    conn.close()
    data = {"customer_id": np.array(cols[0]), "status": list(cols[1]), "total": list(cols[2])}
    release = run_query(data, spec, ledger=ledger, at=AT, source=f"{db.name}#orders")
    say(f"release {release.id}: ε={release.epsilon}, δ={release.delta}")
    for c in release.cells:
        if c.aggregate in ("orders", "buyers"):
            say(f"  {c.key[0]:>9} {c.aggregate:>6}: {c.value:8.1f} ± {c.std:.1f}")

    # 4. DP-SGD on one example per customer.
    ids, x, y = customer_examples(db)
    rng = np.random.default_rng(0)
    test = rng.random(ids.size) < 0.2
    torch.manual_seed(0)
    model = torch.nn.Linear(x.shape[1], 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    train_set = torch.utils.data.TensorDataset(
        torch.from_numpy(x[~test]), torch.from_numpy(y[~test]).float().unsqueeze(1)
    )
    private = make_private(
        model,
        opt,
        train_set,
        ledger=ledger,
        ledger_dataset="shop",
        privacy_unit="customer",
        user_ids=ids[~test],
        target_epsilon=2.0,
        target_delta=1e-5,
        epochs=epochs,
        expected_batch_size=64,
        max_grad_norm=1.0,
        at=AT,
        description="purchase propensity (logistic regression, DP-SGD)",
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        for xb, yb in private.data_loader:
            private.optimizer.zero_grad()
            loss_fn(private.module(xb), yb).backward()
            private.optimizer.step()
    with torch.no_grad():
        scores = model(torch.from_numpy(x[test])).squeeze(1).numpy()
    dp_auc = auc(scores, y[test])
    run = private.run
    say(
        f"DP-SGD run {run.id}: ε={run.epsilon:.3f}, δ={run.delta:g}, σ={run.noise_multiplier:.3f}, "
        f"q={run.sample_rate:.4f}, {run.steps} steps; held-out AUC {dp_auc:.3f} "
        f"(base rate {y.mean():.2f})"
    )

    # 5. Orders as examples: several per customer, refused at example level.
    order_ids, order_x = order_examples(db)
    order_set = torch.utils.data.TensorDataset(
        torch.from_numpy(order_x), torch.zeros(len(order_ids), 1)
    )
    refused = ""
    try:
        make_private(
            torch.nn.Linear(2, 1),
            torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1),
            order_set,
            ledger=ledger,
            ledger_dataset="shop",
            privacy_unit="customer",
            user_ids=order_ids,
            target_epsilon=1.0,
            target_delta=1e-5,
            epochs=1,
            expected_batch_size=64,
            max_grad_norm=1.0,
            at=AT,
        )
    except UsageError as exc:
        refused = str(exc)
        say(f"refused: {refused}")

    # 6. The ledger.
    rdp = ledger.budget("shop", at=AT)
    prv = ledger.budget("shop", accountant="prv", at=AT)
    say(
        f"ledger 'shop': ε spent {rdp.epsilon_spent:.3f} (RDP) / {prv.epsilon_spent:.3f} (PRV) "
        f"of {rdp.epsilon_total:g} at δ={rdp.delta_total:g}; {rdp.releases} release(s), "
        f"{rdp.training_runs} training run(s)"
    )
    ledger.close()
    return {
        "release": release,
        "run": run,
        "auc": dp_auc,
        "refused": refused,
        "rdp": rdp,
        "prv": prv,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description="DP-SGD purchase propensity on the example shop")
    ap.add_argument("--shop", type=Path, help="a generated shop folder (default: generate one)")
    ap.add_argument("--ledger", help="ledger URL (default: a SQLite file in a temp folder)")
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        shop = args.shop or generate_shop(Path(tmp) / "shop")
        ledger = args.ledger or f"sqlite:///{Path(tmp) / 'ledger.db'}"
        return train(shop, ledger, epochs=args.epochs)


if __name__ == "__main__":
    main(sys.argv[1:])
