"""Collectors: measure the stack's datastores and files into :class:`Facts`.

A collector that fails records a :class:`RunError`; the run is then incomplete (exit 3) and
never reported as passing.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from guardrail.audit.ages import age_profile
from guardrail.audit.manifest import LoadedStack
from guardrail.classify import FieldInput, RuleSet, classify_dataset, load_rules
from guardrail.connectors import open_source
from guardrail.connectors.files import FileConnector
from guardrail.detect import Scanner, classify_table, default_scanner
from guardrail.errors import GuardrailError
from guardrail.masking import mask_for_entity
from guardrail.model.audit import RunError
from guardrail.model.classification import DatasetClassification
from guardrail.model.consent import ConsentFacts
from guardrail.model.data import TableSample
from guardrail.model.detection import ColumnReport, EntityCount
from guardrail.model.facts import (
    ColumnAges,
    DatastoreFacts,
    EntityLines,
    Facts,
    FileFacts,
    RetentionProbe,
    TableFacts,
)
from guardrail.model.privacy import Release
from guardrail.model.stack import Dataset, Datastore, ProcessingSet
from guardrail.names import name_matches

__all__ = ["DEFAULT_SAMPLE_ROWS", "Progress", "classify_facts", "collect", "rules_for"]

DEFAULT_SAMPLE_ROWS = 1000
MASKED_SAMPLES_PER_ENTITY = 2
FIRST_LINES_PER_ENTITY = 5

#: ``progress(description, done, total)``; called as work advances.
Progress = Callable[[str, int, int], None]


def _noop(_desc: str, _done: int, _total: int) -> None:
    return None


def collect(
    loaded: LoadedStack,
    *,
    at: datetime,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    progress: Progress | None = None,
) -> tuple[Facts, list[RunError]]:
    """Scan every datastore the manifest marks for scanning."""
    progress = progress or _noop
    errors: list[RunError] = []
    out: list[DatastoreFacts] = []
    failed: list[str] = []
    stores = [d for d in loaded.stack.datastores if d.scan and d.kind != "other"]
    for i, ds in enumerate(stores):
        progress(f"scanning {ds.id}", i, len(stores))
        try:
            out.append(_collect_datastore(loaded, ds, at=at, sample_rows=sample_rows))
        except GuardrailError as exc:
            failed.append(ds.id)
            errors.append(
                RunError(stage=f"scan datastore '{ds.id}'", message=exc.message, hint=exc.hint)
            )
            out.append(DatastoreFacts(datastore=ds.id, scanned=False))
        except Exception as exc:  # noqa: BLE001 - fail closed, never echo data
            failed.append(ds.id)
            errors.append(
                RunError(
                    stage=f"scan datastore '{ds.id}'",
                    message=f"unexpected {type(exc).__name__} while scanning",
                    hint="run with --verbose and report the problem",
                )
            )
            out.append(DatastoreFacts(datastore=ds.id, scanned=False))
    progress("scanned", len(stores), len(stores))
    facts = Facts(stack=loaded.stack, at=at, datastores=tuple(out), failed_collectors=tuple(failed))
    try:
        classified = classify_facts(facts, rules_for(loaded))
        facts = facts.model_copy(update={"classifications": classified})
    except GuardrailError as exc:
        errors.append(RunError(stage="classify", message=exc.message, hint=exc.hint))
    releases = _dp_releases(loaded, errors)
    if releases:
        facts = facts.model_copy(update={"dp_releases": releases})
    consent = _consent_facts(loaded, at, errors, skip=frozenset(failed))
    if consent is not None:
        facts = facts.model_copy(update={"consent": consent})
    return facts, errors


def _consent_facts(
    loaded: LoadedStack, at: datetime, errors: list[RunError], *, skip: frozenset[str]
) -> ConsentFacts | None:
    """What the consent registry says at ``at`` (counts only), with processing sets measured
    from the shop's own tables when the manifest declares them. Sets in a datastore that
    already failed (``skip``) are left unmeasured: that failure is reported once."""
    src = loaded.stack.consent
    if src is None:
        return None
    stage = "collect consent registry"
    url = src.url or (os.environ.get(src.url_env) if src.url_env else None)
    if not url:
        errors.append(
            RunError(
                stage=stage,
                message="the consent registry URL is not set",
                hint=f"set consent.url, or export {src.url_env}",
            )
        )
        return None
    try:
        from guardrail.consent import ConsentRegistry, consent_facts
        from guardrail.crypto import Keyring

        if src.keyring:
            key_path = Path(src.keyring)
            keyring = Keyring.from_file(
                key_path if key_path.is_absolute() else loaded.base_dir / key_path
            )
        else:
            keyring = Keyring.from_env(src.keyring_env or "GUARDRAIL_KEYRING")
        processing = {
            p.purpose: _subjects(loaded, p) for p in src.processing if p.datastore not in skip
        }
        with ConsentRegistry(
            url, keyring=keyring, create=False, base_dir=loaded.base_dir
        ) as registry:
            return consent_facts(registry, at=at, processing=processing or None, verify=True)
    except GuardrailError as exc:
        errors.append(RunError(stage=stage, message=exc.message, hint=exc.hint))
    except Exception as exc:  # noqa: BLE001 - fail closed, never echo data
        errors.append(
            RunError(stage=stage, message=f"unexpected {type(exc).__name__} reading the registry")
        )
    return None


def _subjects(loaded: LoadedStack, ps: ProcessingSet) -> list[str]:
    store = loaded.stack.datastore(ps.datastore)
    connector = open_source(loaded.datastore_url(store), base_dir=loaded.base_dir)
    try:
        return list(
            connector.column_values(ps.table, ps.column, where=ps.where, not_null=ps.not_null)
        )
    finally:
        connector.close()


def _dp_releases(loaded: LoadedStack, errors: list[RunError]) -> tuple[Release, ...]:
    """Releases of the ledger datasets that anonymised flows cite (evidence for C05)."""
    datasets = sorted(
        {
            f.anonymised.dataset
            for f in loaded.stack.flows
            if f.anonymised is not None and f.anonymised.dataset
        }
    )
    if not datasets:
        return ()
    src = loaded.stack.privacy
    url = (
        (src.ledger or (os.environ.get(src.ledger_env) if src.ledger_env else None))
        if src
        else None
    )
    if not url:
        errors.append(
            RunError(
                stage="collect dp ledger",
                message="flows cite differentially private releases but no ledger is declared",
                hint="add privacy: {ledger: sqlite:///guardrail-ledger.db} to the manifest",
            )
        )
        return ()
    try:
        from guardrail.privacy import Ledger

        ledger = Ledger(url, base_dir=loaded.base_dir)
        return tuple(r for ds in datasets for r in ledger.releases(ds))
    except GuardrailError as exc:
        errors.append(RunError(stage="collect dp ledger", message=exc.message, hint=exc.hint))
    except Exception as exc:  # noqa: BLE001 - fail closed, never echo data
        errors.append(
            RunError(
                stage="collect dp ledger",
                message=f"unexpected {type(exc).__name__} reading the ledger",
            )
        )
    return ()


def rules_for(loaded: LoadedStack) -> RuleSet:
    """Built-in rules, then the organisation's ``policies/classification.yaml`` next to the
    manifest, then the manifest's own ``classification`` section."""
    org_file = loaded.base_dir / "policies" / "classification.yaml"
    packs = (loaded.stack.classification,) if loaded.stack.classification else ()
    return load_rules(extra_files=[org_file] if org_file.is_file() else [], extra_packs=packs)


