"""Cross-border transfers: the PRC outbound route (C27) and EU Chapter V safeguards (C28)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from guardrail.audit.checks.base import CheckContext, Outcome, fact, text
from guardrail.model.audit import Evidence, Target
from guardrail.model.common import LocalizedText
from guardrail.model.inventory import TransferDecision
from guardrail.model.stack import (
    AssessmentKind,
    Flow,
    PersonCounts,
    PiplBasis,
    Stack,
    Transfer,
    TransferMechanism,
    frameworks_for_region,
    is_eea,
)

__all__ = [
    "EU_ADEQUATE",
    "PrcRoute",
    "RouteDecision",
    "eu_transfer_safeguards",
    "prc_outbound_mechanism",
    "prc_route",
    "transfer_register",
]

M = TransferMechanism

# XBP (CAC Order 16, 2024) thresholds, counted cumulatively since 1 January (fact base §5.1 ◐).
XBP_STANDARD_CONTRACT_TOTAL = 100_000  # Art. 8: 100,000 to < 1,000,000 (non-sensitive)
XBP_ASSESSMENT_TOTAL = 1_000_000  # Art. 7(2): >= 1,000,000 (non-sensitive)
XBP_ASSESSMENT_SENSITIVE = 10_000  # Art. 7(2): >= 10,000 sensitive; Art. 8: < 10,000
XBP_ASSESSMENT_VALIDITY_YEARS = 3  # Art. 9

# Countries with an EU adequacy decision under GDPR Art. 45 (fact base §5.2; the list changes:
# ⚠ check the Commission's page). US adequacy (Data Privacy Framework, 2023-07-10) covers only
# certified importers, so a US "adequacy" transfer needs evidence of certification.
EU_ADEQUATE = frozenset("AD AR CA FO GG IL IM JP JE NZ KR CH GB UY".split())
EU_ADEQUATE_IF_CERTIFIED = frozenset({"US"})


class PrcRoute(StrEnum):
    EXEMPT = "exempt"
    STANDARD_CONTRACT_OR_CERTIFICATION = "standard_contract_or_certification"
    SECURITY_ASSESSMENT = "security_assessment"


@dataclass(frozen=True)
class RouteDecision:
    route: PrcRoute
    reason: LocalizedText
    counts: PersonCounts


def outbound_flows(stack: Stack) -> list[Flow]:
    """Flows carrying PRC personal information out of mainland China."""
    return _outbound_flows(stack)


def _outbound_flows(stack: Stack) -> list[Flow]:
    # Anonymised flows carry no personal information (PIPL Art. 4 ¶1; C05 verifies them).
    return [
        f
        for f in stack.flows
        if "pipl" in frameworks_for_region(f.from_region)
        and "pipl" not in frameworks_for_region(f.to_region)
        and f.anonymised is None
    ]


def prc_route(stack: Stack) -> RouteDecision:
    """The outbound route the organisation's volume since 1 January requires (XBP Arts. 5-8).

    Volumes are summed over every outbound flow (a person in two flows is counted twice, which
    can only make the route stricter).
    """
    org = stack.organization
    flows = _outbound_flows(stack)
    counted = [f.persons_since_jan1 for f in flows if f.persons_since_jan1 is not None]
    total = sum(c.total for c in counted)
    sensitive = sum(c.sensitive for c in counted)
    counts = PersonCounts(total=total, sensitive=sensitive)
    if org.cii_operator:
        return RouteDecision(
            PrcRoute.SECURITY_ASSESSMENT,
            text(
                "The operator is a critical-information-infrastructure operator: any outbound PI "
                "needs a CAC security assessment (PIPL Art. 40; XBP Art. 7(1)).",
                "关键信息基础设施运营者向境外提供个人信息，应当通过国家网信部门组织的安全评估"
                "（个人信息保护法第四十条；规定第七条第一项）。",
            ),
            counts,
        )
    if org.processes_important_data:
        return RouteDecision(
            PrcRoute.SECURITY_ASSESSMENT,
            text(
                "The organisation exports important data: a CAC security assessment is required "
                "(XBP Art. 7(2)).",
                "向境外提供重要数据，应当申报安全评估（规定第七条第二项）。",
            ),
            counts,
        )
    if total >= XBP_ASSESSMENT_TOTAL or sensitive >= XBP_ASSESSMENT_SENSITIVE:
        return RouteDecision(
            PrcRoute.SECURITY_ASSESSMENT,
            text(
                f"Since 1 January {total:,} persons' PI ({sensitive:,} with sensitive PI) went "
                "abroad: ≥ 1,000,000 persons or ≥ 10,000 persons' sensitive PI requires a CAC "
                "security assessment (XBP Art. 7(2)).",
                f"自当年1月1日起累计向境外提供 {total:,} 人个人信息（其中敏感个人信息 {sensitive:,} 人）："
                "达到100万人以上或1万人以上敏感个人信息的，应当申报安全评估（规定第七条第二项）。",
            ),
            counts,
        )
    if total >= XBP_STANDARD_CONTRACT_TOTAL or sensitive >= 1:
        return RouteDecision(
            PrcRoute.STANDARD_CONTRACT_OR_CERTIFICATION,
            text(
                f"Since 1 January {total:,} persons' PI ({sensitive:,} with sensitive PI) went "
                "abroad: 100,000 to < 1,000,000 persons, or any sensitive PI below 10,000 persons, "
                "requires the CAC standard contract or certification (XBP Art. 8).",
                f"自当年1月1日起累计向境外提供 {total:,} 人个人信息（其中敏感个人信息 {sensitive:,} 人）："
                "10万人以上不满100万人，或不满1万人的敏感个人信息，应当订立标准合同或通过认证"
                "（规定第八条）。",
            ),
            counts,
        )
    return RouteDecision(
        PrcRoute.EXEMPT,
        text(
            f"Since 1 January {total:,} persons' non-sensitive PI went abroad (< 100,000): exempt "
            "from assessment, standard contract and certification (XBP Art. 5(4)); notice, "
            "separate consent and the impact assessment still apply.",
            f"自当年1月1日起累计向境外提供不满10万人的非敏感个人信息（{total:,} 人）：免于申报安全评估、"
            "订立标准合同和认证（规定第五条第四项），但告知、单独同意和影响评估义务仍然适用。",
        ),
        counts,
    )


_ROUTE_ACCEPTS = {
    PrcRoute.SECURITY_ASSESSMENT: {M.CAC_SECURITY_ASSESSMENT},
    PrcRoute.STANDARD_CONTRACT_OR_CERTIFICATION: {
        M.CAC_STANDARD_CONTRACT,
        M.PI_PROTECTION_CERTIFICATION,
        M.CAC_SECURITY_ASSESSMENT,
    },
}
_PREFERENCE = (M.CAC_STANDARD_CONTRACT, M.PI_PROTECTION_CERTIFICATION, M.CAC_SECURITY_ASSESSMENT)
# XBP Art. 5(1)-(3): exemptions that hold whatever the volume.
_FLOW_EXEMPTIONS = {M.XBP_CONTRACT_NECESSITY, M.XBP_HR, M.XBP_EMERGENCY}
_PRC_MECHANISMS = _FLOW_EXEMPTIONS | _ROUTE_ACCEPTS[PrcRoute.STANDARD_CONTRACT_OR_CERTIFICATION]
_EU_MECHANISMS = {M.ADEQUACY, M.SCCS, M.BCRS, M.DEROGATION}


def _expired(t: Transfer, today: date) -> bool:
    if t.expires is not None and t.expires < today:
        return True
    if t.mechanism is M.CAC_SECURITY_ASSESSMENT and t.filed is not None:
        try:
            end = t.filed.replace(year=t.filed.year + XBP_ASSESSMENT_VALIDITY_YEARS)
        except ValueError:  # 29 February
            end = t.filed.replace(year=t.filed.year + XBP_ASSESSMENT_VALIDITY_YEARS, day=28)
        return end < today
    return False


_Decided = tuple[TransferDecision, LocalizedText, list[LocalizedText]]


def _prc_decision(flow: Flow, stack: Stack, route: RouteDecision, today: date) -> _Decided:
    """The PIPL side of one outbound flow: route, mechanisms, and every problem found."""
    purposes = {p.id: p for p in stack.purposes}
    prc = [t for t in flow.transfers if t.mechanism in _PRC_MECHANISMS]
    valid = [t for t in prc if not _expired(t, today)]
    exempt_flow = any(t.mechanism in _FLOW_EXEMPTIONS for t in valid)
    problems: list[LocalizedText] = []
    if not exempt_flow and route.route is not PrcRoute.EXEMPT:
        accepted = _ROUTE_ACCEPTS[route.route]
        if not any(t.mechanism in accepted for t in valid):
            if any(t.mechanism in accepted for t in prc):
                problems.append(text("its transfer mechanism has expired", "出境合规路径已过期"))
            else:
                names = " or ".join(m.value for m in _PREFERENCE if m in accepted)
                problems.append(
                    text(
                        f"no valid mechanism: the volume requires {names}",
                        f"缺少有效的出境路径：按数量应当采用 {names}",
                    )
                )
    purpose = purposes.get(flow.purpose or "")
    if (
        purpose is not None
        and purpose.legal_basis.pipl is PiplBasis.CONSENT
        and not flow.separate_consent
    ):
        problems.append(
            text(
                "it relies on consent but no separate consent is recorded (PIPL Art. 39)",
                "以同意为处理依据，但未取得单独同意（第三十九条）",
            )
        )
    if not any(
        a.kind is AssessmentKind.PIPIA and flow.id in a.covers and a.completed
        for a in stack.assessments
    ):
        problems.append(
            text(
                "no PI protection impact assessment covers it (PIPL Art. 55(4))",
                "未进行个人信息保护影响评估（第五十五条第四项）",
            )
        )
    route_name = "exempt (XBP Art. 5(1)-(3))" if exempt_flow else route.route.value
    context = route.reason
    if exempt_flow:
        context = text(
            "The flow is necessary to perform a contract with the individual, cross-border HR "
            "management or an emergency: exempt from assessment, standard contract and "
            "certification (XBP Art. 5(1)-(3)).",
            "该数据流为订立、履行个人作为一方当事人的合同，或跨境人力资源管理、紧急情况所必需："
            "免于申报安全评估、订立标准合同和认证（规定第五条第一至三项）。",
        )
    decision = _decision(
        flow,
        regime="pipl",
        route=route_name,
        mechanisms=flow.transfers,
        compliant=not problems,
        reasoning=(context, *problems),
    )
    return decision, context, problems


def _eu_decision(flow: Flow, today: date) -> _Decided:
    """The GDPR Chapter V side of one transfer from the EEA."""
    dest = flow.to_region.split("-", 1)[0]
    eu = [t for t in flow.transfers if t.mechanism in _EU_MECHANISMS]
    problems: list[LocalizedText] = []
    ok: list[str] = []
    for t in eu:
        if _expired(t, today):
            problems.append(
                text(
                    f"{t.mechanism.value} evidence expired on {t.expires}",
                    f"{t.mechanism.value} 证明材料已于 {t.expires} 过期",
                )
            )
        elif t.mechanism is M.ADEQUACY:
            if dest in EU_ADEQUATE or (dest in EU_ADEQUATE_IF_CERTIFIED and t.evidence):
                ok.append("adequacy decision (GDPR Art. 45)")
            else:
                problems.append(
                    text(
                        f"{dest} has no adequacy decision covering this importer (GDPR Art. 45)",
                        f"{dest} 没有覆盖该进口方的充分性认定（第45条）",
                    )
                )
        elif t.mechanism is M.SCCS and not t.tia:
            problems.append(
                text(
                    "SCCs are in place but no transfer-impact assessment is documented "
                    "(Schrems II, EDPB Rec. 01/2020)",
                    "已签订标准合同条款，但未记录传输影响评估",
                )
            )
        elif t.evidence is None and t.mechanism is not M.DEROGATION:
            problems.append(
                text(
                    f"{t.mechanism.value} has no evidence reference",
                    f"{t.mechanism.value} 缺少证明材料",
                )
            )
        else:
            ok.append(
                {
                    M.SCCS: "standard contractual clauses with a TIA (Art. 46(2)(c))",
                    M.BCRS: "binding corporate rules (Art. 47)",
                    M.DEROGATION: "documented derogation (Art. 49)",
                }.get(t.mechanism, t.mechanism.value)
            )
    if not eu:
        problems.insert(
            0, text("no Chapter V transfer mechanism is recorded", "未记录第五章规定的传输机制")
        )
    adequate = dest in EU_ADEQUATE
    certified = dest in EU_ADEQUATE_IF_CERTIFIED
    context = text(
        f"{dest} {'has' if adequate else 'has no'} EU adequacy decision"
        + (" (US: only importers certified under the Data Privacy Framework)" if certified else "")
        + ".",
        f"{dest} {'已' if adequate else '未'}获得欧盟充分性认定"
        + ("（美国：仅限数据隐私框架认证的进口方）" if certified else "")
        + "。",
    )
    reasoning = [context]
    if ok:
        reasoning.append(
            text(
                "Safeguard in force: " + "; ".join(ok) + ".",
                "有效保障措施：" + "；".join(ok) + "。",
            )
        )
        problems = []  # one valid safeguard suffices
    decision = _decision(
        flow,
        regime="gdpr",
        route="chapter_v",
        mechanisms=eu,
        compliant=bool(ok),
        reasoning=(*reasoning, *problems),
    )
    return decision, context, problems


def _decision(
    flow: Flow,
    *,
    regime: str,
    route: str,
    mechanisms: Iterable[Transfer],
    compliant: bool,
    reasoning: tuple[LocalizedText, ...],
) -> TransferDecision:
    """One register entry for ``flow`` under ``regime``."""
    return TransferDecision(
        flow=flow.id,
        source=flow.source,
        destination=flow.destination,
        from_region=flow.from_region,
        to_region=flow.to_region,
        regime=regime,
        route=route,
        mechanisms=tuple(t.mechanism.value for t in mechanisms),
        compliant=compliant,
        reasoning=reasoning,
    )


def _decide(stack: Stack, at: datetime, frameworks: frozenset[str]) -> list[_Decided]:
    today = at.date()
    route = prc_route(stack)
    outbound = _outbound_flows(stack)
    out: list[_Decided] = []
    for flow in stack.flows:
        if "pipl" in frameworks and flow in outbound:
            out.append(_prc_decision(flow, stack, route, today))
        eu_out = is_eea(flow.from_region) and not is_eea(flow.to_region)
        if "gdpr" in frameworks and eu_out and flow.anonymised is None:
            out.append(_eu_decision(flow, today))
    return out


def transfer_register(
    stack: Stack, *, at: datetime, frameworks: frozenset[str] = frozenset({"pipl", "gdpr"})
) -> tuple[TransferDecision, ...]:
    """Every cross-border flow, decided per exporting regime, in manifest order."""
    return tuple(d for d, _, _ in _decide(stack, at, frameworks))


def _outcomes(ctx: CheckContext, regime: str, label_en: str, label_zh: str) -> list[Outcome]:
    stack = ctx.facts.stack
    index = {f.id: i for i, f in enumerate(stack.flows)}
    out: list[Outcome] = []
    for d, context, problems in _decide(stack, ctx.at, frozenset({regime})):
        head_en = f"{label_en} '{d.flow}' ({d.from_region}→{d.to_region})"
        head_zh = f"{label_zh}“{d.flow}”（{d.from_region}→{d.to_region}）"
        if d.compliant:
            msg = text(
                f"{head_en} is covered. " + " ".join(r.en for r in d.reasoning),
                f"{head_zh}合规。" + "".join(r.zh for r in d.reasoning),
            )
        else:
            msg = text(
                f"{head_en}: " + "; ".join(p.en for p in problems) + ". " + context.en,
                f"{head_zh}：" + "；".join(p.zh for p in problems) + "。" + context.zh,
            )
        out.append(
            Outcome(
                target=Target(kind="flow", id=d.flow),
                passed=d.compliant,
                loc=("flows", index[d.flow]),
                frameworks=frozenset({regime}),
                message=msg,
                evidence=(
                    Evidence(
                        summary=text("Transfer register entry", "传输登记"),
                        facts=(
                            fact("regime", d.regime),
                            fact("route", d.route),
                            fact("mechanisms", ", ".join(d.mechanisms) or "none"),
                            fact("region_pair", f"{d.from_region}->{d.to_region}"),
                        ),
                    ),
                ),
            )
        )
    return out


def prc_outbound_mechanism(ctx: CheckContext) -> list[Outcome]:
    if not ctx.applies("pipl"):
        return []
    return _outcomes(ctx, "pipl", "Outbound flow", "出境数据流")


def eu_transfer_safeguards(ctx: CheckContext) -> list[Outcome]:
    if not ctx.applies("gdpr"):
        return []
    return _outcomes(ctx, "gdpr", "Transfer", "传输")
