"""``guardrail dp query`` and ``guardrail dp budget``: DP aggregates and the privacy ledger."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import click

from guardrail.cli._common import time_or_now, write_text_atomic
from guardrail.cli._options import format_option, lang_option
from guardrail.cli._ui import UI
from guardrail.errors import ExitCode

__all__ = ["dp"]

FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".csv.gz", ".tsv.gz")
#: Rows read from a database table: all of them (SQL LIMIT needs a number).
ALL_ROWS = 2**62

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "aggregate": "Aggregate",
        "statistic": "Statistic",
        "value": "Value",
        "error": "± error",
        "ci": "{p}% CI",
        "bias": "Exp. bias",
        "release": "Release {id}: ε={eps:g}, δ={delta:g} ({mech}{z}) on '{ds}', "
        "privacy unit '{unit}'",
        "cached": "served from the ledger (no new noise, no new charge)",
        "spent": "Dataset '{ds}': spent ε={spent:.4g} of {total:g} (δ={delta:g}), "
        "remaining ε={rem:.4g} [{acct}]",
        "dataset": "Dataset",
        "unit": "Privacy unit",
        "total": "ε total",
        "delta": "δ",
        "spent_h": "ε spent",
        "remaining": "ε remaining",
        "entries": "Entries",
        "id": "Entry",
        "kind": "Kind",
        "state": "State",
        "created": "Created",
        "description": "Description",
        "mechanism": "Mechanism",
        "eps": "ε",
        "cumulative": "ε cumulative",
        "no_datasets": "The ledger {url} has no datasets yet.",
        "selection": "Partitions: {n} released by DP selection (threshold {t:.1f} users, "
        "δ={d:g}, ≤{k} per user)",
        "bounds": "Bounds: {b}",
        "note": "Note",
    },
    "zh": {
        "aggregate": "聚合",
        "statistic": "统计量",
        "value": "数值",
        "error": "± 误差",
        "ci": "{p}% 置信区间",
        "bias": "预计偏差",
        "release": "发布 {id}：ε={eps:g}，δ={delta:g}（{mech}{z}），数据集 '{ds}'，"
        "隐私单元 '{unit}'",
        "cached": "来自账本的既有结果（未重新加噪，未再次扣减预算）",
        "spent": "数据集 '{ds}'：已用 ε={spent:.4g}，总额 {total:g}（δ={delta:g}），"
        "剩余 ε={rem:.4g} [{acct}]",
        "dataset": "数据集",
        "unit": "隐私单元",
        "total": "ε 总额",
        "delta": "δ",
        "spent_h": "已用 ε",
        "remaining": "剩余 ε",
        "entries": "条目",
        "id": "条目",
        "kind": "类型",
        "state": "状态",
        "created": "时间",
        "description": "说明",
        "mechanism": "机制",
        "eps": "ε",
        "cumulative": "累计 ε",
        "no_datasets": "账本 {url} 中还没有数据集。",
        "selection": "分区：经差分隐私选择发布 {n} 个（阈值 {t:.1f} 个用户，δ={d:g}，"
        "每个用户至多 {k} 个）",
        "bounds": "贡献界：{b}",
        "note": "注意",
    },
}


def _ledger_option(fn: Any) -> Any:
    return click.option(
        "--ledger",
        "ledger_url",
        metavar="URL",
        envvar="GUARDRAIL_DP_LEDGER",
        default="sqlite:///guardrail-ledger.db",
        show_default=True,
        help="The privacy ledger (SQLite file, postgresql:// or mysql:// URL; "
        "also GUARDRAIL_DP_LEDGER).",
    )(fn)


@click.group()
def dp() -> None:
    """Differentially private aggregates and the privacy-budget ledger.

    \b
    Every release is charged to its dataset's budget in the ledger, composed with the
    DP-SGD runs on the same data; a release that would exceed the budget is refused
    (exit 1). Asking the same query again returns the recorded answer at no cost.
    """


# -- query --------------------------------------------------------------------------------------


@dp.command()
@click.argument("source")
@click.option(
    "--spec",
    "spec_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The query (YAML): user column, group-by, aggregates, ε, δ, bounds.",
)
@click.option("--table", help="Table to read when SOURCE is a database (overrides the spec).")
@_ledger_option
@format_option("table", "csv", "json", help="Output format.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result to this file (atomically) instead of stdout.",
)
@click.option(
    "--new-release",
    is_flag=True,
    help="Draw new noise and charge the budget again, even if this query was answered before.",
)
@lang_option()
@click.option("--at", metavar="TIME", help="Record the release at this ISO 8601 time.")
@click.pass_obj
def query(
    ui: UI,
    source: str,
    spec_path: Path,
    table: str | None,
    ledger_url: str,
    fmt: str,
    output: Path | None,
    new_release: bool,
    lang: str,
    at: str | None,
) -> int:
    """Answer a DP query on SOURCE: a CSV or Parquet file, or a database URL (SQLite file,
    postgresql://, mysql://) with the table named in the spec or by --table.

    Prints one row per partition and statistic with its noise, a confidence interval and
    the estimated truncation bias. Exit 1 when the dataset's budget cannot cover it.
    """
    from guardrail.privacy import Ledger, load_spec, run_query

    when = time_or_now(at)
    spec = load_spec(spec_path)
    if table:
        spec = spec.model_copy(update={"table": table})
    with ui.progress("reading the source") as progress:
        progress("reading the source", 0, 1)
        frame, shown = _read_source(source, spec)
        ledger = Ledger(ledger_url)
        try:
            release = run_query(
                frame,
                spec,
                ledger=ledger,
                at=when,
                source=shown,
                fresh=new_release,
                progress=progress,
            )
            statement = ledger.budget(spec.dataset, at=when)
        finally:
            ledger.close()
    text = _render_release(release, fmt, ui, lang, statement, output is None)
    if text is not None:
        if output is not None:
            write_text_atomic(output, text)
        else:
            ui.raw(text)
    return int(ExitCode.OK)


def _needed_columns(spec: Any) -> list[str]:
    cols = [spec.user_column, *spec.group_by]
    for a in spec.aggregates:
        col = getattr(a, "column", None)
        if col and col not in cols:
            cols.append(col)
    return cols


def _read_source(source: str, spec: Any) -> tuple[Any, str]:
    """The spec's columns of SOURCE, and a display name (credentials redacted)."""
    from guardrail.errors import ConnectorError, UsageError
    from guardrail.privacy import read_table_file

    columns = _needed_columns(spec)
    lower = source.lower()
    if "://" not in source and lower.endswith(FILE_SUFFIXES):
        return read_table_file(Path(source), columns=columns), source

    from guardrail.connectors import open_source
    from guardrail.model.data import ColumnInfo, TableInfo

    connector = open_source(source, base_dir=Path())
    try:
        tables = connector.tables()
        if spec.table is None:
            names = [t.name for t in tables]
            if len(names) != 1:
                raise UsageError(
                    f"{connector.display} holds {len(names)} tables; name one",
                    hint="add table: NAME to the spec or pass --table NAME",
                )
            wanted = names[0]
        else:
            wanted = spec.table
        info = next((t for t in tables if t.name == wanted), None)
        if info is None:
            raise ConnectorError(
                f"no table named '{wanted}' in {connector.display}",
                hint="check the spec's table: (or --table)",
            )
        present = {c.name for c in info.columns}
        for c in columns:
            if c not in present:
                raise ConnectorError(
                    f"table '{wanted}' in {connector.display} has no column '{c}'",
                    hint="check the spec's column names",
                )
        narrow = TableInfo(
            name=info.name,
            schema_name=info.schema_name,
            columns=tuple(ColumnInfo(name=c) for c in columns),
        )
        sample = connector.sample(narrow, limit=ALL_ROWS)
    finally:
        connector.close()
    data = {c.name: list(c.values) for c in sample.columns}
    return data, f"{connector.display}#{wanted}"


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return repr(float(x))


def _render_release(
    release: Any, fmt: str, ui: UI, lang: str, statement: Any, to_stdout: bool
) -> str | None:
    if fmt == "json":
        return str(release.model_dump_json(indent=2)) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(
            [
                "release_id",
                *release.group_by,
                "aggregate",
                "statistic",
                "value",
                "std",
                "ci_low",
                "ci_high",
                "expected_bias",
            ]
        )
        for c in release.cells:
            w.writerow(
                [
                    release.id,
                    *["" if v is None else v for v in c.key],
                    c.aggregate,
                    c.statistic,
                    _num(c.value),
                    _num(c.std),
                    _num(c.ci_low),
                    _num(c.ci_high),
                    _num(c.expected_bias),
                ]
            )
        return buf.getvalue()
    _print_release(ui, release, lang, statement)
    return None


def _fmt_value(x: float | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    if 1000 <= abs(x) < 1e12:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _print_release(ui: UI, release: Any, lang: str, statement: Any) -> None:
    from rich.table import Table

    t = LABELS[lang]
    title = t["release"].format(
        id=release.id,
        eps=release.epsilon,
        delta=release.delta,
        mech=release.mechanism,
        z=f", σ/Δ={release.noise_multiplier:.4g}" if release.noise_multiplier else "",
        ds=release.dataset,
        unit=release.privacy_unit,
    )
    table = Table(title=title, title_justify="left")
    for col in release.group_by:
        table.add_column(col)
    table.add_column(t["aggregate"])
    table.add_column(t["statistic"])
    table.add_column(t["value"], justify="right")
    table.add_column(t["error"], justify="right")
    table.add_column(t["ci"].format(p=f"{release.confidence * 100:g}"), justify="right")
    table.add_column(t["bias"], justify="right")
    for c in release.cells:
        half = None if c.ci_low is None or c.ci_high is None else (c.ci_high - c.ci_low) / 2
        ci = (
            "—"
            if c.ci_low is None or c.ci_high is None
            else f"[{_fmt_value(c.ci_low)}, {_fmt_value(c.ci_high)}]"
        )
        table.add_row(
            *[("∅" if v is None else str(v)) for v in c.key],
            c.aggregate,
            c.statistic,
            _fmt_value(c.value),
            _fmt_value(half),
            ci,
            _fmt_value(c.expected_bias),
        )
    ui.print(table)
    sel = release.partitions
    if sel.kind == "private":
        ui.print(
            t["selection"].format(
                n=sel.released, t=sel.threshold or 0.0, d=sel.delta, k=sel.max_partitions
            )
        )
    ui.print(t["bounds"].format(b=_bounds_text(release.bounds)))
    for note in release.notes:
        ui.print(f"{t['note']}: {note}")
    ui.print(
        t["spent"].format(
            ds=statement.dataset,
            spent=statement.epsilon_spent,
            total=statement.epsilon_total,
            delta=statement.delta_total,
            rem=statement.epsilon_remaining,
            acct=statement.accountant.upper(),
        )
    )


def _bounds_text(b: Any) -> str:
    parts = []
    if b.max_partitions is not None:
        parts.append(f"max_partitions={b.max_partitions}")
    if b.max_rows_per_partition is not None:
        parts.append(f"max_rows_per_partition={b.max_rows_per_partition}")
    for col, (lo, hi) in b.clamp.items():
        parts.append(f"clamp {col}∈[{lo:g}, {hi:g}]")
    for name, c in b.norm_bounds.items():
        auto = " (auto)" if f"norm:{name}" in b.auto else ""
        parts.append(f"{name}: C={c:.4g}{auto}")
    for name, (lo, hi) in b.value_ranges.items():
        parts.append(f"{name} range [{lo:.4g}, {hi:.4g}]")
    return "; ".join(parts) or "—"


# -- budget -------------------------------------------------------------------------------------


@dp.command()
@click.argument("dataset", required=False)
@_ledger_option
@click.option(
    "--accountant",
    type=click.Choice(["rdp", "prv"]),
    default="rdp",
    show_default=True,
    help="rdp: the live check; prv: Opacus' tighter PRV statement (slower).",
)
@click.option("--set", "set_", is_flag=True, help="Create DATASET's budget or change its total.")
@click.option("--epsilon", type=click.FloatRange(min=0, min_open=True), help="With --set.")
@click.option("--delta", type=click.FloatRange(0, 1, max_open=True), help="With --set.")
@click.option("--privacy-unit", metavar="NAME", help="With --set: the protected unit.")
@format_option("table", "json")
@lang_option()
@click.option("--at", metavar="TIME", help="Time of the statement / change (ISO 8601).")
@click.pass_obj
def budget(
    ui: UI,
    dataset: str | None,
    ledger_url: str,
    accountant: str,
    set_: bool,
    epsilon: float | None,
    delta: float | None,
    privacy_unit: str | None,
    fmt: str,
    lang: str,
    at: str | None,
) -> int:
    """Show spent and remaining ε per dataset, and per release for DATASET.

    With --set, create DATASET's budget (--epsilon, --delta, --privacy-unit) or change its
    total; a budget cannot be set below what is already spent.
    """
    from guardrail.errors import UsageError
    from guardrail.privacy import Ledger

    when = time_or_now(at)
    t = LABELS[lang]
    with Ledger(ledger_url) as ledger:
        shown = ledger.display
        if set_:
            if dataset is None or epsilon is None:
                raise UsageError(
                    "--set needs DATASET and --epsilon",
                    hint="e.g. guardrail dp budget shop --set --epsilon 3 --delta 1e-5 "
                    "--privacy-unit customer",
                )
            current = ledger.datasets()
            if dataset in current:
                old = ledger.budget(dataset, at=when)
                unit = privacy_unit or old.privacy_unit
                dlt = delta if delta is not None else old.delta_total
            else:
                if privacy_unit is None:
                    raise UsageError(
                        f"dataset '{dataset}' is new: name its --privacy-unit",
                        hint="the unit every release on it protects, e.g. customer",
                    )
                unit = privacy_unit
                dlt = delta if delta is not None else 1e-5
            ledger.set_budget(dataset, epsilon=epsilon, delta=dlt, privacy_unit=unit, at=when)
        names = [dataset] if dataset else ledger.datasets()
        statements = [
            ledger.budget(n, accountant=accountant, at=when)  # type: ignore[arg-type]
            for n in names
        ]
    if fmt == "json":
        doc: Any = (
            statements[0].model_dump(mode="json")
            if dataset
            else {"datasets": [s.model_dump(mode="json", exclude={"entries"}) for s in statements]}
        )
        ui.raw(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return int(ExitCode.OK)
    from rich.table import Table

    if not statements:
        ui.print(t["no_datasets"].format(url=shown))
        return int(ExitCode.OK)
    table = Table(title=shown, title_justify="left")
    for col in ("dataset", "unit", "total", "delta", "spent_h", "remaining", "entries"):
        table.add_column(t[col], justify="left" if col in ("dataset", "unit") else "right")
    for s in statements:
        table.add_row(
            s.dataset,
            s.privacy_unit,
            f"{s.epsilon_total:g}",
            f"{s.delta_total:g}",
            f"{s.epsilon_spent:.4g}",
            f"{s.epsilon_remaining:.4g}",
            str(len(s.entries)),
        )
    ui.print(table)
    if dataset:
        s = statements[0]
        entries = Table(title=f"{s.dataset} [{s.accountant.upper()}]", title_justify="left")
        for col in (
            "id",
            "kind",
            "state",
            "created",
            "mechanism",
            "eps",
            "delta",
            "cumulative",
            "description",
        ):
            entries.add_column(
                t[col],
                justify="right" if col in ("eps", "delta", "cumulative") else "left",
                no_wrap=col in ("id", "created", "kind", "state"),
            )
        for e in s.entries:
            entries.add_row(
                e.id,
                e.kind,
                e.state,
                e.created.strftime("%Y-%m-%d %H:%M"),
                e.mechanism,
                f"{e.epsilon:g}",
                f"{e.delta:g}",
                f"{e.epsilon_cumulative:.4g}",
                e.description,
            )
        ui.print(entries)
    return int(ExitCode.OK)


# -- schema -------------------------------------------------------------------------------------


@dp.command()
@click.argument("what", type=click.Choice(["query", "release", "budget"]))
@click.pass_obj
def schema(ui: UI, what: str) -> int:
    """Print the JSON Schema of a query spec, a release (``--format json``) or a budget."""
    from guardrail.model.privacy import BudgetStatement, QuerySpec, Release

    model: Any = {"query": QuerySpec, "release": Release, "budget": BudgetStatement}[what]
    doc = model.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = f"guardrail dp {what}"
    ui.raw(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return int(ExitCode.OK)
