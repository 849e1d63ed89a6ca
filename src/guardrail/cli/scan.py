"""``guardrail scan``: find personal data in text and log files, table files and databases."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from guardrail.cli._options import format_option
from guardrail.cli._ui import UI
from guardrail.errors import ExitCode, GuardrailError

__all__ = ["scan"]

#: Detections shown in the human table (use --format jsonl for all of them).
SHOWN = 200
#: Rows sampled per database table when --sample is not given (files are read whole).
DB_SAMPLE = 1000


@click.command()
@click.argument("source")
@format_option(
    "table",
    "jsonl",
    "json",
    "sarif",
    help="Output: a readable table, JSON Lines (one object per detection and per column), "
    "one JSON document, or SARIF 2.1.0.",
)
@click.option("--entities", metavar="E[,E...]", help="Only these entities (comma-separated).")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=None,
    help="Drop detections scoring below this (default 0.5).",
)
@click.option(
    "--sample",
    type=click.IntRange(1, 100_000_000),
    default=None,
    help=f"Rows read per table: database tables default to {DB_SAMPLE}, table files are "
    "read whole.",
)
@click.option(
    "--table-sample",
    "table_samples",
    metavar="TABLE=N",
    multiple=True,
    help="Rows sampled from one database table (repeatable; 0 skips the table).",
)
@click.option(
    "--strategy",
    type=click.Choice(["first", "random"]),
    default="first",
    show_default=True,
    help="Which database rows to sample.",
)
@click.option(
    "--language",
    type=click.Choice(["auto", "en", "zh"]),
    default="auto",
    show_default=True,
    help="zh adds jieba's pass for Chinese names without cue words (slower).",
)
@click.option(
    "--columns-only",
    is_flag=True,
    help="Tables and databases: report the classified columns, not every cell (faster).",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", help="Language of reasons.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when personal data is found.")
@click.option(
    "--spark-master",
    metavar="URL",
    default=None,
    help="spark: sources: the Spark master (local[*], spark://HOST:7077, yarn ...; default "
    "$GUARDRAIL_SPARK_MASTER or local[*]; under spark-submit, its master).",
)
@click.pass_obj
def scan(
    ui: UI,
    source: str,
    fmt: str,
    entities: str | None,
    min_score: float | None,
    sample: int | None,
    table_samples: tuple[str, ...],
    strategy: str,
    language: str,
    columns_only: bool,
    lang: str,
    exit_zero: bool,
    spark_master: str | None,
) -> int:
    """Scan SOURCE — a file, a folder or glob, a SQLite file, a database URL
    (postgresql://, mysql+pymysql://, redis://) or a Spark source (spark:parquet:PATH,
    spark:table:DB.TABLE, spark:database:DB; see docs/spark.md) — for personal data.

    Only masked previews are shown, never values. Exits 0 when nothing is found, 1 when
    personal data is found (unless --exit-zero), 2 when SOURCE cannot be read and 3 when
    some tables could not be scanned.
    """
    from guardrail.connectors import open_source, scheme_of
    from guardrail.connectors.base import SamplingPlan
    from guardrail.detect import Scanner
    from guardrail.detect.stream import scan_file, scan_sample
    from guardrail.model.detection import ColumnReport
    from guardrail.model.scan import Finding

    plan = SamplingPlan(
        limit=sample or DB_SAMPLE,
        strategy="random" if strategy == "random" else "first",
        per_table=_per_table(table_samples),
    )
    wanted = [e.strip() for e in entities.split(",") if e.strip()] if entities else None
    scanner = Scanner(entities=wanted) if wanted else None
    lang_arg: Any = None if language == "auto" else language
    errors: list[str] = []
    counts: Counter[str] = Counter()
    columns: list[ColumnReport] = []
    findings: list[Finding] = []

    scheme = scheme_of(source)
    if spark_master is not None and scheme != "spark":
        from guardrail.errors import UsageError

        raise UsageError(
            "--spark-master applies to spark: sources only",
            hint="name the data as spark:parquet:PATH or spark:table:DB.TABLE",
        )
    connector = open_source(source, base_dir=Path()) if scheme or _is_sqlite(source) else None
    display = connector.display if connector is not None else source

    def records() -> Iterator[Finding | ColumnReport]:
        from guardrail.connectors.files import FileConnector

        if connector is None or isinstance(connector, FileConnector):
            yield from _scan_paths(
                source, ui, scanner, lang_arg, sample, min_score, not columns_only, scan_file
            )
            return
        scan_in_place = getattr(connector, "scan_in_place", None)
        if scan_in_place is not None:  # an engine that scans where the data is (Spark)
            with ui.progress(f"scanning {display}") as progress:
                yield from scan_in_place(
                    plan,
                    scanner=scanner,
                    language=lang_arg,
                    min_score=min_score,
                    findings=not columns_only,
                    progress=progress,
                    errors=errors.append,
                    master=spark_master,
                )
            return
        tables = connector.tables()
        with ui.progress(f"scanning {display}") as progress:
            for i, table in enumerate(tables):
                progress(f"sampling {table.name}", i, len(tables))
                limit = plan.limit_for(table.name)
                if limit <= 0:
                    continue
                try:
                    data = connector.sample(table, limit=limit, strategy=plan.strategy)
                except GuardrailError as exc:
                    errors.append(exc.message)
                    continue
                yield from scan_sample(
                    data,
                    source=display,
                    scanner=scanner,
                    table_comment=table.comment,
                    language=lang_arg,
                    min_score=min_score,
                    findings=not columns_only,
                )
            progress("done", len(tables), len(tables))

    try:
        for rec in records():
            if isinstance(rec, Finding):
                counts[rec.entity] += 1
                if fmt == "jsonl":
                    ui.raw(json.dumps(_finding(rec), ensure_ascii=False) + "\n")
                else:
                    findings.append(rec)
            elif rec.entities or rec.categories:
                columns.append(rec)
                for e in rec.entities:
                    counts.setdefault(e.entity, 0)
                if fmt == "jsonl":
                    ui.raw(json.dumps(_column(rec, display, lang), ensure_ascii=False) + "\n")
    finally:
        if connector is not None:
            connector.close()
    for message in errors:
        ui.problem(f"error: {message}")
    if fmt == "json":
        ui.raw(
            json.dumps(
                {
                    "source": display,
                    "detections": [_finding(f) for f in findings],
                    "columns": [_column(c, display, lang) for c in columns],
                    "summary": dict(sorted(counts.items())),
                    "errors": errors,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    elif fmt == "sarif":
        from guardrail import __version__
        from guardrail.detect.sarif import to_sarif

        doc = to_sarif(findings, columns, source=display, version=__version__, severity=_severity)
        ui.raw(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "table":
        _render(ui, display, findings, columns, counts, lang)
    if errors:
        return int(ExitCode.INCOMPLETE)
    found = bool(counts) or any(c.categories for c in columns)
    return int(ExitCode.FINDINGS) if found and not exit_zero else int(ExitCode.OK)


def _per_table(items: tuple[str, ...]) -> dict[str, int]:
    from guardrail.errors import UsageError

    out: dict[str, int] = {}
    for item in items:
        name, sep, n = item.rpartition("=")
        if not sep or not name or not n.strip().isdigit():
            raise UsageError(
                f"--table-sample expects TABLE=N, not '{item}'",
                hint="e.g. --table-sample orders=500",
            )
        out[name.strip()] = int(n)
    return out


def _is_sqlite(source: str) -> bool:
    try:
        with Path(source).open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _scan_paths(
    source: str,
    ui: UI,
    scanner: Any,
    language: str | None,
    sample: int | None,
    min_score: float | None,
    findings: bool,
    scan_file: Any,
) -> Iterator[Any]:
    from guardrail.connectors.base import SourceSpec
    from guardrail.connectors.files import FileConnector

    conn = FileConnector(SourceSpec(url=source, base_dir=Path()))
    files = conn.files
    with ui.progress(f"scanning {source}") as progress:
        for i, path in enumerate(files):
            progress(f"scanning {path.name}", i, len(files))
            yield from scan_file(
                path,
                scanner=scanner,
                language=language,
                sample=sample,
                display=str(path),
                min_score=min_score,
                findings=findings,
            )
        progress("done", len(files), len(files))


def _finding(f: Any) -> dict[str, Any]:
    return {
        "source": f.source,
        "location": f.location(),
        "entity": f.entity,
        "start": f.start,
        "end": f.end,
        "score": f.score,
        "preview": f.preview,
    }


def _column(c: Any, source: str, lang: str) -> dict[str, Any]:
    return {
        "source": source,
        "table": c.table,
        "column": c.column,
        "entities": [
            {"entity": e.entity, "hit_ratio": e.hit_ratio, "confidence": e.confidence}
            for e in c.entities
        ],
        "categories": [{"category": k.category, "confidence": k.confidence} for k in c.categories],
        "reason": c.reason_zh if lang == "zh" and c.reason_zh else c.reason,
    }


def _severity(entity: str) -> float:
    """SARIF security-severity from the entity's classification (restricted data is high)."""
    from guardrail.classify import entity_rule

    rule = entity_rule(entity)
    if not rule.personal:
        return 2.0
    return {"restricted": 8.0, "confidential": 5.5, "internal": 3.5}.get(
        str(rule.sensitivity.value), 5.0
    )


