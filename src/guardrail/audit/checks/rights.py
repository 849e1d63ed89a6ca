"""Data-subject rights: request process and SLAs (C19), account cancellation (C20),
portable export (C21), request records (C42)."""

from __future__ import annotations

from guardrail.audit.checks.base import CheckContext, Outcome, Problems, fact, text, verdict
from guardrail.model.audit import Evidence, Target
from guardrail.model.stack import Period

__all__ = ["account_cancellation", "dsar_process", "dsar_records_retained", "portable_export"]

# Longest response target each law allows (calendar days).
SLA_LIMITS = {
    "gdpr": 30,  # GDPR Art. 12(3): one month (extendable by two with notice)
    "ccpa": 45,  # Cal. Civ. Code §1798.130(a)(2): 45 days (extendable once by 45)
    # PIPL Arts. 44-50: "promptly" (及时); the 2019 App rules cap handling at 15 working days,
    # about 21 calendar days (◐, fact base §3).
    "pipl": 21,
}
MIN_CHANNELS = 2  # Cal. Civ. Code §1798.130(a)(1): two or more designated methods (⚠ letter)
MACHINE_READABLE = frozenset({"json", "csv", "xml", "jsonl", "ndjson", "parquet"})
RECORDS_MONTHS = 24  # CPPA regs §7101: request records kept 24 months (⚠)

_TARGET = Target(kind="process", id="dsr")


def _frameworks(ctx: CheckContext) -> list[str]:
    return [fw for fw in ("pipl", "gdpr", "ccpa") if ctx.applies(fw)]


def dsar_process(ctx: CheckContext) -> list[Outcome]:
    dsr = ctx.facts.stack.dsr
    if dsr is None:
        return [
            Outcome(
                target=_TARGET,
                passed=False,
                loc=(),
                message=text(
                    "No data-subject request process is declared (dsr).",
                    "清单中未声明个人权利请求处理流程（dsr）。",
                ),
            )
        ]
    problems = Problems()
    if len(dsr.channels) < MIN_CHANNELS:
        problems.add(
            f"only {len(dsr.channels)} request channel(s); offer at least {MIN_CHANNELS}",
            f"仅有 {len(dsr.channels)} 个请求渠道，应至少提供 {MIN_CHANNELS} 个",
        )
    if not dsr.identity_verification:
        problems.add("requests are not identity-verified", "未对请求人进行身份核验")
    for fw in _frameworks(ctx):
        days = dsr.sla_days.get(fw)
        if days is None:
            problems.add(f"no response target for {fw.upper()}", f"未设置 {fw.upper()} 的答复时限")
        elif days > SLA_LIMITS[fw]:
            problems.add(
                f"the {fw.upper()} target of {days} days exceeds the legal {SLA_LIMITS[fw]} days",
                f"{fw.upper()} 答复时限 {days} 天超过法定的 {SLA_LIMITS[fw]} 天",
            )
    evidence = (
        Evidence(
            summary=text("DSR process", "个人权利请求流程"),
            facts=(
                fact("channels", len(dsr.channels)),
                fact("identity_verification", dsr.identity_verification),
                *(fact(f"sla_days.{k}", v) for k, v in sorted(dsr.sla_days.items())),
            ),
        ),
    )
    return [
        verdict(
            _TARGET,
            ("dsr",),
            failure=problems.failure("Data-subject requests: ", "个人权利请求："),
            success=text(
                "Requests have enough channels, identity verification and lawful response targets.",
                "请求渠道充足、具备身份核验，答复时限符合法律要求。",
            ),
            evidence=evidence,
        )
    ]


def account_cancellation(ctx: CheckContext) -> list[Outcome]:
    dsr = ctx.facts.stack.dsr
    ok = dsr is not None and dsr.account_cancellation
    return [
        verdict(
            Target(kind="process", id="account_cancellation"),
            ("dsr",) if dsr else (),
            failure=None
            if ok
            else text(
                "No in-service account cancellation is declared (dsr.account_cancellation).",
                "未声明服务内账户注销功能（dsr.account_cancellation）。",
            ),
            success=text("Accounts can be cancelled in the service.", "可在服务内注销账户。"),
        )
    ]


def portable_export(ctx: CheckContext) -> list[Outcome]:
    dsr = ctx.facts.stack.dsr
    fmt = (dsr.export_format or "").lower() if dsr else ""
    ok = fmt in MACHINE_READABLE
    return [
        verdict(
            Target(kind="process", id="export"),
            ("dsr",) if dsr else (),
            failure=None
            if ok
            else text(
                "No machine-readable export format is declared (dsr.export_format: JSON, CSV or XML).",
                "未声明机器可读的导出格式（dsr.export_format：JSON、CSV 或 XML）。",
            ),
            success=text(
                f"Exports are provided as {fmt.upper()}.", f"以 {fmt.upper()} 格式提供导出。"
            ),
        )
    ]


def dsar_records_retained(ctx: CheckContext) -> list[Outcome]:
    dsr = ctx.facts.stack.dsr
    kept: Period | None = dsr.records_retained if dsr else None
    ok = kept is not None and kept.years * 12 + kept.months + kept.days // 30 >= RECORDS_MONTHS
    return [
        verdict(
            Target(kind="process", id="dsr_records"),
            ("dsr",) if dsr else (),
            failure=None
            if ok
            else text(
                f"Request records are kept {kept or 'for no declared period'}; keep them at least "
                f"{RECORDS_MONTHS} months.",
                f"请求记录保存期限为 {kept or '未声明'}，应至少保存 {RECORDS_MONTHS} 个月。",
            ),
            success=text(f"Request records are kept {kept}.", f"请求记录保存 {kept}。"),
        )
    ]
