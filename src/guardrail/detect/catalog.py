"""The pattern catalog: entities, their patterns, validators, context words and cell rules.

One YAML file (``patterns.yaml``) is the single place regexes live. It feeds the fast engine
(:mod:`guardrail.detect.scanner`), column classification (``cells``: whole-value rules, also
run vectorised by Arrow) and the Presidio adapter (:mod:`guardrail.detect.presidio`), so the
three cannot drift. Users extend it with Presidio-format YAML recognizers
(:func:`load_presidio_yaml`) or entry points in the ``guardrail.recognizers`` group.

Regexes are Python ``re`` syntax. Cell rules must also compile in RE2 (no look-arounds, no
back-references): Arrow evaluates them over whole columns. ``{{NAME}}`` expands a fragment
from the catalog's ``fragments`` table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from guardrail.detect.validators import VALIDATORS
from guardrail.errors import ConfigError, ManifestError
from guardrail.model._base import ValueObject
from guardrail.model.common import EntityName, LocalizedText
from guardrail.yamlio import Located, load_yaml, validate

M = TypeVar("M", bound=ValueObject)

__all__ = [
    "CONTEXT_BOOST",
    "Catalog",
    "CellRule",
    "ContextWords",
    "EntitySpec",
    "PatternSpec",
    "Trigger",
    "load_catalog",
    "load_presidio_yaml",
    "merge_catalogs",
    "parse_bundled",
    "parse_catalog",
    "validated",
]

Score = Annotated[float, Field(ge=0.0, le=1.0)]

#: Added to a pattern's score when a context word of its entity is near the match
#: (Presidio's default context similarity factor).
CONTEXT_BOOST = 0.35

_FRAGMENT = re.compile(r"\{\{([A-Z][A-Z0-9_]*)\}\}")
_LOOKAROUND = re.compile(r"\(\?(?:=|!|<=|<!)|\\[0-9]|\\b|\\B|\\d|\\w|\\s|\\D|\\W|\\S")


#: Validation-context key: the document's regexes are known to compile (the bundled catalog,
#: checked by the tests), so validation skips compiling them — the engines compile each one
#: on first use, and a scan uses a fraction of them.
_TRUSTED_REGEXES = "trusted_regexes"


def _trusted(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(_TRUSTED_REGEXES))


def _compiles(value: str, info: ValidationInfo) -> str:
    if _trusted(info):
        return value
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"regex does not compile: {exc.msg}") from None
    return value


class Trigger(ValueObject):
    """What must be present near a match, so the engine only runs the regex there.

    Exactly one kind: ``digits`` (a run of digits, joined by separators such as ``-``, ``.``,
    ``(`` or single spaces, holding at least this many), ``literals`` (one of these strings,
    ASCII case ignored), ``regex`` (a match of a cheap, literal-led regex such as an
    alternation of cue words), ``context`` (a context word of the pattern), or ``cjk`` (the
    text holds CJK characters anywhere). With no trigger the regex scans the whole text.

    Digit triggers can be narrowed further: ``max_digits``, ``separators`` (the run must
    contain one of these characters), ``followed_by`` (a one-character class the character
    right after the run must belong to), ``preceded_by`` (a regex that must match the text
    right before the run; a one-character class is checked cheapest). A run continues across a separator only into
    a group of at most six digits, so a date followed by a phone number are two runs.
    """

    digits: Annotated[int, Field(ge=1, le=64)] | None = None
    #: Skip runs holding more digits than this (a phone is never 17 digits long).
    max_digits: Annotated[int, Field(ge=1, le=256)] | None = None
    literals: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    #: Match ``literals`` ignoring ASCII case (always so for a case-insensitive pattern).
    ignore_case: bool = False
    regex: str | None = None
    context: bool = False
    cjk: bool = False
    separators: str | None = None
    preceded_by: str | None = None
    followed_by: str | None = None

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _compiles(value, info)

    @field_validator("followed_by")
    @classmethod
    def _one_char_class(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"\[[^\]]+\]|[^\\\[\]().*+?{}|^$]", value):
            raise ValueError("must be one character or one character class such as '[ \\t]'")
        return _compiles(value, info)

    @field_validator("preceded_by")
    @classmethod
    def _preceded(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _compiles(value, info)

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        kinds = (self.digits is not None) + bool(self.literals) + (self.regex is not None)
        if kinds + self.cjk + self.context != 1:
            raise ValueError(
                "a trigger names exactly one of: digits, literals, regex, context, cjk"
            )
        narrowed = self.separators or self.preceded_by or self.followed_by or self.max_digits
        if narrowed and self.digits is None:
            raise ValueError(
                "max_digits, separators, preceded_by and followed_by narrow digit triggers only"
            )
        if (
            self.max_digits is not None
            and self.digits is not None
            and self.max_digits < self.digits
        ):
            raise ValueError("max_digits is below digits")
        return self


class ContextWords(ValueObject):
    """Words that make a nearby match more (or, as ``negative``, less) likely."""

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return (*self.en, *self.zh)


class PatternSpec(ValueObject):
    """One regex for one entity, with its validator, score and how context changes it."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    regex: str
    score: Score
    validator: str | None = None
    #: Added to the score when a context word is near (default :data:`CONTEXT_BOOST`).
    context_boost: Score = CONTEXT_BOOST
    #: Only report the match when a context word is near.
    requires_context: bool = False
    #: Context words for this pattern only (default: the entity's).
    context: ContextWords | None = None
    #: Characters before the match searched for context words.
    context_window: Annotated[int, Field(ge=1, le=200)] = 48
    ignore_case: bool = False
    #: Report this capture group rather than the whole match (e.g. a name after "Mr.").
    group: Annotated[int, Field(ge=1)] | None = None
    trigger: Trigger | None = None
    #: How far (characters) a match may extend after its trigger ...
    window: Annotated[int, Field(ge=0, le=4096)] = 8
    #: ... and before it (default: ``window``).
    window_before: Annotated[int, Field(ge=0, le=4096)] | None = None
    #: The match starts exactly where its trigger starts (a cue word, a hash prefix), so the
    #: engine tries one anchored match per trigger instead of searching the window.
    anchored: bool = False
    #: Tie-break between entities matching the same span with the same score.
    priority: int = 0
    #: "zh" patterns need CJK text; "en" patterns are skipped for language="zh" only texts.
    language: Literal["any", "en", "zh"] = "any"

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str, info: ValidationInfo) -> str:
        return _compiles(value, info)

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in VALIDATORS:
            raise ValueError(f"unknown validator '{value}'; known: {', '.join(sorted(VALIDATORS))}")
        return value

    @model_validator(mode="after")
    def _anchored_needs_trigger(self) -> PatternSpec:
        if self.anchored and (self.trigger is None or self.trigger.cjk):
            raise ValueError(
                "an anchored pattern needs a digits, literals, regex or context trigger"
            )
        return self

    @model_validator(mode="after")
    def _group_exists(self, info: ValidationInfo) -> PatternSpec:
        if self.group is None or _trusted(info):
            return self
        if re.compile(self.regex).groups < self.group:
            raise ValueError(f"regex has no capture group {self.group}")
        return self

    def context_words(self, entity: EntitySpec) -> tuple[str, ...]:
        return self.context.words if self.context is not None else entity.context.words


