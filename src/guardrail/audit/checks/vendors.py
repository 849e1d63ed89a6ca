"""Processors and transfer registers: contracts (C24) and person counters (C26)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.audit.checks.transfers import outbound_flows
from guardrail.model.audit import Evidence, Target

__all__ = ["REQUIRED_CLAUSES", "processor_contracts", "transfer_counters"]

# PIPL Art. 21 ¶1 (purpose, term, method, categories, protection measures, rights and duties;
# return or delete at the end; no sub-entrustment without consent) and GDPR Art. 28(3).
REQUIRED_CLAUSES = ("purpose", "term", "security", "sub_processing", "return_or_delete")


def processor_contracts(ctx: CheckContext) -> list[Outcome]:
    today = ctx.at.date()
    out: list[Outcome] = []
    for i, p in enumerate(ctx.facts.stack.processors):
        problems = Problems()
        if p.dpa is None:
            problems.add("no data-processing agreement is recorded", "未记录数据处理协议")
        else:
            if p.dpa.expires is not None and p.dpa.expires < today:
                problems.add(
                    f"agreement {p.dpa.reference} expired on {p.dpa.expires}",
                    f"协议 {p.dpa.reference} 已于 {p.dpa.expires} 到期",
                )
            missing = [c for c in REQUIRED_CLAUSES if c not in p.dpa.clauses]
            if missing:
                problems.add(
                    "clauses missing: " + ", ".join(missing), "缺少条款：" + "、".join(missing)
                )
        evidence = (
            Evidence(
                summary=text("Processor agreement", "受托处理协议"),
                facts=(
                    fact("reference", p.dpa.reference if p.dpa else None),
                    fact("expires", str(p.dpa.expires) if p.dpa and p.dpa.expires else None),
                    fact("clauses", ", ".join(p.dpa.clauses) if p.dpa else ""),
                ),
            ),
        )
        out.append(
            verdict(
                Target(kind="processor", id=p.id),
                ("processors", i, "dpa") if p.dpa else ("processors", i),
                failure=problems.failure(f"{p.name}: ", f"{p.name}："),
                success=text(
                    f"{p.name}: a current agreement with every clause.",
                    f"{p.name}：协议在有效期内且条款完备。",
                ),
                evidence=evidence,
            )
        )
    return out


def transfer_counters(ctx: CheckContext) -> list[Outcome]:
    if not ctx.applies("pipl"):
        return []
    stack = ctx.facts.stack
    index = {f.id: i for i, f in enumerate(stack.flows)}
    out: list[Outcome] = []
    for flow in outbound_flows(stack):
        counted = flow.persons_since_jan1
        out.append(
            Outcome(
                target=Target(kind="flow", id=flow.id),
                passed=counted is not None,
                loc=("flows", index[flow.id]),
                frameworks=frozenset({"pipl"}),
                message=text(
                    f"Outbound flow '{flow.id}' does not count the persons whose PI it carried "
                    "since 1 January (persons_since_jan1), so its transfer route cannot be decided.",
                    f"出境数据流“{flow.id}”未统计当年1月1日以来提供的个人信息人数（persons_since_jan1），"
                    "无法确定出境路径。",
                )
                if counted is None
                else text(
                    f"Outbound flow '{flow.id}': {counted.total:,} persons ({counted.sensitive:,} "
                    "with sensitive PI) since 1 January.",
                    f"出境数据流“{flow.id}”：当年1月1日以来 {counted.total:,} 人"
                    f"（敏感个人信息 {counted.sensitive:,} 人）。",
                ),
            )
        )
    return out
