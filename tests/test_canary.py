"""Planted personal data never appears in any output, log, report or error message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from guardrail.testing import Canaries, CanaryLeak, capture_logs, files_under
from tests.cli.test_cli import invoke
from tests.conftest import AT


@pytest.fixture
def planted(shop: Path) -> tuple[Path, Canaries]:
    c = Canaries(seed=99)
    db = sqlite3.connect(shop / "data" / "shop.db")
    db.execute(
        "UPDATE customers SET id_number = ?, phone = ?, email = ?, name = ? WHERE id = 1",
        (c.cn_resident_id(), c.cn_mobile(), c.email(), c.name()),
    )
    db.execute(
        "UPDATE payments SET card_number = ? WHERE id = (SELECT min(id) FROM payments "
        "WHERE card_number IS NOT NULL)",
        (c.card("62"),),
    )
    db.execute(
        "UPDATE support_tickets SET body = ? WHERE id = 1",
        (f"请联系{c.cn_mobile()}，身份证{c.cn_resident_id()}",),
    )
    db.commit()
    db.close()
    with (shop / "logs" / "app.log").open("a") as fh:
        fh.write(
            f"2026-06-30T00:00:00Z WARN sms failed phone={c.cn_mobile()} "
            f"email={c.email()} card={c.card()}\n"
        )
    return shop, c


def test_harness_detects_a_leak() -> None:
    c = Canaries(seed=1)
    value = c.card()
    with pytest.raises(CanaryLeak, match="stdout") as info:
        c.assert_absent(f"oops {value}", names=["stdout"])
    assert value not in str(info.value)


def test_audit_outputs_hold_no_canary(planted: tuple[Path, Canaries], tmp_path: Path) -> None:
    shop, c = planted
    outputs: list[str | bytes] = []
    names: list[str] = []
    with capture_logs() as logs:
        for fmt in ("en", "zh"):
            code, out, err = invoke(
                "audit",
                str(shop),
                "--at",
                AT,
                "--lang",
                fmt,
                "--output-dir",
                str(tmp_path / fmt),
                cwd=tmp_path,
            )
            assert code == 1
            outputs += [out, err]
            names += [f"stdout ({fmt})", f"stderr ({fmt})"]
        code, out, err = invoke("scan", str(shop / "logs" / "app.log"), "--format", "jsonl")
        outputs += [out, err]
        names += ["scan stdout", "scan stderr"]
        code, out, err = invoke("scan", str(shop / "data" / "shop.db"), "--format", "table")
        outputs += [out, err]
        names += ["scan table stdout", "scan table stderr"]
    for name, data in files_under(tmp_path):
        if name.startswith("shop/"):
            continue  # the inputs themselves
        outputs.append(data)
        names.append(name)
    outputs.append("\n".join(logs))
    names.append("log records")
    c.assert_absent(*outputs, names=names)
    # The findings are still there: the evidence is masked, not missing.
    report = (tmp_path / "en" / "report.json").read_text()
    assert '"masked_samples"' in report and "****" in report


def test_errors_hold_no_canary(tmp_path: Path) -> None:
    c = Canaries(seed=5)
    (tmp_path / "stack.yaml").write_text(
        f"organization:\n  name: Shop\n  established_in: [CN]\n  headcount: {c.cn_mobile()}x\n"
    )
    code, out, err = invoke("audit", str(tmp_path), cwd=tmp_path)
    assert code == 2
    bad_url = f"postgresql://u:{c.secret(12)}@127.0.0.1:1/db"
    code2, out2, err2 = invoke("scan", bad_url)
    assert code2 == 2
    c.assert_absent(out, err, out2, err2, names=["stdout", "stderr", "scan out", "scan err"])
