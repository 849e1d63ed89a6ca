"""Facts for the audit: coverage and gaps, exact on small data and cross-checked on the shop."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.consent.conftest import MAPPING_PATH, NOW, Clock

from guardrail.consent import ConsentRegistry, consent_facts
from guardrail.consent.importer import import_events, load_mapping
from guardrail.errors import InputError
from guardrail.model.consent import MissingReason, ReasonCount

T0 = NOW - timedelta(days=20)
AT = datetime(2026, 11, 22, tzinfo=UTC)


def test_exact_counts(registry: ConsentRegistry) -> None:
    r = registry
    r.record("a", "marketing", at=T0, separate_consent=True)  # valid
    r.record("b", "marketing", at=T0)  # no separate consent
    r.record("c", "marketing", at=T0, separate_consent=True)
    r.record("c", "marketing", "withdrawn", at=T0 + timedelta(days=1))
    r.record("d", "marketing", at=T0, separate_consent=True)
    r.record_gpc("d", at=T0 + timedelta(days=2))
    r.record("e", "marketing", at=T0, separate_consent=True)
    r.record("e", None, "opt_out", at=T0 + timedelta(days=2))
    r.record("kid", "analytics", at=T0, region="CN", minor_age=12)
    r.record("f", "marketing", at=T0, separate_consent=True, gpc=True)
    processing = {"marketing": ["a", "b", "c", "d", "e", "x"], "analytics": ["kid"]}
    facts = consent_facts(r, at=NOW, processing=processing, purposes=["marketing", "analytics"])
    m = facts.purpose("marketing")
    assert m is not None
    assert (m.subjects, m.valid, m.processed, m.processed_with_valid_consent) == (6, 1, 6, 1)
    assert m.coverage == pytest.approx(1 / 6)
    assert set(m.missing) == {
        ReasonCount(reason=MissingReason.SEPARATE_CONSENT_MISSING, subjects=1),
        ReasonCount(reason=MissingReason.WITHDRAWN, subjects=1),
        ReasonCount(reason=MissingReason.GPC_OPT_OUT, subjects=2),
        ReasonCount(reason=MissingReason.OPTED_OUT, subjects=1),
    }
    assert (m.separate_consent_gaps, m.withdrawals_not_propagated) == (1, 1)
    assert (m.gpc_not_honoured, m.opt_outs_not_honoured, m.consents_despite_gpc) == (1, 1, 1)
    a = facts.purpose("analytics")
    assert a is not None and (a.minors_without_guardian, a.valid, a.coverage) == (1, 0, 0.0)
    assert (facts.subjects, facts.gpc_subjects, facts.events) == (7, 2, 10)
    assert facts.chain_verified is None


def test_state_at_an_earlier_instant(registry: ConsentRegistry) -> None:
    registry.record("a", "analytics", at=T0)
    registry.record("a", "analytics", "withdrawn", at=T0 + timedelta(days=5))
    early = consent_facts(registry, at=T0 + timedelta(days=1), purposes=["analytics"], verify=True)
    late = consent_facts(registry, at=NOW, purposes=["analytics"])
    assert (early.purposes[0].valid, late.purposes[0].valid) == (1, 0)
    assert early.chain_verified is True and early.chain_problems == 0


def test_facts_need_aware_time_and_known_purposes(registry: ConsentRegistry) -> None:
    with pytest.raises(InputError):
        consent_facts(registry, at=datetime(2026, 1, 1))
    with pytest.raises(InputError, match="unknown purpose"):
        consent_facts(registry, at=NOW, processing={"nope": []})


def _latest(conn: sqlite3.Connection) -> dict[tuple[int, str], tuple[str, int, int]]:
    """(customer, purpose) -> (action, separate, gpc) of the last event, read with plain SQL."""
    out: dict[tuple[int, str], tuple[str, int, int]] = {}
    for cid, purpose, action, sep, gpc in conn.execute(
        "SELECT customer_id, purpose, action, separate_consent, gpc FROM consent_events "
        "ORDER BY occurred_at, id"
    ):
        out[(cid, purpose)] = (action, sep, gpc)
    return out


def test_shop_consent_history_drives_the_facts(
    registry: ConsentRegistry, clock: Clock, shop_template: Path
) -> None:
    """The example shop's consent_events, imported, give the gaps an auditor would find, and
    the counts agree with an independent reading of the shop database."""
    clock.now = AT
    db = shop_template / "data" / "shop.db"
    import_events(registry, str(db), load_mapping(MAPPING_PATH))
    conn = sqlite3.connect(db)
    mailing = [
        str(r[0]) for r in conn.execute("SELECT id FROM customers WHERE marketing_opt_in = 1")
    ]
    tracked = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT customer_id FROM analytics_events WHERE customer_id IS NOT NULL"
        )
    ]
    facts = consent_facts(
        registry, at=AT, processing={"marketing": mailing, "analytics": tracked}, verify=True
    )
    latest = _latest(conn)
    on_list = {int(c) for c in mailing}
    gpc_customers = {
        r[0] for r in conn.execute("SELECT DISTINCT customer_id FROM consent_events WHERE gpc = 1")
    }
    withdrawn_on_list = {
        c for (c, p), (a, _, _) in latest.items() if p == "marketing" and a == "withdrawn"
    } & on_list
    cbt_gaps = {
        c
        for (c, p), (a, sep, _) in latest.items()
        if p == "cross_border_transfer" and a == "given" and not sep
    }

    m = facts.purpose("marketing")
    cbt = facts.purpose("cross_border_transfer")
    analytics = facts.purpose("analytics")
    assert m is not None and cbt is not None and analytics is not None
    assert facts.chain_verified is True and facts.events == 6000
    assert (
        facts.subjects
        == conn.execute("SELECT count(DISTINCT customer_id) FROM consent_events").fetchone()[0]
    )
    assert m.processed == len(on_list)
    assert m.withdrawals_not_propagated == len(withdrawn_on_list)
    assert m.gpc_not_honoured == len(gpc_customers & on_list)
    assert cbt.separate_consent_gaps == len(cbt_gaps)
    # The shop never collects separate consent for marketing (a CN -> US share, PIPL Arts. 23,
    # 39): no marketing on the list is covered.
    assert (m.valid, m.processed_with_valid_consent, m.coverage) == (0, 0, 0.0)
    assert analytics.processed == len(tracked) and 0 < (analytics.coverage or 0) < 0.5
    # minors without a guardian's consent, found from the joined birth dates
    assert analytics.minors_without_guardian > 0
    by_reason: dict[str, int] = defaultdict(int)
    for p in facts.purposes:
        for rc in p.missing:
            by_reason[rc.reason.value] += rc.subjects
    assert {"separate_consent_missing", "withdrawn", "guardian_needed", "notice_changed"} <= set(
        by_reason
    )
