"""Table tests of the obligations engine: every obligation's status for each case, and every
active obligation's deadline to the minute (UTC), across jurisdictions, sizes, encryption, CII
status, time zones and the dates the IRM and SB 446 took effect."""

from __future__ import annotations

from typing import Any

import pytest

from guardrail.model.incident import ObligationId, RecipientKind
from tests.playbook.conftest import deadlines, incident, playbook, statuses, with_org

R, C, E, N = "required", "conditional", "exempt", "not_triggered"

# The example shop's leak: 1.2M persons in CN, DE, FR and California; discovered 02:40 in
# Shanghai on 12 June 2026 (still 11 June in California), aware at 09:15 Shanghai time.
BASE_STATUS = {
    "irm-report": R,
    "pipl-authority": R,
    "pipl-individuals": R,
    "minors-guardians": N,
    "police-report": R,
    "irm-summary": R,
    "gdpr-authority": R,
    "gdpr-subjects": R,
    "breach-register": R,
    "ca-residents": R,
    "ca-attorney-general": R,
    "processor-to-controller": N,
}
BASE_DEADLINES: dict[str, str | None] = {
    "irm-report": "2026-06-11T22:40Z",  # discovery 18:40Z + 4 h (IRM Art. 4, not CII)
    "pipl-authority": None,  # "immediately": no count
    "pipl-individuals": None,
    "police-report": None,
    "irm-summary": None,  # 30 days after handling ends: not ended yet
    "gdpr-authority": "2026-06-15T01:15Z",  # awareness 01:15Z + 72 h
    "gdpr-subjects": None,  # without undue delay
    "breach-register": None,
    "ca-residents": "2026-07-12T06:59Z",  # 11 June (LA date) + 30 days, 23:59 PDT
    "ca-attorney-general": "2026-07-27T06:59Z",  # latest: resident deadline + 15 days
}

