"""``guardrail audit -o FORMAT --sign KEY`` for every format, and ``guardrail verify-report``."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from tests.cli.test_cli import invoke
from tests.conftest import AT
from tests.report.conftest import oscal_schema, sarif_schema, schema_errors

from guardrail.crypto import SigningKey, jwks
from guardrail.report.json import report_schema

FORMATS = ("json", "html", "pdf", "md", "sarif", "junit", "csv", "ocsf", "oscal")
FILES = {
    "report.json",
    "report.html",
    "report.pdf",
    "report.md",
    "report.sarif",
    "report.junit.xml",
    "report.csv",
    "report.ocsf.json",
    "report.oscal-ar.json",
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    # The signer's workflow: the key and the JWKS handed to verifiers come from the CLI.
    code, _, err = invoke(
        "keys",
        "signing-key",
        str(folder / "signing.jwk"),
        "--kid",
        "ci-reports",
        "--jwks",
        str(folder / "trusted.jwks.json"),
    )
    assert code == 0, err
    other = SigningKey.generate(kid="ci-reports")
    (folder / "other.jwks.json").write_text(json.dumps(jwks([other])))
    return {
        "private": folder / "signing.jwk",
        "trusted": folder / "trusted.jwks.json",
        "other": folder / "other.jwks.json",
    }


def _audit(
    shop: Path, out: Path, lang: str, key: Path, formats: tuple[str, ...] = FORMATS
) -> tuple[int, str, str]:
    args = ["audit", str(shop), "--at", AT, "--lang", lang, "--output-dir", str(out)]
    for fmt in formats:
        args += ["-o", fmt]
    return invoke(*args, "--sign", str(key), cwd=out.parent)


@pytest.fixture(scope="module")
def outputs(
    shop_template: Path, keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reports")
    dirs = {}
    for lang in ("en", "zh"):
        # The Chinese PDF is rendered (and checked) in tests/report/test_pdf.py; skip it here.
        formats = FORMATS if lang == "en" else tuple(f for f in FORMATS if f != "pdf")
        code, out, err = _audit(shop_template, root / lang, lang, keys["private"], formats)
        assert code == 1, err  # the example shop has planted violations
        assert "FAIL:" in out
        dirs[lang] = root / lang
    return dirs


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_format_is_written_and_signed(outputs: dict[str, Path], lang: str) -> None:
    names = {p.name for p in outputs[lang].iterdir()}
    files = FILES if lang == "en" else FILES - {"report.pdf"}
    assert names == files | {f"{n}.jws" for n in files}


def test_machine_formats_validate(outputs: dict[str, Path]) -> None:
    d = outputs["en"]
    report = json.loads((d / "report.json").read_text())
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert schema_errors(sarif_schema(), json.loads((d / "report.sarif").read_text())) == []
    assert schema_errors(oscal_schema(), json.loads((d / "report.oscal-ar.json").read_text())) == []
    for event in json.loads((d / "report.ocsf.json").read_text()):
        model = ComplianceFinding.model_validate(event)
        assert json.loads(model.model_dump_json(exclude_unset=True)) == event
    suites = ET.fromstring((d / "report.junit.xml").read_bytes())
    assert {s.get("name") for s in suites} == {"guardrail/pipl", "guardrail/gdpr", "guardrail/ccpa"}
    rows = list(csv.DictReader(io.StringIO((d / "report.csv").read_text("utf-8-sig"))))
    assert {r["finding_id"] for r in rows} == {f["id"] for f in report["findings"]}
    assert (d / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert "<script" not in (d / "report.html").read_text()
    assert (d / "report.md").read_text().startswith("## Personal-data compliance audit")


def test_same_inputs_and_time_give_identical_reports(
    shop_template: Path, outputs: dict[str, Path], keys: dict[str, Path], tmp_path: Path
) -> None:
    cheap = tuple(f for f in FORMATS if f != "pdf")  # PDF: see tests/report/test_pdf.py
    code, _, err = _audit(shop_template, tmp_path / "again", "en", keys["private"], cheap)
    assert code == 1, err
    files = FILES - {"report.pdf"}
    for name in sorted(files | {f"{n}.jws" for n in files}):
        assert (tmp_path / "again" / name).read_bytes() == (outputs["en"] / name).read_bytes(), name


def test_verify_every_report(outputs: dict[str, Path], keys: dict[str, Path]) -> None:
    reports = sorted(str(p) for p in outputs["zh"].iterdir() if p.suffix != ".jws")
    code, out, err = invoke("verify-report", *reports, "--key", str(keys["trusted"]))
    assert code == 0, err
    assert out.rstrip().endswith("VERIFIED: 8 report(s) match their signatures")
    assert out.count("ci-reports (EdDSA)") == 8


def test_tampered_report_fails(
    outputs: dict[str, Path], keys: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "r"
    shutil.copytree(outputs["en"], copy)
    html = copy / "report.html"
    html.write_text(html.read_text().replace("critical", "low", 1))
    code, out, err = invoke(
        "verify-report",
        str(copy / "report.html"),
        str(copy / "report.json"),
        "-k",
        str(keys["trusted"]),
        "--format",
        "json",
    )
    assert code == 1, err
    doc = json.loads(out)
    assert doc["ok"] is False
    assert [(r["report"].rsplit("/", 1)[1], r["ok"]) for r in doc["reports"]] == [
        ("report.html", False),
        ("report.json", True),
    ]
    assert "not made by a trusted key" in doc["reports"][0]["error"]


def test_another_key_fails(outputs: dict[str, Path], keys: dict[str, Path]) -> None:
    code, out, _ = invoke(
        "verify-report", str(outputs["en"] / "report.json"), "-k", str(keys["other"])
    )
    assert code == 1 and "FAIL: 1 of 1 report(s) did not verify (exit 1)" in out


def test_inputs_are_rehashed(outputs: dict[str, Path], keys: dict[str, Path], shop: Path) -> None:
    report = str(outputs["en"] / "report.json")
    code, out, err = invoke(
        "verify-report", report, "-k", str(keys["trusted"]), "--inputs", str(shop)
    )
    assert code == 0, err
    assert "input logs/app.log matches" in out
    with (shop / "logs" / "app.log").open("a") as fh:
        fh.write("one more line\n")
    code, out, _ = invoke(
        "verify-report", report, "-k", str(keys["trusted"]), "--inputs", str(shop)
    )
    assert code == 1 and "input logs/app.log is changed" in out


def test_inputs_of_an_audit_run_from_a_parent_folder(
    shop: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    """Inputs are recorded relative to the stack folder, whatever folder the audit ran from."""
    out = tmp_path / "out"
    args = [
        "audit",
        shop.name,
        "--at",
        AT,
        "--output-dir",
        str(out),
        "--sign",
        str(keys["private"]),
    ]
    code, _, err = invoke(*args, cwd=shop.parent)
    assert code == 1, err
    listed = [i["path"] for i in json.loads((out / "report.json").read_text("utf-8"))["inputs"]]
    assert listed[0] == "stack.yaml" and "logs/app.log" in listed
    report = str(out / "report.json")
    code, stdout, err = invoke(
        "verify-report", report, "-k", str(keys["trusted"]), "--inputs", shop.name, cwd=shop.parent
    )
    assert code == 0, err
    assert "input stack.yaml matches" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "missing.jwks.json"], "error: key file missing.jwks.json does not exist"),
        (
            ["--key", "TRUSTED", "--signature", "x.jws", "EXTRA"],
            "error: --signature names the signature of one report",
        ),
    ],
)
def test_usage_errors_exit_2(
    outputs: dict[str, Path], keys: dict[str, Path], args: list[str], message: str
) -> None:
    args = [str(keys["trusted"]) if a == "TRUSTED" else a for a in args]
    if "EXTRA" in args:
        args[args.index("EXTRA")] = str(outputs["en"] / "report.md")
    code, _, err = invoke("verify-report", str(outputs["en"] / "report.json"), *args)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_unsigned_report_is_an_input_error(tmp_path: Path, keys: dict[str, Path]) -> None:
    (tmp_path / "report.json").write_text("{}")
    code, _, err = invoke(
        "verify-report", str(tmp_path / "report.json"), "-k", str(keys["trusted"])
    )
    assert code == 2 and "no signature for" in err and "--sign KEY" in err


def test_bad_signing_key_fails_before_the_audit(shop_template: Path, tmp_path: Path) -> None:
    code, _, err = invoke(
        "audit",
        str(shop_template),
        "--sign",
        str(tmp_path / "nope.jwk"),
        "--output-dir",
        str(tmp_path / "o"),
        cwd=tmp_path,
    )
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "o").exists()


def test_real_subprocess(outputs: dict[str, Path], keys: dict[str, Path], tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("guardrail")
    report = tmp_path / "report.json"
    shutil.copy(outputs["zh"] / "report.json", report)
    shutil.copy(outputs["zh"] / "report.json.jws", tmp_path / "report.json.jws")
    ok = subprocess.run(
        [str(exe), "--no-color", "verify-report", str(report), "-k", str(keys["trusted"])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    report.write_bytes(report.read_bytes() + b" ")
    bad = subprocess.run(
        [str(exe), "--no-color", "verify-report", str(report), "-k", str(keys["trusted"])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1 and "FAILED" in bad.stdout and bad.stderr == ""
