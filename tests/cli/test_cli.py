from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner
from tests.conftest import AT, EXAMPLE

from guardrail import __version__
from guardrail.cli import main

HEAVY = (
    "presidio_analyzer",
    "spacy",
    "torch",
    "opacus",
    "opendp",
    "sqlalchemy",
    "pyspark",
    "pydantic",
    "jinja2",
    "rich",
    "pyarrow",
    "jieba",
    "yaml",
)


@click.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    }
)
@click.pass_context
def _entry(ctx: click.Context) -> None:
    """Runs guardrail's real entry point, so exit-code mapping is exercised in-process."""
    main(ctx.args)


def invoke(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        res = runner.invoke(_entry, list(args))
    finally:
        os.chdir(old)
    return res.exit_code, res.stdout, res.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and __version__ in out


def test_audit_example_exits_1_and_writes_reports(shop_template: Path, tmp_path: Path) -> None:
    code, out, err = invoke("audit", str(shop_template), "--at", AT, cwd=tmp_path)
    assert code == 1, err
    assert "C27" in out and "PIPL Art. 38" in out
    assert "FAIL:" in out
    report = json.loads((tmp_path / "guardrail-out" / "report.json").read_text())
    assert report["findings"]
    html = (tmp_path / "guardrail-out" / "report.html").read_text()
    assert "<script" not in html and "PIPL Art. 51(3)" in html


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 1), ("high", 1), ("none", 0)])
def test_fail_on(shop_template: Path, tmp_path: Path, fail_on: str, code: int) -> None:
    got, out, _ = invoke(
        "check", str(shop_template), "--at", AT, "--fail-on", fail_on, cwd=tmp_path
    )
    assert got == code, out


MINIMAL_GDPR = """
organization: {name: Small EU shop, established_in: [DE], customers_in: [DE]}
officers:
  dpo: {name: A. Keller, contact: dpo@shop.example, published: false}
"""


def test_fail_on_follows_the_worst_open_severity(tmp_path: Path) -> None:
    # A GDPR-only shop whose gaps are all high or below: critical passes, high fails.
    (tmp_path / "stack.yaml").write_text(MINIMAL_GDPR)
    code, out, _ = invoke("check", str(tmp_path), "--at", AT, "--fail-on", "critical", cwd=tmp_path)
    assert code == 0, out
    assert "PASS: no findings at or above critical" in out
    code, out, _ = invoke("check", str(tmp_path), "--at", AT, cwd=tmp_path)
    assert code == 1 and "C30" in out


def test_example_exit_codes_match_its_report(shop_template: Path, tmp_path: Path) -> None:
    code, _, _ = invoke("audit", str(shop_template), "--at", AT, "-o", "json", cwd=tmp_path)
    report = json.loads((tmp_path / "guardrail-out" / "report.json").read_text())
    open_sev = {f["severity"] for f in report["findings"] if f["status"] == "open"}
    assert code == 1 and "critical" in open_sev


def test_malformed_manifest_exits_2_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text("organization:\n  name: Shop\n  established_in: [CN\n")
    code, _, err = invoke("audit", str(tmp_path), cwd=tmp_path)
    assert code == 2
    assert "stack.yaml:4" in err or "stack.yaml:3" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_invalid_manifest_value_exits_2(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text("organization:\n  name: Shop\n  established_in: [China]\n")
    code, _, err = invoke("audit", str(tmp_path), cwd=tmp_path)
    assert code == 2 and "stack.yaml:3" in err and "organization.established_in.0" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("audit", "--fail-on", "sometimes", cwd=tmp_path)
    assert code == 2 and "error:" in err
    code, _, err = invoke("nonsense")
    assert code == 2
    code, _, err = invoke("audit", str(EXAMPLE), "-F", "hipaa", cwd=tmp_path)
    assert code == 2 and "unknown framework" in err


def test_incomplete_run_exits_3(shop: Path, tmp_path: Path) -> None:
    (shop / "data" / "shop.db").write_bytes(b"corrupt")
    code, out, err = invoke("audit", str(shop), "--at", AT, cwd=tmp_path)
    assert code == 3
    assert "not a SQLite database" in err and "INCOMPLETE" in out
    # --quiet keeps the verdict and the reason: an incomplete run never fails silently.
    code, out, err = invoke("-q", "audit", str(shop), "--at", AT, cwd=tmp_path)
    assert code == 3 and "INCOMPLETE" in out
    (line,) = [ln for ln in err.splitlines() if "not a SQLite database" in ln]
    assert line.startswith("incomplete: ")


def test_schema_commands_emit_valid_json_schema() -> None:
    from guardrail.cli.schema import SCHEMAS

    for what in SCHEMAS:
        code, out, _ = invoke("schema", what)
        assert code == 0, what
        doc = json.loads(out)
        jsonschema.Draft202012Validator.check_schema(doc)


def test_every_validated_document_has_a_schema_command() -> None:
    """Validation hints say "see 'guardrail schema X'": X must exist for every ``what=``."""
    import ast

    from guardrail.cli.schema import SCHEMAS
    from guardrail.yamlio import schema_name

    src = Path(__file__).resolve().parents[2] / "src" / "guardrail"
    used: set[str] = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "validate":
                for kw in node.keywords:
                    if kw.arg == "what" and isinstance(kw.value, ast.Constant):
                        used.add(schema_name(kw.value.value))
    assert {"manifest", "protect-policy", "dp-query", "consent-catalog"} <= used
    assert used - set(SCHEMAS) == set()


def test_report_validates_against_published_schema(shop_template: Path, tmp_path: Path) -> None:
    invoke("audit", str(shop_template), "--at", AT, cwd=tmp_path)
    _, schema_text, _ = invoke("schema", "report")
    report = json.loads((tmp_path / "guardrail-out" / "report.json").read_text())
    jsonschema.validate(report, json.loads(schema_text))


def test_plugins_list() -> None:
    code, out, _ = invoke("plugins", "list", "--format", "json", "--check")
    assert code == 0
    rows = json.loads(out)
    assert {("connectors", "sqlite"), ("policies", "pipl"), ("reporters", "html")} <= {
        (r["group"], r["name"]) for r in rows
    }
    assert all(r["status"] == "ok" for r in rows)


def test_scan_text_file(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("ok\nuser 13812345678 called\n")
    code, out, _ = invoke("scan", str(tmp_path / "a.log"), "--format", "jsonl")
    assert code == 1
    (rec,) = [json.loads(line) for line in out.splitlines()]
    assert rec["location"] == {"line": 2, "column": 6}
    assert rec["entity"] == "PHONE_NUMBER" and rec["preview"] == "138****5678"
    assert "13812345678" not in out


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("guardrail")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def test_real_subprocess_audit(shop_template: Path, tmp_path: Path) -> None:
    proc = _run("--no-color", "audit", str(shop_template), "--at", AT, "--lang", "zh", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "FAIL:" in proc.stdout
    assert (tmp_path / "guardrail-out" / "report.html").read_text().count("敏感个人信息") > 0


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys, runpy; sys.argv=['guardrail','--help'];\n"
        "from guardrail.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"heavy=[m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert "HEAVY=\n" in proc.stdout or proc.stdout.rstrip().endswith("HEAVY="), proc.stdout
