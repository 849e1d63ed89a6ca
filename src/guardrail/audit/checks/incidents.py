"""Incident readiness: the plan and its drill (C32), the playbook library's clocks (C33) and
notice templates (C34), the breach register (C35)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from guardrail.audit.checks.base import (
    CheckContext,
    Loc,
    Outcome,
    Problems,
    fact,
    text,
    verdict,
)
from guardrail.model.audit import Evidence, Target
from guardrail.model.stack import IncidentResponse

__all__ = [
    "breach_notice_templates",
    "breach_playbook_clocks",
    "breach_register",
    "incident_plan_drilled",
]

DRILL_INTERVAL = timedelta(days=365)  # GB/T 35273-2020 §10.1: drills at least yearly ⚠


def _is_url(ref: str) -> bool:
    return "://" in ref


def _resolve(ctx: CheckContext, ref: str) -> Path:
    p = Path(ref)
    return p if p.is_absolute() else ctx.loaded.base_dir / p


def _loc(ir: IncidentResponse | None) -> Loc:
    return ("incident_response",) if ir else ()


def _undeclared(target: Target, ir: IncidentResponse | None, en: str, zh: str) -> list[Outcome]:
    """``target`` fails because the manifest does not declare what it needs."""
    return [Outcome(target=target, passed=False, loc=_loc(ir), message=text(en, zh))]


def incident_plan_drilled(ctx: CheckContext) -> list[Outcome]:
    ir = ctx.facts.stack.incident_response
    target = Target(kind="process", id="incident_response")
    if ir is None or not ir.plan:
        return _undeclared(
            target, ir, "No incident-response plan is declared.", "未声明个人信息安全事件应急预案。"
        )
    problems = Problems()
    if not _is_url(ir.plan) and not _resolve(ctx, ir.plan).is_file():
        problems.add(f"the plan {ir.plan} does not exist", f"预案文件 {ir.plan} 不存在")
    if not ir.owner:
        problems.add("the plan has no owner", "预案没有负责人")
    today = ctx.at.date()
    if ir.last_drill is None:
        problems.add("it was never drilled", "从未演练")
    elif today - ir.last_drill > DRILL_INTERVAL:
        problems.add(
            f"the last drill ({ir.last_drill}) is more than 12 months old",
            f"上次演练（{ir.last_drill}）已超过12个月",
        )
    evidence = (
        Evidence(
            summary=text("Incident plan", "应急预案"),
            facts=(
                fact("plan", ir.plan),
                fact("owner", ir.owner),
                fact("last_drill", str(ir.last_drill) if ir.last_drill else None),
            ),
        ),
    )
    return [
        verdict(
            target,
            ("incident_response",),
            failure=problems.failure("Incident response: ", "应急响应："),
            success=text(
                f"The plan exists, has an owner and was drilled on {ir.last_drill}.",
                f"预案存在、有负责人，并于 {ir.last_drill} 演练。",
            ),
            evidence=evidence,
        )
    ]


def _library(ctx: CheckContext, control: str) -> list[Outcome]:
    from guardrail.playbook import lint_library

    ir = ctx.facts.stack.incident_response
    target = Target(kind="process", id=f"playbook_library.{control}")
    if ir is None or not ir.playbooks:
        return _undeclared(
            target,
            ir,
            "No playbook library is declared (incident_response.playbooks).",
            "未声明事件剧本库（incident_response.playbooks）。",
        )
    folder = _resolve(ctx, ir.playbooks)
    problems = [
        # Show the manifest's relative path, never this machine's absolute one.
        p.model_copy(update={"message": p.message.replace(str(folder), ir.playbooks)})
        for p in lint_library(folder, stack=ctx.facts.stack, stack_sha256=ctx.loaded.sha256)
        if p.control == control or p.code == "library-missing"
    ]
    if problems:
        shown = problems[:6]
        more = f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""
        return [
            Outcome(
                target=target,
                passed=False,
                loc=("incident_response", "playbooks"),
                evidence=(
                    Evidence(
                        summary=text("Playbook library lint", "剧本库检查"),
                        facts=tuple(fact(p.code, p.message) for p in shown),
                    ),
                ),
                message=text(
                    f"The playbook library at {ir.playbooks} has "
                    f"{len(problems)} problem(s): "
                    + "; ".join(p.message for p in shown)
                    + more
                    + ".",
                    f"剧本库 {ir.playbooks} 存在 {len(problems)} 个问题："
                    + "；".join(p.message for p in shown)
                    + more
                    + "。",
                ),
            )
        ]
    return [
        Outcome(
            target=target,
            passed=True,
            loc=("incident_response", "playbooks"),
            message=text(
                f"The playbook library at {ir.playbooks} is complete and current.",
                f"剧本库 {ir.playbooks} 完整且为最新。",
            ),
        )
    ]


def breach_playbook_clocks(ctx: CheckContext) -> list[Outcome]:
    return _library(ctx, "C33")


def breach_notice_templates(ctx: CheckContext) -> list[Outcome]:
    return _library(ctx, "C34")


def breach_register(ctx: CheckContext) -> list[Outcome]:
    ir = ctx.facts.stack.incident_response
    target = Target(kind="process", id="breach_register")
    ref = ir.breach_register if ir else None
    ok = ref is not None and (_is_url(ref) or _resolve(ctx, ref).is_file())
    if ok:
        failure = None
    elif ref:
        failure = text(f"The breach register {ref} does not exist.", f"事件登记簿 {ref} 不存在。")
    else:
        failure = text(
            "No breach register is declared (incident_response.breach_register).",
            "未声明事件登记簿（incident_response.breach_register）。",
        )
    return [
        verdict(
            target,
            _loc(ir),
            failure=failure,
            success=text(f"Breaches are registered in {ref}.", f"事件登记于 {ref}。"),
        )
    ]
