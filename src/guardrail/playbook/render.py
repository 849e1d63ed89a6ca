"""Markdown and HTML renderings of a :class:`Playbook` (jinja2, StrictUndefined).

The HTML is one self-contained file (inline CSS, no scripts, no external assets) and is
autoescaped; the Markdown escapes every interpolated value, so a manifest or incident value
cannot inject markup. Notification templates are rendered in English and Chinese in both
outputs, the chosen language first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2

from guardrail.model._base import ValueObject
from guardrail.model.common import Lang, LocalizedText
from guardrail.model.incident import (
    Clock,
    ClockStart,
    ExposedData,
    IrmGrade,
    NoticeKind,
    Obligation,
    ObligationId,
    ObligationStatus,
    Phase,
    Playbook,
    RecipientKind,
    Timing,
)
from guardrail.playbook import law
from guardrail.resources import data_dir
from guardrail.yamlio import parse_yaml, validate

__all__ = [
    "RenderedNotice",
    "Texts",
    "local_time",
    "notices",
    "render_html",
    "render_markdown",
    "texts",
]

# ---------------------------------------------------------------------------------------------
# Bundled strings and notice templates


class _TypeLabel(ValueObject):
    name: LocalizedText
    sentence: LocalizedText


class _DataLabel(ValueObject):
    label: LocalizedText
    harm: tuple[str, ...] = ()


class _Harm(ValueObject):
    consequence: LocalizedText
    advice: LocalizedText


class _Labels(ValueObject):
    schema_version: Literal[1]
    ui: dict[str, LocalizedText]
    phases: dict[Phase, LocalizedText]
    status: dict[ObligationStatus, LocalizedText]
    regimes: dict[str, LocalizedText]
    grades: dict[str, LocalizedText]
    risks: dict[str, LocalizedText]
    protections: dict[str, LocalizedText]
    sources: dict[str, LocalizedText]
    types: dict[str, _TypeLabel]
    clock: dict[str, LocalizedText]
    data: dict[str, _DataLabel]
    harms: dict[str, _Harm]
    measures: dict[str, LocalizedText]


class _Section(ValueObject):
    heading: str
    covers: tuple[str, ...]
    body: str


class _NoticeText(ValueObject):
    title: str
    sections: tuple[_Section, ...]


class _Notices(ValueObject):
    schema_version: Literal[1]
    notices: dict[NoticeKind, dict[Lang, _NoticeText]]


def _read(name: str) -> tuple[str, str]:
    display = f"reports/templates/playbook/{name}"
    return data_dir("templates").joinpath("playbook", name).read_text("utf-8"), display


@cache
def _labels() -> _Labels:
    text, display = _read("labels.yaml")
    return validate(_Labels, parse_yaml(text, display), what="playbook labels")


@cache
def notice_templates() -> _Notices:
    text, display = _read("notices.yaml")
    return validate(_Notices, parse_yaml(text, display), what="notice templates")


@dataclass(frozen=True)
class Texts:
    """Language-bound accessors used by every renderer."""

    lang: Lang

    def ui(self, key: str, **kw: str) -> str:
        text = _labels().ui[key].get(self.lang)
        return text.format(**kw) if kw else text

    def t(self, text: LocalizedText) -> str:
        return text.get(self.lang)

    def phase(self, p: Phase) -> str:
        return _labels().phases[p].get(self.lang)

    def status(self, s: ObligationStatus) -> str:
        return _labels().status[s].get(self.lang)

    def regime(self, r: str) -> str:
        return _labels().regimes[r].get(self.lang)

    def grade(self, pb: Playbook) -> str:
        a = pb.assessment
        g = _labels().grades
        if a.irm_grade is not None:
            return g[a.irm_grade.value].get(self.lang)
        if a.persons_at_least >= law.IRM_RELATIVELY_MAJOR:
            return g["at_least"].get(self.lang)
        return g["unknown"].get(self.lang)

    def risk(self, pb: Playbook) -> str:
        r = pb.assessment.risk
        return _labels().risks[r.value if r else "unknown"].get(self.lang)

    def protection(self, p: str) -> str:
        return _labels().protections[p].get(self.lang)

    def source(self, s: str) -> str:
        return _labels().sources[s].get(self.lang)

    def type_name(self, kind: str) -> str:
        return _labels().types[kind].name.get(self.lang)

    def type_sentence(self, kind: str) -> str:
        return _labels().types[kind].sentence.get(self.lang)

    def data_label(self, d: ExposedData) -> str:
        return _data_entry(d.category).label.get(self.lang)

    def measure(self, key: str) -> str:
        return _labels().measures[key].get(self.lang)

    def harms(self, items: tuple[ExposedData, ...]) -> list[tuple[str, str]]:
        """(consequence, advice) of the readable data, deduplicated, in a stable order."""
        keys: list[str] = []
        for d in items:
            if d.unintelligible is True:
                continue
            for h in _data_entry(d.category).harm:
                if h not in keys:
                    keys.append(h)
        order = list(_labels().harms)
        keys.sort(key=order.index)
        return [
            (
                _labels().harms[k].consequence.get(self.lang),
                _labels().harms[k].advice.get(self.lang),
            )
            for k in keys
        ]

    def clock(self, c: Clock, pb: Playbook) -> str:
        zh = self.lang is Lang.ZH
        if c.start is ClockStart.AFTER:
            assert c.after is not None
            start = self.t(pb.obligation(c.after).title)
            start = f"“{start}”" if zh else f"'{start}'"
        else:
            start = _labels().clock[c.start.value].get(self.lang)
        if c.hours is not None:
            unit = "hour" if c.hours == 1 else "hours"
            return f"{start}后{c.hours}小时内" if zh else f"≤ {c.hours} {unit} after {start}"
        if c.days is not None:
            return (
                f"{start}后{c.days}个日历日内（截至{c.timezone}时间23:59）"
                if zh
                else f"≤ {c.days} calendar days after {start} (until 23:59 {c.timezone})"
            )
        words = {
            Timing.IMMEDIATELY: ("immediately on {s}", "{s}后立即"),
            Timing.WITHOUT_UNDUE_DELAY: ("without undue delay after {s}", "{s}后毫不迟延"),
            Timing.PROMPTLY: ("promptly after {s}", "{s}后及时"),
            Timing.MOST_EXPEDIENT: (
                "in the most expedient time possible after {s}",
                "{s}后以最快方式、无不合理延迟",
            ),
        }[c.timing]
        return (words[1] if zh else words[0]).format(s=start)


def texts(lang: Lang | str) -> Texts:
    return Texts(Lang(lang))


def _data_entry(category: str) -> _DataLabel:
    table = _labels().data
    key = category
    while key:
        if key in table:
            return table[key]
        key = key.rpartition(".")[0]
    return table["user"]


# ---------------------------------------------------------------------------------------------
# Times


def _fmt(dt: datetime, tz: str) -> str:
    local = dt.astimezone(ZoneInfo(tz))
    utc = dt.astimezone(UTC)
    if tz == "UTC":
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc:%Y-%m-%d %H:%M} UTC)"


def local_time(dt: datetime, tz: str) -> str:
    """``2026-06-15 03:15 CEST``: a time as the recipient reads it."""
    local = dt.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _relative(dt: datetime, t0: datetime) -> str:
    delta = dt - t0
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return "T0"
    sign = "+" if minutes > 0 else "−"
    minutes = abs(minutes)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins:
        parts.append(f"{mins} min")
    return f"T0 {sign} " + " ".join(parts)


@dataclass(frozen=True)
class _Clockwork:
    pb: Playbook
    home: str

    def when(self, dt: datetime | None, tz: str | None = None) -> str:
        if dt is None:
            return ""
        if self.pb.incident.scenario:
            return _relative(dt, self.pb.incident.discovered_at)
        return _fmt(dt, tz or self.home)


# ---------------------------------------------------------------------------------------------
# Notices


@dataclass(frozen=True)
class Block:
    kind: Literal["p", "ul"]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class RenderedSection:
    heading: str
    covers: tuple[str, ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class RenderedNotice:
    kind: NoticeKind
    lang: Lang
    title: str
    sections: tuple[RenderedSection, ...]


_PLAIN = jinja2.Environment(
    autoescape=False,  # noqa: S701 - plain text; the Markdown/HTML templates escape it
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def _compiled(body: str) -> jinja2.Template:
    return _PLAIN.from_string(body)


def _blocks(text: str) -> tuple[Block, ...]:
    out: list[Block] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("p", tuple(para)))
            para.clear()
        if items:
            out.append(Block("ul", tuple(items)))
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("- "):
            if para:
                out.append(Block("p", tuple(para)))
                para.clear()
            items.append(line[2:].strip())
        else:
            if items:
                out.append(Block("ul", tuple(items)))
                items.clear()
            para.append(line)
    flush()
    return tuple(out)


def _notice_tz(pb: Playbook, kind: NoticeKind, lang: Lang) -> str:
    if kind is NoticeKind.CA_NOTICE:
        return law.TZ_CALIFORNIA
    if lang is Lang.ZH:
        return law.TZ_PRC
    for o in pb.obligations:
        if o.notice is kind and o.regime.value == "gdpr" and o.clock is not None:
            return o.clock.timezone
    return "UTC"


def _officer(pb: Playbook, role: str) -> str | None:
    for c in pb.team:
        if c.role.lower() == role:
            return f"{c.name} ({c.contact})" if c.contact else c.name
    return None


def _context(
    pb: Playbook, kind: NoticeKind, lang: Lang, officers: dict[str, str | None]
) -> dict[str, Any]:
    tx = texts(lang)
    tz = _notice_tz(pb, kind, lang)
    clock = _Clockwork(pb, tz)
    inc = pb.incident
    a = pb.assessment
    data = list(dict.fromkeys(tx.data_label(d) for d in a.data))
    harms = tx.harms(a.data)
    measures = [tx.t(s.measure) for s in pb.steps if s.measure is not None]
    if any(o.status.active and o.recipient.kind is RecipientKind.AUTHORITY for o in pb.obligations):
        measures.append(tx.measure("authorities"))
    measures.append(tx.measure("review"))
    persons: int | None = a.persons_total
    if kind is NoticeKind.CA_NOTICE:
        persons = a.by_region.get("US-CA")
    regions = "; ".join(
        f"{r} {v:,}" if v is not None else f"{r} {tx.ui('not_counted')}"
        for r, v in a.by_region.items()
    )
    if inc.occurred_from is not None:
        occurred = clock.when(inc.occurred_from) + (
            f" – {clock.when(inc.occurred_until)}" if inc.occurred_until else ""
        )
    else:
        occurred = tx.ui("unknown_time")
    readable = [d for d in a.data if d.unintelligible is not True]
    id_theft = any(d.entity in law.CA_ID_THEFT_ENTITIES for d in readable)
    # Datasets by name, then systems named directly (a vendor's platform has no dataset).
    systems = [*inc.datasets, *inc.systems]
    zh = lang is Lang.ZH
    contact = officers["pipo"] if zh else (officers["dpo"] or officers["pipo"])
    return {
        "org": pb.organization,
        "incident": inc,
        "when": clock.when,
        "data": data,
        "persons": f"{persons:,}" if persons is not None else ("[人数]" if zh else "[number]"),
        "records": f"{a.records:,}"
        if a.records is not None
        else ("[记录数]" if zh else "[number]"),
        "regions": regions,
        "contact": contact or officers["lead"] or ("[联系方式]" if zh else "[contact details]"),
        "dpo": officers["dpo"],
        "pipo": officers["pipo"],
        "systems": systems,
        "occurred": occurred,
        "kind": tx.type_name(inc.type.value),
        "kind_sentence": tx.type_sentence(inc.type.value),
        "description": inc.description
        or ("[事件概况]" if zh else "[short description of the incident]"),
        "level": tx.grade(pb),
        "risk": tx.risk(pb),
        "consequences": [c for c, _ in harms]
        or [("[可能造成的危害]" if zh else "[likely consequences]")],
        "advice": [adv for _, adv in harms]
        or [("[个人可采取的措施]" if zh else "[what individuals can do]")],
        "measures": measures,
        "delay": inc.law_enforcement_delay,
        "scenario": inc.scenario,
        "bureaus": id_theft,
        "idtheft": id_theft,
    }


def notices(
    pb: Playbook, lang: Lang | str
) -> list[tuple[NoticeKind, list[Obligation], list[RenderedNotice]]]:
    """The notices the playbook needs (all four kinds for a library scenario), each rendered
    in ``lang`` first and then in the other language."""
    lang = Lang(lang)
    kinds: list[NoticeKind] = []
    for o in pb.obligations:
        if o.status.active and o.notice is not None and o.notice not in kinds:
            kinds.append(o.notice)
    if pb.incident.scenario:
        kinds = list(NoticeKind)
    kinds.sort(key=list(NoticeKind).index)
    officers = {
        "dpo": _officer(pb, "dpo"),
        "pipo": _officer(pb, "pi_protection_officer") or _officer(pb, "incident_lead"),
        "lead": _officer(pb, "incident_lead"),
    }
    langs = [lang, *(x for x in Lang if x is not lang)]
    out = []
    for kind in kinds:
        used = [o for o in pb.obligations if o.notice is kind and o.status.active]
        rendered = []
        for lg in langs:
            tpl = notice_templates().notices[kind][lg]
            ctx = _context(pb, kind, lg, officers)
            sections = tuple(
                RenderedSection(
                    heading=s.heading,
                    covers=s.covers,
                    blocks=_blocks(_compiled(s.body).render(ctx)),
                )
                for s in tpl.sections
            )
            rendered.append(RenderedNotice(kind=kind, lang=lg, title=tpl.title, sections=sections))
        out.append((kind, used, rendered))
    return out


# ---------------------------------------------------------------------------------------------
# Markdown and HTML


def _md_escape(value: Any) -> Any:
    """Neutralise Markdown and HTML syntax in an interpolated value (tables stay one line)."""
    if not isinstance(value, str):
        return value
    out = value.replace("\\", "\\\\")
    for ch, rep in (
        ("<", "&lt;"),
        (">", "&gt;"),
        ("|", "\\|"),
        ("*", "\\*"),
        ("`", "\\`"),
        ("\r", " "),
        ("\n", " "),
    ):
        out = out.replace(ch, rep)
    return out


def _load(name: str) -> str:
    return data_dir("templates").joinpath("playbook", name).read_text("utf-8")


@cache
def _env(kind: Literal["md", "html"]) -> jinja2.Environment:
    if kind == "md":
        return jinja2.Environment(
            loader=jinja2.FunctionLoader(_load),
            autoescape=False,  # noqa: S701 - Markdown: values are escaped by _md_escape
            finalize=_md_escape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _refs(refs: Any) -> str:
    return ", ".join(str(r) for r in refs)


def _page_context(pb: Playbook, lang: Lang) -> dict[str, Any]:
    tx = texts(lang)
    clock = _Clockwork(pb, pb.timezone)
    active = sorted(
        (o for o in pb.obligations if o.status.active),
        key=lambda o: (o.due is None, o.due or pb.generated_at, list(ObligationId).index(o.id)),
    )

    def due_text(o: Obligation) -> str:
        rule = tx.clock(o.clock, pb) if o.clock is not None else ""
        if o.sent_at is not None:
            return tx.ui("sent", time=clock.when(o.sent_at, o.clock.timezone if o.clock else None))
        if pb.incident.scenario:
            return rule
        if o.deadline is not None:
            return clock.when(o.deadline, o.clock.timezone if o.clock else None)
        if o.due is not None:
            return clock.when(o.due, o.clock.timezone if o.clock else None)
        return rule

    def overdue(o: Obligation) -> bool:
        return (
            not pb.incident.scenario
            and o.sent_at is None
            and o.deadline is not None
            and o.deadline < pb.generated_at
        )

    def applies(value: bool | None) -> str:
        return tx.ui({True: "applies_yes", False: "applies_no", None: "applies_unknown"}[value])

    def persons(n: int | None) -> str:
        return f"{n:,}" if n is not None else tx.ui("not_counted")

    phases = [(p, [s for s in pb.steps if s.phase is p]) for p in Phase]
    role = (
        tx.ui("controller")
        if pb.incident.role == "controller"
        else tx.ui("processor", name=pb.incident.controller or "?")
    )
    return {
        "pb": pb,
        "lang": lang.value,
        "L": tx.ui,
        "t": tx.t,
        "tx": tx,
        "when": clock.when,
        "due_text": due_text,
        "overdue": overdue,
        "applies": applies,
        "persons": persons,
        "refs": _refs,
        "active": active,
        "phases": phases,
        "notices": notices(pb, lang),
        "role": role,
        "ObligationStatus": ObligationStatus,
        "IrmGrade": IrmGrade,
    }


def render_markdown(pb: Playbook, *, lang: Lang | str = Lang.EN) -> str:
    """The playbook as GitHub-flavoured Markdown."""
    return _env("md").get_template("playbook.md.j2").render(_page_context(pb, Lang(lang)))


def render_html(pb: Playbook, *, lang: Lang | str = Lang.EN) -> str:
    """The playbook as one self-contained HTML page."""
    return _env("html").get_template("playbook.html.j2").render(_page_context(pb, Lang(lang)))