class CellRule(ValueObject):
    """A rule for a whole column value (stripped). Runs in Python and, vectorised, in Arrow.

    ``needs_hint``: the value's shape alone is not evidence (a 9-digit number, a capitalised
    word); it only counts in a column whose name or comment hints at the entity.
    """

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    regex: str
    score: Score
    validator: str | None = None
    needs_hint: bool = False
    #: The kinds of value the rule can match (``digits``: digits and separators; ``email``;
    #: ``url``; ``cjk``: holds Chinese characters; ``text``: anything else). Values are only
    #: tried against rules of their kind.
    kinds: tuple[Literal["digits", "email", "url", "cjk", "text"], ...] = (
        "digits",
        "email",
        "url",
        "cjk",
        "text",
    )

    @field_validator("regex")
    @classmethod
    def _re2_compatible(cls, value: str, info: ValidationInfo) -> str:
        bad = _LOOKAROUND.search(value)
        if bad:
            raise ValueError(
                f"cell rules must be RE2-compatible: '{bad.group(0)}' is not "
                "(use explicit classes such as [0-9], no look-arounds or back-references)"
            )
        return _compiles(value, info)

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in VALIDATORS:
            raise ValueError(f"unknown validator '{value}'; known: {', '.join(sorted(VALIDATORS))}")
        return value


class EntitySpec(ValueObject):
    entity: EntityName
    description: LocalizedText | None = None
    #: Scanned unless the caller names entities. Timestamps (DATE_TIME) are opt-in.
    default: bool = True
    context: ContextWords = ContextWords()
    negative: ContextWords = ContextWords()
    patterns: tuple[PatternSpec, ...] = ()
    cells: tuple[CellRule, ...] = ()
    #: Built-in code recognizers that add detections for this entity (closed set).
    engines: tuple[Literal["zh_person_jieba", "ner"], ...] = ()
    #: Where the entity came from: "builtin", a YAML file, or an entry point.
    origin: str = "builtin"

    @model_validator(mode="after")
    def _context_triggers_have_words(self) -> EntitySpec:
        for p in self.patterns:
            if p.trigger is not None and p.trigger.context and not p.context_words(self):
                raise ValueError(f"pattern '{p.name}' is triggered by context words but has none")
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> EntitySpec:
        names = [p.name for p in self.patterns] + [c.name for c in self.cells]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate pattern names: {', '.join(sorted(dup))}")
        return self


