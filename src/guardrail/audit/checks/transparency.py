"""Transparency and purpose controls: notice (C09), legal basis (C10), opt-out links (C16),
minimisation (C23), recipients (C25)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.audit.checks.transfers import outbound_flows
from guardrail.audit.inventory import build_inventory
from guardrail.model.audit import Evidence, Target
from guardrail.model.common import LocalizedText
from guardrail.model.stack import CcpaRole, Stack, is_eea

__all__ = [
    "data_minimisation",
    "lawful_basis_recorded",
    "notice_complete",
    "opt_out_links",
    "recipients_disclosed",
]

_ITEM_NAMES: dict[str, LocalizedText] = {
    "identity_contact": text("controller identity and contact", "处理者名称和联系方式"),
    "purposes": text("purposes", "处理目的"),
    "categories": text("categories of personal information", "个人信息种类"),
    "retention": text("retention period", "保存期限"),
    "rights": text("rights and how to exercise them", "个人权利及行使方式"),
    "recipients": text("recipients", "接收方"),
    "transfers": text("cross-border transfers", "跨境提供情况"),
    "sensitive_necessity": text(
        "necessity and impact of sensitive processing", "处理敏感个人信息的必要性及影响"
    ),
    "do_not_sell_link": text('"Do Not Sell or Share" link', "“请勿出售或共享”链接"),
    "limit_spi_link": text('"Limit the Use of My Sensitive PI" link', "“限制使用敏感个人信息”链接"),
}


def _sensitive_processing(ctx: CheckContext) -> bool:
    return any(
        f.personal and f.labels.pipl.sensitive for c in ctx.facts.classifications for f in c.fields
    )


def _required_items(ctx: CheckContext) -> dict[str, set[str]]:
    """Notice items each applicable law requires of this stack, with the provision."""
    stack = ctx.facts.stack
    req: dict[str, set[str]] = {}
    if ctx.applies("pipl"):
        # PIPL Art. 17(1)-(3); Art. 30 (sensitive PI); Art. 39 (cross-border); NDSR Art. 21
        # (list-form disclosure of provision to other processors).
        for item in ("identity_contact", "purposes", "categories", "retention", "rights"):
            req.setdefault(item, set()).add("PIPL Art. 17")
        if _sensitive_processing(ctx):
            req.setdefault("sensitive_necessity", set()).add("PIPL Art. 30")
        if outbound_flows(stack):
            req.setdefault("transfers", set()).add("PIPL Art. 39")
        if any(f.destination in {p.id for p in stack.processors} for f in stack.flows):
            req.setdefault("recipients", set()).add("NDSR Art. 21")
    if ctx.applies("gdpr"):
        # GDPR Art. 13(1)(a),(c),(e),(f); 13(2)(a),(b).
        for item in ("identity_contact", "purposes", "recipients", "retention", "rights"):
            req.setdefault(item, set()).add("GDPR Art. 13")
        if any(is_eea(f.from_region) and not is_eea(f.to_region) for f in stack.flows):
            req.setdefault("transfers", set()).add("GDPR Art. 13(1)(f)")
    if ctx.applies("ccpa"):
        # Cal. Civ. Code §1798.100(a)(1)-(3).
        for item in ("categories", "purposes", "retention"):
            req.setdefault(item, set()).add("Cal. Civ. Code §1798.100(a)")
    return req


def notice_complete(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    required = _required_items(ctx)
    if not required:
        return []
    if not stack.notices:
        return [
            Outcome(
                target=Target(kind="notice", id="(none)"),
                passed=False,
                loc=(),
                message=text(
                    "No privacy notice is declared in the manifest.", "清单中未声明隐私政策。"
                ),
            )
        ]
    out: list[Outcome] = []
    for i, notice in enumerate(stack.notices):
        missing = sorted(set(required) - set(notice.items))
        target = Target(kind="notice", id=notice.id)
        if missing:
            en = "; ".join(
                f"{_ITEM_NAMES[m].en} ({', '.join(sorted(required[m]))})" for m in missing
            )
            zh = "；".join(
                f"{_ITEM_NAMES[m].zh}（{', '.join(sorted(required[m]))}）" for m in missing
            )
            out.append(
                Outcome(
                    target=target,
                    passed=False,
                    loc=("notices", i, "items"),
                    message=text(
                        f"Notice '{notice.id}' ({notice.version}) lacks: {en}.",
                        f"隐私政策“{notice.id}”（{notice.version}）缺少：{zh}。",
                    ),
                    evidence=(
                        Evidence(
                            summary=text("Notice items", "告知事项"),
                            facts=(
                                fact("declared_items", ", ".join(notice.items)),
                                fact("missing_items", ", ".join(missing)),
                            ),
                        ),
                    ),
                )
            )
        else:
            out.append(
                Outcome(
                    target=target,
                    passed=True,
                    loc=("notices", i),
                    message=text(
                        f"Notice '{notice.id}' carries every required item.",
                        f"隐私政策“{notice.id}”包含全部法定事项。",
                    ),
                )
            )
    return out


def lawful_basis_recorded(ctx: CheckContext) -> list[Outcome]:
    out: list[Outcome] = []
    for i, p in enumerate(ctx.facts.stack.purposes):
        missing_fw = [
            fw
            for fw in ("pipl", "gdpr", "ccpa")
            if ctx.applies(fw) and getattr(p.legal_basis, fw) is None
        ]
        target = Target(kind="purpose", id=p.id)
        if missing_fw:
            out.append(
                Outcome(
                    target=target,
                    passed=False,
                    loc=("purposes", i, "legal_basis"),
                    frameworks=frozenset(missing_fw),
                    message=text(
                        f"Purpose '{p.id}' records no legal basis under "
                        f"{', '.join(fw.upper() for fw in missing_fw)}.",
                        f"目的“{p.id}”未记录 {', '.join(fw.upper() for fw in missing_fw)} "
                        "下的合法性基础。",
                    ),
                )
            )
        else:
            out.append(
                Outcome(
                    target=target,
                    passed=True,
                    loc=("purposes", i),
                    message=text(
                        f"Purpose '{p.id}' records its legal basis under every applicable law.",
                        f"目的“{p.id}”已记录各适用法律下的合法性基础。",
                    ),
                )
            )
    return out


def _sells_or_shares(stack: Stack) -> bool:
    return (
        stack.organization.sells_or_shares_pi
        or any(f.kind in ("sale", "share") for f in stack.flows)
        or any(
            p.legal_basis.ccpa is not None and p.legal_basis.ccpa.value in ("sale", "share")
            for p in stack.purposes
        )
    )


def opt_out_links(ctx: CheckContext) -> list[Outcome]:
    """§1798.135(a): links where the business sells/shares, or uses SPI beyond the purposes
    the regulations permit (here: SPI reachable by a sale/share or commercial purpose)."""
    if not ctx.applies("ccpa"):
        return []
    stack = ctx.facts.stack
    needs: dict[str, LocalizedText] = {}
    if _sells_or_shares(stack):
        needs["do_not_sell_link"] = text(
            "the business sells or shares personal information", "企业出售或共享个人信息"
        )
    commercial = {
        p.id
        for p in stack.purposes
        if p.legal_basis.ccpa is not None
        and p.legal_basis.ccpa.value in ("sale", "share", "commercial_purpose")
    }
    spi_for_commerce = sorted(
        {
            f"{i.dataset}.{i.field}"
            for i in build_inventory(ctx.facts)
            if i.labels.ccpa.sensitive and set(i.purposes) & commercial
        }
    )
    if spi_for_commerce:
        needs["limit_spi_link"] = text(
            "sensitive PI (" + ", ".join(spi_for_commerce) + ") serves a sale/share or "
            "commercial purpose",
            "敏感个人信息（" + "、".join(spi_for_commerce) + "）用于出售/共享或商业目的",
        )
    if not needs:
        return []
    declared = {item for n in stack.notices for item in n.items}
    missing = [k for k in needs if k not in declared]
    target = Target(kind="notice", id=stack.notices[0].id if stack.notices else "(none)")
    problems = Problems()
    for m in missing:
        problems.add(f"{_ITEM_NAMES[m].en} — {needs[m].en}", f"{_ITEM_NAMES[m].zh}——{needs[m].zh}")
    return [
        verdict(
            target,
            ("notices", 0, "items") if stack.notices else (),
            failure=problems.failure("Missing on the homepage: ", "首页缺少："),
            success=text("The required opt-out links are offered.", "已提供所需的退出链接。"),
        )
    ]


def data_minimisation(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    purposes = {p.id: p for p in stack.purposes}
    out: list[Outcome] = []
    for cls in ctx.facts.classifications:
        personal = [f for f in cls.fields if f.personal]
        if not personal:
            continue
        store = stack.datastore(cls.datastore)
        ds = next((d for d in store.datasets if d.name == cls.dataset), None)
        target = Target(kind="dataset", id=f"{cls.datastore}.{cls.dataset}")
        loc = ctx.loaded.dataset_loc(cls.datastore, cls.dataset)
        used = list(ds.purposes) if ds else []
        if not used:
            out.append(
                Outcome(
                    target=target,
                    passed=False,
                    loc=loc,
                    message=text(
                        f"{cls.dataset} holds personal data but serves no declared purpose.",
                        f"{cls.dataset} 含有个人信息，但未关联任何已声明的处理目的。",
                    ),
                )
            )
            continue
        allowed = [c for pid in used if pid in purposes for c in purposes[pid].categories]
        if not allowed:  # the purposes do not list categories: nothing to compare
            out.append(
                Outcome(
                    target=target,
                    passed=True,
                    loc=loc,
                    message=text(
                        f"{cls.dataset} serves {', '.join(used)}.",
                        f"{cls.dataset} 服务于 {', '.join(used)}。",
                    ),
                )
            )
            continue
        uncovered = sorted(
            {
                f"{f.field} ({c})"
                for f in personal
                for c in f.categories
                if not any(c == a or c.startswith(a + ".") for a in allowed)
            }
        )
        out.append(
            verdict(
                target,
                loc,
                failure=text(
                    f"{cls.dataset}: no purpose of {', '.join(used)} needs {', '.join(uncovered)}.",
                    f"{cls.dataset}：目的 {', '.join(used)} 均不需要 {'、'.join(uncovered)}。",
                )
                if uncovered
                else None,
                success=text(
                    f"{cls.dataset}: every field is needed by one of its purposes.",
                    f"{cls.dataset}：每个字段均为其目的所需。",
                ),
            )
        )
    return out


def recipients_disclosed(ctx: CheckContext) -> list[Outcome]:
    stack = ctx.facts.stack
    processors = {p.id: p for p in stack.processors}
    declared = {item for n in stack.notices for item in n.items}
    out: list[Outcome] = []
    for i, flow in enumerate(stack.flows):
        proc = processors.get(flow.destination)
        if proc is None:
            continue
        problems = Problems()
        if "recipients" not in declared:
            problems.add("the notice does not list recipients", "隐私政策未列明接收方")
        if ctx.applies("ccpa"):
            role = proc.roles.ccpa
            if role is None:
                problems.add(
                    f"{proc.name} has no CCPA role (service provider, contractor or third party)",
                    f"{proc.name} 未标明 CCPA 角色",
                )
            elif role is CcpaRole.THIRD_PARTY and flow.kind not in ("sale", "share"):
                problems.add(
                    f"data goes to a third party ({proc.name}) but the flow is "
                    f"classified '{flow.kind}', not sale or share",
                    f"数据提供给第三方（{proc.name}），但数据流未标明为出售或共享",
                )
        out.append(
            verdict(
                Target(kind="flow", id=flow.id),
                ("flows", i),
                failure=problems.failure(
                    f"Flow '{flow.id}' to {proc.name}: ", f"数据流“{flow.id}”（至 {proc.name}）："
                ),
                success=text(
                    f"Flow '{flow.id}' to {proc.name} is disclosed and classified.",
                    f"数据流“{flow.id}”（至 {proc.name}）已公开并分类。",
                ),
            )
        )
    return out
