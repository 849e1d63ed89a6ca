"""Consent controls, from the consent registry's facts: records (C11), separate consent (C12),
withdrawals (C14), children (C15), GPC (C17) and propagation to recipients (C40)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.model.audit import Evidence, Target
from guardrail.model.consent import ConsentFacts
from guardrail.model.stack import PiplBasis, Stack

__all__ = [
    "consent_records_complete",
    "gpc_honoured",
    "minors_protected",
    "rights_propagated",
    "separate_consent_captured",
    "withdrawal_propagated",
]

_REGISTRY = Target(kind="consent", id="registry")


def _consent_purposes(stack: Stack) -> list[str]:
    return [
        p.id
        for p in stack.purposes
        if p.legal_basis.pipl is PiplBasis.CONSENT
        or (p.legal_basis.gdpr is not None and p.legal_basis.gdpr.value == "consent")
    ]


def _attested(ctx: CheckContext, control: str) -> bool:
    today = ctx.at.date()
    return any(a.control == control and a.expires >= today for a in ctx.facts.stack.attestations)


def _no_registry(control_en: str, control_zh: str) -> Outcome:
    return Outcome(
        target=_REGISTRY,
        passed=False,
        loc=("consent",),
        message=text(
            f"{control_en} cannot be shown: no consent registry is declared (consent.url) and no "
            "attestation covers it.",
            f"无法证明{control_zh}：清单未声明同意登记库（consent.url），也没有相应证明。",
        ),
    )


def consent_records_complete(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    needed = _consent_purposes(stack)
    if not needed:
        return []
    facts = ctx.facts.consent
    if facts is None:
        return [_no_registry("Consent", "已取得同意")]
    problems = Problems()
    if facts.chain_verified is False or facts.chain_problems:
        problems.add(
            f"the hash chain does not verify ({facts.chain_problems} problem(s)): events "
            "were edited, deleted or reordered",
            f"哈希链校验失败（{facts.chain_problems} 处问题）：事件被修改、删除或重排",
        )
    if facts.unknown_purposes:
        problems.add(
            "events name purposes missing from the catalog: " + ", ".join(facts.unknown_purposes),
            "事件引用了目录中不存在的目的：" + "、".join(facts.unknown_purposes),
        )
    missing = [pid for pid in needed if facts.purpose(pid) is None]
    if missing:
        problems.add(
            "no consent is recorded for consent-based purposes: " + ", ".join(missing),
            "以同意为依据的目的没有同意记录：" + "、".join(missing),
        )
    evidence = (
        Evidence(
            summary=text("Consent registry", "同意登记库"),
            facts=(
                fact("events", facts.events),
                fact("subjects", facts.subjects),
                fact("chain_verified", facts.chain_verified),
            ),
        ),
    )
    return [
        verdict(
            _REGISTRY,
            ("consent",),
            failure=problems.failure("Consent records: ", "同意记录："),
            success=text(
                f"{facts.events:,} consent events for {facts.subjects:,} "
                "subjects; the chain verifies.",
                f"{facts.subjects:,} 名主体的 {facts.events:,} 条同意事件，哈希链校验通过。",
            ),
            evidence=evidence,
        )
    ]


def separate_consent_captured(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    required = [
        p
        for p in stack.purposes
        if p.requires_separate_consent and p.legal_basis.pipl is PiplBasis.CONSENT
    ]
    if not required:
        return []
    facts = ctx.facts.consent
    out: list[Outcome] = []
    for p in required:
        target = Target(kind="purpose", id=p.id)
        loc = ("purposes", [q.id for q in stack.purposes].index(p.id))
        pf = facts.purpose(p.id) if facts else None
        if facts is None or pf is None:
            out.append(
                Outcome(
                    target=target,
                    passed=False,
                    loc=loc,
                    message=text(
                        f"Purpose '{p.id}' needs separate consent (PIPL Arts. 23, 29, 39) but the "
                        "consent registry holds no record of it.",
                        f"目的“{p.id}”需要单独同意（第二十三、二十九、三十九条），但同意登记库中没有相应记录。",
                    ),
                )
            )
        elif pf.separate_consent_gaps:
            out.append(
                Outcome(
                    target=target,
                    passed=False,
                    loc=loc,
                    evidence=(
                        Evidence(
                            summary=text("Consent registry", "同意登记库"),
                            facts=(
                                fact("subjects", pf.subjects),
                                fact("separate_consent_gaps", pf.separate_consent_gaps),
                            ),
                        ),
                    ),
                    message=text(
                        f"Purpose '{p.id}': {pf.separate_consent_gaps:,} consent(s) were "
                        "given without the separate consent the purpose requires.",
                        f"目的“{p.id}”：{pf.separate_consent_gaps:,} 条同意未按要求单独取得。",
                    ),
                )
            )
        else:
            out.append(
                Outcome(
                    target=target,
                    passed=True,
                    loc=loc,
                    message=text(
                        f"Purpose '{p.id}': every consent was given separately.",
                        f"目的“{p.id}”：所有同意均单独取得。",
                    ),
                )
            )
    return out


def _per_purpose(
    ctx: CheckContext, facts: ConsentFacts, attr: str, control: str, what_en: str, what_zh: str
) -> list[Outcome]:
    out: list[Outcome] = []
    unmeasured = []
    for pf in facts.purposes:
        count = getattr(pf, attr)
        if count is None:
            unmeasured.append(pf.purpose)
            continue
        out.append(
            verdict(
                Target(kind="purpose", id=pf.purpose),
                ("consent",),
                failure=text(
                    f"Purpose '{pf.purpose}': {count:,} {what_en}.",
                    f"目的“{pf.purpose}”：{count:,} 个{what_zh}。",
                )
                if count
                else None,
                success=text(
                    f"Purpose '{pf.purpose}': none {what_en}.",
                    f"目的“{pf.purpose}”：没有{what_zh}。",
                ),
            )
        )
    if unmeasured and not _attested(ctx, control):
        out.append(
            Outcome(
                target=_REGISTRY,
                passed=False,
                loc=("consent",),
                message=text(
                    f"Not measurable for {', '.join(unmeasured)} (no processing sets reach the "
                    f"registry) and no attestation for {control} is current.",
                    f"无法对 {'、'.join(unmeasured)} 进行度量（登记库未获得处理数据），且无有效的 {control} 证明。",
                ),
            )
        )
    return out


def withdrawal_propagated(ctx: CheckContext) -> list[Outcome]:
    facts = ctx.facts.consent
    if not _consent_purposes(ctx.facts.stack):
        return []
    if facts is None:
        return (
            [] if _attested(ctx, "C14") else [_no_registry("Withdrawal propagation", "撤回已传达")]
        )
    return _per_purpose(
        ctx,
        facts,
        "withdrawals_not_propagated",
        "C14",
        "subjects are still processed after withdrawing",
        "撤回同意后仍被处理的主体",
    )


def minors_protected(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    children = [
        f"{c.datastore}.{c.dataset}"
        for c in ctx.facts.classifications
        if any(lbl.rule == "children-data" for lbl in c.labels)
    ]
    if not children and not stack.organization.offers_services_to_children:
        return []
    facts = ctx.facts.consent
    target = Target(kind="consent", id="guardian_consent")
    where = ", ".join(children) or "the services offered to children"
    if facts is None:
        return [
            Outcome(
                target=target,
                passed=False,
                loc=("consent",),
                message=text(
                    f"Children's data is processed ({where}) but no consent registry shows guardian "
                    "consent (PIPL Art. 31; GDPR Art. 8; Cal. Civ. Code §1798.120(c)).",
                    f"处理了儿童个人信息（{where}），但没有同意登记库证明已取得监护人同意"
                    "（第三十一条；GDPR 第8条；§1798.120(c)）。",
                ),
            )
        ]
    missing = sum(p.minors_without_guardian for p in facts.purposes)
    return [
        verdict(
            target,
            ("consent",),
            failure=text(
                f"{missing:,} consent(s) from minors lack a guardian's consent ({where}).",
                f"{missing:,} 条未成年人同意缺少监护人同意（{where}）。",
            )
            if missing
            else None,
            success=text(
                f"Every consent from a minor is backed by a guardian ({where}).",
                f"所有未成年人的同意均有监护人同意（{where}）。",
            ),
        )
    ]


def gpc_honoured(ctx: CheckContext) -> list[Outcome]:
    if not ctx.applies("ccpa"):
        return []
    stack = ctx.facts.stack
    sells = stack.organization.sells_or_shares_pi or any(
        f.kind in ("sale", "share") for f in stack.flows
    )
    if not sells:
        return []
    facts = ctx.facts.consent
    target = Target(kind="consent", id="gpc")
    if facts is None:
        return [] if _attested(ctx, "C17") else [_no_registry("GPC handling", "遵从 GPC 信号")]
    despite = sum(p.consents_despite_gpc for p in facts.purposes)
    not_honoured = [p.gpc_not_honoured for p in facts.purposes if p.gpc_not_honoured is not None]
    bad = despite + sum(not_honoured)
    return [
        verdict(
            target,
            ("consent",),
            failure=text(
                f"{bad:,} sale/share consent(s) or processing ignored a Global Privacy Control "
                "signal (11 CCR §7025(b)).",
                f"{bad:,} 条出售/共享同意或处理忽视了 GPC 信号（11 CCR §7025(b)）。",
            )
            if bad
            else None,
            success=text(
                f"GPC signals from {facts.gpc_subjects:,} subjects were honoured.",
                f"{facts.gpc_subjects:,} 名主体的 GPC 信号均已遵从。",
            ),
            evidence=(
                Evidence(
                    summary=text("GPC signals", "GPC 信号"),
                    facts=(
                        fact("subjects_with_gpc", facts.gpc_subjects),
                        fact("sale_share_consents_recorded_despite_gpc", despite),
                    ),
                ),
            ),
        )
    ]


def rights_propagated(ctx: CheckContext) -> list[Outcome]:
    facts = ctx.facts.consent
    if not any(
        f.destination in {p.id for p in ctx.facts.stack.processors} for f in ctx.facts.stack.flows
    ):
        return []
    if facts is None:
        return (
            []
            if _attested(ctx, "C40")
            else [_no_registry("Propagation to recipients", "已向接收方传达")]
        )
    return _per_purpose(
        ctx,
        facts,
        "opt_outs_not_honoured",
        "C40",
        "subjects' opt-outs were not honoured downstream",
        "退出请求未在下游落实的主体",
    )
