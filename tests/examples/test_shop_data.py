from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from guardrail.detect.validators import gb11643, luhn


def _digest(root: Path) -> dict[str, str]:
    """SHA-256 of every generated data and log file."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("data", "logs")
        for p in sorted((root / sub).glob("*"))
        if p.is_file()  # data/consent/ is keyed by a fresh keyring each time
    }


def test_generation_is_deterministic(shop_generator, shop_template: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shop_generator.generate(tmp_path)
    assert _digest(tmp_path) == _digest(shop_template)
    assert len(_digest(tmp_path)) == 3  # shop.db, app.log, access.log


def test_planted_violations_exist(shop_template: Path) -> None:
    db = sqlite3.connect(shop_template / "data" / "shop.db")
    ids = [r[0] for r in db.execute("SELECT id_number FROM customers WHERE id_number IS NOT NULL")]
    assert ids and all(gb11643(i) for i in ids)
    cards = [
        r[0] for r in db.execute("SELECT card_number FROM payments WHERE card_number IS NOT NULL")
    ]
    assert cards and all(luhn(c) for c in cards)
    assert any(c.startswith("62") for c in cards)  # UnionPay
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {
        "customers",
        "addresses",
        "orders",
        "payments",
        "support_tickets",
        "consent_events",
        "analytics_events",
    }
    locales = {r[0] for r in db.execute("SELECT DISTINCT locale FROM customers")}
    assert locales == {"zh_CN", "en_US", "de_DE", "fr_FR"}
    log = (shop_template / "logs" / "app.log").read_text()
    assert "phone=" in log and "email=" in log
