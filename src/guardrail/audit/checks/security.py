"""Security controls: TLS (C04), pseudonymised analytics (C05), display masking (C07),
localisation (C43)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.model.audit import Evidence, Target
from guardrail.model.common import SourceLocation
from guardrail.model.privacy import Release
from guardrail.model.stack import Anonymisation, FieldDeclaration, frameworks_for_region

__all__ = ["analytics_pseudonymised", "data_localisation", "display_masking", "tls_endpoints"]

# Entities that identify a person directly (not device or online identifiers).
DIRECT_IDENTIFIERS = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "ADDRESS",
        "CN_RESIDENT_ID",
        "CN_PASSPORT",
        "CN_HK_MACAU_PERMIT",
        "US_SSN",
        "US_DRIVER_LICENSE",
        "US_PASSPORT",
        "CREDIT_CARD",
        "CN_BANK_CARD",
        "IBAN_CODE",
        "US_BANK_NUMBER",
    }
)


def tls_endpoints(ctx: CheckContext) -> list[Outcome]:
    """Every declared public endpoint is https:// (PIPL Art. 51(3); GDPR Art. 32(1)(a))."""
    out: list[Outcome] = []
    for i, system in enumerate(ctx.facts.stack.systems):
        if not system.public_endpoints:
            continue
        plain = [e for e in system.public_endpoints if not e.lower().startswith("https://")]
        out.append(
            verdict(
                Target(kind="system", id=system.id),
                ("systems", i, "public_endpoints"),
                failure=text(
                    f"{system.name}: endpoint(s) without TLS: {', '.join(plain)}.",
                    f"{system.name}：以下端点未使用 TLS：{', '.join(plain)}。",
                )
                if plain
                else None,
                success=text(
                    f"{system.name}: every endpoint is served over HTTPS.",
                    f"{system.name}：所有端点均通过 HTTPS 提供。",
                ),
            )
        )
    return out


def analytics_pseudonymised(ctx: CheckContext) -> list[Outcome]:
    """Analytics/test datasets hold no plaintext direct identifiers; anonymised flows cite
    their evidence."""
    stack = ctx.facts.stack
    out: list[Outcome] = []
    for si, store in enumerate(stack.datastores):
        for di, ds in enumerate(store.datasets):
            if ds.environment == "production":
                continue
            cls = ctx.facts.classification(store.id, ds.name)
            direct = sorted(
                {
                    e
                    for f in (cls.fields if cls else ())
                    if f.source in ("detected", "both")
                    for e in f.entities
                    if e in DIRECT_IDENTIFIERS and not _protected(ds.fields, f.field)
                }
            )
            evidence = (
                Evidence(
                    summary=text(
                        "Direct identifiers in a non-production dataset",
                        "非生产数据集中的直接标识符",
                    ),
                    location=SourceLocation(datastore=store.id, table=ds.name),
                    facts=(
                        fact("environment", ds.environment),
                        fact("direct_identifiers", ", ".join(direct)),
                    ),
                ),
            )
            out.append(
                verdict(
                    Target(kind="dataset", id=f"{store.id}.{ds.name}"),
                    ("datastores", si, "datasets", di),
                    failure=text(
                        f"{ds.name} ({ds.environment}) holds direct identifiers in "
                        f"plaintext: {', '.join(direct)}.",
                        f"{ds.name}（{ds.environment}）含明文直接标识符：{', '.join(direct)}。",
                    )
                    if direct
                    else None,
                    success=text(
                        f"{ds.name} ({ds.environment}) holds no plaintext direct identifiers.",
                        f"{ds.name}（{ds.environment}）不含明文直接标识符。",
                    ),
                    evidence=evidence if direct else (),
                )
            )
    releases = {r.id: r for r in ctx.facts.dp_releases}
    for i, flow in enumerate(stack.flows):
        anon = flow.anonymised
        if anon is None:
            continue
        out.append(_anonymised(flow.id, i, anon, releases))
    return out