def classify_facts(facts: Facts, rules: RuleSet) -> tuple[DatasetClassification, ...]:
    """Classify every scanned table (detections + declarations) and every dataset known only
    from the manifest (declarations)."""
    out: list[DatasetClassification] = []
    for store in facts.stack.datastores:
        dsf = facts.datastore(store.id)
        seen: set[str] = set()
        for tf in dsf.tables if dsf is not None else ():
            declared = next((d for d in store.datasets if d.name == tf.table.name), None)
            inputs = _field_inputs(tf.columns, declared, {a.column: a for a in tf.ages})
            out.append(
                classify_dataset(
                    store.id, tf.table.name, inputs, rows=tf.table.row_count, rules=rules
                )
            )
            seen.add(tf.table.name)
        for ds in store.datasets:
            if ds.name in seen or not ds.fields:
                continue
            inputs = [FieldInput(name=f.name, declared=f) for f in ds.fields]
            out.append(classify_dataset(store.id, ds.name, inputs, rules=rules))
    return tuple(out)


def _field_inputs(
    columns: tuple[ColumnReport, ...], declared: Dataset | None, ages: dict[str, ColumnAges]
) -> list[FieldInput]:
    decls = {f.name: f for f in declared.fields} if declared else {}
    inputs = []
    for col in columns:
        a = ages.get(col.column)
        inputs.append(
            FieldInput(
                name=col.column,
                detected=col.entities,
                declared=decls.pop(col.column, None),
                ages=a.ages if a else None,
            )
        )
    # Declared fields the scan did not see stay in the classification (drift finds them).
    inputs.extend(FieldInput(name=n, declared=d) for n, d in decls.items())
    return inputs


