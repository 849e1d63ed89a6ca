"""``guardrail audit`` and ``guardrail check``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from guardrail.cli._common import make_output_dir, parse_time, write_file
from guardrail.cli._options import F, lang_option, stacked
from guardrail.cli._ui import UI
from guardrail.errors import ExitCode

__all__ = ["audit", "check"]

SEVERITIES = ["critical", "high", "medium", "low", "none"]
DEFAULT_FORMATS = ("json", "html")


def _exit_code(result: object, fail_on: str) -> int:
    from guardrail.model.audit import AuditResult
    from guardrail.model.common import Severity

    assert isinstance(result, AuditResult)
    if result.errors:
        return int(ExitCode.INCOMPLETE)
    if fail_on != "none" and result.gating_findings(Severity(fail_on)):
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)


def _run(ui: UI, stack: Path, opts: dict[str, Any], *, scan_data: bool = True) -> object:
    from guardrail.audit import AuditOptions, run_audit

    with ui.progress("auditing") as progress:
        return run_audit(
            stack,
            AuditOptions(
                frameworks=tuple(opts["frameworks"]) or None,
                at=parse_time(opts["at"]),
                sample_rows=opts["sample"],
                scan_data=scan_data,
                progress=progress,
                waivers=Path(opts["waivers"]) if opts["waivers"] else None,
                use_waivers=not opts["no_waivers"],
                baseline=Path(opts["baseline"]) if opts["baseline"] else None,
            ),
        )


def _print_summary(ui: UI, result: object, lang: str, *, limit: int | None = None) -> None:
    from rich.table import Table

    from guardrail.model.audit import AuditResult
    from guardrail.model.common import Severity

    assert isinstance(result, AuditResult)
    applies = {a.framework: a.applies for a in result.applicability}
    table = Table(title=f"guardrail audit — {result.organization}", title_justify="left")
    for col in ("Framework", "Applies", "Pass", "Fail", "Manual", "Waived", "Error", "N/A"):
        table.add_column(col, justify="left" if col == "Framework" else "right")
    for s in result.scorecards:
        table.add_row(
            s.framework.upper(),
            "yes" if applies.get(s.framework) else "no",
            str(s.passed),
            str(s.failed),
            str(s.manual),
            str(s.waived),
            str(s.errors),
            str(s.not_applicable),
        )
    ui.print(table)
    findings = list(result.findings)
    if findings:
        ft = Table(title=f"Findings ({len(findings)})", title_justify="left")
        ft.add_column("Severity")
        ft.add_column("Status")
        ft.add_column("Control")
        ft.add_column("Target", overflow="fold")
        ft.add_column("References", overflow="fold")
        style = {
            Severity.CRITICAL: "bold red",
            Severity.HIGH: "red",
            Severity.MEDIUM: "yellow",
            Severity.LOW: "blue",
            Severity.INFO: "dim",
        }
        shown = findings if limit is None else findings[:limit]
        for f in shown:
            refs = ", ".join(str(r) for r in f.refs[:3]) + (
                f" +{len(f.refs) - 3}" if len(f.refs) > 3 else ""
            )
            status = f.status.value
            if f.status.value == "open" and f.waiver is not None:
                status = "open (waiver expired)"
            ft.add_row(
                f"[{style[f.severity]}]{f.severity.value}[/]",
                status if f.status.value == "open" else f"[dim]{status}[/]",
                f"{f.control} {f.title.get(lang)}",
                str(f.target),
                refs,
            )
        ui.print(ft)
        if limit is not None and len(findings) > limit:
            ui.print(f"… and {len(findings) - limit} more (see the report)")


def _verdict(ui: UI, result: object, fail_on: str, code: int) -> None:
    from guardrail.model.audit import AuditResult
    from guardrail.model.common import Severity

    assert isinstance(result, AuditResult)
    # What failed is shown even under --quiet: an incomplete run must say why (on stderr).
    for e in result.errors:
        ui.problem(f"incomplete: {e.stage}: {e.message}" + (f" — {e.hint}" if e.hint else ""))
    if code == ExitCode.INCOMPLETE:
        msg = f"INCOMPLETE: {len(result.errors)} part(s) of the run failed (exit 3)"
    elif code == ExitCode.FINDINGS:
        n = len(result.gating_findings(Severity(fail_on)))
        msg = f"FAIL: {n} finding(s) at or above {fail_on} (exit 1)"
    else:
        gated = f"at or above {fail_on}" if fail_on != "none" else "gating (--fail-on none)"
        msg = f"PASS: no findings {gated} ({len(result.findings)} in total)"
    click.echo(msg)


def _write_reports(
    ui: UI, result: object, formats: tuple[str, ...], out_dir: Path, lang: str
) -> list[Path]:
    from guardrail.model.audit import AuditResult
    from guardrail.model.common import Lang
    from guardrail.report import reporter

    assert isinstance(result, AuditResult)
    make_output_dir(out_dir)
    written = []
    for fmt in dict.fromkeys(formats):
        rep = reporter(fmt)
        path = out_dir / f"report{rep.suffix}"
        write_file(path, rep.render(result, lang=Lang(lang)))  # atomic: never half a report
        written.append(path)
    return written


def _common(*, sample: int) -> Callable[[F], F]:
    """Arguments and options shared by audit and check. Every option also reads a GUARDRAIL_*
    environment variable and the config file (flag > env > file > default)."""

    return stacked(
        click.argument(
            "stack", type=click.Path(path_type=Path), default=Path(), envvar="GUARDRAIL_STACK"
        ),
        click.option(
            "-F",
            "--framework",
            "frameworks",
            multiple=True,
            metavar="ID",
            envvar="GUARDRAIL_FRAMEWORK",
            help="Frameworks to evaluate (repeatable): pipl, gdpr, ccpa. Default: all installed.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(SEVERITIES),
            default="high",
            show_default=True,
            envvar="GUARDRAIL_FAIL_ON",
            help="Exit 1 when an open finding is at or above this severity.",
        ),
        lang_option("Language of the summary and reports.", envvar="GUARDRAIL_LANG"),
        click.option(
            "--at",
            metavar="TIME",
            envvar="GUARDRAIL_AT",
            help="Audit as of this ISO 8601 time (reproducible runs).",
        ),
        click.option(
            "-o",
            "--output",
            "formats",
            multiple=True,
            metavar="FORMAT",
            envvar="GUARDRAIL_OUTPUT",
            help="Report formats to write (repeatable): json, html, md, sarif, "
            "junit, csv, ocsf, oscal, pdf.",
        ),
        click.option(
            "--output-dir",
            type=click.Path(path_type=Path),
            default=Path("guardrail-out"),
            show_default=True,
            envvar="GUARDRAIL_OUTPUT_DIR",
            help="Folder for the reports.",
        ),
        click.option(
            "--sample",
            type=click.IntRange(1, 1_000_000),
            default=sample,
            show_default=True,
            envvar="GUARDRAIL_SAMPLE",
            help="Rows sampled per table.",
        ),
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            envvar="GUARDRAIL_BASELINE",
            help="A previous report.json: its findings are baselined (reported, not gating).",
        ),
        click.option(
            "--waivers",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            envvar="GUARDRAIL_WAIVERS",
            help="Waivers file (default: policies/waivers.yaml next to the manifest).",
        ),
        click.option(
            "--no-waivers",
            is_flag=True,
            envvar="GUARDRAIL_NO_WAIVERS",
            help="Ignore every waiver (auditor mode).",
        ),
    )


def _known_formats(formats: tuple[str, ...]) -> None:
    """Unknown formats, or a format whose extra is missing, fail before the audit runs."""
    import importlib.util

    from guardrail.errors import PluginError
    from guardrail.plugins import install_hint
    from guardrail.report import formats as known_formats

    if "pdf" in formats and importlib.util.find_spec("weasyprint") is None:
        raise PluginError(
            "the pdf format needs WeasyPrint, which is not installed",
            hint=install_hint("weasyprint"),
        )

    unknown = [f for f in formats if f not in known_formats()]
    if unknown:
        raise click.BadParameter(
            f"unknown format {', '.join(unknown)}; available: {', '.join(known_formats())}",
            param_hint="--output",
        )


@click.command()
@_common(sample=1000)
@click.option(
    "--sign",
    "sign_key",
    metavar="KEY",
    envvar="GUARDRAIL_SIGNING_KEY",
    help="Sign every report (REPORT.jws, EdDSA): a private JWK file or env:VARIABLE.",
)
@click.pass_obj
def audit(
    ui: UI,
    /,
    stack: Path,
    formats: tuple[str, ...],
    output_dir: Path,
    fail_on: str,
    lang: str,
    sign_key: str | None,
    **opts: Any,
) -> int:
    """Audit STACK (a stack.yaml or a folder holding one) and write reports.

    Prints a summary table, writes report.json and report.html (or the -o formats) to
    --output-dir and exits 0 clean, 1 with open findings at or above --fail-on, 2 on bad
    input, 3 if the run is incomplete. Waivers in policies/waivers.yaml next to the manifest
    apply unless --no-waivers.
    """
    _known_formats(formats)
    signer = None
    if sign_key:  # load the key first: a bad key fails before the audit runs
        from guardrail.report.signing import load_signing_key, sign_report

        signer = load_signing_key(sign_key)
    result = _run(ui, stack, opts)
    paths = _write_reports(ui, result, formats or DEFAULT_FORMATS, output_dir, lang)
    if signer is not None:
        paths += [sign_report(p, signer) for p in list(paths)]
    code = _exit_code(result, fail_on)
    if not ui.quiet:
        _print_summary(ui, result, lang)
        ui.print("Reports: " + ", ".join(str(p) for p in paths))
    _verdict(ui, result, fail_on, code)
    return code


@click.command()
@_common(sample=100)
@click.pass_obj
def check(
    ui: UI,
    /,
    stack: Path,
    formats: tuple[str, ...],
    output_dir: Path,
    fail_on: str,
    lang: str,
    **opts: Any,
) -> int:
    """Fast CI gate: validate STACK, evaluate every control on sampled data, exit by severity.

    Same evaluation as audit with a smaller sample and no report files unless -o is given
    (e.g. -o sarif for code scanning).
    """
    _known_formats(formats)
    result = _run(ui, stack, opts)
    paths = _write_reports(ui, result, formats, output_dir, lang) if formats else []
    code = _exit_code(result, fail_on)
    if not ui.quiet:
        _print_summary(ui, result, lang, limit=20)
        if paths:
            ui.print("Reports: " + ", ".join(str(p) for p in paths))
    _verdict(ui, result, fail_on, code)
    return code
