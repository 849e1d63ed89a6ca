"""The wheel ships the bundled data and reads it through importlib.resources."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def test_wheel_file_list(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    required = {
        "guardrail/__init__.py",
        "guardrail/py.typed",
        "guardrail/detect/patterns.yaml",
        "guardrail/_data/policies/controls.yaml",
        "guardrail/_data/policies/pipl/pack.yaml",
        "guardrail/_data/policies/gdpr/pack.yaml",
        "guardrail/_data/policies/ccpa/pack.yaml",
        "guardrail/_data/rules/entities.yaml",
        "guardrail/_data/rules/column_hints.yaml",
        "guardrail/_data/templates/report.html.j2",
        "guardrail/_data/templates/labels.yaml",
    }
    assert required <= names, sorted(required - names)
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)
    meta = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "[guardrail.policies]" in text and "[guardrail.connectors]" in text


def test_wheel_reads_bundled_data(wheel: Path, tmp_path: Path) -> None:
    # Import guardrail from the wheel itself (zipimport), not from the source tree.
    code = (
        "import guardrail, guardrail.resources as r;"
        f"assert guardrail.__file__.startswith({str(wheel)!r}), guardrail.__file__;"
        "print(r.data_dir('policies').joinpath('controls.yaml').read_text()[:20]);"
        "from guardrail.audit.packs import load_policies;"
        "print(len(load_policies().controls()))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(wheel), "PATH": ""},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.split()[-1]) >= 5
