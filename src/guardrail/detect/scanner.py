"""The fast detection engine: catalog patterns run only where they can match.

Python's ``re`` scans at 15-30 MB/s per pattern, so running forty patterns over every
character would cap throughput below 1 MB/s. The engine first finds *triggers* with a few
cheap passes — runs of digits (one regex for every numeric entity), literal strings (``@``,
``://``, ``$2`` via ``str.find``), cue-word alternations (收货人, 先生 …) — and runs each
pattern only in a small window around its triggers. Validators (checksums,
libphonenumber's metadata) and context scoring run on the few candidates that survive;
overlapping candidates are resolved by score.

Many short texts (records, table cells, log lines) are scanned as one: :meth:`Scanner.scan_many`
joins them with a separator no pattern accepts, so per-call overhead is paid once per batch;
context windows stop at the separator, so one record never lends context to the next.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from guardrail.detect.catalog import Catalog, EntitySpec, PatternSpec, load_catalog, merge_catalogs
from guardrail.detect.validators import ValidatorFn, make_validators
from guardrail.errors import ConfigError, InputError
from guardrail.model._base import trusted_constructor
from guardrail.model.detection import Detection

__all__ = [
    "DEFAULT_MIN_SCORE",
    "Candidate",
    "Language",
    "Scanner",
    "context_regex",
    "make_detection",
]

#: Detections scoring below this are not reported (override per scanner or per call).
DEFAULT_MIN_SCORE = 0.5
#: Characters after a match searched for context words ("13812345678（手机）").
AFTER_WINDOW = 16
#: Characters before a match searched for negative context words ("订单号：").
NEGATIVE_WINDOW = 12
#: Subtracted when a negative context word ("order", "订单") is near and no positive one is.
NEGATIVE_PENALTY = 0.3
#: Joins the texts of a batch: the ASCII record separator, which no catalog pattern accepts
#: (it is whitespace to ``re``, and patterns name their characters explicitly). ASCII keeps a
#: joined English batch in one byte per character, which halves ``str.find`` and ``re`` time.
SEP_CHAR = "\x1e"
_SEP = SEP_CHAR * 4
#: Texts per joined batch (bounds memory for huge batches).
BATCH_CHARS = 1 << 20

Language = Literal["en", "zh"] | None
_LANGUAGES = frozenset({None, "en", "zh"})


def _check_language(language: object) -> None:
    if language not in _LANGUAGES:
        raise InputError(
            f"unknown language {language!r}",
            hint='use None (English and Chinese), "en" or "zh"',
        )


_DIGIT_CLUSTER = re.compile(r"[0-9]+(?:[ .:/()+\-]{1,3}[0-9]{1,6}(?![0-9])|-[0-9]{7,8}(?![0-9]))*")
_DROP_SEPARATORS = str.maketrans("", "", " .:/()+-")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

_ALWAYS, _DIGITS, _LITERALS, _LITERALS_CASED, _REGEX, _CJK_TEXT = range(6)

#: A candidate: (start, end, score, priority, entity, recognizer name).
Candidate = tuple[int, int, float, int, str, str]


@cache
def _compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile``, once per pattern for the process: rules compile their regexes on first
    use (a scan runs a fraction of the catalog's 400), and rules sharing a regex share one
    object (whose matches :meth:`Scanner._scan_digit_runs` reuses)."""
    return re.compile(pattern, flags)


class _Context:
    """Finds context words near a match in the ASCII-lowercased text: a literal-led regex
    search (fast in ``re``) bounded to the window, then a word-start check for English words
    ("phone" in "telephone" does not count). Windows stop at the batch separator."""

    __slots__ = ("_pattern", "_rx")

    def __init__(self, words: Iterable[str]) -> None:
        uniq = sorted(
            {w.strip().translate(_ASCII_LOWER) for w in words if w.strip()}, key=len, reverse=True
        )
        self._pattern = "|".join(r"[ \t_-]+".join(map(re.escape, w.split())) for w in uniq)
        self._rx: re.Pattern[str] | None = None  # compiled on the first search

    def search(self, low: str, a: int, b: int) -> bool:
        """Whether ``low[a:b]`` holds one of the words (``low`` is the lowercased text)."""
        pos = a
        rx = self._rx
        if rx is None:
            rx = self._rx = _compiled(self._pattern)
        while True:
            m = rx.search(low, pos, b)
            if m is None:
                return False
            i = m.start()
            if i == 0 or low[i] not in _ASCII_ALNUM or low[i - 1] not in _ASCII_ALNUM:
                return True
            pos = i + 1


_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)
_ASCII_LETTERS = string.ascii_letters.encode("ascii")


def context_regex(words: Iterable[str]) -> _Context | None:
    """A matcher for ``words`` in ASCII-lowercased text, or ``None`` for no words.

    English words match at the start of a word ("phone" in "telephone" does not count,
    "phones" does); spaces in phrases also match ``_`` and ``-``. Chinese words match anywhere.
    """
    ws = [w for w in words if w.strip()]
    return _Context(ws) if ws else None


# -- Detection objects ---------------------------------------------------------------------

