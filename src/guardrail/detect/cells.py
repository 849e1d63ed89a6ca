"""Whole-value rules for table cells, and the per-column evidence they and the scanner give.

A cell rule says "this entire value is an X" (a resident ID, a bcrypt hash, a name-shaped
string). Rules are dispatched by the value's *kind* (digits, e-mail, URL, CJK, other text)
and length, so each distinct value meets only the two or three rules that could match it;
values no rule explains go through the text scanner in one batch. Columns are deduplicated
first (Arrow ``value_counts``): a column of 10,000 sampled values often holds a few hundred
distinct ones.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from guardrail.detect.catalog import Catalog, load_catalog
from guardrail.detect.validators import ValidatorFn, make_validators
from guardrail.masking import mask_for_entity as _mask_for_entity

if TYPE_CHECKING:
    from guardrail.detect.scanner import Candidate, Scanner

__all__ = ["Analysis", "CellMatcher", "Evidence", "preview", "value_kind"]


_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def preview(entity: str, value: str) -> str:
    """The masked display form of a detected ``value`` (never the value itself).

    An integer-encoded IPv4 address ("3232235786") is shown as its masked dotted form
    ("192.168.*.*"): masking only understands dotted and colon notation.
    """
    if entity == "IP_ADDRESS" and value.isdigit():
        n = int(value)
        if n < 1 << 32:
            value = f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        else:
            return "*" * min(len(value), 12)
    return _mask_for_entity(entity, value)


#: A detection covering at least this share of a value makes the value "wholly" the entity.
FULL_COVER = 0.8
#: Cell rules needing a hint that score below this are loose shapes (a capitalised word).
SPECIFIC_SHAPE = 0.65

_DIGITISH = re.compile(
    r"[0-9 ()+.,/:_-]*[0-9][0-9 ()+.,/:_-]*(?:\s*(?:x|ext\.?|#)\s*[0-9]{1,6})?[Xx]?"
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
#: A ciphertext or token: guardrail's own "gr1:" tokens, long base64/hex strings.
_PROTECTED = re.compile(
    r"gr1:[A-Za-z0-9_-]+|(?=[A-Za-z0-9+/=_:-]*[0-9])(?=[A-Za-z0-9+/=_:-]*[A-Za-z])[A-Za-z0-9+/=_:-]{24,}"
)

KINDS = ("digits", "email", "url", "cjk", "text")


def value_kind(v: str) -> str:
    """``digits`` (digits and separators: numbers, phones, IDs, dates, IPs), ``email``,
    ``url``, ``cjk`` (holds Chinese characters) or ``text``."""
    if _DIGITISH.fullmatch(v):
        return "digits"
    if "://" in v:
        return "url"
    if "@" in v:
        return "email"
    if not v.isascii() and _CJK.search(v):
        return "cjk"
    return "text"


@cache
def _width(regex: str) -> tuple[int, int]:
    """Minimum and maximum length a regex can match (from ``re``'s parser; (0, ∞) if the
    parser cannot say)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        lo, hi = _parser.parse(regex).getwidth()
        return int(lo), int(hi)
    except Exception:  # noqa: BLE001 - a private API: fall back to "any length"
        return 0, 1 << 30


@dataclass(frozen=True, slots=True)
class _Cell:
    entity: str
    name: str
    regex: str
    score: float
    validator: ValidatorFn | None
    needs_hint: bool
    kinds: tuple[str, ...]


@cache
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


#: A cell rule with its compiled regex.
_Compiled = tuple[_Cell, re.Pattern[str]]


