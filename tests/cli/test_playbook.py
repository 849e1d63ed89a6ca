"""``guardrail playbook`` through click (in process) and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import invoke
from tests.conftest import EXAMPLE

from guardrail.model.incident import Playbook

LEAK = EXAMPLE / "incidents" / "customer-leak.yaml"
SOON = "2026-06-11T19:00:00Z"  # 20 minutes after discovery
LATE = "2026-06-12T00:00:00Z"  # after the 4-hour IRM deadline


def test_incident_writes_every_format(tmp_path: Path) -> None:
    code, out, err = invoke(
        "--no-color", "playbook", str(EXAMPLE), "--incident", str(LEAK),
        "-o", "md", "-o", "html", "-o", "cacao", "-o", "ics", "-o", "json",
        "--output-dir", str(tmp_path), "--at", SOON,
    )  # fmt: skip
    assert code == 0, err
    assert "OK: 10 obligation(s) in force, 2 open question(s)" in out
    assert "2026-06-15 03:15 CEST" in out and "2026-07-11 23:59 PDT" in out  # recipients' time
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "playbook-INC-2026-0612.cacao.json",
        "playbook-INC-2026-0612.en.html",
        "playbook-INC-2026-0612.en.md",
        "playbook-INC-2026-0612.ics",
        "playbook-INC-2026-0612.json",
    ]
    pb = Playbook.model_validate_json((tmp_path / "playbook-INC-2026-0612.json").read_text())
    assert pb.obligation("irm-report").deadline is not None
    doc = json.loads((tmp_path / "playbook-INC-2026-0612.cacao.json").read_text())
    assert doc["spec_version"] == "cacao-2.0"


def test_overdue_deadline_exits_1(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "playbook", str(EXAMPLE), "--incident", str(LEAK), "-o", "md",
        "--output-dir", str(tmp_path), "--at", LATE,
    )  # fmt: skip
    assert code == 1
    assert "OVERDUE: 1 required deadline(s)" in out


def test_chinese_output(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "--no-color", "playbook", str(EXAMPLE), "--incident", str(LEAK), "--lang", "zh",
        "-o", "md", "--output-dir", str(tmp_path), "--at", SOON,
    )  # fmt: skip
    assert code == 0 and "通知数据保护监管机构" in out
    md = (tmp_path / "playbook-INC-2026-0612.zh.md").read_text()
    assert md.startswith("# 事件应急处置手册") and "Notice of Data Breach（数据泄露通知）" in md


def test_library_then_lint(tmp_path: Path) -> None:
    lib = tmp_path / "playbooks"
    code, out, err = invoke(
        "playbook", str(EXAMPLE), "--library", "--output-dir", str(lib), "--at", SOON
    )
    assert code == 0, err
    assert "checked (C32-C34)" in out
    assert len(list(lib.rglob("*.cacao.json"))) == 8
    code, out, _ = invoke("playbook", str(EXAMPLE), "--lint", "--output-dir", str(lib))
    assert code == 0 and out.startswith("PASS")
    md = lib / "exfiltration" / "playbook.en.md"
    md.write_text(md.read_text().replace("#### What Happened\n", "#### Background\n"))
    code, out, _ = invoke(
        "--no-color", "playbook", str(EXAMPLE), "--lint", "--output-dir", str(lib)
    )
    assert code == 1
    assert "ca-heading-missing" in out and "FAIL: 2 problem(s)" in out


def test_usage_and_input_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("playbook", str(EXAMPLE))
    assert code == 2 and "exactly one of" in err
    code, _, err = invoke("playbook", str(EXAMPLE), "--library", "--lint")
    assert code == 2
    code, _, err = invoke("playbook", str(EXAMPLE), "--incident", str(LEAK), "-o", "pdf")
    assert code == 2 and "pdf" in err
    code, _, err = invoke("playbook", str(EXAMPLE), "--incident", str(LEAK), "--at", "noon")
    assert code == 2 and "--at" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: X\ntype: exfiltration\ndiscovered_at: 2026-06-12T00:00:00Z\naffected:\n  systems: [mainframe]\n"
    )
    code, _, err = invoke("playbook", str(EXAMPLE), "--incident", str(bad), cwd=tmp_path)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "bad.yaml:5" in err and "unknown system 'mainframe'" in err
    code, _, err = invoke("playbook", str(tmp_path / "nowhere"), "--incident", str(LEAK))
    assert code == 2 and err.startswith("error:")


def test_real_subprocess(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("guardrail")
    proc = subprocess.run(
        [
            str(exe), "--no-color", "playbook", str(EXAMPLE), "--incident", str(LEAK),
            "--lang", "zh", "-o", "cacao", "-o", "ics", "--output-dir", str(tmp_path),
            "--at", SOON,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "OK:" in proc.stdout
    ics = (tmp_path / "playbook-INC-2026-0612.ics").read_bytes()
    assert b"DTSTART:20260611T224000Z" in ics  # the IRM report, 4 h after discovery
    doc = json.loads((tmp_path / "playbook-INC-2026-0612.cacao.json").read_text())
    assert any(n.get("name") == "通知数据保护监管机构" for n in doc["workflow"].values())
