"""The issue's acceptance scenario: the example shop leaks 1.2M customers' data across CN, the
EU and California. The playbook's obligations, deadlines and templates match the table tests in
both languages and every output format."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from icalendar import Calendar

from guardrail.model.incident import IncidentType, Playbook
from guardrail.playbook import (
    load_incident,
    render_cacao,
    render_html,
    render_ics,
    render_markdown,
)
from guardrail.playbook.cacao import check_cacao, clock_refs
from guardrail.playbook.library import _lint_notices
from tests.playbook.conftest import LEAK, deadlines, playbook, statuses
from tests.playbook.test_obligations import BASE_DEADLINES, BASE_STATUS


@pytest.fixture(scope="module")
def pb(stack: Any) -> Playbook:
    return playbook(stack, load_incident(LEAK, stack))


def test_obligations_and_deadlines_match_the_table(pb: Playbook) -> None:
    assert pb.assessment.persons_total == 1_200_000
    assert statuses(pb) == BASE_STATUS
    assert deadlines(pb) == BASE_DEADLINES


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_format_carries_the_same_deadlines(
    pb: Playbook, lang: str, cacao_validator: Any
) -> None:
    due = {k: v for k, v in BASE_DEADLINES.items() if v}
    # JSON (canonical) round-trips.
    again = Playbook.model_validate_json(pb.model_dump_json())
    assert deadlines(again) == BASE_DEADLINES
    # iCalendar: one event per dated obligation, at the same instants.
    cal = Calendar.from_ical(render_ics(pb, lang=lang))
    starts = {e.decoded("dtstart").strftime("%Y-%m-%dT%H:%MZ") for e in cal.walk("VEVENT")}
    assert set(due.values()) <= starts
    # CACAO: valid, sound, every active clock encoded.
    doc = json.loads(render_cacao(pb, lang=lang))
    assert cacao_validator(doc) == [] and check_cacao(doc) == []
    assert set(clock_refs(doc)) == set(BASE_DEADLINES)
    # Markdown and HTML: the deadlines in UTC, and complete notice templates in both languages.
    for text, name in (
        (render_markdown(pb, lang=lang), "md"),
        (render_html(pb, lang=lang), "html"),
    ):
        for value in due.values():
            stamp = datetime.strptime(value, "%Y-%m-%dT%H:%MZ").strftime("%Y-%m-%d %H:%M UTC")
            assert stamp in text, (name, value)
        problems = _lint_notices(IncidentType.EXFILTRATION, name, text)
        # Only the processor notice is absent: the shop is the controller here.
        assert {p.message.split(": ", 1)[1] for p in problems} == {
            "no processor_notice template in 'en'",
            "no processor_notice template in 'zh'",
        }