@dataclass
class Evidence:
    """What a column's values show. Counts are of non-empty (stripped) values, duplicates
    included; ``full``: values that are wholly the entity; ``shape``: values with the entity's
    shape that only count in a column whose name or comment hints at it; ``anywhere``: values
    holding the entity (a detection anywhere, or full); ``previews``: one masked value."""

    n: int = 0
    full: Counter[str] = field(default_factory=Counter)
    shape: Counter[str] = field(default_factory=Counter)
    #: Values matching only a loose shape (a single capitalised word): they confirm a strong
    #: hint ("first_name") but not a weak one ("name" could be a film category).
    loose_shape: Counter[str] = field(default_factory=Counter)
    anywhere: Counter[str] = field(default_factory=Counter)
    previews: dict[str, str] = field(default_factory=dict)
    max_len: int = 0
    distinct: int = 0
    #: Values that are a single short token (no spaces, at most 40 characters): codes.
    tokens: int = 0
    #: Values that look masked ("138****1234") or encrypted (long base64/hex/token strings).
    protected: int = 0
    #: Where each preview came from: (0 for a cell rule or 1 for the text scanner, index of
    #: the distinct value in first-appearance order). Lets batches analysed out of order (a
    #: distributed engine) keep the preview one pass over all rows would.
    preview_from: dict[str, tuple[int, int]] = field(default_factory=dict)

    def ratio(self, counter: Counter[str], entity: str) -> float:
        return counter[entity] / self.n if self.n else 0.0

    def add(self, other: Evidence) -> None:
        """Fold in the evidence of another batch of the same column."""
        self.n += other.n
        self.full.update(other.full)
        self.shape.update(other.shape)
        self.loose_shape.update(other.loose_shape)
        self.anywhere.update(other.anywhere)
        for k, v in other.previews.items():
            self.previews.setdefault(k, v)
        for k, at in other.preview_from.items():
            self.preview_from.setdefault(k, at)
        self.max_len = max(self.max_len, other.max_len)
        self.distinct += other.distinct
        self.tokens += other.tokens
        self.protected += other.protected