_BIRTH_WORDS = (
    "birthday",
    "birthdate",
    "birth_date",
    "dob",
    "date_of_birth",
    "born",
    "生日",
    "出生日期",
    "出生",
)


def _ages(
    sample: TableSample, columns: list[ColumnReport], dataset: Dataset | None, at: datetime
) -> tuple[ColumnAges, ...]:
    """Age profiles of date-of-birth columns and of resident-ID columns (GB 11643 embeds the
    birth date), so children's data is recognised whatever the column is called."""
    declared = {f.name: f for f in dataset.fields} if dataset else {}
    out = []
    for col, report in zip(sample.columns, columns, strict=True):
        found = {e.entity for e in report.entities}
        decl = declared.get(col.name)
        is_dob = (
            "DATE_OF_BIRTH" in found
            or name_matches(col.name, _BIRTH_WORDS) is not None
            or (
                decl is not None
                and (
                    decl.entity == "DATE_OF_BIRTH"
                    or any(c.startswith("user.demographic.date_of_birth") for c in decl.categories)
                )
            )
        )
        is_id = "CN_RESIDENT_ID" in found
        if not (is_dob or is_id):
            continue
        profile = age_profile(col.values, at=at, resident_id=is_id and not is_dob)
        if profile is not None:
            out.append(ColumnAges(column=col.name, ages=profile))
    return tuple(out)


def _collect_datastore(
    loaded: LoadedStack, ds: Datastore, *, at: datetime, sample_rows: int
) -> DatastoreFacts:
    url = loaded.datastore_url(ds)
    connector = open_source(url, base_dir=loaded.base_dir)
    try:
        if ds.kind in ("files", "logs") and isinstance(connector, FileConnector):
            return DatastoreFacts(
                datastore=ds.id,
                files=tuple(_scan_file(connector, p, default_scanner()) for p in connector.files),
            )
        tables: list[TableFacts] = []
        for info in connector.tables():
            sample = connector.sample(info, limit=sample_rows)
            columns = tuple(classify_table(sample))
            probe = None
            dataset = next((d for d in ds.datasets if d.name == info.name), None)
            ages = _ages(sample, list(columns), dataset, at)
            if dataset is not None and dataset.timestamp_field:
                rule = loaded.stack.retention_for(ds.id, dataset.name)
                if rule is not None:
                    cutoff = rule.period.before(at)
                    n = connector.count_older_than(info, dataset.timestamp_field, cutoff)
                    probe = RetentionProbe(
                        field=dataset.timestamp_field, cutoff=cutoff, rows_past_retention=n
                    )
            tables.append(TableFacts(table=info, columns=columns, retention=probe, ages=ages))
        return DatastoreFacts(datastore=ds.id, tables=tuple(tables))
    finally:
        connector.close()


def _scan_file(connector: FileConnector, path: Path, scanner: Scanner) -> FileFacts:
    counts: Counter[str] = Counter()
    first: dict[str, list[int]] = {}
    samples: dict[str, list[str]] = {}
    lines = 0
    shown = str(path)
    for chunk in connector.read_text_chunks(path):
        shown = chunk.path
        text = chunk.text
        breaks = text.count("\n")
        lines = chunk.line + breaks - (1 if text.endswith("\n") else 0)
        line, pos = chunk.line, 0
        for d in scanner.scan(text):  # detections come sorted by offset
            counts[d.entity] += 1
            line += text.count("\n", pos, d.start)
            pos = d.start
            seen = first.setdefault(d.entity, [])
            if len(seen) < FIRST_LINES_PER_ENTITY:
                seen.append(line)
            bucket = samples.setdefault(d.entity, [])
            if len(bucket) < MASKED_SAMPLES_PER_ENTITY:
                bucket.append(mask_for_entity(d.entity, text[d.start : d.end]))
    return FileFacts(
        path=shown,
        lines=max(lines, 0),
        counts=tuple(EntityCount(entity=e, count=n) for e, n in sorted(counts.items())),
        first_lines=tuple(
            EntityLines(entity=e, first_lines=tuple(v)) for e, v in sorted(first.items())
        ),
        masked_samples=tuple(s for e in sorted(samples) for s in samples[e]),
    )
