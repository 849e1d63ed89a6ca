"""Heavy imports stay lazy: importing the DP package loads neither torch nor Opacus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import guardrail.privacy as privacy

EXAMPLE_SPEC = Path(__file__).resolve().parents[2] / "examples" / "dp" / "orders_by_status.yaml"
HEAVY = ("torch", "opacus", "opendp", "sqlalchemy", "pandas", "polars")


def test_importing_guardrail_privacy_is_light() -> None:
    code = (
        "import sys, guardrail.privacy, guardrail.privacy.aggregate, guardrail.model.privacy; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_release_charges_the_ledger_without_importing_torch(tmp_path: Path) -> None:
    """The RDP accountant is Opacus' analysis module loaded by file: a DP query (and the
    budget statement) never pays for torch. The ledger's ε equals Opacus' RDPAccountant
    exactly (tests/privacy/test_dp_ledger.py)."""
    code = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "from guardrail.privacy import Ledger, load_spec, run_query\n"
        f"spec = load_spec(Path({str(EXAMPLE_SPEC)!r}))\n"
        f"ledger = Ledger('sqlite:///{tmp_path / 'ledger.db'}')\n"
        "data = {'customer_id': list(range(500)), 'status': ['paid'] * 500,\n"
        "        'total': [10.0] * 500}\n"
        "at = datetime(2026, 11, 22, tzinfo=UTC)\n"
        "run_query(data, spec, ledger=ledger, at=at)\n"
        "assert ledger.budget(spec.dataset, at=at).epsilon_spent > 0\n"
        "print([m for m in ('torch', 'opacus') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
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
