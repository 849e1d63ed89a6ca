"""``guardrail playbook``: incident playbooks with the legal clocks, and the playbook library."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from guardrail.cli._common import make_output_dir, time_or_now, write_file
from guardrail.cli._options import lang_option
from guardrail.cli._ui import UI
from guardrail.errors import ExitCode

__all__ = ["playbook"]

FORMATS = ("md", "html", "cacao", "ics", "json")
DEFAULT_FORMATS = ("md", "html", "cacao", "ics")


@click.command()
@click.argument("stack", type=click.Path(path_type=Path), default=Path())
@click.option(
    "--incident",
    "incident_path",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The incident (YAML): type, times, affected datasets and persons, encryption.",
)
@click.option(
    "--library",
    is_flag=True,
    help="Pre-generate a playbook for every incident type (audit controls C32-C34).",
)
@click.option(
    "--lint",
    "lint",
    is_flag=True,
    help="Check the playbook library in --output-dir; exit 1 if it has problems.",
)
@click.option(
    "-o",
    "--output",
    "formats",
    multiple=True,
    type=click.Choice(FORMATS),
    help="Formats to write (repeatable): md, html, cacao, ics, json. Default: md html cacao ics.",
)
@lang_option("Language of the playbook (notice templates come in both).")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where files go. Default: guardrail-out (an incident) or the manifest's "
    "incident_response.playbooks folder, else guardrail-out/playbooks (the library).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="An audit's report.json: its data inventory adds the fields it detected.",
)
@click.option("--at", metavar="TIME", help="Generation time, ISO 8601 (reproducible output).")
@click.pass_obj
def playbook(
    ui: UI,
    stack: Path,
    incident_path: Path | None,
    library: bool,
    lint: bool,
    formats: tuple[str, ...],
    lang: str,
    output_dir: Path | None,
    report: Path | None,
    at: str | None,
) -> int:
    """Incident playbook for STACK: every legal obligation with its deadline, the response
    steps by phase, notice templates in English and Chinese.

    \b
      guardrail playbook STACK --incident incident.yaml [-o md -o html -o cacao -o ics]
      guardrail playbook STACK --library [--output-dir playbooks/]
      guardrail playbook STACK --lint [--output-dir playbooks/]

    Exits 0, or 1 when a required legal deadline has already passed without the notice being
    recorded as sent (--lint: when the library has problems); 2 on bad input.
    """
    chosen = sum(bool(x) for x in (incident_path, library, lint))
    if chosen != 1:
        raise click.UsageError("give exactly one of --incident FILE, --library or --lint")
    from guardrail.audit.manifest import load_stack

    loaded = load_stack(stack)
    when = time_or_now(at)
    if incident_path is not None:
        return _incident(
            ui, loaded, incident_path, formats or DEFAULT_FORMATS, lang, output_dir, report, when
        )
    folder = output_dir or _library_dir(loaded)
    if library:
        return _library(ui, loaded, folder, lang, when)
    return _lint(ui, loaded, folder)


def _library_dir(loaded: object) -> Path:
    from guardrail.audit.manifest import LoadedStack

    assert isinstance(loaded, LoadedStack)
    ir = loaded.stack.incident_response
    if ir is not None and ir.playbooks:
        return loaded.base_dir / ir.playbooks
    return Path("guardrail-out") / "playbooks"


def _incident(
    ui: UI,
    loaded: object,
    incident_path: Path,
    formats: tuple[str, ...],
    lang: str,
    output_dir: Path | None,
    report: Path | None,
    at: datetime,
) -> int:
    from guardrail.audit.manifest import LoadedStack
    from guardrail.errors import RuleExecutionError
    from guardrail.playbook import build_playbook, load_incident, load_inventory

    assert isinstance(loaded, LoadedStack)
    incident = load_incident(incident_path, loaded.stack)
    inventory = load_inventory(report) if report is not None else ()
    pb = build_playbook(incident, loaded.stack, at=at, inventory=inventory)
    out = output_dir or Path("guardrail-out")
    make_output_dir(out)
    base = f"playbook-{incident.id}"
    written: list[Path] = []
    with ui.progress("writing the playbook") as progress:
        for i, fmt in enumerate(dict.fromkeys(formats)):
            progress(f"writing {fmt}", i, len(formats))
            if fmt == "md":
                from guardrail.playbook import render_markdown

                path, data = out / f"{base}.{lang}.md", render_markdown(pb, lang=lang).encode()
            elif fmt == "html":
                from guardrail.playbook import render_html

                path, data = out / f"{base}.{lang}.html", render_html(pb, lang=lang).encode()
            elif fmt == "cacao":
                from guardrail.playbook import check_cacao, to_cacao

                doc = to_cacao(pb, lang=lang)
                problems = check_cacao(doc)
                if problems:  # fail closed: never hand out a broken playbook
                    raise RuleExecutionError(
                        f"the generated CACAO playbook is inconsistent: {problems[0]}",
                        hint="this is a bug in guardrail; please report it",
                    )
                import json

                text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
                path, data = out / f"{base}.cacao.json", text.encode()
            elif fmt == "ics":
                from guardrail.playbook import render_ics

                path, data = out / f"{base}.ics", render_ics(pb, lang=lang)
            else:
                path, data = out / f"{base}.json", (pb.model_dump_json(indent=2) + "\n").encode()
            write_file(path, data)  # atomic: a reader never sees half a file
            written.append(path)
    overdue = _summary(ui, pb, lang, at)
    if not ui.quiet:
        ui.print("Written: " + ", ".join(str(p) for p in written))
    if overdue:
        click.echo(
            f"OVERDUE: {overdue} required deadline(s) passed without a recorded notice (exit 1)"
        )
        return int(ExitCode.FINDINGS)
    active = len(pb.active_obligations)
    click.echo(f"OK: {active} obligation(s) in force, {len(pb.unknowns)} open question(s)")
    return int(ExitCode.OK)


def _summary(ui: UI, pb: object, lang: str, at: datetime) -> int:
    from rich.table import Table

    from guardrail.model.incident import ObligationId, ObligationStatus, Playbook
    from guardrail.playbook.render import local_time, texts

    assert isinstance(pb, Playbook)
    tx = texts(lang)
    overdue = 0
    table = Table(title=f"{tx.ui('deadlines')} — {pb.incident.id}", title_justify="left")
    table.add_column(tx.ui("due"), no_wrap=True)
    table.add_column(tx.ui("obligation"), ratio=3, overflow="fold")
    table.add_column(tx.ui("recipient"), ratio=2, overflow="fold")
    table.add_column(tx.ui("status"), no_wrap=True)
    rows = sorted(
        pb.active_obligations,
        key=lambda o: (o.due is None, o.due or at, list(ObligationId).index(o.id)),
    )
    for o in rows:
        late = (
            o.status is ObligationStatus.REQUIRED
            and o.sent_at is None
            and o.deadline is not None
            and o.deadline < at
        )
        overdue += late
        tz = o.clock.timezone if o.clock else pb.timezone
        if o.sent_at is not None:
            due = tx.ui("sent", time=local_time(o.sent_at, tz))
        elif o.due is not None:
            due = local_time(o.due, tz)
        else:
            due = "—"
        status = tx.status(o.status)
        table.add_row(
            f"[bold red]{due}[/]" if late else due,
            f"{tx.t(o.title)} [dim]({o.refs[0]})[/]" if o.refs else tx.t(o.title),
            tx.t(o.recipient.name),
            f"[red]{tx.ui('overdue')}[/]" if late else status,
        )
    if not ui.quiet:
        ui.print(table)
        if pb.unknowns:
            ui.print(f"{tx.ui('unknowns')}:")
            for u in pb.unknowns:
                ui.print(f"  - {tx.t(u.text)}")
    return overdue


def _library(ui: UI, loaded: object, folder: Path, lang: str, at: datetime) -> int:
    from guardrail.audit.manifest import LoadedStack
    from guardrail.playbook import generate_library, lint_library

    assert isinstance(loaded, LoadedStack)
    with ui.progress("playbook library") as progress:
        written = generate_library(
            loaded.stack, folder, at=at, stack_sha256=loaded.sha256, lang=lang, progress=progress
        )
    problems = lint_library(folder, stack=loaded.stack, stack_sha256=loaded.sha256)
    if problems:  # fail closed: what we just wrote must pass our own lint
        from guardrail.errors import RuleExecutionError

        raise RuleExecutionError(
            f"the generated playbook library fails its lint: {problems[0].message}",
            hint="this is a bug in guardrail; please report it",
        )
    if not ui.quiet:
        from guardrail.model.incident import IncidentType

        ui.print(
            f"Playbook library: {len(written) - 1} files for {len(IncidentType)} incident "
            f"types in {folder}"
        )
    click.echo(f"OK: library written to {folder} and checked (C32-C34)")
    return int(ExitCode.OK)


def _lint(ui: UI, loaded: object, folder: Path) -> int:
    from rich.table import Table

    from guardrail.audit.manifest import LoadedStack
    from guardrail.playbook import lint_library

    assert isinstance(loaded, LoadedStack)
    problems = lint_library(folder, stack=loaded.stack, stack_sha256=loaded.sha256)
    if problems and not ui.quiet:
        table = Table(title=f"Playbook library problems — {folder}", title_justify="left")
        for col in ("Control", "Type", "Code", "Problem"):
            table.add_column(col, overflow="fold")
        for p in problems:
            table.add_row(
                p.control, p.incident_type.value if p.incident_type else "", p.code, p.message
            )
        ui.print(table)
    if problems:
        click.echo(f"FAIL: {len(problems)} problem(s) in the playbook library (exit 1)")
        return int(ExitCode.FINDINGS)
    click.echo(f"PASS: the playbook library in {folder} is complete and encodes the clocks")
    return int(ExitCode.OK)
