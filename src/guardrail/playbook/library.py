"""The pre-generated playbook library and its lint (audit controls C32-C34).

``generate_library`` writes, for every incident type, the playbook of a worst-case scenario of
that type (see :func:`guardrail.playbook.build.scenario_incident`) as Markdown and HTML in
English and Chinese plus a CACAO 2.0 document, and an ``index.json`` with the SHA-256 of every
file and the clocks each playbook encodes::

    <folder>/index.json
    <folder>/<incident type>/playbook.{en,zh}.md
    <folder>/<incident type>/playbook.{en,zh}.html
    <folder>/<incident type>/playbook.cacao.json

``lint_library`` checks such a folder and returns :class:`LibraryProblem` s:

* **C32** (a plan exists): the folder, the index and every incident type's files are there and
  unchanged since generation;
* **C33** (the clocks are encoded): each breach playbook's CACAO document is structurally sound
  and carries, as labels, step references and ``timeout`` values, the clocks of the laws in
  scope — GDPR Art. 33 72 h; IRM 1 h (CII) / 4 h and the 30-day summary; PIPL Art. 57
  "immediately"; Cal. Civ. Code §1798.82 30 days to residents and 15 days to the Attorney
  General — and, given the current manifest, that scope and CII status still match;
* **C34** (notices carry the mandatory content): every notice template in both languages covers
  the items of GDPR Art. 33(3)(a)-(d) / 34(2), PIPL Art. 57(1)-(3), IRM Art. 7 and §1798.82(d),
  and the California notice keeps its statutory title and headings.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from guardrail import __version__
from guardrail.errors import InputError
from guardrail.model.common import Lang
from guardrail.model.incident import (
    IncidentType,
    LibraryEntry,
    LibraryIndex,
    LibraryProblem,
    NoticeKind,
    ObligationId,
    Regime,
)
from guardrail.model.stack import Stack
from guardrail.playbook import law
from guardrail.playbook.build import build_playbook, scenario_incident
from guardrail.playbook.cacao import check_cacao, clock_refs, render_cacao
from guardrail.playbook.content import CA_HEADINGS, CA_TITLE, NOTICE_COVERS
from guardrail.playbook.render import render_html, render_markdown

__all__ = ["LIBRARY_FILES", "expected_clocks", "generate_library", "lint_library"]

LIBRARY_FILES = (
    "playbook.en.md",
    "playbook.zh.md",
    "playbook.en.html",
    "playbook.zh.html",
    "playbook.cacao.json",
)
Progress = Callable[[str, int, int], None]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a reader never sees half a file


def generate_library(
    stack: Stack,
    folder: Path,
    *,
    at: datetime,
    stack_sha256: str | None = None,
    lang: Lang | str = Lang.EN,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the library for every incident type; returns the files written (index last)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the library folder {folder} ({exc.strerror})",
            hint="choose another --output-dir",
        ) from None
    written: list[Path] = []
    entries: dict[IncidentType, LibraryEntry] = {}
    regimes: tuple[Regime, ...] = ()
    cii = stack.organization.cii_operator
    kinds = list(IncidentType)
    for n, kind in enumerate(kinds):
        if progress:
            progress(f"playbook library: {kind.value}", n, len(kinds))
        pb = build_playbook(scenario_incident(stack, kind, at), stack, at=at, scenario=True)
        if kind.is_breach:
            regimes = pb.assessment.regimes
        outputs = {
            "playbook.en.md": render_markdown(pb, lang=Lang.EN).encode("utf-8"),
            "playbook.zh.md": render_markdown(pb, lang=Lang.ZH).encode("utf-8"),
            "playbook.en.html": render_html(pb, lang=Lang.EN).encode("utf-8"),
            "playbook.zh.html": render_html(pb, lang=Lang.ZH).encode("utf-8"),
            "playbook.cacao.json": render_cacao(pb, lang=lang).encode("utf-8"),
        }
        for name, data in outputs.items():
            path = folder / kind.value / name
            _write(path, data)
            written.append(path)
        entries[kind] = LibraryEntry(
            files={k: hashlib.sha256(v).hexdigest() for k, v in outputs.items()},
            clocks={
                o.id.value: o.clock.iso
                for o in pb.obligations
                if o.status.active and o.clock is not None
            },
        )
    index = LibraryIndex(
        guardrail_version=__version__,
        generated_at=at,
        organization=stack.organization.name,
        stack_sha256=stack_sha256,
        regimes=regimes,
        cii=cii,
        types=entries,
    )
    path = folder / "index.json"
    _write(path, (index.model_dump_json(indent=2) + "\n").encode("utf-8"))
    written.append(path)
    if progress:
        progress("playbook library", len(kinds), len(kinds))
    return written


# ---------------------------------------------------------------------------------------------
# Lint


def expected_clocks(regimes: Sequence[Regime], *, cii: bool) -> dict[ObligationId, str]:
    """The clocks a breach playbook must encode for the laws in scope (control C33)."""
    out: dict[ObligationId, str] = {}
    if Regime.PIPL in regimes:
        hours = law.IRM_CII_HOURS if cii else law.IRM_OTHER_HOURS
        out[ObligationId.IRM_REPORT] = f"PT{hours}H"  # IRM Art. 4
        out[ObligationId.IRM_SUMMARY] = f"P{law.IRM_SUMMARY_DAYS}D"  # IRM Art. 8
        out[ObligationId.PIPL_AUTHORITY] = "immediately"  # PIPL Art. 57
        out[ObligationId.PIPL_INDIVIDUALS] = "immediately"  # PIPL Art. 57
    if Regime.GDPR in regimes:
        out[ObligationId.GDPR_AUTHORITY] = f"PT{law.GDPR_SA_HOURS}H"  # GDPR Art. 33(1)
        out[ObligationId.GDPR_SUBJECTS] = "without_undue_delay"  # GDPR Art. 34(1)
    if Regime.CCPA in regimes:
        out[ObligationId.CA_RESIDENTS] = f"P{law.CA_RESIDENTS_DAYS}D"  # §1798.82(a)
        out[ObligationId.CA_ATTORNEY_GENERAL] = f"P{law.CA_AG_DAYS}D"  # §1798.82(f)
    return out


def _ms(iso: str) -> int | None:
    m = re.fullmatch(r"P(?:T(\d+)H|(\d+)D)", iso)
    if not m:
        return None
    if m.group(1):
        return int(timedelta(hours=int(m.group(1))).total_seconds() * 1000)
    return int(timedelta(days=int(m.group(2))).total_seconds() * 1000)


_NOTICE = re.compile(r"<!-- guardrail:notice kind=([a-z_]+) lang=([a-z]+) -->")
_COVERS = re.compile(r"<!-- guardrail:covers ([a-z0-9 -]*) -->")
_TITLE = re.compile(r"^### (.+)$|<h3>(.+?)</h3>", re.M)
_HEADING = re.compile(r"^#### (.+)$|<h4>(.+?)</h4>", re.M)
_TAG = re.compile(r"<[^>]+>")


def _notices(
    text: str,
) -> dict[tuple[str, str], tuple[str, list[str], list[tuple[list[str], str]]]]:
    """``(kind, lang) -> (title, headings, [(covers, section text)])`` of a rendered file."""
    out = {}
    marks = list(_NOTICE.finditer(text))
    for i, m in enumerate(marks):
        if i + 1 < len(marks):
            end = marks[i + 1].start()
        else:
            stops = [
                x
                for x in (text.find("\n---\n", m.end()), text.find("<footer>", m.end()))
                if x != -1
            ]
            end = min(stops, default=len(text))
        chunk = text[m.end() : end]
        t = _TITLE.search(chunk)
        title = (t.group(1) or t.group(2)).strip() if t else ""
        headings = [(h.group(1) or h.group(2)).strip() for h in _HEADING.finditer(chunk)]
        sections = []
        covers = list(_COVERS.finditer(chunk))
        for j, c in enumerate(covers):
            stop = covers[j + 1].start() if j + 1 < len(covers) else len(chunk)
            body = chunk[c.end() : stop]
            body = _HEADING.sub("", body)
            body = _TAG.sub("", body)
            sections.append((c.group(1).split(), body.strip()))
        out[(m.group(1), m.group(2))] = (title, headings, sections)
    return out


def _lint_notices(kind: IncidentType, name: str, text: str) -> list[LibraryProblem]:
    problems: list[LibraryProblem] = []

    def problem(code: str, message: str) -> None:
        problems.append(
            LibraryProblem(control="C34", incident_type=kind, file=name, code=code, message=message)
        )

    found = _notices(text)
    for notice in NoticeKind:
        for lg in Lang:
            entry = found.get((notice.value, lg.value))
            if entry is None:
                problem(
                    "notice-missing",
                    f"{kind.value}/{name}: no {notice.value} template in '{lg.value}'",
                )
                continue
            title, headings, sections = entry
            covered = {c for cs, body in sections if body for c in cs}
            missing = sorted(NOTICE_COVERS[notice] - covered)
            if missing:
                problem(
                    "notice-content-missing",
                    f"{kind.value}/{name}: {notice.value} ({lg.value}) lacks mandatory content "
                    + ", ".join(missing),
                )
            if notice is NoticeKind.CA_NOTICE:
                if CA_TITLE not in title:
                    problem(
                        "ca-title-missing",
                        f"{kind.value}/{name}: the California notice ({lg.value}) is not "
                        f"titled '{CA_TITLE}' (Cal. Civ. Code §1798.82(d)(1))",
                    )
                got = [
                    next((h for h in headings if h.startswith(want)), None) for want in CA_HEADINGS
                ]
                absent = [want for want, h in zip(CA_HEADINGS, got, strict=True) if h is None]
                order = [headings.index(h) for h in got if h is not None]
                if absent:
                    problem(
                        "ca-heading-missing",
                        f"{kind.value}/{name}: the California notice ({lg.value}) lacks the "
                        "headings " + ", ".join(f"'{a}'" for a in absent),
                    )
                elif order != sorted(order):
                    problem(
                        "ca-heading-order",
                        f"{kind.value}/{name}: the California notice ({lg.value}) headings are "
                        "not in the statutory order",
                    )
    return problems


def _lint_cacao(
    kind: IncidentType, name: str, text: str, index: LibraryIndex
) -> list[LibraryProblem]:
    problems: list[LibraryProblem] = []

    def problem(code: str, message: str) -> None:
        problems.append(
            LibraryProblem(control="C33", incident_type=kind, file=name, code=code, message=message)
        )

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        problem("cacao-unreadable", f"{kind.value}/{name}: not JSON (line {exc.lineno})")
        return problems
    if not isinstance(doc, dict) or doc.get("spec_version") != "cacao-2.0":
        problem("cacao-invalid", f"{kind.value}/{name}: not a CACAO 2.0 playbook")
        return problems
    for msg in check_cacao(doc):
        problem("cacao-invalid", f"{kind.value}/{name}: {msg}")
    if not kind.is_breach:
        return problems
    labels = set(doc.get("labels", ()))
    refs = clock_refs(doc)
    for oid, iso in expected_clocks(index.regimes, cii=index.cii).items():
        label = f"clock:{oid.value}:{iso}"
        if label not in labels:
            problem(
                "clock-label-missing",
                f"{kind.value}/{name}: the playbook does not label the clock '{label}'",
            )
        got = refs.get(oid.value)
        if got is None:
            problem(
                "clock-step-missing",
                f"{kind.value}/{name}: no step carries the clock of '{oid.value}' ({iso})",
            )
            continue
        step_iso, timeout = got
        want_ms = _ms(iso)
        if step_iso != iso:
            problem(
                "clock-wrong",
                f"{kind.value}/{name}: '{oid.value}' encodes {step_iso}, expected {iso}",
            )
        elif want_ms is not None and timeout != want_ms:
            problem(
                "clock-timeout-wrong",
                f"{kind.value}/{name}: '{oid.value}' has timeout {timeout} ms, expected "
                f"{want_ms} ms ({iso})",
            )
    return problems


def lint_library(
    folder: Path | str,
    *,
    stack: Stack | None = None,
    stack_sha256: str | None = None,
) -> list[LibraryProblem]:
    """Check a pre-generated playbook library (see the module docstring). Never raises for a
    bad library: every defect is a problem. With ``stack``, the library must also match the
    manifest's current scope and CII status (a stale library encodes the wrong clocks)."""
    folder = Path(folder)
    problems: list[LibraryProblem] = []
    index_path = folder / "index.json"
    if not folder.is_dir():
        return [
            LibraryProblem(
                control="C32",
                code="library-missing",
                message=f"{folder}: no playbook library (run 'guardrail playbook STACK --library')",
            )
        ]
    try:
        index = LibraryIndex.model_validate_json(index_path.read_bytes())
    except FileNotFoundError:
        return [
            LibraryProblem(
                control="C32",
                file="index.json",
                code="index-missing",
                message=f"{folder}: index.json is missing (regenerate the library)",
            )
        ]
    except (ValidationError, OSError):
        return [
            LibraryProblem(
                control="C32",
                file="index.json",
                code="index-invalid",
                message=f"{folder}: index.json is not a guardrail playbook-library index",
            )
        ]
    if stack is not None:
        current = build_playbook(
            scenario_incident(stack, IncidentType.EXFILTRATION, index.generated_at),
            stack,
            at=index.generated_at,
            scenario=True,
        ).assessment
        if set(current.regimes) != set(index.regimes) or current.cii != index.cii:
            problems.append(
                LibraryProblem(
                    control="C33",
                    code="library-stale",
                    message=(
                        f"{folder}: generated for laws {sorted(r.value for r in index.regimes)}, "
                        f"CII {index.cii}; the manifest now gives "
                        f"{sorted(r.value for r in current.regimes)}, CII {current.cii} "
                        "(regenerate the library)"
                    ),
                )
            )
    if stack_sha256 is not None and index.stack_sha256 not in (None, stack_sha256):
        problems.append(
            LibraryProblem(
                control="C32",
                code="library-outdated",
                message=f"{folder}: generated from another version of the manifest (regenerate)",
            )
        )
    for kind in IncidentType:
        entry = index.types.get(kind)
        if entry is None:
            problems.append(
                LibraryProblem(
                    control="C32",
                    incident_type=kind,
                    code="type-missing",
                    message=f"{folder}: no playbook for incident type '{kind.value}'",
                )
            )
            continue
        for name in LIBRARY_FILES:
            path = folder / kind.value / name
            try:
                data = path.read_bytes()
            except OSError:
                problems.append(
                    LibraryProblem(
                        control="C32",
                        incident_type=kind,
                        file=f"{kind.value}/{name}",
                        code="file-missing",
                        message=f"{folder}: {kind.value}/{name} is missing",
                    )
                )
                continue
            if hashlib.sha256(data).hexdigest() != entry.files.get(name):
                problems.append(
                    LibraryProblem(
                        control="C32",
                        incident_type=kind,
                        file=f"{kind.value}/{name}",
                        code="file-changed",
                        message=f"{folder}: {kind.value}/{name} changed since the library was "
                        "generated (regenerate it, or review the edit)",
                    )
                )
            text = data.decode("utf-8", "replace")
            if name.endswith(".cacao.json"):
                problems += _lint_cacao(kind, name, text, index)
            else:
                problems += _lint_notices(kind, name, text)
    return problems
