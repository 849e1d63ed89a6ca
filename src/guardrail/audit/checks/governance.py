"""Organisational checks: officers and representatives (C30)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.audit.inventory import build_inventory
from guardrail.model.audit import Evidence, Target
from guardrail.model.common import LocalizedText
from guardrail.model.inventory import InventoryField
from guardrail.model.stack import (
    AssessmentKind,
    Flow,
    Officer,
    Stack,
    frameworks_for_region,
    is_eea,
)

__all__ = [
    "PIPL_OFFICER_REPORTING_THRESHOLD",
    "audit_cadence",
    "automated_decisions",
    "impact_assessments",
    "large_volume_governance",
    "protection_officer_designated",
]

# CAC announcement of 2025-07-18 (fact base §6 ◐): processors of the PI of 1,000,000 or more
# persons report their PI protection officer to the city-level CAC within 30 working days
# (PIPL Art. 52).
PIPL_OFFICER_REPORTING_THRESHOLD = 1_000_000


def _officer_problems(officer: Officer | None, *, must_report: bool) -> Problems:
    problems = Problems()
    if officer is None:
        problems.add("not designated", "未指定")
        return problems
    if not officer.published:
        problems.add("contact details are not published", "未公开联系方式")
    if must_report and officer.reported_to_authority is None:
        problems.add("not reported to the authority", "未向主管部门报送")
    return problems


def protection_officer_designated(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    org = stack.organization
    officers = stack.officers
    out: list[Outcome] = []

    def outcome(
        key: str,
        framework: str,
        role_en: str,
        role_zh: str,
        officer: Officer | None,
        *,
        required: bool,
        must_report: bool = False,
        why_en: str = "",
        why_zh: str = "",
    ) -> None:
        if officer is None and not required:
            return
        problems = _officer_problems(officer, must_report=must_report)
        evidence = (
            Evidence(
                summary=text("Officer record", "负责人记录"),
                facts=(
                    fact("designated", officer is not None),
                    fact("published", bool(officer and officer.published)),
                    fact(
                        "reported_to_authority",
                        str(officer.reported_to_authority)
                        if officer and officer.reported_to_authority
                        else None,
                    ),
                ),
            ),
        )
        out.append(
            verdict(
                Target(kind="organization", id=f"officers.{key}"),
                ("officers", key) if officer is not None else ("officers",),
                failure=problems.failure(
                    f"{role_en}: ", f"{role_zh}：", f" {why_en}" if why_en else "", why_zh
                ),
                success=text(f"{role_en} is designated and published.", f"{role_zh}已指定并公开。"),
                evidence=evidence,
                frameworks=frozenset({framework}),
            )
        )

    persons = org.persons_processed.total
    if ctx.applies("pipl"):
        large = persons >= PIPL_OFFICER_REPORTING_THRESHOLD
        outcome(
            "pi_protection_officer",
            "pipl",
            "PI protection officer",
            "个人信息保护负责人",
            officers.pi_protection_officer,
            required=large,
            must_report=large,
            why_en=(
                f"The organisation processes the PI of {persons:,} persons (≥ 1,000,000: "
                "designate, publish and report to the city-level CAC, PIPL Art. 52)."
                if large
                else ""
            ),
            why_zh=(
                f"处理 {persons:,} 人的个人信息（100万人以上：应当指定、公开并向设区的市级"
                "网信部门报送，第五十二条）。"
                if large
                else ""
            ),
        )
        if not any("pipl" in frameworks_for_region(r) for r in org.established_in):
            outcome(
                "prc_representative",
                "pipl",
                "PRC representative",
                "境内专门机构或代表",
                officers.prc_representative,
                required=True,
                why_en="Processors outside China covered by PIPL Art. 3 ¶2 must set up an "
                "entity or appoint a representative in China (PIPL Art. 53).",
                why_zh="境外处理者应当在境内设立专门机构或者指定代表（第五十三条）。",
            )
    if ctx.applies("gdpr"):
        outcome(
            "dpo",
            "gdpr",
            "Data protection officer",
            "数据保护官",
            officers.dpo,
            required=org.sells_or_shares_pi,
            why_en="Core activities include large-scale regular and systematic monitoring "
            "(sale or sharing for behavioural advertising): GDPR Art. 37(1)(b).",
            why_zh="核心活动包括大规模定期、系统地监控数据主体（为行为广告出售或共享）：第37条第1款(b)项。",
        )
        if not any("gdpr" in frameworks_for_region(r) for r in org.established_in):
            outcome(
                "eu_representative",
                "gdpr",
                "EU representative",
                "欧盟代表",
                officers.eu_representative,
                required=True,
                why_en="Controllers outside the EU covered by Art. 3(2) must designate a "
                "representative in the Union (GDPR Art. 27).",
                why_zh="适用第3条第2款的欧盟境外控制者应当在欧盟指定代表（第27条）。",
            )
    return out


# --- impact assessments (C29) --------------------------------------------------------------


def _covered(stack: Stack, kind: AssessmentKind, ids: set[str], at: date) -> str | None:
    for a in stack.assessments:
        if a.kind is kind and a.completed is not None and a.completed <= at and ids & set(a.covers):
            return a.id
    return None


def impact_assessments(ctx: CheckContext) -> list[Outcome]:
    """PIPIA for sensitive PI, automated decisions and provision to others (PIPL Art. 55(1)-(3));
    DPIA for profiling with significant effect and large-scale special categories (GDPR Art.
    35(3)(a)-(b)); CCPA risk assessment for selling/sharing and sensitive PI (CPPA regs §7150 ⚠,
    from 2026-01-01)."""
    stack = ctx.facts.stack
    today = ctx.at.date()
    inventory = build_inventory(ctx.facts)
    processors = {p.id for p in stack.processors}
    triggers: list[tuple[str, AssessmentKind, Target, set[str], LocalizedText]] = []
    purpose_index = {p.id: p for p in stack.purposes}

    def purposes_with(pred: Callable[[InventoryField], bool]) -> list[str]:
        return sorted(
            {pid for f in inventory if pred(f) for pid in f.purposes if pid in purpose_index}
        )

    def trigger(
        regime: str, kind: AssessmentKind, target: Target, ids: set[str], en: str, zh: str
    ) -> None:
        triggers.append((regime, kind, target, ids, text(en, zh)))

    def flow_ids(f: Flow) -> set[str]:
        return {f.id} | ({f.purpose} if f.purpose else set())

    if ctx.applies("pipl"):
        for pid in purposes_with(lambda f: f.labels.pipl.sensitive):
            trigger(
                "pipl",
                AssessmentKind.PIPIA,
                Target(kind="purpose", id=pid),
                {pid},
                "processes sensitive PI (PIPL Art. 55(1))",
                "处理敏感个人信息（第五十五条第一项）",
            )
        for p in stack.purposes:
            if p.automated_decision_making:
                trigger(
                    "pipl",
                    AssessmentKind.PIPIA,
                    Target(kind="purpose", id=p.id),
                    {p.id},
                    "uses automated decision-making (PIPL Art. 55(2))",
                    "利用个人信息进行自动化决策（第五十五条第二项）",
                )
        for f in stack.flows:
            prc_origin = "pipl" in frameworks_for_region(f.from_region)
            if prc_origin and f.destination in processors and f.anonymised is None:
                trigger(
                    "pipl",
                    AssessmentKind.PIPIA,
                    Target(kind="flow", id=f.id),
                    flow_ids(f),
                    "entrusts processing or provides PI to another processor (PIPL Art. 55(3))",
                    "委托处理或向其他处理者提供个人信息（第五十五条第三项）",
                )
    if ctx.applies("gdpr"):
        for p in stack.purposes:
            if p.automated_decision_making:
                trigger(
                    "gdpr",
                    AssessmentKind.DPIA,
                    Target(kind="purpose", id=p.id),
                    {p.id},
                    "profiling / automated decisions (GDPR Art. 35(3)(a))",
                    "画像或自动化决策（第35条第3款(a)项）",
                )
        for cls in ctx.facts.classifications:
            labels = {lbl.rule for lbl in cls.labels}
            if {"special-category-data", "large-scale-sensitive"} <= labels:
                key = f"{cls.datastore}.{cls.dataset}"
                trigger(
                    "gdpr",
                    AssessmentKind.DPIA,
                    Target(kind="dataset", id=key),
                    {key},
                    "large-scale special-category data (GDPR Art. 35(3)(b))",
                    "大规模处理特殊类别数据（第35条第3款(b)项）",
                )
    if ctx.applies("ccpa") and today >= date(2026, 1, 1):
        for f in stack.flows:
            # A flow leaving an EEA system carries EU customers' data, not Californians'.
            if f.kind in ("sale", "share") and not is_eea(f.from_region):
                trigger(
                    "ccpa",
                    AssessmentKind.CCPA_RISK,
                    Target(kind="flow", id=f.id),
                    flow_ids(f),
                    "sells or shares personal information (CPPA regs §7150 ⚠)",
                    "出售或共享个人信息（CPPA 规章 §7150 ⚠）",
                )
    out: list[Outcome] = []
    seen: set[tuple[str, str, str]] = set()
    for regime, kind, target, ids, why in triggers:
        seen_key = (regime, kind.value, str(target))
        if seen_key in seen:
            continue
        seen.add(seen_key)
        found = _covered(stack, kind, ids, today)
        out.append(
            verdict(
                target,
                _loc(stack, target),
                failure=None
                if found
                else text(
                    f"{target.id}: {why.en}, but no completed {kind.value.upper()} covers it.",
                    f"{target.id}：{why.zh}，但没有已完成的 {kind.value.upper()} 覆盖。",
                ),
                success=text(
                    f"{target.id}: {why.en}; covered by {kind.value} '{found}'.",
                    f"{target.id}：{why.zh}；已由 {kind.value}“{found}”覆盖。",
                ),
                frameworks=frozenset({regime}),
            )
        )
    return out


def _loc(stack: Stack, target: Target) -> tuple[str | int, ...]:
    if target.kind == "purpose":
        for i, p in enumerate(stack.purposes):
            if p.id == target.id:
                return ("purposes", i)
    if target.kind == "flow":
        for i, f in enumerate(stack.flows):
            if f.id == target.id:
                return ("flows", i)
    return ("assessments",)


# --- compliance-audit cadence (C31) -------------------------------------------------------

# CAC Order 18 (◐): more than 10 million persons: at least every two years; CAC Q&A 2026-04
# (◐): 1-10 million every 3-4 years (4 used), up to 1 million every 5 years. Minors' PI:
# every year (Minors Regs Art. 37).
PIPL_AUDIT_YEARS = ((10_000_000, 2), (1_000_000, 4), (0, 5))


def audit_cadence(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    today = ctx.at.date()
    out: list[Outcome] = []

    def last(kind: str) -> date | None:
        dates = [a.completed for a in stack.compliance_audits if a.kind == kind]
        return max(dates) if dates else None

    if ctx.applies("pipl"):
        persons = stack.organization.persons_processed.total
        years = next(y for floor, y in PIPL_AUDIT_YEARS if persons > floor or floor == 0)
        done = last("pipl")
        due = done.replace(year=done.year + years) if done else None
        ok = due is not None and due >= today
        out.append(
            verdict(
                Target(kind="process", id="pipl_compliance_audit"),
                ("compliance_audits",),
                failure=None
                if ok
                else text(
                    f"The PIPL compliance audit is overdue: last {done or 'never'}, required every "
                    f"{years} years for {persons:,} persons (PIPL Art. 54).",
                    f"个人信息保护合规审计已逾期：上次为 {done or '从未开展'}，处理 {persons:,} 人"
                    f"个人信息应每 {years} 年开展一次（第五十四条）。",
                ),
                success=text(
                    f"PIPL compliance audit done {done}, next due {due} (every {years} years for "
                    f"{persons:,} persons).",
                    f"个人信息保护合规审计于 {done} 完成，下次应于 {due} 前完成（{persons:,} 人，每 {years} 年）。",
                ),
                frameworks=frozenset({"pipl"}),
            )
        )
        children = (
            stack.organization.offers_services_to_children
            or any(
                lbl.rule in ("children-data",)
                for c in ctx.facts.classifications
                for lbl in c.labels
            )
            or any(
                f.labels.pipl.sensitive and "minor_under_14" in f.labels.pipl.kinds
                for c in ctx.facts.classifications
                for f in c.fields
            )
        )
        if children:
            done_m = last("minors")
            ok_m = done_m is not None and done_m.replace(year=done_m.year + 1) >= today
            out.append(
                verdict(
                    Target(kind="process", id="minors_compliance_audit"),
                    ("compliance_audits",),
                    failure=None
                    if ok_m
                    else text(
                        f"Minors' PI is processed but the annual audit is missing (last: "
                        f"{done_m or 'never'}; Minors Regs Art. 37).",
                        f"处理未成年人个人信息，但未按年度开展审计（上次：{done_m or '从未开展'}；"
                        "《未成年人网络保护条例》第三十七条）。",
                    ),
                    success=text(
                        f"Minors' PI audit done {done_m}.",
                        f"未成年人个人信息审计于 {done_m} 完成。",
                    ),
                    frameworks=frozenset({"pipl"}),
                )
            )
    if ctx.applies("gdpr"):
        done_g = last("pipl") or last("cybersecurity")
        ok_g = done_g is not None and done_g.replace(year=done_g.year + 3) >= today
        out.append(
            verdict(
                Target(kind="process", id="gdpr_security_review"),
                ("compliance_audits",),
                failure=None
                if ok_g
                else text(
                    "No audit in the last three years tests the measures' effectiveness "
                    "(GDPR Art. 32(1)(d)).",
                    "近三年没有评估技术和组织措施有效性的审计（第32条第1款(d)项）。",
                ),
                success=text(
                    f"Measures were last reviewed by audit on {done_g}.",
                    f"上次审计评估安全措施于 {done_g}。",
                ),
                frameworks=frozenset({"gdpr"}),
            )
        )
    return out


# --- automated decisions (C37) and large volumes (C41) -------------------------------------


def automated_decisions(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    today = ctx.at.date()
    attested = any(a.control == "C37" and a.expires >= today for a in stack.attestations)
    out: list[Outcome] = []
    for i, p in enumerate(stack.purposes):
        if not p.automated_decision_making:
            continue
        assessed = any(
            p.id in a.covers and a.completed
            for a in stack.assessments
            if a.kind in (AssessmentKind.PIPIA, AssessmentKind.DPIA)
        )
        problems = Problems()
        if not attested:
            problems.add(
                "no current attestation of transparency, human review and opt-out",
                "缺少关于透明度、人工复核和拒绝途径的有效证明",
            )
        if not assessed:
            problems.add("no impact assessment covers it", "没有影响评估覆盖")
        out.append(
            verdict(
                Target(kind="purpose", id=p.id),
                ("purposes", i),
                failure=problems.failure(
                    f"Purpose '{p.id}' uses automated decisions: ", f"目的“{p.id}”使用自动化决策："
                ),
                success=text(
                    f"Purpose '{p.id}': automated decisions are assessed and attested.",
                    f"目的“{p.id}”：自动化决策已评估并有证明。",
                ),
            )
        )
    return out


NDSR_LARGE_VOLUME = 10_000_000  # NDSR Art. 28: PI of 10 million persons or more


def large_volume_governance(ctx: CheckContext) -> list[Outcome]:
    if not ctx.applies("pipl"):
        return []
    stack = ctx.facts.stack
    persons = stack.organization.persons_processed.total
    if persons < NDSR_LARGE_VOLUME:
        return []
    officer = stack.officers.network_data_security_officer
    ok = officer is not None and officer.member_of_management
    return [
        verdict(
            Target(kind="organization", id="officers.network_data_security_officer"),
            ("officers",),
            failure=None
            if ok
            else text(
                f"The organisation processes the PI of {persons:,} persons (≥ 10 million) but has "
                "no network-data security officer from management (NDSR Arts. 28, 30).",
                f"处理 {persons:,} 人个人信息（1000万人以上），但未从管理层指定网络数据安全负责人"
                "（《网络数据安全管理条例》第二十八、三十条）。",
            ),
            success=text(
                "A network-data security officer from management is designated.",
                "已从管理层指定网络数据安全负责人。",
            ),
            frameworks=frozenset({"pipl"}),
        )
    ]