_new_detection = trusted_constructor(
    Detection, {"entity": "EMAIL_ADDRESS", "start": 1, "end": 5, "score": 0.5, "recognizer": "p"}
)


def make_detection(entity: str, start: int, end: int, score: float, recognizer: str) -> Detection:
    """A ``Detection`` without validation (trusted input): detections are made by the
    thousand, and validation or ``model_construct`` would cost ~5 µs each."""
    return _new_detection(
        {"entity": entity, "start": start, "end": end, "score": score, "recognizer": recognizer}
    )


# -- compiled rules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    entity: str
    name: str
    pattern: str
    flags: int
    score: float
    boost: float
    validator: ValidatorFn | None
    requires_context: bool
    ctx: _Context | None
    neg: _Context | None
    ctx_window: int
    group: int | None
    priority: int
    kind: int
    min_digits: int
    digit_filter: tuple[int, str, str | None, str | None]  # max, separators, pre, post
    finder: re.Pattern[str] | None  # regex triggers
    single_literal: str | None
    literals: tuple[str, ...]
    before: int
    after: int
    anchored: bool
    language: str
    _rx: re.Pattern[str] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled ``pattern`` (compiled on first use)."""
        rx = self._rx
        if rx is None:
            rx = _compiled(self.pattern, self.flags)
            object.__setattr__(self, "_rx", rx)
        return rx


_META = frozenset(".^$*+?{}[]\\|()")


def _pure_alternation(regex: str) -> list[str] | None:
    """The literals of a regex that is only ``a|b|c`` (optionally in one ``(?:...)``)."""
    body = regex[3:-1] if regex.startswith("(?:") and regex.endswith(")") else regex
    parts = body.split("|")
    if all(p and not (_META & set(p)) for p in parts):
        return parts
    return None


def _literal_finder(
    words: Iterable[str], *, lower: bool
) -> tuple[str | None, re.Pattern[str] | None]:
    """The literals (in ``single``'s place a tuple is carried by the rule)."""
    lits = sorted({w.translate(_ASCII_LOWER) if lower else w for w in words}, key=len, reverse=True)
    return "\x00".join(lits), None


def _compile_rule(spec: EntitySpec, p: PatternSpec, validators: dict[str, ValidatorFn]) -> _Rule:
    words = p.context_words(spec)
    trig = p.trigger
    finder: re.Pattern[str] | None = None
    single: str | None = None
    min_digits = 0
    digit_filter: tuple[int, str, str | None, str | None] = (0, "", None, None)
    if trig is None:
        kind = _ALWAYS
    elif trig.digits is not None:
        kind, min_digits = _DIGITS, trig.digits
        digit_filter = (
            trig.max_digits or 0,
            trig.separators or "",
            trig.preceded_by,
            trig.followed_by,
        )
    elif trig.literals:
        kind = _LITERALS if (trig.ignore_case or p.ignore_case) else _LITERALS_CASED
        single, finder = _literal_finder(trig.literals, lower=kind == _LITERALS)
    elif trig.context:
        kind = _LITERALS
        single, finder = _literal_finder((w.strip() for w in words if w.strip()), lower=True)
    elif trig.regex is not None and _pure_alternation(trig.regex) is not None:
        kind = _LITERALS_CASED
        single, finder = _literal_finder(_pure_alternation(trig.regex) or (), lower=False)
    elif trig.regex is not None:
        kind, finder = _REGEX, _compiled(trig.regex)
    else:
        kind = _CJK_TEXT
    return _Rule(
        entity=spec.entity,
        name=p.name,
        pattern=p.regex,
        flags=re.IGNORECASE if p.ignore_case else 0,
        score=p.score,
        boost=p.context_boost,
        validator=validators[p.validator] if p.validator else None,
        requires_context=p.requires_context,
        ctx=context_regex(words),
        neg=context_regex(spec.negative.words),
        ctx_window=p.context_window,
        group=p.group,
        priority=p.priority,
        kind=kind,
        min_digits=min_digits,
        digit_filter=digit_filter,
        finder=finder,
        single_literal=None,
        literals=tuple(single.split("\x00")) if single else (),
        before=p.window if p.window_before is None else p.window_before,
        after=p.window,
        anchored=p.anchored,
        language=p.language,
    )


class _CharClass:
    """Membership in a one-character regex class, memoised per character."""

    __slots__ = ("_cls", "_memo")

    def __init__(self, cls: str) -> None:
        self._cls = cls
        self._memo: dict[str, bool] = {}

    def __contains__(self, ch: str) -> bool:
        hit = self._memo.get(ch)
        if hit is None:
            hit = self._memo[ch] = bool(ch) and _compiled(self._cls).fullmatch(ch) is not None
        return hit


class _DigitTrigger:
    """Whether a digit run can start a match of one rule: digit count, separators inside the
    run, the character before and after it."""

    __slots__ = (
        "followed_by",
        "max_digits",
        "min_digits",
        "pre_regex",
        "preceded_by",
        "separators",
    )

    def __init__(
        self,
        min_digits: int,
        max_digits: int,
        separators: str,
        preceded_by: str | None,
        followed_by: str | None,
    ) -> None:
        self.min_digits = min_digits
        self.max_digits = max_digits or 1 << 30
        self.separators = separators
        single = preceded_by is not None and _ONE_CHAR_CLASS.fullmatch(preceded_by) is not None
        self.pre_regex = (
            _compiled(f"(?:{preceded_by})$") if preceded_by and not single else None
        )  # checked per run, after dispatch
        # The character right before the run is checked at dispatch: the class itself, or the
        # class a longer regex ends with ("...[ \t]+" -> "[ \t]").
        last = preceded_by
        if preceded_by and not single:
            tail = _LAST_CLASS.search(preceded_by)
            last = tail.group(1) if tail else None
        self.preceded_by = _CharClass(last) if last else None
        self.followed_by = _CharClass(followed_by) if followed_by else None

    def accepts(self, digits: int, seps: str, prev: str, nxt: str) -> bool:
        if not self.min_digits <= digits <= self.max_digits:
            return False
        if self.separators and not any(c in seps for c in self.separators):
            return False
        if self.preceded_by is not None and prev not in self.preceded_by:
            return False
        return self.followed_by is None or nxt in self.followed_by


_DELETE_DIGITS = str.maketrans("", "", "0123456789")
_ONE_CHAR_CLASS = re.compile(r"\[[^\]]+\]|[^\\\[\]().*+?{}|^$]")
_LAST_CLASS = re.compile(r"(?<!\\)(\[[^\]]+\])\+?$")


class Scanner:
    """Scans text for the catalog's entities.

    ``entities``: the entity names to report (default: the catalog's default set, which
    leaves out timestamps; ``DATE_TIME`` is opt-in). An unknown name is a
    :class:`~guardrail.errors.ConfigError` naming the known ones. ``min_score``: detections
    below it are dropped. ``phone_regions``: ISO 3166-1 codes phone numbers are validated
    for (CN, US and 28 more by default). ``recognizers``: extra catalog entity specs,
    Presidio-format YAML paths or Presidio recognizer objects. ``plugins``: also load the
    ``guardrail.recognizers`` entry points. ``ner``: a spaCy model for English names, places
    and NRP (``"auto"`` picks an installed ``en_core_web_*`` model; ``None`` disables NER —
    docs/detect.md describes the pattern fallback).
    """

    def __init__(
        self,
        entities: Iterable[str] | str | None = None,
        *,
        catalog: Catalog | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
        phone_regions: Iterable[str] | None = None,
        recognizers: Iterable[Any] = (),
        plugins: bool = True,
        ner: str | None = "auto",
    ) -> None:
        from guardrail.detect.recognizers import load_plugin_recognizers, split_recognizers

        if not 0.0 <= min_score <= 1.0:
            raise ConfigError(f"min_score must be between 0 and 1, not {min_score}")
        base = catalog or load_catalog()
        specs, foreign = split_recognizers(recognizers)
        if plugins:
            more_specs, more_foreign = load_plugin_recognizers()
            specs += more_specs
            foreign += more_foreign
        if specs:
            base = merge_catalogs(base, specs)
        self.catalog = base
        foreign_entities = {e for f in foreign for e in _foreign_entities(f)}
        known = set(base.entity_names) | foreign_entities
        if isinstance(entities, str):
            entities = [e.strip() for e in entities.split(",") if e.strip()]
        if entities is None:
            wanted = set(base.default_entities) | foreign_entities
        else:
            wanted = set(entities)
            unknown = wanted - known
            if unknown:
                raise ConfigError(
                    f"unknown entit{'y' if len(unknown) == 1 else 'ies'}: "
                    f"{', '.join(sorted(unknown))}",
                    hint=f"known entities: {', '.join(sorted(known))}",
                )
        self.entities: tuple[str, ...] = tuple(sorted(wanted))
        self.min_score = min_score
        try:
            validators = make_validators(phone_regions=phone_regions)
        except ValueError as exc:
            raise ConfigError(
                str(exc), hint="use ISO 3166-1 alpha-2 codes such as CN, US, DE"
            ) from None
        rules = [
            _compile_rule(spec, p, validators)
            for spec in base.entities
            if spec.entity in wanted
            for p in spec.patterns
        ]
        self._rules = rules
        # Digit rules: each digit run is dispatched, by its shape, to the rules it can start.
        self._digit_rules = [
            (r, _DigitTrigger(r.min_digits, *r.digit_filter)) for r in rules if r.kind == _DIGITS
        ]
        self._digit_trigger = {id(r): t for r, t in self._digit_rules}
        self._dispatch: dict[tuple[str, bool], dict[tuple[int, str, str, str], tuple[Any, ...]]]
        self._dispatch = {}
        # Literal triggers: ASCII ones are found with bytes.find (case-folded or not); others
        # (CJK cue words, "Allée") with one combined regex, only in texts that are not pure
        # ASCII (their first characters are rare, so the combined scan is fast).
        self._lits_ci: dict[str, list[_Rule]] = {}
        self._lits_cs: dict[str, list[_Rule]] = {}
        self._lits_cjk: dict[str, list[_Rule]] = {}
        for r in rules:
            if r.kind not in (_LITERALS, _LITERALS_CASED):
                continue
            for lit in r.literals:
                if not lit.isascii():
                    table = self._lits_cjk
                else:
                    table = self._lits_ci if r.kind == _LITERALS else self._lits_cs
                table.setdefault(lit, []).append(r)
        self._lits_cs_b = {k.encode("ascii"): v for k, v in self._lits_cs.items()}
        self._lits_ci_b = {k.encode("ascii"): v for k, v in self._lits_ci.items()}
        # Most case-sensitive literals ("@", "+", "$", "Mr", "AKIA", "Rue") start with rare
        # characters: one alternation finds them all faster than a search per literal. Those
        # starting with a lowercase letter ("eyJ", "ghp_", "pbkdf2_") would make the
        # alternation try its branches at most letters of English text: a search each.
        cs_table = {k: v for k, v in self._lits_cs_b.items() if k[:1].islower()}
        cs_alt = {k: v for k, v in self._lits_cs_b.items() if k not in cs_table}
        self._lits_cs_table = cs_table
        self._lits_cs_rx = _alternation(cs_alt)
        # ... which reports the longest literal at a place: the shorter ones inside it too.
        self._cs_inner = _inner(cs_alt)
        # The case-insensitive ones (cue words) start with common letters: a search each is
        # faster in English text, one alternation in text with few ASCII letters (Chinese).
        self._lits_ci_rx = _alternation(self._lits_ci_b)
        self._ci_inner = _inner(self._lits_ci_b)
        self._cjk_finder = (
            re.compile("|".join(map(re.escape, sorted(self._lits_cjk, key=len, reverse=True))))
            if self._lits_cjk
            else None
        )
        self._regex_rules = [r for r in rules if r.kind == _REGEX]
        self._cjk_rules = [r for r in rules if r.kind == _CJK_TEXT]
        self._always_rules = [r for r in rules if r.kind == _ALWAYS]
        self._foreign = [f for f in foreign if set(_foreign_entities(f)) & wanted]
        engines = {e for spec in base.entities if spec.entity in wanted for e in spec.engines}
        self._jieba = "zh_person_jieba" in engines and "PERSON" in wanted
        ner_entities = {s.entity for s in base.entities if "ner" in s.engines} & wanted
        self._ner_entities = frozenset(ner_entities)
        self._ner: Callable[[str], list[tuple[int, int, str]]] | None = None
        self.ner_model: str | None = None
        if ner is not None and ner_entities:
            from guardrail.detect.presidio import installed_spacy_model, spacy_ner

            model = installed_spacy_model() if ner == "auto" else ner
            if model is not None:
                self._ner = spacy_ner(model)
                self.ner_model = model
        self._per_text = bool(self._foreign) or self._ner is not None
        self._cell_matcher: Any = None  # built by detect.columns on first use

    def __repr__(self) -> str:
        return f"Scanner(entities={len(self.entities)}, min_score={self.min_score})"

    # -- public API ------------------------------------------------------------------------

    def scan(
        self, text: str, *, language: Language = None, min_score: float | None = None
    ) -> list[Detection]:
        """Detections in ``text``, sorted by start offset, never overlapping.

        ``language``: ``None`` (auto: every recognizer; Chinese ones only fire on CJK text),
        ``"en"`` (skip Chinese-only recognizers) or ``"zh"`` (skip English-only ones and add
        jieba's part-of-speech pass for names without cue words).
        """
        mk = make_detection
        return [
            mk(e, s, t, sc, n)
            for s, t, sc, _, e, n in self.candidates(text, language=language, min_score=min_score)
        ]

    def scan_many(
        self, texts: Iterable[str], *, language: Language = None, min_score: float | None = None
    ) -> list[list[Detection]]:
        """:meth:`scan` for each of ``texts`` (the batch API), scanned together for speed."""
        mk = make_detection
        return [
            [mk(e, s, t, sc, n) for s, t, sc, _, e, n in cands]
            for cands in self.candidates_many(texts, language=language, min_score=min_score)
        ]

    def iter_many(
        self, texts: Iterable[str], *, language: Language = None, min_score: float | None = None
    ) -> Iterator[list[Detection]]:
        """Like :meth:`scan_many`, lazily, in batches of about a megabyte (for streams)."""
        batch: list[str] = []
        size = 0
        for t in texts:
            batch.append(t)
            size += len(t)
            if size >= BATCH_CHARS:
                yield from self.scan_many(batch, language=language, min_score=min_score)
                batch, size = [], 0
        if batch:
            yield from self.scan_many(batch, language=language, min_score=min_score)

    def candidates(
        self, text: str, *, language: Language = None, min_score: float | None = None
    ) -> list[Candidate]:
        """Resolved detections as plain tuples ``(start, end, score, priority, entity,
        recognizer)`` — the allocation-light form the column engine uses."""
        if language is not None:
            _check_language(language)
        if text is not None and type(text) is not str:
            raise InputError(
                f"cannot scan a value of type {type(text).__name__}: pass a str",
                hint="decode bytes first; None means no text",
            )
        threshold = self.min_score if min_score is None else min_score
        found = [
            (c[0], c[1], round(c[2], 4), c[3], c[4], c[5])
            for c in self._raw(text, language, threshold)
        ]
        if self._per_text:
            found += self._per_text_candidates(text, language, threshold)
        if self._jieba and language == "zh" and _CJK.search(text):
            found += self._jieba_candidates(text, threshold)
        return _resolve(found) if found else found

    def candidates_many(
        self, texts: Iterable[str], *, language: Language = None, min_score: float | None = None
    ) -> list[list[Candidate]]:
        """:meth:`candidates` for each of ``texts``, scanned as one joined text. ``None``
        stands for no text (a NULL cell)."""
        if isinstance(texts, (str, bytes)):
            raise InputError(
                "scan_many takes several texts, not one string",
                hint="use scan(text) for one text, or pass a list: [text]",
            )
        if language is not None:
            _check_language(language)
        items = list(texts)
        threshold = self.min_score if min_score is None else min_score
        out: list[list[Candidate]] = [[] for _ in items]
        start = 0
        while start < len(items):
            # One joined text per ~BATCH_CHARS; a text holding the separator is scanned alone.
            size, stop = 0, start
            while stop < len(items) and (size < BATCH_CHARS or stop == start):
                if type(items[stop]) is not str:
                    items[stop] = _as_text(items[stop], stop)
                if SEP_CHAR in items[stop]:
                    break
                size += len(items[stop]) + len(_SEP)
                stop += 1
            if stop == start:  # items[start] holds the separator character
                out[start] = self.candidates(items[start], language=language, min_score=threshold)
                start += 1
                continue
            self._scan_batch(items, start, stop, language, threshold, out)
            start = stop
        return out

    # -- internals -------------------------------------------------------------------------

    def _scan_batch(
        self,
        items: list[str],
        lo: int,
        hi: int,
        language: Language,
        threshold: float,
        out: list[list[Candidate]],
    ) -> None:
        chunk = items[lo:hi]
        joined = _SEP.join(chunk)
        offsets: list[int] = []
        pos = 0
        for t in chunk:
            offsets.append(pos)
            pos += len(t) + len(_SEP)
        raw = self._raw(joined, language, threshold)
        raw.sort()
        extra = self._per_text or (self._jieba and language == "zh")
        # Candidates come sorted by start; walk documents alongside, resolving overlaps per
        # document (rare: the fast path keeps candidates that do not overlap as they are).
        i, last = 0, len(offsets) - 1
        nxt = offsets[1] if last else 1 << 62
        doc: list[Candidate] = []
        clash = False
        end = -1
        for c in raw:
            if c[0] >= nxt:
                out[lo + i] = _resolve(doc) if clash else doc
                doc, clash, end = [], False, -1
                while c[0] >= nxt:
                    i += 1
                    nxt = offsets[i + 1] if i < last else 1 << 62
            base = offsets[i]
            if c[0] < end:
                clash = True
            if c[1] > end:
                end = c[1]
            doc.append((c[0] - base, c[1] - base, round(c[2], 4), c[3], c[4], c[5]))
        out[lo + i] = _resolve(doc) if clash else doc
        if extra:
            for k, t in enumerate(chunk):
                found = out[lo + k]
                if self._per_text:
                    found = found + self._per_text_candidates(t, language, threshold)
                if self._jieba and language == "zh" and _CJK.search(t):
                    found = found + self._jieba_candidates(t, threshold)
                out[lo + k] = _resolve(found) if found else found

    def _per_text_candidates(
        self, text: str, language: Language, threshold: float
    ) -> list[Candidate]:
        found: list[Candidate] = []
        for f in self._foreign:
            found += _run_foreign(f, text, self.entities, threshold)
        if self._ner is not None and language != "zh" and text.strip():
            for s, e, label in self._ner(text):
                if label in self._ner_entities and threshold <= 0.85:
                    found.append((s, e, 0.85, -1, label, "spacy_ner"))
        return found

    def _jieba_candidates(self, text: str, threshold: float) -> list[Candidate]:
        from guardrail.detect import zh

        return [
            (s, e, sc, -1, "PERSON", "zh_person_jieba")
            for s, e, sc in zh.jieba_person_spans(text)
            if sc >= threshold
        ]

    def _raw(self, text: str, language: Language, threshold: float) -> list[Candidate]:
        """Unresolved candidates of the catalog rules in ``text``."""
        if not text:
            return []
        found: list[Candidate] = []
        n = len(text)
        has_cjk = language != "en" and _CJK.search(text) is not None
        skip_lang = "zh" if language == "en" else ("en" if language == "zh" else "")
        run = self._run
        low = _lower_same_length(text)

        if self._digit_rules:
            self._scan_digit_runs(text, low, has_cjk, skip_lang, found, threshold)
        if self._lits_ci or self._lits_cs or self._lits_cjk:
            hits_by_rule: dict[int, tuple[_Rule, list[tuple[int, int]]]] = {}

            def add(lit_rules: list[_Rule], at: list[tuple[int, int]]) -> None:
                for r in lit_rules:
                    if r.language == skip_lang or (r.language == "zh" and not has_cjk):
                        continue
                    entry = hits_by_rule.get(id(r))
                    if entry is None:
                        hits_by_rule[id(r)] = (r, list(at))
                    else:
                        entry[1].extend(at)

            # ASCII literals are found in an ASCII projection of the text (non-ASCII
            # characters become "?", so positions are unchanged): bytes.find is memchr-fast,
            # str.find on a text holding one CJK or Greek letter is several times slower.
            ab = text.encode("ascii", "replace")
            alternations = [(self._lits_cs_rx, self._lits_cs_b, self._cs_inner, ab)]
            tables: list[tuple[dict[bytes, list[_Rule]], bytes]] = []
            if self._lits_cs_table:
                tables.append((self._lits_cs_table, ab))
            if self._lits_ci:
                hay = ab.lower()
                # Few ASCII letters (Chinese text, digits): few places for the alternation
                # to try its words at.
                letters = len(hay) - len(hay.translate(None, _ASCII_LETTERS))
                if letters * 4 < len(hay):
                    alternations.append((self._lits_ci_rx, self._lits_ci_b, self._ci_inner, hay))
                else:
                    tables.append((self._lits_ci_b, hay))
            for alternation, lits, inners, hay in alternations:
                if alternation is None:
                    continue
                by_blit: dict[bytes, list[tuple[int, int]]] = {}
                for mb in alternation.finditer(hay):
                    by_blit.setdefault(mb.group(), []).append(mb.span())
                for blit, spans in by_blit.items():
                    add(lits[blit], spans)
                    for inner, off in inners[blit]:  # "Mr" in "Mrs"
                        n_in = len(inner)
                        add(lits[inner], [(a + off, a + off + n_in) for a, _ in spans])
            for table, hay in tables:
                for lit, lit_rules in table.items():
                    i = hay.find(lit)
                    if i < 0:
                        continue
                    at: list[tuple[int, int]] = []
                    k = len(lit)
                    while i >= 0:
                        at.append((i, i + k))
                        i = hay.find(lit, i + 1)
                    add(lit_rules, at)
            if self._cjk_finder is not None and not text.isascii():
                by_lit: dict[str, list[tuple[int, int]]] = {}
                for m in self._cjk_finder.finditer(text):
                    by_lit.setdefault(m.group(), []).append(m.span())
                for word, at in by_lit.items():
                    add(self._lits_cjk[word], at)
                    # a shorter literal inside a longer one ("号" in "手机号") is found too
                    for other, other_rules in self._lits_cjk.items():
                        if other != word and other in word:
                            k = word.index(other)
                            add(other_rules, [(s + k, s + k + len(other)) for s, _ in at])
            for r, hits in hits_by_rule.values():
                hits.sort()
                if r.anchored:
                    self._run_anchored(r, text, low, hits, found, threshold)
                else:
                    for a, b in _regions(text, hits, r.before, r.after):
                        run(r, text, low, a, b, found, threshold)
        for r in self._regex_rules:
            if r.language == skip_lang or (r.language == "zh" and not has_cjk):
                continue
            assert r.finder is not None
            hits = [m.span() for m in r.finder.finditer(text)]
            if not hits:
                continue
            if r.anchored:
                self._run_anchored(r, text, low, hits, found, threshold)
            else:
                for a, b in _regions(text, hits, r.before, r.after):
                    run(r, text, low, a, b, found, threshold)
        if has_cjk:
            for r in self._cjk_rules:
                if r.language != skip_lang:
                    run(r, text, low, 0, n, found, threshold)
        for r in self._always_rules:
            if r.language != skip_lang:
                run(r, text, low, 0, n, found, threshold)
        return found

    def _scan_digit_runs(
        self,
        text: str,
        low: str,
        has_cjk: bool,
        skip_lang: str,
        found: list[Candidate],
        threshold: float,
    ) -> None:
        n = len(text)
        mode = (skip_lang, has_cjk)
        dispatch = self._dispatch.get(mode)
        if dispatch is None:
            dispatch = self._dispatch[mode] = {}
        active = [
            (r, trig)
            for r, trig in self._digit_rules
            if r.language != skip_lang and (r.language != "zh" or has_cjk)
        ]
        seen: set[tuple[int, int, int]] = set()
        reach = -1  # end of the furthest window so far: windows before it may repeat matches
        for m in _DIGIT_CLUSTER.finditer(text):
            g = m.group()
            seps = g.translate(_DELETE_DIGITS)
            s, e = m.span()
            key = (len(g) - len(seps), seps, text[s - 1 : s], text[e : e + 1])
            rules = dispatch.get(key)
            if rules is None:
                # Strongest rules first: once one claims the whole run, the rest are skipped.
                chosen = sorted(
                    (r for r, trig in active if trig.accepts(*key)), key=lambda r: -r.score
                )
                rules = dispatch[key] = tuple(
                    (
                        r,
                        r.regex,
                        r.before,
                        r.after,
                        r.anchored,
                        r.group,
                        self._digit_trigger[id(r)].pre_regex,
                    )
                    for r in chosen
                )
            if not rules:
                continue
            claimed_at = len(found)
            w_before = w_after = -1
            wa = wb = 0
            last_rx: re.Pattern[str] | None = None
            matches: list[re.Match[str]] = []
            for r, rx, before, after, anchored, group, pre in rules:
                if len(found) > claimed_at and _claims(found, claimed_at, s, e):
                    break
                if pre is not None and pre.search(text, _after_sep(text, s - 12, s), s) is None:
                    continue
                if anchored:
                    b = e + after
                    mm = rx.match(text, s, _before_sep(text, e, _widen(text, b, n) if b < n else n))
                    if mm is not None:
                        _consider(r, text, low, mm, found, threshold)
                    continue
                if before != w_before or after != w_after:
                    w_before, w_after = before, after
                    wa = _widen_left(text, _after_sep(text, s - before, s))
                    b = e + after
                    wb = _before_sep(text, e, _widen(text, b, n) if b < n else n)
                    last_rx = None
                if rx is not last_rx:  # rules sharing a regex share its matches
                    last_rx = rx
                    matches = list(rx.finditer(text, wa, wb))
                if not matches:
                    continue
                rid = id(r)
                if wa < reach:
                    for mm in matches:
                        tag = (rid, *(mm.span(group) if group is not None else mm.span()))
                        if tag not in seen:
                            seen.add(tag)
                            _consider(r, text, low, mm, found, threshold)
                else:
                    for mm in matches:
                        seen.add((rid, *(mm.span(group) if group is not None else mm.span())))
                        _consider(r, text, low, mm, found, threshold)
                if wb > reach:
                    reach = wb

    @staticmethod
    def _run(
        r: _Rule, text: str, low: str, a: int, b: int, found: list[Candidate], threshold: float
    ) -> None:
        for m in r.regex.finditer(text, a, b):
            _consider(r, text, low, m, found, threshold)

    @staticmethod
    def _run_anchored(
        r: _Rule,
        text: str,
        low: str,
        hits: list[tuple[int, int]],
        found: list[Candidate],
        threshold: float,
    ) -> None:
        n = len(text)
        match = r.regex.match
        for s, e in hits:
            end = e + r.after
            m = match(text, s, _before_sep(text, e, _widen(text, end, n) if end < n else n))
            if m is not None:
                _consider(r, text, low, m, found, threshold)


#: A validated candidate at least this strong that covers a whole digit run ends the search
#: for other entities in that run (an 18-digit run that passed GB 11643 is not also tried as
#: a card number).
CLAIM_SCORE = 0.8


def _alternation(literals: Iterable[bytes]) -> re.Pattern[bytes] | None:
    """One regex for byte literals, longest first."""
    lits = sorted(literals, key=len, reverse=True)
    return re.compile(b"|".join(re.escape(x) for x in lits)) if lits else None


def _inner(literals: Iterable[bytes]) -> dict[bytes, list[tuple[bytes, int]]]:
    """For each literal, the other literals inside it and where (an alternation reports the
    longest literal at a place only)."""
    lits = list(literals)
    return {b: [(o, b.index(o)) for o in lits if o != b and o in b] for b in lits}


def _claims(found: list[Candidate], since: int, s: int, e: int) -> bool:
    return any(c[0] <= s and c[1] >= e and c[2] >= CLAIM_SCORE for c in found[since:])


def _consider(
    r: _Rule, text: str, low: str, m: re.Match[str], found: list[Candidate], threshold: float
) -> None:
    """Validate and score one regex match of rule ``r``; append it to ``found`` if it stays.

    ``low`` is ``text`` with ASCII letters lowercased (same positions), for context words.
    """
    if r.group is not None:
        s, e = m.span(r.group)
        if s < 0 or s == e:
            return
    else:
        s, e = m.span()
        if s == e:
            return
    value = text[s:e]
    if SEP_CHAR in value:
        return
    score = r.score
    validator = r.validator
    if validator is not None and not r.requires_context:
        verdict = validator(value)  # cheap rejections first: most candidates fail here
        if verdict is False:
            return
        if verdict is not True:
            score = float(verdict)
    # Context is looked up only where it can change whether the candidate is reported:
    # to rescue one below the threshold, or when a negative word could sink it. A candidate
    # that is reported either way keeps its own score.
    neg = r.neg
    if (
        not r.requires_context
        and score >= threshold
        and (neg is None or score - NEGATIVE_PENALTY >= threshold)
    ):
        found.append((s, e, score, r.priority, r.entity, r.name))
        return
    ctx = r.ctx
    has_ctx = False
    if ctx is not None:
        a = s - r.ctx_window if s > r.ctx_window else 0
        cut = low.rfind(SEP_CHAR, a, s)
        has_ctx = ctx.search(low, a if cut < 0 else cut + 1, s)
        if not has_ctx:
            b = e + AFTER_WINDOW
            cut = low.find(SEP_CHAR, e, b)
            has_ctx = ctx.search(low, e, b if cut < 0 else cut)
    if r.requires_context:
        if not has_ctx:
            return
        if validator is not None:
            verdict = validator(value)
            if verdict is False:
                return
            if verdict is not True:
                score = float(verdict)
    if has_ctx:
        score = score + r.boost
        if score > 1.0:
            score = 1.0
    elif neg is not None:
        a = s - NEGATIVE_WINDOW if s > NEGATIVE_WINDOW else 0
        cut = low.rfind(SEP_CHAR, a, s)
        if neg.search(low, a if cut < 0 else cut + 1, s):
            score -= NEGATIVE_PENALTY
    if score >= threshold:
        found.append((s, e, score, r.priority, r.entity, r.name))


def _regions(
    text: str, spans: Sequence[tuple[int, int]], before: int, after: int
) -> list[tuple[int, int]]:
    """Merged ``[start - before, end + after]`` windows around sorted ``spans``, widened so
    no alphanumeric token is cut (a look-around at a window's edge must see real text)."""
    if not spans:
        return []
    n = len(text)
    out: list[tuple[int, int]] = []
    cur_a = cur_b = -1
    for s, e in spans:
        a = _after_sep(text, s - before, s)
        b = _before_sep(text, e, e + after if e + after < n else n)
        if a <= cur_b:
            if b > cur_b:
                cur_b = b
            continue
        if cur_b >= 0:
            out.append((_widen_left(text, cur_a), _widen(text, cur_b, n)))
        cur_a, cur_b = a, b
    out.append((_widen_left(text, cur_a), _widen(text, cur_b, n)))
    return out


def _lower_same_length(text: str) -> str:
    """``text`` with ASCII letters lowercased, positions unchanged (``str.lower`` is fast but
    may lengthen a few characters such as "İ"; then fall back to a table)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


_ALNUM_RUN = re.compile(r"[0-9A-Za-z]{1,64}")


def _as_text(value: object, index: int) -> str:
    """A batch item that is not a str: ``None`` is no text; anything else is refused."""
    if value is None:
        return ""
    raise InputError(
        f"text #{index} is of type {type(value).__name__}, not str",
        hint="pass str values (decode bytes first; None means no text)",
    )


# In a batch (documents joined by the separator) no window may reach into another document,
# or a batch would find what its documents alone do not; a lone text holding the separator
# character is cut there the same way.
def _after_sep(text: str, a: int, s: int) -> int:
    """Start of a window ``[a, s)`` moved past the last separator in it (and to ≥ 0)."""
    if a < 0:
        a = 0
    cut = text.rfind(SEP_CHAR, a, s)
    return a if cut < 0 else cut + 1


def _before_sep(text: str, e: int, b: int) -> int:
    """End of a window ``[e, b)`` moved back to its first separator."""
    cut = text.find(SEP_CHAR, e, b)
    return b if cut < 0 else cut


def _widen_left(text: str, a: int) -> int:
    """Move a window start left to the start of the token it cuts (e-mail local parts too)."""
    if a == 0 or text[a - 1] not in _TOKEN_CHARS:
        return a
    stop = a - 64 if a > 64 else 0
    while a > stop and text[a - 1] in _TOKEN_CHARS:
        a -= 1
    return a


_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "._%+-")


def _widen(text: str, b: int, n: int) -> int:
    if b >= n or text[b] not in _TOKEN_CHARS:
        return b
    m = _ALNUM_RUN.match(text, b)
    return m.end() if m is not None else b


def _resolve(found: list[Candidate]) -> list[Candidate]:
    """Keep the best of overlapping candidates (score, then priority, then length)."""
    if len(found) == 1:
        return found
    ordered = sorted(found)
    end = -1
    for c in ordered:
        if c[0] < end:
            break
        end = c[1]
    else:
        return ordered  # nothing overlaps: the common case
    ranked = sorted(found, key=lambda c: (-c[2], -c[3], c[0] - c[1], c[0]))
    starts: list[int] = []
    kept: list[Candidate] = []
    for c in ranked:
        i = bisect_left(starts, c[0])
        if i > 0 and kept[i - 1][1] > c[0]:
            continue
        if i < len(kept) and kept[i][0] < c[1]:
            continue
        starts.insert(i, c[0])
        kept.insert(i, c)
    return kept


# -- recognizers from elsewhere (Presidio-style objects) ---------------------------------------


def _foreign_entities(rec: Any) -> Sequence[str]:
    ents = getattr(rec, "supported_entities", None) or ()
    return [str(e) for e in ents]


def _run_foreign(rec: Any, text: str, entities: Sequence[str], threshold: float) -> list[Candidate]:
    """Results of a recognizer with Presidio's ``analyze(text, entities, nlp_artifacts)``."""
    wanted = [e for e in _foreign_entities(rec) if e in entities]
    name = str(getattr(rec, "name", type(rec).__name__))
    out: list[Candidate] = []
    try:
        results = rec.analyze(text, wanted, None) or ()
    except Exception as exc:  # noqa: BLE001 - a broken plugin must fail the scan, loudly
        raise ConfigError(
            f"recognizer '{name}' raised {type(exc).__name__} while scanning",
            hint="fix or uninstall the plugin",
        ) from None
    for r in results:
        start, end = int(r.start), int(r.end)
        score = float(r.score)
        if end > start and score >= threshold and r.entity_type in wanted:
            out.append((start, end, score, 0, str(r.entity_type), name))
    return out