def _render(
    ui: UI, source: str, findings: list[Any], columns: list[Any], counts: Counter[str], lang: str
) -> None:
    from rich.table import Table

    zh = lang == "zh"
    if findings:
        title = f"检测结果（{len(findings)}）" if zh else f"Detections ({len(findings)})"
        t = Table(title=title, title_justify="left")
        for c in (
            ("位置", "实体", "分数", "预览") if zh else ("Location", "Entity", "Score", "Preview")
        ):
            t.add_column(c, overflow="fold")
        for f in findings[:SHOWN]:
            if f.line is not None:
                where = f"{f.source}:{f.line}:{f.column}"
            else:
                where = f"{f.table}.{f.field}[{f.row}]"
            t.add_row(where, f.entity, f"{f.score:.2f}", f.preview)
        ui.print(t)
        if len(findings) > SHOWN:
            more = len(findings) - SHOWN
            ui.print(
                f"… 另有 {more} 条（完整列表请用 --format jsonl）"
                if zh
                else f"… {more} more (use --format jsonl for all)"
            )
    if columns:
        t = Table(
            title="含个人信息的列" if zh else "Columns holding personal data", title_justify="left"
        )
        for c in (
            ("表", "列", "实体 / 类别", "原因")
            if zh
            else ("Table", "Column", "Entities / categories", "Reason")
        ):
            t.add_column(c, overflow="fold")
        for c in columns:
            kinds = [f"{e.entity} ({e.confidence:.2f})" for e in c.entities]
            kinds += [f"{k.category} ({k.confidence:.2f})" for k in c.categories]
            t.add_row(
                c.table, c.column, ", ".join(kinds), c.reason_zh if zh and c.reason_zh else c.reason
            )
        ui.print(t)
    if not ui.quiet:
        summary = ", ".join(f"{n} {e}" for e, n in counts.most_common() if n)
        if not summary:
            summary = (
                ("未发现个人信息" if zh else "no personal data")
                if not columns
                else (
                    f"{len(columns)} 列含个人信息"
                    if zh
                    else f"{len(columns)} columns hold personal data"
                )
            )
        ui.info(f"{source}: {summary}")
