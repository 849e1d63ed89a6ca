"""``guardrail inventory``: the data inventory and records of processing."""

from __future__ import annotations

from pathlib import Path

import click

from guardrail.cli._common import time_or_now, write_file
from guardrail.cli._options import format_option, lang_option
from guardrail.cli._ui import UI

__all__ = ["inventory"]


@click.command()
@click.argument("source", default=".")
@format_option("md", "csv", "xlsx", "json", help="Output format (xlsx and json hold every view).")
@click.option(
    "--view",
    type=click.Choice(["fields", "ropa", "pipl"]),
    default="fields",
    show_default=True,
    help="fields: every personal-data field under each law; ropa: GDPR Art. 30 "
    "record; pipl: PIPL processing record (Arts. 55-56).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to this file (default: stdout; xlsx: guardrail-out/inventory.xlsx).",
)
@lang_option()
@click.option(
    "--sample",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="Rows sampled per table.",
)
@click.option("--at", metavar="TIME", help="Classify as of this ISO 8601 time.")
@click.pass_obj
def inventory(
    ui: UI,
    source: str,
    fmt: str,
    view: str,
    output: Path | None,
    lang: str,
    sample: int,
    at: str | None,
) -> int:
    """Build the data inventory of SOURCE: a stack manifest (or its folder), or directly a
    database URL / SQLite file (every table, detected fields only).

    Every personal-data field is labelled under PIPL, GDPR and CCPA, with its source
    (declared, detected, both, inherited), protections, purposes, retention, recipients and
    cross-border transfers.
    """
    from guardrail.audit.facts import collect
    from guardrail.audit.inventory import build_inventory, build_records
    from guardrail.audit.manifest import load_source
    from guardrail.errors import ExitCode, InputError
    from guardrail.model.common import Lang
    from guardrail.report.inventory import render_inventory

    when = time_or_now(at)
    loaded = load_source(source)
    with ui.progress("scanning") as progress:
        facts, errors = collect(loaded, at=when, sample_rows=sample, progress=progress)
    fields = build_inventory(facts)
    records = build_records(facts, fields)
    data = render_inventory(fields, records, fmt=fmt, view=view, lang=Lang(lang))  # type: ignore[arg-type]
    if fmt == "xlsx" and output is None:
        output = Path("guardrail-out") / "inventory.xlsx"
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            write_file(output, data)
        except OSError as exc:
            raise InputError(
                f"cannot write {output} ({exc.strerror})", hint="choose another --output"
            ) from None
        ui.info(f"wrote {output}: {len(fields)} fields, {len(records)} processing records")
    else:
        ui.raw(data.decode("utf-8"))
    for e in errors:
        ui.problem(f"incomplete: {e.stage}: {e.message}" + (f" — {e.hint}" if e.hint else ""))
    return int(ExitCode.INCOMPLETE) if errors else int(ExitCode.OK)
