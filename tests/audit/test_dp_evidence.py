"""The audit cites a differentially private release (its ε and δ) as evidence that an
analytics flow is anonymised, and refuses an anonymised flow whose release is not in the
ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_cli import invoke
from tests.conftest import AT

SPEC = Path(__file__).resolve().parents[2] / "examples" / "dp" / "orders_by_status.yaml"


def _flow(release: str) -> str:
    return f"""
  - id: status-stats-to-partner
    from: analytics-warehouse
    to: northwind
    categories: [user.behavior.purchase_history]
    purpose: analytics
    from_region: CN
    to_region: US
    kind: service
    anonymised:
      method: differential_privacy
      dataset: shop
      releases: [{release}]
      max_epsilon: 1.0
"""


def _audit(shop: Path, out: Path) -> Any:
    """Audit ``shop`` and return its JSON report (the exit code, set by the findings, is not checked)."""
    invoke(
        "audit", str(shop), "--at", AT, "-o", "json", "--output-dir", str(out), "--sample", "100"
    )
    return json.loads((out / "report.json").read_text())


def test_dp_release_is_audit_evidence(shop: Path, tmp_path: Path) -> None:
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    code, out, err = invoke(
        "dp",
        "query",
        str(shop / "data" / "shop.db"),
        "--spec",
        str(SPEC),
        "--ledger",
        ledger,
        "--format",
        "json",
        "--at",
        AT,
    )
    assert code == 0, err
    release = json.loads(out)["id"]
    text = (shop / "stack.yaml").read_text()
    text = text.replace("\npurposes:\n", _flow(release) + "\npurposes:\n", 1)
    text += f"\nprivacy:\n  ledger: {ledger}\n"
    (shop / "stack.yaml").write_text(text)
    report = _audit(shop, tmp_path / "out")
    assert not report["errors"], report["errors"]
    c05 = next(r for r in report["results"] if r["control"] == "C05")
    assert c05["status"] in ("pass", "fail")
    assert not any(f["target"]["id"] == "status-stats-to-partner" for f in report["findings"])
    # Not a PRC outbound PI flow: no C27 finding for it either.
    assert not any(
        f["control"] == "C27" and f["target"]["id"] == "status-stats-to-partner"
        for f in report["findings"]
    )
    # A flow citing a release the ledger does not hold fails C05.
    (shop / "stack.yaml").write_text(
        text.replace(f"releases: [{release}]", "releases: [no-such-release]")
    )
    bad = _audit(shop, tmp_path / "bad")
    f = next(f for f in bad["findings"] if f["target"]["id"] == "status-stats-to-partner")
    assert f["control"] == "C05" and "not in the ledger" in f["message"]["en"]
