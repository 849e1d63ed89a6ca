"""Scoring detections against labelled spans: entity-level precision, recall and F1.

Used by the benchmarks and available to anyone tuning a catalog or a plugin recognizer on
their own data. Two matching modes: ``overlap`` (a prediction and a gold span of the same
entity share at least one character — the usual entity-level measure) and ``exact`` (same
start and end).

Gold labels of a data set rarely use guardrail's entity names; ``gold_map`` renames them
(``{"CN_ID": "CN_RESIDENT_ID"}``) and ``pred_map`` folds prediction entities into the
compared family (``{"DATE_OF_BIRTH": "DATE_TIME"}``: a birth date is a date).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["EntityScore", "Span", "score_spans"]

#: ``(entity, start, end)``, end exclusive.
Span = tuple[str, int, int]


@dataclass(frozen=True)
class EntityScore:
    entity: str
    gold: int
    predicted: int
    matched_gold: int
    matched_predicted: int

    @property
    def precision(self) -> float:
        return self.matched_predicted / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched_gold / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _hit(a: Span, b: Span, mode: Literal["overlap", "exact"]) -> bool:
    if a[0] != b[0]:
        return False
    if mode == "exact":
        return a[1] == b[1] and a[2] == b[2]
    return a[1] < b[2] and b[1] < a[2]


def score_spans(
    gold: Iterable[Sequence[Span]],
    predicted: Iterable[Sequence[Span]],
    *,
    mode: Literal["overlap", "exact"] = "overlap",
    gold_map: Mapping[str, str] | None = None,
    pred_map: Mapping[str, str] | None = None,
) -> dict[str, EntityScore]:
    """Per-entity scores over documents (``gold[i]`` and ``predicted[i]`` belong together).

    A gold span counts as found when a prediction of its entity matches it; a prediction
    counts as correct when it matches a gold span of its entity. Entities that appear only
    in predictions get a row too (their precision is 0): a data set that does not label an
    entity cannot say whether those predictions are right, so callers usually report only
    the labelled entities.
    """
    gmap = dict(gold_map or {})
    pmap = dict(pred_map or {})
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    hit_gold: Counter[str] = Counter()
    hit_pred: Counter[str] = Counter()
    for g_doc, p_doc in zip(gold, predicted, strict=True):
        g = [(gmap.get(e, e), s, t) for e, s, t in g_doc]
        p = [(pmap.get(e, e), s, t) for e, s, t in p_doc]
        for span in g:
            n_gold[span[0]] += 1
            if any(_hit(q, span, mode) for q in p):
                hit_gold[span[0]] += 1
        for span in p:
            n_pred[span[0]] += 1
            if any(_hit(span, q, mode) for q in g):
                hit_pred[span[0]] += 1
    return {
        e: EntityScore(e, n_gold[e], n_pred[e], hit_gold[e], hit_pred[e])
        for e in sorted(set(n_gold) | set(n_pred))
    }