# (case id, incident fields, organisation changes, status changes, deadline changes)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str], dict[str, str | None]]] = [
    ("leak-1.2M-cn-eu-ca", {}, {}, {}, {}),
    ("cii-operator", {}, {"cii_operator": True}, {}, {"irm-report": "2026-06-11T19:40Z"}),
    ("cii-by-incident", {"cii": True}, {}, {}, {"irm-report": "2026-06-11T19:40Z"}),
    (
        "999999-persons-below-jiaoda",
        {"persons": {"by_region": {"CN": 499999, "DE": 200000, "FR": 100000, "US-CA": 200000}}},
        {},
        {"irm-report": N, "irm-summary": N},
        {"irm-report": "-", "irm-summary": "-"},
    ),
    (
        "exactly-1000000-is-jiaoda",
        {"persons": {"by_region": {"CN": 500000, "DE": 200000, "FR": 100000, "US-CA": 200000}}},
        {},
        {},
        {},
    ),
    (
        "cn-count-unknown",
        {"persons": {"by_region": {"CN": None, "DE": 300000, "US-CA": 200000}}},
        {},
        {"irm-report": C, "irm-summary": C},
        {},
    ),
    (
        "lower-bound-already-1M",
        {"persons": {"by_region": {"CN": 900000, "DE": None, "US-CA": 200000}}},
        {},
        {},
        {},
    ),
    (
        "encrypted-key-safe",
        {"encryption": {"encrypted": True, "key_exposed": False}},
        {},
        {"gdpr-authority": E, "gdpr-subjects": N, "ca-residents": E, "ca-attorney-general": N},
        {
            "gdpr-authority": "-",
            "gdpr-subjects": "-",
            "ca-residents": "-",
            "ca-attorney-general": "-",
        },
    ),
    ("encrypted-key-exposed", {"encryption": {"encrypted": True, "key_exposed": True}}, {}, {}, {}),
    (
        "encrypted-key-unknown",
        {"encryption": {"encrypted": True, "key_exposed": None}},
        {},
        {"gdpr-authority": C, "gdpr-subjects": C, "ca-residents": C, "ca-attorney-general": C},
        {},
    ),
    (
        "500-californians-no-ag",
        {"persons": {"by_region": {"CN": 700000, "DE": 200000, "FR": 100000, "US-CA": 500}}},
        {},
        {"ca-attorney-general": N},
        {"ca-attorney-general": "-"},
    ),
    (
        "501-californians-ag",
        {"persons": {"by_region": {"CN": 700000, "DE": 200000, "FR": 100000, "US-CA": 501}}},
        {},
        {},
        {},
    ),
    (
        "names-and-emails-only",
        {"affected": {}, "data": {"entities": ["PERSON", "EMAIL_ADDRESS"]}},
        {},
        {"ca-residents": N, "ca-attorney-general": N, "gdpr-subjects": N},
        {"ca-residents": "-", "ca-attorney-general": "-", "gdpr-subjects": "-"},
    ),
    (
        "login-credentials",
        {"affected": {}, "data": {"entities": ["EMAIL_ADDRESS", "CREDENTIAL"]}},
        {},
        {},
        {},
    ),
    (
        "before-sb446",
        {"discovered_at": "2025-12-20T10:00:00-08:00", "aware_at": "2025-12-20T10:00:00-08:00"},
        {},
        {},
        {
            "irm-report": "2025-12-20T22:00Z",
            "gdpr-authority": "2025-12-23T18:00Z",
            "ca-residents": None,  # most expedient time, no day count before 2026-01-01
            "ca-attorney-general": None,
        },
    ),
    (
        "before-irm",
        {"discovered_at": "2025-10-20T09:00:00+08:00", "aware_at": "2025-10-20T09:00:00+08:00"},
        {},
        {"irm-report": N, "irm-summary": N},
        {
            "irm-report": "-",
            "irm-summary": "-",
            "gdpr-authority": "2025-10-23T01:00Z",
            "ca-residents": None,
            "ca-attorney-general": None,
        },
    ),
    (
        "irm-in-force-by-beijing-date",  # 16:30Z on 31 Oct is 00:30 on 1 Nov in Beijing
        {"discovered_at": "2025-10-31T16:30:00Z", "aware_at": "2025-10-31T16:30:00Z"},
        {},
        {},
        {
            "irm-report": "2025-10-31T20:30Z",
            "gdpr-authority": "2025-11-03T16:30Z",
            "ca-residents": None,
            "ca-attorney-general": None,
        },
    ),
    (
        "california-dst",  # 1 March PST + 30 days ends 31 March 23:59 PDT (UTC-7)
        {"discovered_at": "2026-03-01T10:00:00-08:00", "aware_at": "2026-03-01T10:00:00-08:00"},
        {},
        {},
        {
            "irm-report": "2026-03-01T22:00Z",
            "gdpr-authority": "2026-03-04T18:00Z",
            "ca-residents": "2026-04-01T06:59Z",
            "ca-attorney-general": "2026-04-16T06:59Z",
        },
    ),
    (
        "residents-notified",
        {"sent": {"ca-residents": "2026-06-20T17:00:00-07:00"}},
        {},
        {},
        {"ca-attorney-general": "2026-07-06T06:59Z"},  # 20 June + 15 days, 23:59 PDT
    ),
    (
        "handling-ended",
        {"handling_ended_at": "2026-06-20T18:00:00+08:00"},
        {},
        {},
        {"irm-summary": "2026-07-20T15:59Z"},  # 20 June + 30 days, 23:59 Beijing time
    ),
    (
        "awareness-later-than-discovery",
        {"aware_at": "2026-06-14T12:00:00+08:00"},
        {},
        {},
        {"gdpr-authority": "2026-06-17T04:00Z"},
    ),
    (
        "processor",
        {"role": "processor", "controller": "Acme Marketplace GmbH"},
        {},
        {
            "pipl-authority": N,
            "pipl-individuals": N,
            "gdpr-authority": N,
            "gdpr-subjects": N,
            "breach-register": N,
            "ca-residents": N,
            "ca-attorney-general": N,
            "processor-to-controller": R,
        },
        {
            "pipl-authority": "-",
            "pipl-individuals": "-",
            "gdpr-authority": "-",
            "gdpr-subjects": "-",
            "breach-register": "-",
            "ca-residents": "-",
            "ca-attorney-general": "-",
            "processor-to-controller": None,
        },
    ),
    (
        "unlawful-transfer",
        {"type": "unlawful_transfer"},
        {},
        dict.fromkeys(BASE_STATUS, N),
        dict.fromkeys(BASE_DEADLINES, "-"),
    ),
    (
        "unlawful-transfer-disclosed",
        {"type": "unlawful_transfer", "unauthorised_disclosure": True},
        {},
        {"police-report": N},
        {"police-report": "-"},
    ),
    (
        "declared-high-risk-but-encrypted",
        {"risk": "high", "encryption": {"encrypted": True, "key_exposed": False}},
        {},
        {"gdpr-subjects": E, "ca-residents": E, "ca-attorney-general": N},
        {"gdpr-subjects": "-", "ca-residents": "-", "ca-attorney-general": "-"},
    ),
    ("risk-removed", {"risk_removed": True}, {}, {"gdpr-subjects": E}, {"gdpr-subjects": "-"}),
    (
        "harm-avoided",
        {"harm_avoided_by_measures": True},
        {},
        {"pipl-individuals": E},
        {"pipl-individuals": "-"},
    ),
    (
        "minors",
        {
            "persons": {
                "by_region": {"CN": 700000, "DE": 200000, "FR": 100000, "US-CA": 200000},
                "minors": True,
            }
        },
        {},
        {"minors-guardians": R},
        {"minors-guardians": None},
    ),
    (
        "eu-persons-only",
        {"persons": {"by_region": {"DE": 250000, "FR": 50000}}},
        {},
        {"irm-report": N, "irm-summary": N, "ca-residents": N, "ca-attorney-general": N},
        {"irm-report": "-", "irm-summary": "-", "ca-residents": "-", "ca-attorney-general": "-"},
    ),
    (
        "ransomware-encrypted-data",
        {"type": "ransomware", "encryption": {"encrypted": True, "key_exposed": False}},
        {},
        {"gdpr-subjects": N, "ca-residents": E, "ca-attorney-general": N},
        {"gdpr-subjects": "-", "ca-residents": "-", "ca-attorney-general": "-"},
    ),
    (
        "lost-laptop-encrypted",
        {
            "type": "lost_device",
            "persons": {"by_region": {"CN": 1200, "DE": 1500, "FR": 300, "US-CA": 200}},
            "encryption": {"encrypted": True, "key_exposed": False},
        },
        {},
        {
            "irm-report": N,
            "irm-summary": N,
            "police-report": N,
            "gdpr-authority": E,
            "gdpr-subjects": N,
            "ca-residents": E,
            "ca-attorney-general": N,
        },
        {
            "irm-report": "-",
            "irm-summary": "-",
            "police-report": "-",
            "gdpr-authority": "-",
            "gdpr-subjects": "-",
            "ca-residents": "-",
            "ca-attorney-general": "-",
        },
    ),
]


