"""``guardrail verify-report``: check signed reports (and, optionally, their inputs)."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

import click

from guardrail.cli._options import format_option
from guardrail.cli._ui import UI
from guardrail.errors import ExitCode

__all__ = ["verify_report"]


@click.command("verify-report")
@click.argument(
    "reports", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="REPORT..."
)
@click.option(
    "-k",
    "--key",
    "key_file",
    required=True,
    type=click.Path(path_type=Path),
    envvar="GUARDRAIL_VERIFY_KEY",
    help="Trusted public key(s): a JWKS or JWK file (also GUARDRAIL_VERIFY_KEY).",
)
@click.option(
    "--signature",
    type=click.Path(path_type=Path),
    help="The detached signature, when it is not REPORT.jws (one report only).",
)
@click.option(
    "--inputs",
    "inputs_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also re-hash the inputs a JSON report lists, relative to this stack folder.",
)
@format_option("table", "json", help="Output: a readable table or exact JSON.")
@click.pass_obj
def verify_report(
    ui: UI,
    reports: tuple[Path, ...],
    key_file: Path,
    signature: Path | None,
    inputs_dir: Path | None,
    fmt: str,
) -> int:
    """Verify the detached signatures (REPORT.jws) of REPORTs written by 'audit --sign'.

    Exits 0 when every report matches its signature from a trusted key (and, with --inputs,
    every input still has the digest the report recorded), 1 when any does not (changed,
    signed by another key, inputs differ), 2 on missing files or a bad key file.
    """
    from guardrail.errors import InvalidSignature, UsageError
    from guardrail.report.signing import check_inputs, load_trusted_keys
    from guardrail.report.signing import verify_report as verify

    if signature is not None and len(reports) != 1:
        raise UsageError("--signature names the signature of one report", hint="pass one REPORT")
    keys = load_trusted_keys(key_file)
    rows: list[dict[str, Any]] = []
    for report in reports:
        row: dict[str, Any] = {"report": str(report), "ok": False}
        try:
            checked = verify(report, keys, signature=signature)
        except InvalidSignature as exc:
            row["error"] = str(exc)
            rows.append(row)
            continue
        row.update(ok=True, sha256=checked.sha256, kid=checked.kid, alg=checked.alg)
        listed = _listed_inputs(report) if inputs_dir is not None else None
        if inputs_dir is not None and listed is None:
            row["note"] = "not a JSON report: it lists no inputs to re-hash"
        if inputs_dir is not None and listed is not None:
            with ui.progress("hashing inputs") as progress:
                checks = check_inputs(listed, inputs_dir, progress=progress)
            row["inputs"] = [
                {"path": c.path, "ok": c.ok, "expected": c.expected, "actual": c.actual}
                for c in checks
            ]
            if not all(c.ok for c in checks):
                row["ok"] = False
                row["error"] = "inputs differ from the ones the report records"
        rows.append(row)
    ok = all(r["ok"] for r in rows)
    if fmt == "json":
        ui.raw(json.dumps({"ok": ok, "reports": rows}, indent=2, ensure_ascii=False) + "\n")
    else:
        if not ui.quiet:
            _table(ui, rows)
        failed = sum(1 for r in rows if not r["ok"])
        if ok:
            click.echo(f"VERIFIED: {len(rows)} report(s) match their signatures")
        else:
            click.echo(f"FAIL: {failed} of {len(rows)} report(s) did not verify (exit 1)")
    return int(ExitCode.OK if ok else ExitCode.FINDINGS)


def _listed_inputs(report: Path) -> list[tuple[str, str]] | None:
    """The inputs a guardrail JSON report records; None for other formats."""
    from pydantic import ValidationError

    from guardrail.report.json import load_result

    try:
        result = load_result(report.read_bytes())
    except (ValidationError, ValueError):
        return None
    # Inputs are named relative to the stack's folder; a run given an absolute stack path
    # may record absolute ones, which are re-based onto the folder passed to --inputs.
    stack = PurePath(result.stack)
    base = stack.parent if stack.is_absolute() else None
    out = []
    for i in result.inputs:
        path = PurePath(i.path)
        if base is not None and path.is_absolute() and path.is_relative_to(base):
            path = path.relative_to(base)
        out.append((path.as_posix(), i.sha256))
    return out


def _table(ui: UI, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="guardrail verify-report", title_justify="left")
    for col in ("Report", "Result", "Signed by", "SHA-256"):
        table.add_column(col, overflow="fold")
    for r in rows:
        error = escape(str(r.get("error", "")))
        result = "[green]verified[/]" if r["ok"] else f"[red]FAILED[/]: {error}"
        signer = escape(f"{r['kid']} ({r['alg']})") if "kid" in r else ""
        table.add_row(escape(r["report"]), result, signer, r.get("sha256", ""))
    ui.print(table)
    for r in rows:
        if "note" in r:
            ui.print(escape(f"  {r['report']}: {r['note']}"))
        for c in r.get("inputs", []):
            if c["ok"]:
                ui.print(escape(f"  {r['report']}: input {c['path']} matches"))
            else:
                state = "missing" if c["actual"] is None else "changed"
                ui.print(escape(f"  {r['report']}: input {c['path']} is {state}"))
