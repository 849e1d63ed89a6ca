"""The inventory matches the data (C01, declared vs detected drift) and every personal-data
field carries a classification label (C02)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.audit.facts import rules_for
from guardrail.model.audit import Evidence, Target
from guardrail.model.common import SourceLocation

__all__ = ["inventory_matches_data", "pi_fields_labelled"]


def inventory_matches_data(ctx: CheckContext) -> list[Outcome]:
    """Undeclared personal data and declarations with no data are drift."""
    out: list[Outcome] = []
    for store in ctx.facts.stack.datastores:
        dsf = ctx.facts.datastore(store.id)
        if dsf is None or not dsf.scanned or store.kind not in ("sql", "redis"):
            continue
        tables = {t.table.name: t for t in dsf.tables}
        for name, tf in tables.items():
            cls = ctx.facts.classification(store.id, name)
            declared = next((d for d in store.datasets if d.name == name), None)
            personal = [f for f in cls.fields if f.personal] if cls else []
            if declared is None and not personal:
                continue
            columns = {c.name for c in tf.table.columns}
            problems = Problems()
            undeclared = [f.field for f in personal if f.source in ("detected", "inferred")]
            if declared is None:
                problems.add(
                    "the table holds personal data ("
                    + ", ".join(sorted({e for f in personal for e in f.entities}))
                    + ") but is not declared in the manifest",
                    "该表含有个人信息，但未在清单中声明",
                )
            elif undeclared:
                problems.add(
                    "undeclared personal-data fields: " + ", ".join(undeclared),
                    "未声明的个人信息字段：" + "、".join(undeclared),
                )
            missing = [f.name for f in declared.fields if f.name not in columns] if declared else []
            if missing:
                problems.add(
                    "declared fields not in the table: " + ", ".join(missing),
                    "已声明但表中不存在的字段：" + "、".join(missing),
                )
            evidence = (
                Evidence(
                    summary=text("Declared versus detected", "声明与检测对比"),
                    location=SourceLocation(datastore=store.id, table=name),
                    facts=(
                        fact("declared_fields", len(declared.fields) if declared else 0),
                        fact(
                            "detected_personal_fields",
                            sum(f.source in ("detected", "both") for f in personal),
                        ),
                        fact("undeclared_fields", len(undeclared) if declared else len(personal)),
                    ),
                ),
            )
            out.append(
                verdict(
                    Target(kind="dataset", id=f"{store.id}.{name}"),
                    ctx.loaded.dataset_loc(store.id, name)
                    if declared
                    else ctx.loaded.datastore_loc(store.id),
                    failure=problems.failure(f"{name}: ", f"{name}："),
                    success=text(
                        f"{name}: the declaration matches the data.", f"{name}：声明与数据一致。"
                    ),
                    evidence=evidence,
                )
            )
        for i, ds in enumerate(store.datasets):
            if ds.name in tables or not dsf.tables:
                continue
            out.append(
                Outcome(
                    target=Target(kind="dataset", id=f"{store.id}.{ds.name}"),
                    passed=False,
                    loc=("datastores", ctx.facts.stack.datastores.index(store), "datasets", i),
                    message=text(
                        f"{ds.name}: declared in the manifest but not found in datastore "
                        f"'{store.id}'.",
                        f"{ds.name}：清单中已声明，但在数据存储“{store.id}”中不存在。",
                    ),
                )
            )
    return out


def pi_fields_labelled(ctx: CheckContext) -> list[Outcome]:
    """Every personal-data field maps to a known category, hence to labels under each law."""
    rules = rules_for(ctx.loaded)
    out: list[Outcome] = []
    for cls in ctx.facts.classifications:
        store = ctx.facts.stack.datastore(cls.datastore)
        declared = next((d for d in store.datasets if d.name == cls.dataset), None)
        decls = {f.name: f for f in declared.fields} if declared else {}
        gaps = Problems()
        personal = [f for f in cls.fields if f.personal]
        for f in personal:
            decl = decls.get(f.field)
            unknown = [c for c in (decl.categories if decl else ()) if not rules.known(c)]
            unmapped = [e for e in f.entities if e not in rules.entities]
            if unknown:
                gaps.add(
                    f"{f.field} declares unknown categor"
                    f"{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}",
                    f"{f.field} 声明了未知类别 {', '.join(unknown)}",
                )
            if unmapped:
                gaps.add(
                    f"{f.field} holds {', '.join(unmapped)}, which no rule classifies",
                    f"{f.field} 含有 {', '.join(unmapped)}，无分类规则",
                )
        if not personal:
            continue
        evidence = (
            Evidence(
                summary=text("Label coverage", "标签覆盖率"),
                facts=(
                    fact("personal_fields", len(personal)),
                    fact(
                        "labelled_fields", len(personal) - len({g.split(" ")[0] for g in gaps.en})
                    ),
                ),
            ),
        )
        out.append(
            verdict(
                Target(kind="dataset", id=f"{cls.datastore}.{cls.dataset}"),
                ctx.loaded.dataset_loc(cls.datastore, cls.dataset),
                failure=gaps.failure(f"{cls.dataset}: ", f"{cls.dataset}："),
                success=text(
                    f"{cls.dataset}: every personal-data field is "
                    "labelled under PIPL, GDPR and CCPA.",
                    f"{cls.dataset}：所有个人信息字段均已按三部法律标注。",
                ),
                evidence=evidence,
            )
        )
    return out