def _anonymised(
    flow_id: str, index: int, anon: Anonymisation, releases: dict[str, Release]
) -> Outcome:
    """An anonymised flow must cite ledger releases that exist and stay within its bound
    (PIPL Art. 73(4): anonymised information cannot identify anyone and cannot be restored)."""
    target = Target(kind="flow", id=flow_id)
    loc = ("flows", index, "anonymised")
    if anon.method != "differential_privacy":
        return Outcome(
            target=target,
            passed=False,
            loc=loc,
            message=text(
                f"Flow '{flow_id}' is declared anonymised by {anon.method}, which guardrail cannot "
                "verify; attach differentially private releases or treat the flow as personal data.",
                f"数据流“{flow_id}”声明以 {anon.method} 方式匿名化，无法验证；请提供差分隐私发布记录，"
                "或按个人信息处理该数据流。",
            ),
        )
    problems = Problems()
    found = []
    if not anon.releases:
        problems.add("it cites no release", "未引用任何发布记录")
    for rid in anon.releases:
        r = releases.get(rid)
        if r is None or (anon.dataset is not None and r.dataset != anon.dataset):
            problems.add(f"release {rid} is not in the ledger", f"账本中没有发布记录 {rid}")
        elif anon.max_epsilon is not None and r.epsilon > anon.max_epsilon:
            problems.add(
                f"release {rid} spent ε = {r.epsilon:.3g} > {anon.max_epsilon}",
                f"发布记录 {rid} 的 ε = {r.epsilon:.3g} 超过 {anon.max_epsilon}",
            )
        else:
            found.append(r)
    evidence = tuple(
        Evidence(
            summary=text(
                f"DP release {r.id}: {r.description}", f"差分隐私发布 {r.id}：{r.description}"
            ),
            facts=(
                fact("epsilon", round(r.epsilon, 6)),
                fact("delta", r.delta),
                fact("mechanism", r.mechanism),
                fact("privacy_unit", r.privacy_unit),
                fact("created", r.created.isoformat()),
            ),
        )
        for r in found
    )
    eps = ", ".join(f"ε={r.epsilon:.3g}, δ={r.delta:.0e}" for r in found)
    return verdict(
        target,
        loc,
        failure=problems.failure(
            f"Flow '{flow_id}' is declared anonymised but ", f"数据流“{flow_id}”声明已匿名化，但"
        ),
        success=text(
            f"Flow '{flow_id}' carries only differentially private aggregates ({eps}).",
            f"数据流“{flow_id}”仅传输差分隐私聚合结果（{eps}）。",
        ),
        evidence=evidence,
    )


def _protected(fields: tuple[FieldDeclaration, ...], name: str) -> bool:
    return any(f.name == name and f.protection.protects_at_rest for f in fields)


def display_masking(ctx: CheckContext) -> list[Outcome]:
    """Sensitive fields are masked when shown, unless stored only as tokens/ciphertext."""
    stack = ctx.facts.stack
    out: list[Outcome] = []
    for cls in ctx.facts.classifications:
        store = stack.datastore(cls.datastore)
        ds = next((d for d in store.datasets if d.name == cls.dataset), None)
        decls = {f.name: f for f in ds.fields} if ds else {}
        sensitive = [f for f in cls.fields if f.personal and f.labels.sensitive_anywhere]
        if not sensitive:
            continue
        unmasked = []
        for f in sensitive:
            p = decls[f.field].protection if f.field in decls else None
            if p is None or not (
                p.masked_in_display or p.field_encrypted or p.tokenized or p.hashed
            ):
                unmasked.append(f.field)
        out.append(
            verdict(
                Target(kind="dataset", id=f"{cls.datastore}.{cls.dataset}"),
                ctx.loaded.dataset_loc(cls.datastore, cls.dataset),
                failure=text(
                    f"{cls.dataset}: sensitive fields shown without a display mask: "
                    f"{', '.join(unmasked)}.",
                    f"{cls.dataset}：以下敏感字段展示时未脱敏：{'、'.join(unmasked)}。",
                )
                if unmasked
                else None,
                success=text(
                    f"{cls.dataset}: every sensitive field is masked or stored as a token.",
                    f"{cls.dataset}：所有敏感字段均已脱敏或以令牌存储。",
                ),
            )
        )
    return out


def data_localisation(ctx: CheckContext) -> list[Outcome]:
    """CII operators and processors of important data keep PRC personal information in China
    (PIPL Art. 40; CSL 2016 Art. 37). The old volume trigger of CAC Order 11 yields to XBP
    (XBP Art. 13, interpretation unsettled ◐), so volume alone does not trigger it here."""
    if not ctx.applies("pipl"):
        return []
    stack = ctx.facts.stack
    org = stack.organization
    if not (org.cii_operator or org.processes_important_data):
        return []
    out: list[Outcome] = []
    cn_systems = {s.id for s in stack.systems if "pipl" in frameworks_for_region(s.region)}
    for i, store in enumerate(stack.datastores):
        holds_cn = (
            "pipl" in frameworks_for_region(store.region)
            or store.system in cn_systems
            or any(
                f.destination == store.id and "pipl" in frameworks_for_region(f.from_region)
                for f in stack.flows
            )
        )
        if not holds_cn:
            continue
        abroad = []
        if "pipl" not in frameworks_for_region(store.region):
            abroad.append(f"stored in {store.region}")
        if (
            store.backups.enabled
            and store.backups.region
            and "pipl" not in frameworks_for_region(store.backups.region)
        ):
            abroad.append(f"backed up in {store.backups.region}")
        reason = "a CII operator" if org.cii_operator else "a processor of important data"
        out.append(
            verdict(
                Target(kind="datastore", id=store.id),
                ("datastores", i),
                failure=text(
                    f"{store.id} holds PRC personal information but is {' and '.join(abroad)}; as "
                    f"{reason} the organisation must store it in China (PIPL Art. 40).",
                    f"{store.id} 存有境内个人信息，但{'、'.join(abroad)}；作为"
                    f"{'关键信息基础设施运营者' if org.cii_operator else '重要数据处理者'}，"
                    "应当在境内存储（第四十条）。",
                )
                if abroad
                else None,
                success=text(
                    f"{store.id} and its backups stay in mainland China.",
                    f"{store.id} 及其备份存储于中国境内。",
                ),
            )
        )
    return out