@pytest.mark.parametrize(
    ("fields", "org", "status_changes", "deadline_changes"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_obligations_table(
    stack: Any,
    fields: dict[str, Any],
    org: dict[str, Any],
    status_changes: dict[str, str],
    deadline_changes: dict[str, str | None],
) -> None:
    s = with_org(stack, **org) if org else stack
    pb = playbook(s, incident(**fields))
    assert statuses(pb) == BASE_STATUS | status_changes
    expected = {k: v for k, v in (BASE_DEADLINES | deadline_changes).items() if v != "-"}
    assert deadlines(pb) == expected


def test_every_obligation_is_decided_and_explained(stack: Any) -> None:
    pb = playbook(stack, incident())
    assert [o.id for o in pb.obligations] == list(ObligationId)
    for o in pb.obligations:
        assert o.reasons, o.id
        assert o.refs, o.id
        if o.status.active:
            assert o.due is not None or o.clock is not None


def test_conditions_name_the_open_facts(stack: Any) -> None:
    pb = playbook(
        stack,
        incident(
            persons={"by_region": {"CN": None, "US-CA": None}},
            encryption={"encrypted": True, "key_exposed": None},
        ),
    )
    assert [c.cacao for c in pb.obligation("irm-report").conditions] == [
        "__affected_persons__:value >= 1000000"
    ]
    assert [c.cacao for c in pb.obligation("ca-attorney-general").conditions] == [
        "__data_unintelligible__:value == false",
        "__ca_residents__:value > 500",
    ]
    assert {u.id for u in pb.unknowns} == {
        "persons-uncounted",
        "key-exposure",
        "handling-end",
        "ca-notice-date",
    }  # no EEA persons: the GDPR risk question does not arise


def test_grades(stack: Any) -> None:
    def grade(n: int) -> str | None:
        pb = playbook(stack, incident(persons={"by_region": {"CN": n}}))
        g = pb.assessment.irm_grade
        return g.value if g else None

    assert [grade(n) for n in (999_999, 1_000_000, 9_999_999, 10_000_000, 100_000_000)] == [
        "general",
        "relatively_major",
        "relatively_major",
        "major",
        "especially_major",
    ]


def test_recipients_come_from_the_manifest(stack: Any) -> None:
    pb = playbook(stack, incident())
    assert pb.obligation("gdpr-authority").recipient.contact == "mailbox@datenschutz.hamburg.de"
    assert pb.obligation("irm-report").recipient.configured
    assert pb.obligation("police-report").recipient.configured is False
    assert pb.obligation("pipl-individuals").recipient.persons == 1_200_000  # processed in CN
    assert pb.obligation("gdpr-subjects").recipient.persons == 300_000  # DE + FR
    assert pb.obligation("ca-residents").recipient.persons == 200_000
    public = playbook(stack, incident(individual_notice_disproportionate=True))
    assert public.obligation("gdpr-subjects").recipient.kind is RecipientKind.PUBLIC


def test_cii_recipient_is_the_protection_department(stack: Any) -> None:
    pb = playbook(with_org(stack, cii_operator=True), incident())
    o = pb.obligation("irm-report")
    assert o.clock is not None and o.clock.hours == 1
    assert "protection department" in o.recipient.name.en and not o.recipient.configured


def test_missing_authorities_become_open_questions(stack: Any) -> None:
    data = stack.model_dump(by_alias=True)
    data["incident_response"]["authorities"] = []
    from guardrail.model.stack import Stack

    pb = playbook(Stack.model_validate(data), incident())
    ids = {u.id for u in pb.unknowns}
    assert {
        "authority-gdpr-authority",
        "authority-irm-report",
        "authority-ca-attorney-general",
    } <= ids


def test_incomplete_data_keeps_california_conditional(stack: Any) -> None:
    pb = playbook(stack, incident(affected={}, data={"entities": ["PERSON"], "complete": False}))
    assert pb.obligation("ca-residents").status.value == C
    assert "data-scope" in {u.id for u in pb.unknowns}


def test_undeclared_dataset_is_an_open_question(stack: Any) -> None:
    pb = playbook(stack, incident(affected={"datasets": ["shop_db.support_tickets"]}))
    assert "data-shop_db.support_tickets" in {u.id for u in pb.unknowns}
    assert pb.obligation("ca-residents").status.value == C
