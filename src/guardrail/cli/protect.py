"""``guardrail protect`` and ``guardrail reveal``: apply a protect policy; reveal, audited."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from guardrail.cli._common import parse_time
from guardrail.cli._options import F, format_option, lang_option, stacked
from guardrail.cli._ui import UI

__all__ = ["protect", "reveal"]

_LABELS = {
    "en": {
        "column": "column",
        "transform": "transform",
        "changed": "changed",
        "would": "would change",
        "already": "already protected",
        "empty": "empty",
        "key": "key",
        "note": "sample output / note",
        "rows": "rows",
        "resumed": "resumed at row",
        "dry": "dry run: nothing was written",
        "k": "k-anonymity",
        "l": "l-diversity",
    },
    "zh": {
        "column": "字段",
        "transform": "处理方式",
        "changed": "已处理",
        "would": "将处理",
        "already": "已受保护",
        "empty": "空值",
        "key": "密钥",
        "note": "输出示例 / 说明",
        "rows": "行",
        "resumed": "从第几行续跑",
        "dry": "试运行：未写入任何数据",
        "k": "k-匿名",
        "l": "l-多样性",
    },
}

_keyring_options = stacked(
    click.option(
        "--keyring",
        "keyring_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Keyring file (made by 'guardrail keys create').",
    ),
    click.option("--keyring-env", metavar="VAR", help="Read the keyring from this variable."),
    click.option(
        "--kms",
        "kms_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="LocalKMS key-encryption-key file, for a wrapped keyring.",
    ),
)


def _policy_option(help: str) -> Callable[[F], F]:
    deco: Callable[[F], F] = click.option(
        "--policy",
        "policy_path",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )
    return deco


def _info(ui: UI, message: str) -> None:
    """A status line on stderr, never wrapped (paths stay greppable)."""
    if not ui.quiet:
        ui.err.print(message, markup=False, soft_wrap=True)


@contextmanager
def _progress(ui: UI, what: str) -> Iterator[Callable[[str, int, int], None]]:
    with ui.progress(what) as bar:
        last: dict[str, int] = {}

        def update(desc: str, done: int, total: int) -> None:
            bar(desc, done, total)
            if ui.verbose and last.get(desc) != done:
                last[desc] = done
                _info(ui, f"{desc}: {done}/{total}")

        yield update


@click.command()
@click.argument("source")
@_policy_option("The protect policy (YAML): which columns get which transform.")
@_keyring_options
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--rotate", is_flag=True, help="Re-encrypt tokens made with older keys under the primary."
)
@click.option(
    "--table", "tables", multiple=True, metavar="NAME", help="Only this table (repeatable)."
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 1_000_000),
    default=50_000,
    show_default=True,
    help="Rows per chunk (one transaction / one journal step each).",
)
@format_option("table", "json", help="Output format.")
@lang_option()
@click.option("--at", metavar="TIME", help="Record this ISO 8601 time as the run's time.")
@click.pass_obj
def protect(
    ui: UI,
    source: str,
    policy_path: Path,
    keyring_file: Path | None,
    keyring_env: str | None,
    kms_path: Path | None,
    dry_run: bool,
    rotate: bool,
    tables: tuple[str, ...],
    chunk_size: int,
    fmt: str,
    lang: str,
    at: str | None,
) -> int:
    """Apply the protect POLICY to SOURCE: a database URL, a SQLite file, or a CSV/Parquet
    file or folder.

    \b
    Columns are encrypted (AES-256-GCM), deterministically encrypted (AES-SIV),
    pseudonymised (HMAC-SHA256), format-preserving encrypted (FF1), masked, generalised,
    suppressed or crypto-shredded, chunk by chunk. An interrupted run resumes where it
    stopped when rerun; no value is ever transformed twice.

    \b
    Example:  guardrail protect sqlite:///shop.db --policy protect.yaml --keyring keys.json
    """
    from guardrail.protect import ProtectOptions, load_keyring, load_policy
    from guardrail.protect import protect as run_protect

    policy = load_policy(policy_path)
    keyring = load_keyring(file=keyring_file, env=keyring_env, kms=kms_path, policy=policy)
    options = ProtectOptions(
        dry_run=dry_run, rotate=rotate, chunk_size=chunk_size, tables=tuple(tables)
    )
    with _progress(ui, "protecting") as progress:
        report = run_protect(
            source,
            policy,
            keyring=keyring,
            base_dir=Path(),
            options=options,
            progress=progress,
            at=parse_time(at, naive="reject"),
        )
    if fmt == "json":
        ui.raw(report.model_dump_json(indent=2) + "\n")
        return 0
    _render(ui, report, _LABELS[lang])
    return 0


def _render(ui: UI, report: Any, t: dict[str, str]) -> None:
    from rich.table import Table

    for tab in report.tables:
        title = f"{report.source} · {tab.table} · {tab.rows:,} {t['rows']}"
        if report.dry_run:
            title += f" ({t['dry']})"
        ui.print(title)  # a plain line: never wrapped, unlike a table title
        table = Table()
        for name in (
            "column",
            "transform",
            "would" if report.dry_run else "changed",
            "already",
            "empty",
            "key",
            "note",
        ):
            table.add_column(
                t[name],
                justify="right" if name in ("changed", "would", "already", "empty") else "left",
            )
        for c in tab.columns:
            note = c.skipped_reason or (c.preview[0] if c.preview else "")
            table.add_row(
                c.column,
                c.transform,
                f"{c.changed:,}",
                f"{c.already:,}",
                f"{c.empty:,}",
                c.key_id or "",
                note,
            )
        ui.print(table)
        if tab.resumed_at_row is not None:
            _info(ui, f"{tab.table}: {t['resumed']} {tab.resumed_at_row + 1:,}")
        if tab.k_before is not None:
            line = f"{tab.table}: {t['k']} {tab.k_before} → {tab.k_after}"
            if tab.l_before is not None:
                line += f"; {t['l']} {tab.l_before} → {tab.l_after}"
            _info(ui, line)


@click.command()
@click.argument("source")
@_policy_option("The protect policy the data was protected with.")
@click.option("--table", required=True, help="The table to reveal from.")
@click.option("--column", "columns", multiple=True, required=True, help="A column (repeatable).")
@click.option("--row", "rows", multiple=True, metavar="KEY", help="A row key (files: row number).")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=10,
    show_default=True,
    help="Without --row: reveal the first N rows.",
)
@_keyring_options
@click.option("--reason", required=True, help="Why the values are revealed (recorded).")
@click.option("--actor", help="Who reveals (recorded; default: the login name).")
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append-only reveal log (default: guardrail-reveal-audit.jsonl next to the policy).",
)
@format_option("table", "json", "csv", help="Output format.")
@click.option("--at", metavar="TIME", help="Record this ISO 8601 time in the audit log.")
@click.pass_obj
def reveal(
    ui: UI,
    source: str,
    policy_path: Path,
    table: str,
    columns: tuple[str, ...],
    rows: tuple[str, ...],
    limit: int,
    keyring_file: Path | None,
    keyring_env: str | None,
    kms_path: Path | None,
    reason: str,
    actor: str | None,
    audit_log: Path | None,
    fmt: str,
    at: str | None,
) -> int:
    """Decrypt protected columns of SOURCE for a few rows; every reveal is audited.

    \b
    The keyring must be given explicitly (--keyring or --keyring-env; the policy's keyring
    setting is not used). Before any value is decrypted, a record of who revealed which
    columns of which rows, when and why — never the values — is appended to the audit log.

    \b
    Example:  guardrail reveal shop.db --policy protect.yaml --table customers
              --column id_number --row 42 --keyring keys.json --reason "DSAR #123"
    """
    import getpass

    from guardrail.errors import UsageError
    from guardrail.protect import KeyAccess, load_keyring, load_policy
    from guardrail.protect import reveal as run_reveal

    if keyring_file is None and keyring_env is None:
        raise UsageError(
            "reveal needs explicit key access",
            hint="pass --keyring FILE or --keyring-env VAR",
        )
    policy = load_policy(policy_path)
    keyring = load_keyring(file=keyring_file, env=keyring_env, kms=kms_path)
    assert keyring is not None
    log = audit_log or policy_path.resolve().parent / "guardrail-reveal-audit.jsonl"
    access = KeyAccess(
        keyring=keyring, actor=actor or getpass.getuser(), reason=reason, audit_log=log
    )
    result = run_reveal(
        source,
        policy,
        table=table,
        columns=columns,
        access=access,
        rows=rows,
        limit=limit,
        base_dir=Path(),
        at=parse_time(at, naive="reject"),
    )
    if fmt == "json":
        doc = {
            "table": result.table,
            "rows": [
                {"row": r, "values": v} for r, v in zip(result.rows, result.values, strict=True)
            ],
            "failed": result.failed,
            "audit_record": result.record.hash,
        }
        ui.raw(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["row", *result.columns])
        for r, v in zip(result.rows, result.values, strict=True):
            w.writerow([r, *("" if v[c] is None else v[c] for c in result.columns)])
        ui.raw(buf.getvalue())
    else:
        from rich.table import Table

        out = Table(title=f"{result.table} (revealed)", title_justify="left")
        out.add_column("row")
        for c in result.columns:
            out.add_column(c)
        for r, v in zip(result.rows, result.values, strict=True):
            out.add_row(r, *("" if v[c] is None else str(v[c]) for c in result.columns))
        ui.print(out)
    _info(
        ui,
        f"revealed {len(result.rows)} row(s) of {result.table}; audit record "
        f"{result.record.hash[:12]} appended to {log}"
        + (f"; {result.failed} value(s) did not decrypt" if result.failed else ""),
    )
    return 0
