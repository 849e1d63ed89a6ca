"""Retention defined per dataset, enforced, and no records kept past it (C22)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.classify import entity_rule
from guardrail.model.audit import Evidence, Target
from guardrail.model.common import SourceLocation
from guardrail.model.stack import Datastore

__all__ = ["retention_defined_and_enforced"]


def _categories(store: Datastore, table: str, entities: list[str]) -> tuple[str, ...]:
    cats = [entity_rule(e).category for e in entities]
    ds = next((d for d in store.datasets if d.name == table), None)
    if ds is not None:
        cats.extend(c for f in ds.fields for c in f.categories)
    return tuple(dict.fromkeys(cats))


def retention_defined_and_enforced(ctx: CheckContext) -> list[Outcome]:
    out: list[Outcome] = []
    stack = ctx.facts.stack
    for dsf in ctx.facts.datastores:
        store = stack.datastore(dsf.datastore)
        items: list[tuple[str | None, list[str]]] = []
        for tf in dsf.tables:
            entities = sorted({e.entity for c in tf.personal_columns for e in c.entities})
            ds = next((d for d in store.datasets if d.name == tf.table.name), None)
            if entities or (ds is not None and any(f.categories for f in ds.fields)):
                items.append((tf.table.name, entities))
        if store.kind == "logs" or any(f.total for f in dsf.files):
            entities = sorted({c.entity for f in dsf.files for c in f.counts})
            items.append((None, entities))
        for table, entities in items:
            probe = next((t.retention for t in dsf.tables if t.table.name == table), None)
            rule = stack.retention_for(store.id, table, _categories(store, table or "", entities))
            tid = f"{store.id}.{table}" if table else store.id
            target = Target(kind="dataset" if table else "datastore", id=tid)
            loc = (
                ctx.loaded.dataset_loc(store.id, table)
                if table
                else ctx.loaded.datastore_loc(store.id)
            )
            problems = Problems()
            facts = [fact("personal_entities", ", ".join(entities) or "declared")]
            if rule is None:
                problems.add("no retention period is defined", "未规定保存期限")
            else:
                facts.append(fact("period", str(rule.period)))
                facts.append(fact("enforcement", rule.enforcement.mechanism))
                if rule.enforcement.mechanism == "none":
                    problems.add(
                        f"the {rule.period} period is not enforced by any deletion job or TTL",
                        f"{rule.period} 的保存期限没有删除任务或 TTL 执行",
                    )
                if rule.minimum is not None and rule.period.approx < rule.minimum.approx:
                    problems.add(
                        f"the period {rule.period} is shorter than the "
                        f"statutory minimum {rule.minimum}",
                        f"保存期限 {rule.period} 短于法定最短期限 {rule.minimum}",
                    )
                if probe is not None:
                    facts.append(fact("rows_past_retention", probe.rows_past_retention))
                    facts.append(fact("cutoff", probe.cutoff.isoformat()))
                    if probe.rows_past_retention:
                        problems.add(
                            f"{probe.rows_past_retention} records are older "
                            f"than {rule.period} (before "
                            f"{probe.cutoff.date().isoformat()})",
                            f"{probe.rows_past_retention} 条记录超过 "
                            f"{rule.period}（早于 "
                            f"{probe.cutoff.date().isoformat()}）",
                        )
            name = table or store.id
            note = (
                ""
                if probe is not None or table is None
                else " (not probed: declare the dataset's timestamp_field)"
            )
            evidence = (
                Evidence(
                    summary=text("Retention rule and probe", "保存期限规则与探测结果"),
                    location=SourceLocation(datastore=store.id, table=table)
                    if table
                    else SourceLocation(datastore=store.id),
                    facts=tuple(facts),
                ),
            )
            out.append(
                verdict(
                    target,
                    loc,
                    failure=problems.failure(f"{name}: ", f"{name}："),
                    success=text(
                        f"{name}: retention {rule.period if rule else ''} defined and enforced"
                        f"{note}.",
                        f"{name}：已规定并执行保存期限。",
                    ),
                    evidence=evidence if problems else (),
                )
            )
    return out
