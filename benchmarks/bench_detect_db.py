"""Database column classification: pagila (PostgreSQL) and mall (MariaDB) vs their ground
truth, guardrail and stock Presidio (presidio-structured) in the same run.

    python benchmarks/bench_detect_db.py [--repeat 3] [--sample 1000] [--presidio-rows 100]

Each dataset is loaded from ../shared/datasets into a fresh database on the real server
(pagila: schema then data with psql — PostgreSQL 15 reports 3 harmless errors for PG 17-only
features; mall: ``CREATE DATABASE ... utf8mb4`` then the dump with the mariadb client) and
dropped afterwards. Servers: ``GUARDRAIL_TEST_PG`` / ``GUARDRAIL_TEST_MYSQL`` (defaults: local
postgres and root).

guardrail: every table sampled through the read-only connector (first ``--sample`` rows),
classified with ``classify_table`` (names, comments, table context, values). A column counts
as personal when an entity the classification rules call personal has confidence ≥ 0.5, or a
personal-data category is reported. Reference: presidio-structured's ``PandasAnalysisBuilder``
over stock Presidio on the first ``--presidio-rows`` rows of each table (a column counts when
it gets any entity). Scored against ``ground_truth.csv`` with ``ground_truth_ambiguous.csv``
excluded.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, machine, report

PG = os.environ.get("GUARDRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL = os.environ.get("GUARDRAIL_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
DATA = SHARED / "datasets"

Columns = set[tuple[str, str]]


@contextmanager
def pagila() -> Iterator[str]:
    import sqlalchemy as sa

    admin_url = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"bench_pagila_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        u = sa.engine.make_url(url)
        cmd = ["psql", "-q", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432)]
        cmd += ["-U", u.username or "postgres", "-d", name]
        for part in ("pagila-schema.sql", "pagila-data.sql"):
            subprocess.run(
                [*cmd, "-f", str(DATA / "pagila" / part)], capture_output=True, check=True
            )
        yield url
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def mall() -> Iterator[str]:
    import sqlalchemy as sa

    name = f"bench_mall_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(MYSQL)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE DATABASE `{name}` DEFAULT CHARACTER SET utf8mb4"))
    url = MYSQL.rsplit("/", 1)[0] + "/" + name
    try:
        u = sa.engine.make_url(url)
        cmd = ["mariadb", "-h", u.host or "127.0.0.1", "-P", str(u.port or 3306)]
        cmd += ["-u", u.username or "root", name]
        with (DATA / "mall" / "mall.sql").open("rb") as fh:
            subprocess.run(cmd, stdin=fh, capture_output=True, check=True)
        yield url
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def truth(dataset: str) -> tuple[Columns, Columns]:
    def read(name: str) -> Columns:
        with (DATA / dataset / name).open(encoding="utf-8") as fh:
            return {(r["table"], r["column"]) for r in csv.DictReader(fh)}

    return read("ground_truth.csv"), read("ground_truth_ambiguous.csv")


def score(found: Columns, dataset: str) -> tuple[float, float, Columns, Columns]:
    positive, ambiguous = truth(dataset)
    positive -= ambiguous
    predicted = found - ambiguous
    tp = predicted & positive
    precision = len(tp) / len(predicted) if predicted else 0.0
    return precision, len(tp) / len(positive), predicted - positive, positive - predicted


def run_guardrail(url: str, sample: int) -> tuple[float, float, Columns, int]:
    from guardrail.classify import entity_rule
    from guardrail.connectors import open_source
    from guardrail.detect import classify_table

    w0, c0 = time.perf_counter(), time.process_time()
    found: Columns = set()
    n = 0
    conn = open_source(url)
    try:
        for info in conn.tables():
            data = conn.sample(info, limit=sample)
            for r in classify_table(data, table_comment=info.comment):
                n += 1
                personal = any(
                    e.confidence >= 0.5 and entity_rule(e.entity).personal for e in r.entities
                )
                if personal or r.categories:
                    found.add((info.name, r.column))
    finally:
        conn.close()
    return time.perf_counter() - w0, time.process_time() - c0, found, n


def run_presidio(url: str, rows: int) -> tuple[float, Columns]:
    import pandas as pd
    from presidio_structured import PandasAnalysisBuilder

    from guardrail.connectors import open_source
    from guardrail.detect.presidio import stock_analyzer

    builder = PandasAnalysisBuilder(analyzer=stock_analyzer("en"))
    found: Columns = set()
    conn = open_source(url)
    t0 = time.perf_counter()
    try:
        for info in conn.tables():
            data = conn.sample(info, limit=rows)
            frame = pd.DataFrame({c.name: list(c.values) for c in data.columns}).fillna("")
            if frame.empty:
                continue
            analysis = builder.generate_analysis(frame.astype(str), n=len(frame))
            found |= {(info.name, col) for col in analysis.entity_mapping}
    finally:
        conn.close()
    return time.perf_counter() - t0, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=1000, help="rows guardrail samples per table")
    ap.add_argument("--presidio-rows", type=int, default=100, help="rows per table for Presidio")
    args = ap.parse_args()
    print(f"# database classification benchmark — {machine()}", flush=True)
    rows: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    for dataset, server, loader in (
        ("pagila", "PostgreSQL", pagila),
        ("mall", "MariaDB", mall),
    ):
        t0 = time.perf_counter()
        with loader() as url:
            load_s = time.perf_counter() - t0
            walls, cpus = [], []
            found: Columns = set()
            n = 0
            for _ in range(args.repeat):
                w, c, found, n = run_guardrail(url, args.sample)
                walls.append(w)
                cpus.append(c)
            p, r, fp, fn = score(found, dataset)
            pw, p_found = run_presidio(url, args.presidio_rows)
            pp, pr, _, _ = score(p_found, dataset)
        rows.append(
            {
                "dataset": f"{dataset} ({server}, {n} columns; load {load_s:.0f} s)",
                "guardrail P / R": f"{p:.3f} / {r:.3f}",
                "guardrail s (median wall / cpu)": f"{statistics.median(walls):.2f} / "
                f"{statistics.median(cpus):.2f}",
                "presidio-structured P / R": f"{pp:.3f} / {pr:.3f}",
                "presidio s": round(pw, 1),
                "target": "P ≥ 0.9, R ≥ 0.9",
                "met": "✔" if p >= 0.9 and r >= 0.9 else "✘",
            }
        )
        for kind, cols in (("false positive", fp), ("missed", fn)):
            for t, col in sorted(cols):
                misses.append({"dataset": dataset, "column": f"{t}.{col}", "kind": kind})
    report("Database column classification vs ground_truth.csv", rows)
    report("Columns guardrail gets wrong", misses)


if __name__ == "__main__":
    main()
