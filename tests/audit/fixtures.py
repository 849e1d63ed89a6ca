"""Builders for check fixtures: a stack from a dict and facts without any database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrail.audit.checks import CheckContext, Outcome, resolve_check
from guardrail.audit.manifest import LoadedStack
from guardrail.classify import FieldInput, classify_dataset
from guardrail.model.classification import AgeProfile, DatasetClassification
from guardrail.model.consent import ConsentFacts
from guardrail.model.data import TableInfo
from guardrail.model.detection import ColumnEntity, ColumnReport, EntityCount
from guardrail.model.facts import DatastoreFacts, EntityLines, Facts, FileFacts, TableFacts
from guardrail.model.privacy import Release
from guardrail.model.stack import Stack
from guardrail.yamlio import Located

AT = datetime(2026, 11, 22, tzinfo=UTC)

BASE: dict[str, Any] = {
    "organization": {
        "name": "Shop",
        "established_in": ["CN", "DE"],
        "customers_in": ["CN", "DE", "US-CA"],
        "annual_revenue_usd": 50_000_000,
        "persons_processed": {"total": 2_000_000},
    },
}


def stack(**parts: Any) -> Stack:
    return Stack.model_validate({**BASE, **parts})


def loaded(s: Stack, base_dir: Path | None = None) -> LoadedStack:
    return LoadedStack(
        stack=s,
        path=(base_dir or Path()) / "stack.yaml",
        display="stack.yaml",
        located=Located(data={}, file="stack.yaml"),
        sha256="0" * 64,
    )


def column(
    table: str, name: str, *entities: tuple[str, float, float], n: int = 100
) -> ColumnReport:
    return ColumnReport(
        table=table,
        column=name,
        sampled=n,
        non_empty=n,
        entities=tuple(ColumnEntity(entity=e, hit_ratio=h, confidence=c) for e, h, c in entities),
    )


def table(name: str, *columns: ColumnReport) -> TableFacts:
    return TableFacts(table=TableInfo(name=name), columns=columns)


def logfile(path: str, **counts: int) -> FileFacts:
    return FileFacts(
        path=path,
        lines=100,
        counts=tuple(EntityCount(entity=e, count=n) for e, n in counts.items()),
        first_lines=tuple(EntityLines(entity=e, first_lines=(3,)) for e in counts),
    )


def classified(
    datastore: str,
    dataset: str,
    *fields: tuple[str, tuple[str, ...]],
    rows: int | None = None,
    ages: dict[str, AgeProfile] | None = None,
) -> DatasetClassification:
    """Classify a dataset from (field, detected entities) pairs with the built-in rules."""
    ages = ages or {}
    return classify_dataset(
        datastore,
        dataset,
        [
            FieldInput(
                name,
                detected=tuple(ColumnEntity(entity=e, hit_ratio=1.0, confidence=0.9) for e in ents),
                ages=ages.get(name),
            )
            for name, ents in fields
        ],
        rows=rows,
    )


def run(
    check: str,
    s: Stack,
    *stores: DatastoreFacts,
    frameworks: set[str] | None = None,
    classifications: tuple[DatasetClassification, ...] = (),
    consent: ConsentFacts | None = None,
    base_dir: Path | None = None,
    at: datetime = AT,
    releases: tuple[Release, ...] = (),
) -> set[tuple[str, bool]]:
    """Run one check on a fixture; the result as {(target, passed)} for exact-set asserts."""
    facts = Facts(
        stack=s,
        at=at,
        datastores=stores,
        classifications=classifications,
        consent=consent,
        dp_releases=releases,
    )
    ctx = CheckContext(
        facts=facts,
        loaded=loaded(s, base_dir),
        frameworks=frozenset(frameworks or {"pipl", "gdpr", "ccpa"}),
        at=at,
    )
    outcomes: list[Outcome] = resolve_check(check)(ctx)
    return {(str(o.target), o.passed) for o in outcomes}
