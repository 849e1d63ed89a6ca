"""Planted personal data in an incident never reaches a playbook, a log or an error."""

from __future__ import annotations

from pathlib import Path

from guardrail.testing import Canaries, capture_logs, files_under
from tests.cli.test_cli import invoke
from tests.conftest import EXAMPLE


def test_playbook_outputs_hold_no_canary(tmp_path: Path) -> None:
    c = Canaries(seed=42)
    phone, email, rid, card = c.cn_mobile(), c.email(), c.cn_resident_id(), c.card("62")
    incident = tmp_path / "incident.yaml"
    incident.write_text(
        "id: INC-CANARY\n"
        "type: misdirected\n"
        f"title: Order confirmation for {phone} sent to the wrong customer\n"
        "description: >-\n"
        f"  The e-mail for {email} (ID {rid}, card {card}) went to another customer.\n"
        "discovered_at: 2026-06-12T10:00:00+08:00\n"
        "affected: {datasets: [shop_db.customers]}\n"
        "persons: {by_region: {CN: 1}}\n",
        encoding="utf-8",
    )
    outputs: list[str | bytes] = []
    names: list[str] = []
    with capture_logs() as logs:
        for lang in ("en", "zh"):
            code, out, err = invoke(
                "playbook", str(EXAMPLE), "--incident", str(incident), "--lang", lang,
                "-o", "md", "-o", "html", "-o", "cacao", "-o", "ics", "-o", "json",
                "--output-dir", str(tmp_path / lang), "--at", "2026-06-12T02:05:00Z",
            )  # fmt: skip
            assert code == 0, err
            outputs += [out, err]
            names += [f"stdout ({lang})", f"stderr ({lang})"]
    for name, data in files_under(tmp_path):
        if name != "incident.yaml":
            outputs.append(data)
            names.append(name)
    outputs.append("\n".join(logs))
    names.append("log records")
    c.assert_absent(*outputs, names=names)
    # The text is still there, masked.
    html = (tmp_path / "en" / "playbook-INC-CANARY.en.html").read_text()
    assert f"{phone[:3]}****{phone[-4:]}" in html and "***@guardrail-canary.test" in html
    md = (tmp_path / "en" / "playbook-INC-CANARY.en.md").read_text()
    assert f"{phone[:3]}\\*\\*\\*\\*{phone[-4:]}" in md  # escaped for Markdown


def test_input_errors_hold_no_canary(tmp_path: Path) -> None:
    c = Canaries(seed=43)
    incident = tmp_path / "incident.yaml"
    incident.write_text(
        "id: INC-X\ntype: exfiltration\ndiscovered_at: 2026-06-12T10:00:00+08:00\n"
        f"persons: {{by_region: {{CN: '{c.cn_mobile()}'}}, records: '{c.email()}'}}\n"
    )
    code, out, err = invoke("playbook", str(EXAMPLE), "--incident", str(incident))
    assert code == 2
    c.assert_absent(out, err, names=["stdout", "stderr"])