class CellMatcher:
    """The catalog's cell rules, indexed by value kind and length. A rule's regex is compiled
    (and its length range worked out) the first time a value of one of its kinds is seen."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        entities: Iterable[str] | None = None,
        phone_regions: Iterable[str] | None = None,
    ) -> None:
        catalog = catalog or load_catalog()
        wanted = set(entities) if entities is not None else None
        validators = make_validators(phone_regions=phone_regions)
        self._cells: list[_Cell] = []
        for spec in catalog.entities:
            if wanted is not None and spec.entity not in wanted:
                continue
            for c in spec.cells:
                self._cells.append(
                    _Cell(
                        entity=spec.entity,
                        name=c.name,
                        regex=c.regex,
                        score=c.score,
                        validator=validators[c.validator] if c.validator else None,
                        needs_hint=c.needs_hint,
                        kinds=tuple(c.kinds),
                    )
                )
        self._index: dict[tuple[str, int], tuple[tuple[_Compiled, ...], tuple[_Compiled, ...]]]
        self._index = {}
        #: Per value kind: its rules, compiled, with the lengths they can match.
        self._kinds: dict[str, list[tuple[_Cell, re.Pattern[str], int, int]]] = {}

    def _rules(self, kind: str, length: int) -> tuple[tuple[_Compiled, ...], tuple[_Compiled, ...]]:
        """(rules that stand alone, rules needing a hint) for values of this kind and length,
        highest scores first."""
        key = (kind, length)
        hit = self._index.get(key)
        if hit is None:
            of_kind = self._kinds.get(kind)
            if of_kind is None:
                of_kind = self._kinds[kind] = [
                    (c, _compiled(c.regex), *_width(c.regex))
                    for c in self._cells
                    if kind in c.kinds
                ]
            fit = sorted(
                ((c, rx) for c, rx, lo, hi in of_kind if lo <= length <= hi),
                key=lambda c: -c[0].score,
            )
            hit = self._index[key] = (
                tuple(c for c in fit if not c[0].needs_hint),
                tuple(c for c in fit if c[0].needs_hint),
            )
        return hit

    def match(
        self, value: str, hinted: frozenset[str] | None = None
    ) -> list[tuple[str, bool, float, str]]:
        """``(entity, needs_hint, score, rule)`` for the cell rules ``value`` (stripped)
        satisfies: the best stand-alone rule, and the shapes of the ``hinted`` entities (all
        entities when ``hinted`` is None)."""
        out: list[tuple[str, bool, float, str]] = []
        strong, shapes = self._rules(value_kind(value), len(value))
        # Most rules fail their regex: that test is made inline, the validator only after it.
        for c, rx in strong:
            if rx.fullmatch(value) is None:
                continue
            score = self._score(c, value)
            if score is not None:
                out.append((c.entity, False, score, c.name))
                break  # the strongest rule names the value; weaker ones would only echo it
        seen: set[str] = set()
        for c, rx in shapes:
            if c.entity in seen or (hinted is not None and c.entity not in hinted):
                continue
            if rx.fullmatch(value) is None:
                continue
            score = self._score(c, value)
            if score is not None:
                seen.add(c.entity)
                out.append((c.entity, True, score, c.name))
        return out

    @staticmethod
    def _score(c: _Cell, value: str) -> float | None:
        """The score of a value matching ``c``'s regex (None if its validator rejects it)."""
        score = c.score
        if c.validator is not None:
            verdict = c.validator(value)
            if verdict is False:
                return None
            if verdict is not True:
                score = min(score, float(verdict) + 0.3)
                if score < 0.5:
                    return None
        return score

    def evidence(
        self,
        values: Sequence[str | None] | Any,
        scanner: Scanner | None,
        *,
        language: str | None = None,
        explained: Iterable[str] = (),
    ) -> Evidence:
        """Evidence from a column's values (a list, or an Arrow array / chunked array).

        Values a cell rule explains wholly are not scanned as text, nor are values with the
        shape of an ``explained`` entity (one the column's name hints at: a name-shaped
        value in a "name" column)."""
        return self.analyze(values, scanner, language=language, explained=explained).evidence

    def analyze(
        self,
        values: Sequence[str | None] | Any,
        scanner: Scanner | None,
        *,
        language: str | None = None,
        explained: Iterable[str] = (),
        spans: bool = False,
    ) -> Analysis:
        """Evidence and, with ``spans``, the detections in each distinct value and the row ->
        distinct-value index (for per-row output)."""
        distinct, counts, index = _distinct(values, rows=spans)
        hinted = frozenset(explained)
        ev = Evidence()
        per_value: list[list[Candidate]] | None = [[] for _ in distinct] if spans else None
        to_scan: list[int] = []
        match = self.match
        # Per-value tallies in locals (this loop runs for every distinct value).
        n = n_distinct = max_len = tokens = protected = 0
        for j, (raw, k) in enumerate(zip(distinct, counts, strict=True)):
            v = raw.strip()
            if not v:
                continue
            n += k
            n_distinct += 1
            size = len(v)
            if size > max_len:
                max_len = size
            # A code or identifier: one short token. Chinese is written without spaces, so a
            # value with CJK characters longer than a name or place is text, not a token.
            if size <= 40 and " " not in v and (size <= 8 or not _CJK_CHAR.search(v)):
                tokens += k
            # _PROTECTED matches a "gr1:" token or 24+ characters: most values are neither.
            if "*" in v or ((size >= 24 or v.startswith("gr1:")) and _PROTECTED.fullmatch(v)):
                protected += k
            hits = match(v, hinted)
            wholly = False
            shaped = False
            for entity, needs_hint, score, _rule in hits:
                if needs_hint and score < SPECIFIC_SHAPE:
                    ev.loose_shape[entity] += k
                elif needs_hint:
                    ev.shape[entity] += k
                else:
                    ev.full[entity] += k
                    ev.anywhere[entity] += k
                    wholly = True
                if needs_hint and entity in hinted:
                    shaped = True
                if entity not in ev.previews:
                    ev.previews[entity] = preview(entity, v)
                    ev.preview_from[entity] = (0, j)
            if per_value is not None and (wholly or shaped):
                off = raw.index(v)
                best = max(
                    (h for h in hits if not h[1] or h[0] in hinted), key=lambda h: (not h[1], h[2])
                )
                # priority -1 marks a shape match: a detection only if the column's verdict
                # includes that entity.
                per_value[j].append(
                    (off, off + len(v), best[2], -1 if best[1] else 0, best[0], best[3])
                )
            if scanner is not None and not wholly and not shaped:
                to_scan.append(j)
        ev.n = n
        ev.distinct = n_distinct
        ev.max_len = max_len
        ev.tokens = tokens
        ev.protected = protected
        if to_scan and scanner is not None:
            texts = [distinct[j] for j in to_scan]
            found = scanner.candidates_many(texts, language=language)  # type: ignore[arg-type]
            for j, text, cands in zip(to_scan, texts, found, strict=True):
                k = counts[j]
                v_len = len(text.strip())
                seen: set[str] = set()
                for s, e, _score, _p, entity, _name in cands:
                    if entity in seen:
                        continue
                    seen.add(entity)
                    ev.anywhere[entity] += k
                    if (e - s) >= FULL_COVER * v_len:
                        ev.full[entity] += k
                    if entity not in ev.previews:
                        ev.previews[entity] = preview(entity, text[s:e])
                        ev.preview_from[entity] = (1, j)
                if per_value is not None:
                    per_value[j].extend(cands)
        return Analysis(ev, distinct, counts, per_value, index)


