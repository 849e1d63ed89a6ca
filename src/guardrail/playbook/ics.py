"""The deadlines as an iCalendar file (RFC 5545), one event per obligation with a time.

Events are instants in UTC (``DTSTART`` with ``Z``; no ``VTIMEZONE`` needed), with the
recipient's local time in the description and display alarms ahead of each deadline. Required
obligations are ``CONFIRMED``, conditional ones ``TENTATIVE``. UIDs derive from the
organisation, the incident and the obligation, so a re-import updates the same events.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Alarm, Calendar, Event

from guardrail import __version__
from guardrail.model.common import Lang
from guardrail.model.incident import Obligation, ObligationStatus, Playbook
from guardrail.playbook._text import stable_uuid
from guardrail.playbook.render import texts

__all__ = ["render_ics"]


def _alarms(o: Obligation) -> list[timedelta]:
    clock = o.clock
    if clock is not None and clock.hours is not None:
        return [timedelta(minutes=-15)] if clock.hours <= 1 else [timedelta(hours=-1)]
    if clock is not None and clock.days is not None:
        return [timedelta(days=-3), timedelta(days=-1)]
    return [timedelta(minutes=0)]


def render_ics(pb: Playbook, *, lang: Lang | str = Lang.EN) -> bytes:
    """Every active obligation with a deadline or due time, as a VCALENDAR."""
    tx = texts(lang)
    cal = Calendar()
    cal.add("prodid", f"-//guardrail//playbook {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{tx.ui('deadlines')} — {pb.incident.id}")
    for o in pb.obligations:
        when = o.deadline or o.due
        if not o.status.active or when is None or o.sent_at is not None:
            continue
        ev = Event()
        ev.add(
            "uid", stable_uuid(pb.organization, pb.incident.id, "ics", o.id.value) + "@guardrail"
        )
        ev.add("dtstamp", pb.generated_at)
        ev.add("dtstart", when)
        conditional = o.status is ObligationStatus.CONDITIONAL
        prefix = f"[{tx.status(o.status)}] " if conditional else ""
        ev.add("summary", f"{prefix}{tx.t(o.title)} — {tx.t(o.recipient.name)}")
        lines = [
            f"{tx.ui('clock')}: {tx.clock(o.clock, pb)}" if o.clock else "",
            f"{tx.ui('due')}: {when:%Y-%m-%d %H:%M} UTC"
            + ("" if o.deadline else f" ({tx.ui('no_due')})"),
            f"{tx.ui('basis')}: " + ", ".join(str(r) for r in o.refs),
            *(f"{tx.ui('conditions')}: {tx.t(c.text)}" for c in o.conditions),
            *(tx.t(r) for r in o.reasons),
        ]
        ev.add("description", "\n".join(line for line in lines if line))
        ev.add("categories", [o.regime.value.upper(), "guardrail"])
        ev.add("status", "TENTATIVE" if conditional else "CONFIRMED")
        ev.add("transp", "TRANSPARENT")
        if o.recipient.contact:
            ev.add("location", o.recipient.contact)
        for before in _alarms(o):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", before)
            alarm.add("description", tx.t(o.title))
            ev.add_component(alarm)
        cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data
