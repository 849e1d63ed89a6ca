"""Heavy imports stay lazy: importing the DP package loads neither torch nor Opacus."""

from __future__ import annotations

import subprocess
import sys

import guardrail.privacy as privacy

HEAVY = ("torch", "opacus", "opendp", "sqlalchemy", "pandas", "polars")


def test_importing_guardrail_privacy_is_light() -> None:
    code = (
        "import sys, guardrail.privacy, guardrail.privacy.aggregate, guardrail.model.privacy; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_dp_command_is_listed_without_importing_it() -> None:
    code = (
        "import sys; from guardrail.cli import main; import contextlib, io\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit): main(['--help'])\n"
        "assert 'Differentially private' in buf.getvalue()\n"
        "print([m for m in ('guardrail.cli.dp', 'guardrail.privacy', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api() -> None:
    assert set(privacy.__all__) == {
        "DEFAULT_LEDGER",
        "Charge",
        "Frame",
        "Ledger",
        "Reservation",
        "describe",
        "load_spec",
        "plan_query",
        "query_digest",
        "read_table_file",
        "run_query",
    }
    assert privacy.Ledger.__name__ == "Ledger"
    assert privacy.DEFAULT_LEDGER == "sqlite:///guardrail-ledger.db"
