"""Planted personal data never reaches a DP release, the ledger, the CLI output or an error."""

from __future__ import annotations

import csv
from pathlib import Path

from guardrail.testing import Canaries, capture_logs, files_under
from tests.cli.test_cli import invoke

SPEC = """\
dataset: crm
user_column: email
privacy_unit: customer
group_by: [city]
partitions: {private: {max_partitions: 1}}
epsilon: 1.0
delta: 1.0e-6
budget: {epsilon: 50, delta: 1.0e-3}
aggregates:
  - {name: people, kind: distinct_users}
  - {name: spend, kind: sum, column: amount}
  - {name: spend_q, kind: quantiles, column: amount, q: [0.5]}
"""


def test_dp_outputs_hold_no_canary(tmp_path: Path) -> None:
    c = Canaries(seed=123)
    rows = []
    for i in range(3000):
        rows.append((f"user{i}@example.test", ["Shanghai", "Beijing", "Shenzhen"][i % 3], i % 97))
    # One person with a rare city named after their phone, their e-mail, their resident ID.
    rare_city = f"Village {c.cn_mobile()}"
    rows += [(c.email(), rare_city, 12.5)] * 30
    rows += [(c.cn_resident_id(), "Shanghai", 80.0)] * 5
    src = tmp_path / "in" / "people.csv"
    src.parent.mkdir()
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["email", "city", "amount"])
        w.writerows(rows)
    spec = tmp_path / "in" / "q.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    bad = tmp_path / "in" / "bad.csv"
    bad.write_text(f"email,city,amount\na@b.test,Shanghai,{c.card()}x\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    ledger = f"sqlite:///{out_dir / 'ledger.db'}"
    outputs: list[str | bytes] = []
    names: list[str] = []
    with capture_logs() as logs:
        for fmt in ("table", "csv", "json"):
            code, out, err = invoke(
                "dp",
                "query",
                str(src),
                "--spec",
                str(spec),
                "--ledger",
                ledger,
                "--format",
                fmt,
                "--new-release",
            )
            assert code == 0, err
            outputs += [out, err]
            names += [f"stdout {fmt}", f"stderr {fmt}"]
        code, out, err = invoke("dp", "query", str(bad), "--spec", str(spec), "--ledger", ledger)
        assert code == 2 and "not numbers" in err
        outputs += [out, err]
        names += ["error stdout", "error stderr"]
        for args in (("budget",), ("budget", "crm"), ("budget", "crm", "--format", "json")):
            code, out, err = invoke("dp", *args, "--ledger", ledger)
            assert code == 0, err
            outputs += [out, err]
            names += [f"{' '.join(args)} stdout", f"{' '.join(args)} stderr"]
    outputs.append("\n".join(logs))
    names.append("logs")
    for name, data in files_under(out_dir):
        outputs.append(data)
        names.append(name)
    c.assert_absent(*outputs, names=names)
    assert any("Shanghai" in o for o in outputs if isinstance(o, str))
