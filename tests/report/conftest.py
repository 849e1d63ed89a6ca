"""Fixtures for the report tests: results with every section, schema validators, tools."""

from __future__ import annotations

import ctypes.util
import functools
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex
from tests.conftest import AT, REQUIRE, SHARED
from tests.report.factory import make_result

from guardrail.model.audit import AuditResult


@pytest.fixture(scope="session")
def result() -> AuditResult:
    """Every section populated; complete run."""
    return make_result()


@pytest.fixture(scope="session")
def incomplete() -> AuditResult:
    return make_result(errors=True)


@pytest.fixture(scope="session")
def shop_result(shop_template: Path) -> AuditResult:
    """The example shop's real audit result (as of the fixed test time)."""
    from guardrail.audit import AuditOptions, run_audit

    return run_audit(
        shop_template, AuditOptions(at=datetime.fromisoformat(AT.replace("Z", "+00:00")))
    )


def _regex_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    """JSON Schema ``pattern`` with Unicode classes (``\\p{L}``), which ``re`` lacks."""
    if isinstance(instance, str) and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text("utf-8"))
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _regex_pattern})
    # The schema itself must be valid (without the "regex" format check, which uses re).
    meta = jsonschema.validators.validator_for(base.META_SCHEMA)(base.META_SCHEMA)
    meta.validate(schema)
    return cls(schema, format_checker=base.FORMAT_CHECKER)


@functools.cache
def sarif_schema() -> jsonschema.protocols.Validator:
    """The SARIF 2.1.0 schema from ../shared/schemas."""
    return _validator(SHARED / "schemas" / "sarif-2.1.0" / "sarif-schema-2.1.0.json")


@functools.cache
def oscal_schema() -> jsonschema.protocols.Validator:
    """The OSCAL 1.0.6 assessment-results schema from ../shared/schemas."""
    return _validator(SHARED / "schemas" / "oscal-1.0.6" / "oscal_assessment-results_schema.json")


@pytest.fixture(scope="session")
def sarif_validator() -> jsonschema.protocols.Validator:
    return sarif_schema()


@pytest.fixture(scope="session")
def oscal_validator() -> jsonschema.protocols.Validator:
    return oscal_schema()


def schema_errors(validator: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(doc)
    )


def _missing(what: str) -> None:
    """Skip a test whose Debian package is absent; under CI (GUARDRAIL_REQUIRE_SERVICES=1) fail."""
    if REQUIRE:
        pytest.fail(
            what + "; GUARDRAIL_REQUIRE_SERVICES=1 makes this an error (.ci/run installs it)"
        )
    pytest.skip(what)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("Debian's chromium package is not installed (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def poppler() -> dict[str, str]:
    tools = {name: shutil.which(name) for name in ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo")}
    missing = [n for n, p in tools.items() if p is None]
    if missing:
        _missing(f"poppler-utils is not installed ({', '.join(missing)} missing)")
    return {n: str(p) for n, p in tools.items()}


@pytest.fixture(scope="session")
def cjk_fonts() -> None:
    """The PDF embeds a CJK font subset; without Noto CJK and HarfBuzz-Subset it cannot."""
    fc_list = shutil.which("fc-list")
    fonts = (
        subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout
        if fc_list
        else ""
    )
    if "Noto" not in fonts:
        _missing("fonts-noto-cjk is not installed (apt-get install fonts-noto-cjk)")
    if ctypes.util.find_library("harfbuzz-subset") is None:
        _missing("HarfBuzz-Subset is not installed (apt-get install libharfbuzz-subset0)")