class Catalog(ValueObject):
    schema_version: Literal[1] = 1
    entities: tuple[EntitySpec, ...]

    @property
    def entity_names(self) -> tuple[str, ...]:
        return tuple(e.entity for e in self.entities)

    @property
    def default_entities(self) -> tuple[str, ...]:
        return tuple(e.entity for e in self.entities if e.default)

    def entity(self, name: str) -> EntitySpec:
        for e in self.entities:
            if e.entity == name:
                return e
        raise ConfigError(
            f"unknown entity: {name}",
            hint=f"known entities: {', '.join(sorted(self.entity_names))}",
        )

    @model_validator(mode="after")
    def _unique_entities(self) -> Catalog:
        names = self.entity_names
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"entities listed twice: {', '.join(sorted(dup))}")
        return self


_REGEX_KEYS = frozenset({"regex", "preceded_by", "followed_by"})


def _expand(data: Any, fragments: Mapping[str, str], where: str) -> Any:
    """Replace ``{{NAME}}`` in every regex-valued key (fragments may use earlier ones)."""
    if isinstance(data, dict):
        return {
            k: (
                _sub(v, fragments, where)
                if k in _REGEX_KEYS and isinstance(v, str)
                else _expand(v, fragments, where)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_expand(v, fragments, where) for v in data]
    return data


def _sub(text: str, fragments: Mapping[str, str], where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in fragments:
            raise ConfigError(
                f"{where}: unknown regex fragment {{{{{name}}}}}",
                hint=f"define it under 'fragments' (known: {', '.join(sorted(fragments))})",
            )
        return fragments[name]

    return _FRAGMENT.sub(repl, text)


def _resolve_fragments(raw: Mapping[str, Any], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(name)):
            raise ConfigError(
                f"{where}: fragment '{name}' must be an UPPER_SNAKE name with a string regex"
            )
        out[name] = _sub(value, out, where)
    return out


def validated(
    model: type[M],
    located: Located,
    described: str,
    schema: str | None = None,
    *,
    context: dict[str, Any] | None = None,
) -> M:
    """``model`` from parsed YAML; a problem is a ManifestError naming file and line, with a
    hint to ``guardrail schema SCHEMA`` (when there is one) and to docs/detect.md."""
    try:
        return validate(model, located, context=context)
    except ManifestError as exc:
        exc.hint = f"{described} is described in docs/detect.md"
        if schema:
            exc.hint = f"see 'guardrail schema {schema}'; {exc.hint}"
        raise


def parse_catalog(located: Located, *, trusted: bool = False) -> Catalog:
    """Validate a parsed catalog document (fragments expanded). ``trusted``: the document's
    regexes are known to compile (the bundled catalog); they are not compiled here."""
    data = located.data
    if isinstance(data, dict) and "fragments" in data:
        fragments = _resolve_fragments(data.get("fragments") or {}, located.file)
        data = {k: v for k, v in data.items() if k != "fragments"}
        located = Located(
            data=_expand(data, fragments, located.file), file=located.file, lines=located.lines
        )
    context = {_TRUSTED_REGEXES: True} if trusted else None
    return validated(Catalog, located, "the catalog format", schema="catalog", context=context)


def parse_bundled(text: str, name: str) -> Located:
    """A YAML file shipped with guardrail, parsed with libyaml when available (several times
    faster than the line-tracking parser, which the files are checked with in the tests)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Located(data=yaml.load(text, Loader=loader), file=name)  # noqa: S506 - a safe loader


@cache
def load_catalog() -> Catalog:
    """The built-in catalog (``guardrail/detect/patterns.yaml``). Its regexes are not compiled
    here (the tests check they do, with :func:`parse_catalog`'s full validation)."""
    text = resources.files("guardrail.detect").joinpath("patterns.yaml").read_text("utf-8")
    return parse_catalog(parse_bundled(text, "guardrail/detect/patterns.yaml"), trusted=True)


def merge_catalogs(base: Catalog, extra: Iterable[EntitySpec]) -> Catalog:
    """``base`` plus ``extra`` entity specs. An extra spec for a known entity adds its
    patterns, cells and context words to that entity; a new entity is appended."""
    entities = {e.entity: e for e in base.entities}
    order = list(entities)
    for spec in extra:
        old = entities.get(spec.entity)
        if old is None:
            entities[spec.entity] = spec
            order.append(spec.entity)
            continue
        taken = {p.name for p in old.patterns} | {c.name for c in old.cells}
        clash = taken & ({p.name for p in spec.patterns} | {c.name for c in spec.cells})
        if clash:
            raise ConfigError(
                f"recognizer for {spec.entity} from {spec.origin} reuses pattern names "
                f"{', '.join(sorted(clash))}",
                hint="rename the patterns",
            )
        entities[spec.entity] = old.model_copy(
            update={
                "patterns": (*old.patterns, *spec.patterns),
                "cells": (*old.cells, *spec.cells),
                "context": ContextWords(
                    en=(*old.context.en, *spec.context.en), zh=(*old.context.zh, *spec.context.zh)
                ),
            }
        )
    return Catalog(entities=tuple(entities[n] for n in order))


# -- Presidio's YAML recognizer format -----------------------------------------------------


class _PresidioPattern(ValueObject):
    name: str
    regex: str
    score: Score


class _PresidioLanguage(ValueObject):
    language: str
    context: tuple[str, ...] = ()


class _PresidioRecognizer(ValueObject):
    name: str
    supported_entity: EntityName | None = None
    supported_entities: tuple[EntityName, ...] = ()
    supported_language: str | None = None
    supported_languages: tuple[str | _PresidioLanguage, ...] = ()
    patterns: tuple[_PresidioPattern, ...] = ()
    deny_list: tuple[str, ...] = ()
    deny_list_score: Score = 1.0
    context: tuple[str, ...] = ()
    type: Literal["custom", "predefined"] = "custom"
    enabled: bool = True
    global_regex_flags: int | None = None
    description: str | None = None

    @property
    def entity(self) -> str:
        if self.supported_entity:
            return self.supported_entity
        if len(self.supported_entities) == 1:
            return self.supported_entities[0]
        raise ValueError("a custom recognizer names exactly one supported_entity")


class _PresidioFile(ValueObject):
    recognizers: tuple[_PresidioRecognizer, ...]
    # Presidio's registry file may also carry these; they do not concern us.
    supported_languages: tuple[str, ...] = ()
    global_regex_flags: int | None = None


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s if s and s[0].isalpha() else f"p_{s}"


def load_presidio_yaml(path: str | Path) -> list[EntitySpec]:
    """Entity specs from a Presidio-format recognizer YAML file (``recognizers: [...]``).

    Patterns keep their regex and score; context words and deny lists carry over. Presidio
    compiles patterns case-insensitively by default, and so do we unless the file sets
    ``global_regex_flags``. Predefined recognizers in the file are ignored (the built-in
    catalog already covers them).
    """
    located = load_yaml(path)
    try:
        doc = _PresidioFile.model_validate(located.data)
    except ValidationError:
        doc = validated(_PresidioFile, located, "Presidio's recognizer YAML format")
    out: list[EntitySpec] = []
    for i, rec in enumerate(doc.recognizers):
        if rec.type == "predefined" or not rec.enabled:
            continue
        try:
            entity = rec.entity
        except ValueError as exc:
            raise ConfigError(
                f"{path}: recognizer '{rec.name}': {exc}", hint="set supported_entity"
            ) from None
        flags = (
            rec.global_regex_flags
            if rec.global_regex_flags is not None
            else (doc.global_regex_flags if doc.global_regex_flags is not None else re.IGNORECASE)
        )
        ignore_case = bool(flags & re.IGNORECASE)
        words = list(rec.context)
        for lang in rec.supported_languages:
            if isinstance(lang, _PresidioLanguage):
                words.extend(lang.context)
        zh = tuple(w for w in words if re.search(r"[一-鿿]", w))
        en = tuple(w for w in words if w not in zh)
        base = _slug(rec.name) or f"recognizer_{i}"
        patterns: list[PatternSpec] = []
        try:
            for j, p in enumerate(rec.patterns):
                patterns.append(
                    PatternSpec(
                        name=f"{base}_{_slug(p.name)}_{j}",
                        regex=p.regex,
                        score=p.score,
                        ignore_case=ignore_case,
                    )
                )
            if rec.deny_list:
                alternation = "|".join(re.escape(w) for w in sorted(rec.deny_list, key=len)[::-1])
                patterns.append(
                    PatternSpec(
                        name=f"{base}_deny_list",
                        regex=f"(?<![0-9A-Za-z])(?:{alternation})(?![0-9A-Za-z])",
                        score=rec.deny_list_score,
                        ignore_case=ignore_case,
                    )
                )
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            raise ConfigError(
                f"{path}: recognizer '{rec.name}': {first['msg'].removeprefix('Value error, ')}",
                hint="fix the pattern",
            ) from None
        out.append(
            EntitySpec(
                entity=entity,
                patterns=tuple(patterns),
                context=ContextWords(en=en, zh=zh),
                origin=str(path),
            )
        )
    return out
