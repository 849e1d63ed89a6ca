"""Planted personal data and key material never reach any report format or signature."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.cli.test_cli import invoke
from tests.conftest import AT
from tests.test_canary import planted  # noqa: F401 - the planted-shop fixture

from guardrail.crypto import SigningKey
from guardrail.testing import Canaries, capture_logs, files_under

FORMATS = ("json", "html", "pdf", "md", "sarif", "junit", "csv", "ocsf", "oscal")


@pytest.mark.slow
def test_no_canary_in_any_format(planted: tuple[Path, Canaries], tmp_path: Path) -> None:  # noqa: F811
    shop, canaries = planted
    key = SigningKey.generate(kid="canary-test")
    key_file = tmp_path / "signing.jwk"
    key.save(key_file)
    secret = json.loads(key_file.read_text())["d"]
    outputs: list[str | bytes] = []
    names: list[str] = []
    with capture_logs() as logs:
        for lang in ("en", "zh"):
            args = [
                "audit",
                str(shop),
                "--at",
                AT,
                "--lang",
                lang,
                "--output-dir",
                str(tmp_path / lang),
            ]
            for fmt in FORMATS if lang == "en" else [f for f in FORMATS if f != "pdf"]:
                args += ["-o", fmt]
            code, out, err = invoke(*args, "--sign", str(key_file), cwd=tmp_path)
            assert code == 1, err
            outputs += [out, err]
            names += [f"stdout ({lang})", f"stderr ({lang})"]
    for lang in ("en", "zh"):
        for name, data in files_under(tmp_path / lang):
            outputs.append(data)
            names.append(f"{lang}/{name}")
    # PDF text is compressed: check what a reader would copy out of it.
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(
            [pdftotext, str(tmp_path / "en" / "report.pdf"), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "Personal-data compliance audit" in text
        outputs.append(text)
        names.append("en/report.pdf (text)")
    outputs.append("\n".join(logs))
    names.append("log records")
    canaries.assert_absent(*outputs, names=names)
    # Nor is the private signing key anywhere.
    assert not [
        n
        for n, o in zip(names, outputs, strict=True)
        if secret in (o if isinstance(o, str) else o.decode("utf-8", "replace"))
    ]
    # The evidence is masked, not missing.
    sarif = (tmp_path / "en" / "report.sarif").read_text()
    assert "****" in sarif
