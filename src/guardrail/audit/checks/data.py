"""Checks on measured data: sensitive PI at rest (C03), personal data in logs (C06)."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import PurePath

from guardrail.audit.checks.base import CheckContext, Outcome, fact, text
from guardrail.classify import entity_rule
from guardrail.model.audit import Evidence, Target
from guardrail.model.classification import PiplSensitiveKind
from guardrail.model.common import Severity, SourceLocation
from guardrail.model.detection import EntityCount
from guardrail.model.facts import FileFacts
from guardrail.model.stack import Dataset, FieldDeclaration

__all__ = ["no_pii_in_logs", "sensitive_pi_encrypted"]

MIN_CONFIDENCE = 0.6


def _declared(datasets: tuple[Dataset, ...], table: str, column: str) -> FieldDeclaration | None:
    ds = next((d for d in datasets if d.name == table), None)
    return next((f for f in ds.fields if f.name == column), None) if ds else None


def sensitive_pi_encrypted(ctx: CheckContext) -> list[Outcome]:
    out: list[Outcome] = []
    stack = ctx.facts.stack
    for dsf in ctx.facts.datastores:
        store = stack.datastore(dsf.datastore)
        for tf in dsf.tables:
            for col in tf.columns:
                sensitive = [
                    e
                    for e in col.entities
                    if e.confidence >= MIN_CONFIDENCE and entity_rule(e.entity).sensitive_anywhere
                ]
                decl = _declared(store.datasets, tf.table.name, col.column)
                loc = ctx.loaded.dataset_loc(store.id, tf.table.name)
                target = Target(kind="field", id=f"{store.id}.{tf.table.name}.{col.column}")
                where = SourceLocation(datastore=store.id, table=tf.table.name, field=col.column)
                plaintext = [e for e in sensitive if e.hit_ratio > 0]
                if plaintext:
                    kinds = ", ".join(e.entity for e in plaintext)
                    hits = {e.entity: round(e.hit_ratio * col.non_empty) for e in plaintext}
                    labels = "; ".join(_label(e.entity) for e in plaintext)
                    declared_protected = decl is not None and decl.protection.protects_at_rest
                    disk = store.encryption_at_rest.enabled
                    en = (
                        f"{sum(hits.values())} of {col.non_empty} sampled values in "
                        f"{tf.table.name}.{col.column} are plaintext {kinds} ({labels})."
                    )
                    zh = (
                        f"{tf.table.name}.{col.column} 抽样的 {col.non_empty} 个值中有 "
                        f"{sum(hits.values())} 个为明文 {kinds}（{labels}）。"
                    )
                    if declared_protected:
                        en += " The manifest declares the field protected, but it is not."
                        zh += " 清单声明该字段已加密，但实际为明文。"
                    if not disk:
                        en += " The datastore is not encrypted at rest either."
                        zh += " 该数据存储也未启用静态加密。"
                    out.append(
                        Outcome(
                            target=target,
                            passed=False,
                            loc=loc,
                            severity=Severity.CRITICAL
                            if not disk or any(_financial(e.entity) for e in plaintext)
                            else None,
                            message=text(en, zh),
                            evidence=(
                                Evidence(
                                    summary=text("Sampled column values", "字段抽样结果"),
                                    location=where,
                                    counts=tuple(
                                        EntityCount(entity=k, count=v) for k, v in hits.items()
                                    ),
                                    facts=(
                                        fact("sampled", col.sampled),
                                        fact("non_empty", col.non_empty),
                                        fact("datastore_encrypted_at_rest", disk),
                                        fact("declared_field_protection", declared_protected),
                                    ),
                                    masked_samples=col.masked_preview[:2],
                                ),
                            ),
                        )
                    )
                elif sensitive or (
                    decl is not None
                    and decl.protection.protects_at_rest
                    and _declared_sensitive(decl)
                ):
                    out.append(
                        Outcome(
                            target=target,
                            passed=True,
                            loc=loc,
                            message=text(
                                f"{tf.table.name}.{col.column} holds no plaintext "
                                "sensitive values in the sample.",
                                f"{tf.table.name}.{col.column} 抽样中无明文敏感信息。",
                            ),
                        )
                    )
    return out


def _financial(entity: str) -> bool:
    # PCI DSS v4.0 Req. 3.5.1: a stored PAN must be unreadable; disk encryption alone does not
    # satisfy it (3.5.1.2), so plaintext account numbers are critical whatever the datastore.
    return PiplSensitiveKind.FINANCIAL_ACCOUNT in entity_rule(entity).labels.pipl.kinds


def _declared_sensitive(decl: FieldDeclaration) -> bool:
    return decl.entity is not None and entity_rule(decl.entity).sensitive_anywhere


def _label(entity: str) -> str:
    rule = entity_rule(entity)
    parts = []
    if rule.labels.pipl.sensitive:
        parts.append("PIPL sensitive PI: " + ", ".join(k.value for k in rule.labels.pipl.kinds))
    if rule.labels.ccpa.sensitive:
        parts.append("CCPA SPI " + ", ".join(rule.labels.ccpa.clauses))
    if rule.labels.gdpr.category != "personal":
        parts.append(f"GDPR {rule.labels.gdpr.category}")
    return ", ".join(parts) or "personal information"


def _without(ff: FileFacts, allowed: set[str]) -> FileFacts:
    if not allowed:
        return ff
    return ff.model_copy(
        update={
            "counts": tuple(c for c in ff.counts if c.entity not in allowed),
            "first_lines": tuple(e for e in ff.first_lines if e.entity not in allowed),
        }
    )


def no_pii_in_logs(ctx: CheckContext) -> list[Outcome]:
    out: list[Outcome] = []
    for dsf in ctx.facts.datastores:
        store = ctx.facts.stack.datastore(dsf.datastore)
        if store.kind != "logs":
            continue
        loc = ctx.loaded.datastore_loc(store.id)
        for ff in dsf.files:
            target = Target(kind="file", id=f"{store.id}:{ff.path}")
            allowed: set[str] = set()
            for ds in store.datasets:
                if fnmatch(PurePath(ff.path).name, ds.name) or fnmatch(ff.path, ds.name):
                    allowed.update(ds.allowed_entities)
            ff = _without(ff, allowed)
            if not ff.total:
                out.append(
                    Outcome(
                        target=target,
                        passed=True,
                        loc=loc,
                        message=text(
                            f"{ff.path}: no personal data in {ff.lines} lines.",
                            f"{ff.path}：{ff.lines} 行中未发现个人信息。",
                        ),
                    )
                )
                continue
            kinds = ", ".join(f"{c.count} {c.entity}" for c in ff.counts)
            first = min(line for el in ff.first_lines for line in el.first_lines)
            out.append(
                Outcome(
                    target=target,
                    passed=False,
                    loc=loc,
                    message=text(
                        f"{ff.path} records personal data in plaintext: {kinds} "
                        f"in {ff.lines} lines (first at line {first}).",
                        f"{ff.path} 以明文记录个人信息：{kinds}，共 {ff.lines} 行"
                        f"（首次出现于第 {first} 行）。",
                    ),
                    evidence=(
                        Evidence(
                            summary=text("Detections in the log file", "日志文件中的检出结果"),
                            location=SourceLocation(path=ff.path, line=first),
                            counts=ff.counts,
                            facts=tuple(
                                fact(
                                    f"first_lines.{el.entity}",
                                    ", ".join(str(n) for n in el.first_lines),
                                )
                                for el in ff.first_lines
                            ),
                            masked_samples=ff.masked_samples,
                        ),
                    ),
                )
            )
    return out
