"""DP releases as audit evidence for anonymised analytics flows.

An audit can cite a recorded release (with its ε, δ and privacy unit) and the dataset's
ledger statement when a data flow claims to share only anonymised aggregates::

    from guardrail.privacy import Ledger
    from guardrail.privacy.evidence import ANONYMISATION_REFS, release_evidence

    with Ledger(url) as ledger:
        budget = ledger.budget("shop")
        evidence = [release_evidence(r, budget) for r in ledger.releases("shop")]

Differential privacy is strong evidence for the anonymisation tests below, not a legal
conclusion by itself: whether an output is anonymous also depends on ε, on what else is
released and on organisational measures, so the evidence states the parameters.
"""

from __future__ import annotations

from guardrail.model.audit import Evidence, EvidenceFact
from guardrail.model.common import ArticleRef, LocalizedText
from guardrail.model.privacy import BudgetStatement, Release

__all__ = ["ANONYMISATION_REFS", "release_evidence"]

ANONYMISATION_REFS: tuple[ArticleRef, ...] = (
    # PIPL Art. 73(4): anonymisation (匿名化) — cannot identify a specific person and cannot be
    # restored.
    ArticleRef(instrument="PIPL", provision="73(4)"),
    # PIPL Art. 4: anonymised information is not personal information.
    ArticleRef(instrument="PIPL", provision="4"),
    # GDPR Recital 26: anonymous data is outside the GDPR.
    ArticleRef(instrument="GDPR-RECITAL", provision="26"),
    # Cal. Civ. Code §1798.140(m) "deidentified" (letter flagged ⚠ in the fact base).
    ArticleRef(instrument="CAL-CIV", provision="1798.140(m)", uncertain=True),
)


def release_evidence(release: Release, budget: BudgetStatement | None = None) -> Evidence:
    """Evidence that ``release`` is a DP output: its parameters and the dataset's spend."""
    mech = {"gaussian": "Gaussian", "laplace": "Laplace"}[release.mechanism]
    mech_zh = {"gaussian": "高斯", "laplace": "拉普拉斯"}[release.mechanism]
    delta = f"{release.delta:g}"
    summary = LocalizedText(
        en=(
            f"Differentially private release {release.id} of dataset '{release.dataset}': "
            f"ε={release.epsilon:g}, δ={delta} ({mech} mechanism, user-level: one "
            f"'{release.privacy_unit}' is protected)"
        ),
        zh=(
            f"数据集 '{release.dataset}' 的差分隐私发布 {release.id}：ε={release.epsilon:g}，"
            f"δ={delta}（{mech_zh}机制，用户级：保护单个 '{release.privacy_unit}'）"
        ),
    )
    facts = [
        EvidenceFact(name="release_id", value=release.id),
        EvidenceFact(name="dataset", value=release.dataset),
        EvidenceFact(name="description", value=release.description),
        EvidenceFact(name="privacy_unit", value=release.privacy_unit),
        EvidenceFact(name="mechanism", value=release.mechanism),
        EvidenceFact(name="epsilon", value=release.epsilon),
        EvidenceFact(name="delta", value=release.delta),
        EvidenceFact(name="noise_multiplier", value=release.noise_multiplier),
        EvidenceFact(name="partitions", value=release.partitions.kind),
        EvidenceFact(name="created", value=release.created.isoformat()),
    ]
    if budget is not None:
        facts += [
            EvidenceFact(name="dataset_epsilon_spent", value=budget.epsilon_spent),
            EvidenceFact(name="dataset_epsilon_total", value=budget.epsilon_total),
            EvidenceFact(name="dataset_delta", value=budget.delta_total),
            EvidenceFact(name="accountant", value=budget.accountant),
        ]
    return Evidence(summary=summary, facts=tuple(facts))
