"""Which laws bind the organisation, and why (shown in every report)."""

from __future__ import annotations

from collections.abc import Callable

from guardrail.model.audit import Applicability
from guardrail.model.common import ArticleRef, LocalizedText
from guardrail.model.stack import Stack, frameworks_for_region

__all__ = ["CCPA_REVENUE_THRESHOLD_USD", "decide", "decide_all"]

# Cal. Civ. Code §1798.140(d)(1)(A): $25,000,000 as adjusted under §1798.199.95(d);
# $26,625,000 from 2025-01-01 (CPPA adjustment; next adjustment due 2027-01-01).
CCPA_REVENUE_THRESHOLD_USD = 26_625_000
# §1798.140(d)(1)(B): buys, sells or shares PI of 100,000 or more consumers or households.
CCPA_CONSUMER_THRESHOLD = 100_000
# §1798.140(d)(1)(C): 50 percent or more of annual revenue from selling or sharing PI.
CCPA_REVENUE_SHARE_THRESHOLD = 0.5


def _t(en: str, zh: str) -> LocalizedText:
    return LocalizedText(en=en, zh=zh)


def _territorial(
    stack: Stack,
    framework: str,
    ref: ArticleRef,
    *,
    established: Callable[[list[str]], LocalizedText],
    offering: Callable[[list[str]], LocalizedText],
    neither: LocalizedText,
) -> Applicability:
    """A law that binds by establishment in, or offering to people in, its territory."""
    org = stack.organization
    inside = [r for r in org.established_in if framework in frameworks_for_region(r)]
    customers = [r for r in org.customers_in if framework in frameworks_for_region(r)]
    reasons = [established(inside)] if inside else []
    if customers:
        reasons.append(offering(customers))
    return Applicability(
        framework=framework,
        applies=bool(reasons),
        reasons=tuple(reasons) or (neither,),
        refs=(ref,),
    )


def _pipl(stack: Stack) -> Applicability:
    return _territorial(
        stack,
        "pipl",
        ArticleRef(instrument="PIPL", provision="3"),
        established=lambda _: _t(
            "Processes personal information within mainland China (PIPL Art. 3 ¶1).",
            "在中华人民共和国境内处理自然人个人信息（第三条第一款）。",
        ),
        offering=lambda _: _t(
            "Offers products or services to natural persons in mainland China (PIPL Art. 3 ¶2(1)).",
            "以向境内自然人提供产品或者服务为目的处理其个人信息（第三条第二款第一项）。",
        ),
        neither=_t(
            "Neither established in nor offering to persons in mainland China.",
            "未在中国境内处理个人信息，也未向境内自然人提供产品或服务。",
        ),
    )


def _gdpr(stack: Stack) -> Applicability:
    return _territorial(
        stack,
        "gdpr",
        ArticleRef(instrument="GDPR", provision="3"),
        established=lambda inside: _t(
            f"Has an establishment in the EEA ({', '.join(inside)}) (GDPR Art. 3(1)).",
            f"在欧洲经济区设有营业机构（{'、'.join(inside)}）（第3条第1款）。",
        ),
        offering=lambda customers: _t(
            f"Offers goods or services to data subjects in the EEA "
            f"({', '.join(customers)}) (GDPR Art. 3(2)(a)).",
            f"向欧洲经济区内的数据主体提供商品或服务（{'、'.join(customers)}）"
            "（第3条第2款(a)项）。",
        ),
        neither=_t(
            "No EEA establishment and no offering to people in the EEA.",
            "在欧洲经济区无营业机构，也未向区内人员提供商品或服务。",
        ),
    )


def _ccpa(stack: Stack) -> Applicability:
    org = stack.organization
    refs = [ArticleRef(instrument="CAL-CIV", provision="1798.140(d)")]
    does_business = "US-CA" in org.customers_in or "US-CA" in org.established_in
    if not does_business:
        return Applicability(
            framework="ccpa",
            applies=False,
            refs=tuple(refs),
            reasons=(_t("Does not do business in California.", "未在加利福尼亚州开展业务。"),),
        )
    met: list[LocalizedText] = []
    unknown: list[str] = []
    rev = org.annual_revenue_usd
    if rev is None:
        unknown.append("annual_revenue_usd")
    elif rev > CCPA_REVENUE_THRESHOLD_USD:
        met.append(
            _t(
                f"Annual gross revenue ${rev:,} exceeds ${CCPA_REVENUE_THRESHOLD_USD:,} "
                "(§1798.140(d)(1)(A), CPI-adjusted).",
                f"年总收入 {rev:,} 美元超过 {CCPA_REVENUE_THRESHOLD_USD:,} 美元"
                "（§1798.140(d)(1)(A)，按消费者物价指数调整）。",
            )
        )
    n = org.ca_consumers_sold_or_shared
    if n is None:
        unknown.append("ca_consumers_sold_or_shared")
    elif n >= CCPA_CONSUMER_THRESHOLD:
        met.append(
            _t(
                f"Buys, sells or shares the PI of {n:,} California consumers or "
                "households (≥ 100,000, §1798.140(d)(1)(B)).",
                f"每年购买、出售或共享 {n:,} 名加州消费者或家庭的个人信息"
                "（≥100,000，§1798.140(d)(1)(B)）。",
            )
        )
    share = org.revenue_share_from_selling_pi
    if share is not None and share >= CCPA_REVENUE_SHARE_THRESHOLD:
        met.append(
            _t(
                f"{share:.0%} of revenue comes from selling or sharing PI (≥ 50 %, "
                "§1798.140(d)(1)(C)).",
                f"{share:.0%} 的收入来自出售或共享个人信息（≥50%，§1798.140(d)(1)(C)）。",
            )
        )
    if met:
        return Applicability(
            framework="ccpa",
            applies=True,
            refs=tuple(refs),
            reasons=(_t("Does business in California.", "在加利福尼亚州开展业务。"), *met),
        )
    if unknown:
        return Applicability(
            framework="ccpa",
            applies=True,
            refs=tuple(refs),
            reasons=(
                _t(
                    "Does business in California; thresholds cannot be ruled out because the "
                    f"manifest does not state {', '.join(unknown)} (assumed to apply).",
                    f"在加州开展业务；清单未说明 {', '.join(unknown)}，无法排除门槛，按适用处理。",
                ),
            ),
        )
    return Applicability(
        framework="ccpa",
        applies=False,
        refs=tuple(refs),
        reasons=(
            _t(
                "Does business in California but meets none of the §1798.140(d)(1) thresholds.",
                "在加州开展业务，但未达到 §1798.140(d)(1) 的任何门槛。",
            ),
        ),
    )


_DECIDERS = {"pipl": _pipl, "gdpr": _gdpr, "ccpa": _ccpa}


def decide(framework: str, stack: Stack) -> Applicability:
    """Applicability of one framework; packs without built-in logic are assumed to apply."""
    fn = _DECIDERS.get(framework)
    if fn is None:
        return Applicability(
            framework=framework,
            applies=True,
            reasons=(
                _t(
                    "No applicability rules for this pack: evaluated because it was selected.",
                    "该规则包无适用性判断规则：因被选中而评估。",
                ),
            ),
        )
    return fn(stack)


def decide_all(frameworks: tuple[str, ...], stack: Stack) -> tuple[Applicability, ...]:
    return tuple(decide(f, stack) for f in frameworks)
