"""The iCalendar file of deadlines, read back with the icalendar parser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar

from guardrail.playbook import render_ics
from tests.playbook.conftest import incident, playbook


def _events(data: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(data)
    return {str(e.get("summary")): e for e in cal.walk("VEVENT")}


def test_deadlines_become_events(stack: Any) -> None:
    pb = playbook(stack, incident())
    data = render_ics(pb, lang="en")
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\nEND:VCALENDAR\r\n" in data
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # RFC 5545 folding
    events = _events(data)
    starts = {s.split(" — ")[0]: e.decoded("dtstart") for s, e in events.items()}
    assert starts == {
        "Notify the personal-information protection authority": datetime(
            2026, 6, 11, 18, 40, tzinfo=UTC
        ),
        "Notify the affected individuals (PRC)": datetime(2026, 6, 11, 18, 40, tzinfo=UTC),
        "Report the incident to the CAC": datetime(2026, 6, 11, 22, 40, tzinfo=UTC),
        "Report the suspected crime to public security": datetime(2026, 6, 12, 18, 40, tzinfo=UTC),
        "Notify the supervisory authority": datetime(2026, 6, 15, 1, 15, tzinfo=UTC),
        "Communicate the breach to the data subjects": datetime(2026, 6, 15, 1, 15, tzinfo=UTC),
        "Record the breach in the breach register": datetime(2026, 6, 15, 1, 15, tzinfo=UTC),
        "Send the Notice of Data Breach to California residents": datetime(
            2026, 7, 12, 6, 59, tzinfo=UTC
        ),
        "Submit a sample copy of the notice to the California Attorney General": datetime(
            2026, 7, 27, 6, 59, tzinfo=UTC
        ),
    }  # the 30-day summary has no date until handling ends
    gdpr = next(e for s, e in events.items() if s.startswith("Notify the supervisory"))
    assert str(gdpr.get("status")) == "CONFIRMED"
    assert [str(a.get("trigger").to_ical(), "ascii") for a in gdpr.walk("VALARM")] == ["-PT1H"]
    assert "GDPR Art. 33(1)" in str(gdpr.get("description"))


def test_conditional_events_are_tentative_and_uids_stable(stack: Any) -> None:
    pb = playbook(stack, incident(persons={"by_region": {"CN": None, "US-CA": 300}}))
    events = _events(render_ics(pb, lang="zh"))
    irm = next(e for s, e in events.items() if "向网信部门报告" in s)
    assert str(irm.get("status")) == "TENTATIVE" and str(irm.get("summary")).startswith("[附条件]")
    again = _events(render_ics(pb, lang="zh"))
    assert {str(e.get("uid")) for e in events.values()} == {
        str(e.get("uid")) for e in again.values()
    }


def test_sent_notices_leave_the_calendar(stack: Any) -> None:
    pb = playbook(stack, incident(sent={"gdpr-authority": "2026-06-13T10:00:00+02:00"}))
    assert not any(s.startswith("Notify the supervisory") for s in _events(render_ics(pb)))