@dataclass
class Analysis:
    """A column's evidence, its distinct values, and (on request) the detections in each
    distinct value plus the row -> distinct index (-1 for a null row)."""

    evidence: Evidence
    distinct: list[str]
    counts: list[int]
    spans: list[list[Candidate]] | None
    index: list[int] | None


#: String arrays up to this many values are deduplicated in Python, longer ones by Arrow.
SMALL_ARRAY = 16384


def _distinct(
    values: Sequence[str | None] | Any, *, rows: bool = False
) -> tuple[list[str], list[int], list[int] | None]:
    """Distinct values (as text), how often each occurs and, with ``rows``, each row's index
    into them (-1 for null)."""
    if hasattr(values, "type") or hasattr(values, "chunks"):  # an Arrow array
        import pyarrow as pa

        arr: Any = values
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
        if len(arr) <= SMALL_ARRAY and (
            pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        ):
            # As fast as Arrow's hash kernels at this size, and a sampled scan then does not
            # import pyarrow.compute (~60 ms). Same values, counts and first-appearance order.
            return _distinct(arr.to_pylist(), rows=rows)
        import pyarrow.compute as pc

        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
            return [], [], ([-1] * len(arr) if rows else None)
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            arr = pc.cast(arr, pa.large_string(), safe=False)
        enc = arr.dictionary_encode()
        dictionary = enc.dictionary.to_pylist()
        counts_arr = pc.value_counts(enc.indices)
        counts = [0] * len(dictionary)
        for j, c in zip(
            counts_arr.field("values").to_pylist(),
            counts_arr.field("counts").to_pylist(),
            strict=True,
        ):
            if j is not None:
                counts[j] = c
        index = None
        if rows:
            index = [-1 if j is None else j for j in enc.indices.to_pylist()]
        return [str(v) for v in dictionary], counts, index
    positions: dict[str, int] = {}
    distinct: list[str] = []
    counts_l: list[int] = []
    index_l: list[int] = []
    for v in values:
        if v is None:
            index_l.append(-1)
            continue
        s = v if isinstance(v, str) else str(v)
        j = positions.get(s)
        if j is None:
            j = positions[s] = len(distinct)
            distinct.append(s)
            counts_l.append(0)
        counts_l[j] += 1
        index_l.append(j)
    return distinct, counts_l, (index_l if rows else None)
