"""The DP examples run: the DP-SGD propensity model and the orders-by-status query."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import invoke

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dp"


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("dp_propensity", EXAMPLES / "propensity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")
def test_propensity_example(
    shop_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _example().main(
        [
            "--shop",
            str(shop_template),
            "--ledger",
            f"sqlite:///{tmp_path / 'l.db'}",
            "--epochs",
            "2",
        ]
    )
    printed = capsys.readouterr().out
    run, release, rdp, prv = out["run"], out["release"], out["rdp"], out["prv"]
    assert run.epsilon <= 2.0 and run.privacy_unit == "customer" and run.sampling == "examples"
    assert release.dataset == "shop" and {c.key[0] for c in release.cells} == {
        "paid",
        "shipped",
        "delivered",
        "refunded",
    }
    assert "more than one training example" in out["refused"]
    assert rdp.releases == 1 and rdp.training_runs == 1 and rdp.epsilon_spent < 4.0
    assert prv.epsilon_spent <= rdp.epsilon_spent
    assert 0.0 <= out["auc"] <= 1.0
    assert f"DP-SGD run {run.id}" in printed and "refused:" in printed


def test_orders_by_status_spec(shop_template: Path, tmp_path: Path) -> None:
    code, out, err = invoke(
        "dp",
        "query",
        str(shop_template / "data" / "shop.db"),
        "--spec",
        str(EXAMPLES / "orders_by_status.yaml"),
        "--ledger",
        f"sqlite:///{tmp_path / 'l.db'}",
        "--format",
        "json",
    )
    assert code == 0, err
    rel = json.loads(out)
    assert rel["description"] == "orders, buyers and spend per order status"
    assert {c["aggregate"] for c in rel["cells"]} == {
        "orders",
        "buyers",
        "spend",
        "basket",
        "basket_q",
    }
