"""Column classification: column names and comments (en/zh), table context, sampled values.

Like Google DLP, Macie and piicatcher, a column is classified from its name *and* sampled
values; unlike them, guardrail also reads column comments (Chinese schemas document columns
there: ``COMMENT '收货人电话'``), weighs the table a column sits in, and explains every verdict.

For each column:

1. **Hints** from ``rules/column_hints.yaml``: strong ones ("phone", 手机号) count on their
   own; weak ones ("name", "note") only in a table about people — a table whose name ends in
   a person noun, or where another column holds strong personal data.
2. **Values** (:class:`~guardrail.detect.cells.CellMatcher`): cell rules (a checksum-valid
   resident ID, a bcrypt hash, a name-shaped string) and the text scanner for free text.
3. **Verdict** per entity: mostly-whole values (≥ 50 %) → high confidence; values with the
   entity's shape in a hinted column → confirmed; personal data inside free text → a hit
   ratio; a hint alone → 0.6 (0.5 when values disagree: masked or encrypted, perhaps).
   Personal data no detector can confirm (avatars, user comments, gender) is reported as a
   fideslang category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import model_validator

from guardrail.detect.catalog import parse_bundled, validated
from guardrail.detect.cells import Analysis, CellMatcher, Evidence
from guardrail.detect.scanner import Scanner
from guardrail.model._base import ValueObject
from guardrail.model.common import EntityName
from guardrail.model.data import ColumnSample, TableSample
from guardrail.model.detection import CategoryKey, ColumnCategory, ColumnEntity, ColumnReport
from guardrail.resources import data_dir

__all__ = [
    "MIN_CONFIDENCE",
    "ColumnHints",
    "ColumnState",
    "HintRule",
    "classify_columns",
    "classify_evidence",
    "classify_table",
    "classify_with_analyses",
    "column_state",
    "load_hints",
]

#: Entities and categories below this confidence are not reported.
MIN_CONFIDENCE = 0.5
#: Entities whose presence makes a table "about people" (weak hints then apply).
_PERSONAL_CORE = frozenset(
    "PERSON EMAIL_ADDRESS PHONE_NUMBER CN_RESIDENT_ID ADDRESS CREDIT_CARD CN_BANK_CARD US_SSN "
    "CN_PASSPORT US_PASSPORT US_DRIVER_LICENSE DATE_OF_BIRTH IP_ADDRESS".split()
)


class HintRule(ValueObject):
    """One hint: name tokens and phrases pointing at an entity or a category."""

    entity: EntityName | None = None
    category: CategoryKey | None = None
    tokens: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    weak_phrases: tuple[str, ...] = ()
    not_tokens: tuple[str, ...] = ()
    not_phrases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_target(self) -> HintRule:
        if (self.entity is None) == (self.category is None):
            raise ValueError("a hint names exactly one of: entity, category")
        return self

    @property
    def target(self) -> str:
        return self.entity or self.category or ""


class ColumnHints(ValueObject):
    schema_version: Literal[2] = 2
    neutral_suffixes: tuple[str, ...] = ()
    person_tables: tuple[str, ...] = ()
    content_tables: tuple[str, ...] = ()
    thing_tables: tuple[str, ...] = ()
    hints: tuple[HintRule, ...]


@cache
def load_hints() -> ColumnHints:
    """The bundled hints (``rules/column_hints.yaml``)."""
    path = data_dir("rules").joinpath("column_hints.yaml")
    located = parse_bundled(path.read_text("utf-8"), "rules/column_hints.yaml")
    return validated(ColumnHints, located, "the column-hint format")


_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _parts(name: str) -> list[str]:
    return [p.lower() for p in _SPLIT.split(name) if p]


def _grams(parts: Sequence[str]) -> set[str]:
    out = set(parts)
    for n in (2, 3):
        out.update("_".join(parts[i : i + n]) for i in range(len(parts) - n + 1))
    if parts:
        out.add("_".join(parts))
    return out


@dataclass(frozen=True)
class _HintHit:
    rule: HintRule
    strong: bool
    why_en: str
    why_zh: str


def _hint_hits(name: str, comment: str | None, hints: ColumnHints) -> list[_HintHit]:
    parts = _parts(name)
    grams = _grams(parts)
    cparts = _parts(comment or "")
    cgrams = _grams(cparts) if cparts else set()
    last = parts[-1] if parts else ""
    neutral = last in hints.neutral_suffixes
    text = f"{name} {comment or ''}"
    out: list[_HintHit] = []
    for rule in hints.hints:
        if any(t in grams or t in cgrams for t in rule.not_tokens) or any(
            p in text for p in rule.not_phrases
        ):
            continue

        def covers(token: str) -> bool:  # the match ends the column name
            return token.split("_")[-1] == last

        hit: _HintHit | None = None
        for strong, tokens, phrases in (
            (True, rule.tokens, rule.phrases),
            (False, rule.weak, rule.weak_phrases),
        ):
            # A hint word must end the name: "detail_mobile_html" is HTML, "address_id" a key.
            tok = next((t for t in tokens if t in grams and covers(t)), None)
            if tok is not None:
                hit = _HintHit(
                    rule,
                    strong,
                    f"column name '{name}' matches '{tok}'",
                    f"列名 '{name}' 匹配 '{tok}'",
                )
                break
            ctok = next((t for t in tokens if t in cgrams), None) if not neutral else None
            if ctok is not None:
                hit = _HintHit(rule, strong, f"column comment names '{ctok}'", f"列注释含 '{ctok}'")
                break
            ph = next((p for p in phrases if p in text), None) if not neutral else None
            if ph is not None:
                in_comment = bool(comment) and ph in (comment or "") and ph not in name
                where_en = "comment" if in_comment else "name"
                where_zh = "注释" if in_comment else "列名"
                hit = _HintHit(
                    rule, strong, f"column {where_en} contains '{ph}'", f"{where_zh}含 '{ph}'"
                )
                break
        if hit is not None:
            out.append(hit)
    return out


def _table_kind(table: str, comment: str | None, hints: ColumnHints) -> tuple[bool, bool, bool]:
    """(about people, holds user-written content, about things) from the table's name and
    comment."""
    parts = _parts(table)
    last = parts[-1] if parts else ""
    last2 = "_".join(parts[-2:]) if len(parts) >= 2 else last
    # The last word names what a row is: "ums_member" is about people, "ums_member_level" not.
    people = last in hints.person_tables or last2 in hints.person_tables
    content = last in hints.content_tables
    # A Chinese comment names the row last too: "会员表" is about members, "会员标签表" about tags.
    text = _HEAD_SUFFIX.sub("", (comment or "").strip())
    people = people or any(text.endswith(w) for w in hints.person_tables if not w.isascii())
    content = content or any(text.endswith(w) for w in hints.content_tables if not w.isascii())
    things = not people and (
        last in hints.thing_tables
        or any(text.endswith(w) for w in hints.thing_tables if not w.isascii())
    )
    return people, content, things


_HEAD_SUFFIX = re.compile(r"(?:信息|资料|数据|记录|列表|明细)?(?:表|表格)?$")


# -- classification ----------------------------------------------------------------------


@dataclass
class _Column:
    sample: ColumnSample
    hits: list[_HintHit]
    evidence: Evidence


#: A column's hints and evidence, to classify later (streamed files sum evidence by batch).
ColumnState = _Column


def column_state(
    sample: ColumnSample, evidence: Evidence, hints: ColumnHints | None = None
) -> _Column:
    """The classification input for one column: its name/comment hints and its evidence."""
    return _Column(sample, _hint_hits(sample.name, sample.comment, hints or load_hints()), evidence)


def hinted_entities(name: str, comment: str | None = None, *, strong: bool = False) -> set[str]:
    """Entities a column's name or comment hints at (values of their shape are explained);
    with ``strong``, only those hinted strongly."""
    return {
        h.rule.entity
        for h in _hint_hits(name, comment, load_hints())
        if h.rule.entity and (h.strong or not strong)
    }


def classify_table(
    sample: TableSample,
    *,
    scanner: Scanner | None = None,
    table_comment: str | None = None,
    language: str | None = None,
) -> list[ColumnReport]:
    """Classify every column of a sampled table."""
    return classify_columns(
        sample.table,
        sample.columns,
        scanner=scanner,
        table_comment=table_comment,
        language=language,
    )


@cache
def _default_matcher() -> CellMatcher:
    from guardrail.detect import default_scanner

    return CellMatcher(entities=default_scanner().entities)


def _matcher_for(scanner: Scanner) -> CellMatcher:
    from guardrail.detect import default_scanner

    if scanner is default_scanner():
        return _default_matcher()
    cached = scanner._cell_matcher
    if cached is None:
        cached = scanner._cell_matcher = CellMatcher(scanner.catalog, entities=scanner.entities)
    return cached  # type: ignore[no-any-return]


def classify_columns(
    table: str,
    columns: Iterable[ColumnSample],
    *,
    scanner: Scanner | None = None,
    table_comment: str | None = None,
    hints: ColumnHints | None = None,
    language: str | None = None,
    values: dict[str, Any] | None = None,
) -> list[ColumnReport]:
    """Classify the columns of one table from names, comments, table context and values.

    ``columns`` are :class:`~guardrail.model.data.ColumnSample` objects (name, sampled
    values, comment, SQL type). ``values`` may map a column name to an Arrow array to use
    instead of its sample's values (the vectorised path of :func:`scan_table`).
    """
    reports, _ = classify_with_analyses(
        table,
        columns,
        scanner=scanner,
        table_comment=table_comment,
        hints=hints,
        language=language,
        values=values,
    )
    return reports


def classify_with_analyses(
    table: str,
    columns: Iterable[ColumnSample],
    *,
    scanner: Scanner | None = None,
    table_comment: str | None = None,
    hints: ColumnHints | None = None,
    language: str | None = None,
    values: dict[str, Any] | None = None,
    spans: bool = False,
) -> tuple[list[ColumnReport], list[Analysis]]:
    """:func:`classify_columns`, also returning each column's value analysis (with per-row
    detection spans when ``spans``)."""
    from guardrail.detect import default_scanner

    scanner = scanner or default_scanner()
    hints = hints or load_hints()
    matcher = _matcher_for(scanner)
    cols: list[_Column] = []
    analyses: list[Analysis] = []
    for c in columns:
        hits = _hint_hits(c.name, c.comment, hints)
        data = values.get(c.name) if values else None
        explained = {h.rule.entity for h in hits if h.rule.entity is not None}
        an = matcher.analyze(
            c.values if data is None else data,
            scanner,
            language=language,
            explained=explained,
            spans=spans,
        )
        analyses.append(an)
        cols.append(_Column(c, hits, an.evidence))
    return classify_evidence(table, cols, table_comment, hints), analyses


def classify_evidence(
    table: str, cols: Sequence[_Column], table_comment: str | None, hints: ColumnHints
) -> list[ColumnReport]:
    """Verdicts from hints and already gathered evidence (also used when evidence was summed
    over the batches of a streamed file)."""
    people, content, things = _table_kind(table, table_comment, hints)
    if not people:
        people = any(_strongly_personal(col) for col in cols)
    return [_report(table, col, people, content, things) for col in cols]


def _strongly_personal(col: _Column) -> bool:
    ev = col.evidence
    for h in col.hits:
        if not h.strong:
            continue
        if h.rule.category is not None:
            return True
        e = h.rule.entity or ""
        # A name-shaped value proves little ("Desk Lamp"); other shapes (an 11-digit mobile
        # under "phone") do.
        shaped = e not in _LOOSE and ev.ratio(ev.shape, e) >= 0.5
        if e in _PERSONAL_CORE and (ev.n == 0 or ev.ratio(ev.full, e) >= 0.5 or shaped):
            return True
    return any(ev.ratio(ev.full, e) >= 0.5 for e in _PERSONAL_CORE)


#: Entities whose values take too many forms for a shape mismatch to overrule a strong hint.
_LOOSE = frozenset({"PERSON", "ADDRESS", "LOCATION"})
#: Entities a single stray match cannot establish in a column (too easy to match by chance).
_WEAK_ALONE = frozenset({"PERSON", "ADDRESS", "LOCATION", "URL", "DATE_OF_BIRTH"})


def _free_text_hits(ev: Evidence, entity: str, hinted: bool) -> bool:
    """Whether matches inside values establish ``entity`` in the column.

    In a column of codes (single short tokens: order numbers, SKUs) scattered matches are
    coincidences — one number in ten passes Luhn — so at least 30 % must match. In free text
    two matches do (one for a checksum-validated entity in a small sample).
    """
    count = ev.anywhere[entity]
    ratio = ev.ratio(ev.anywhere, entity)
    if ev.tokens >= 0.8 * ev.n and not hinted:
        return ratio >= 0.3
    if entity in _WEAK_ALONE:
        return count >= 2
    return count >= 2 or ratio >= 0.05


def _report(table: str, col: _Column, people: bool, content: bool, things: bool) -> ColumnReport:
    ev = col.evidence
    n = ev.n
    entities: list[ColumnEntity] = []
    categories: list[ColumnCategory] = []
    reasons_en: list[str] = []
    reasons_zh: list[str] = []
    previews: list[str] = []
    hinted: dict[str, _HintHit] = {}
    for h in col.hits:
        if h.rule.entity is not None:
            prev = hinted.get(h.rule.entity)
            if prev is None or (h.strong and not prev.strong):
                hinted[h.rule.entity] = h
    # A hinted entity its values confirm outranks coincidental whole-value matches of other
    # entities on the same values (an integer IP in a "client_ip" column also fits NANP).
    confirmed = max((max(ev.ratio(ev.shape, e), ev.ratio(ev.full, e)) for e in hinted), default=0.0)
    for entity in sorted(set(ev.anywhere) | set(ev.full) | set(hinted)):
        hint = hinted.get(entity)
        if hint is None and confirmed >= 0.5 and ev.ratio(ev.full, entity) < confirmed:
            continue
        full_r = ev.ratio(ev.full, entity)
        any_r = ev.ratio(ev.anywhere, entity)
        shape_r = ev.ratio(ev.shape, entity) if hint is not None else 0.0
        loose_r = ev.ratio(ev.loose_shape, entity) if hint is not None and hint.strong else 0.0
        # A weak hint ("name") needs a table about people or values of the entity's form —
        # never in a table of things ("products.name" is a product's name).
        accepted = hint is not None and (
            hint.strong or full_r >= 0.5 or (not things and (people or shape_r >= 0.5))
        )
        shape_r = max(shape_r, loose_r)
        conf = 0.0
        en: list[str] = []
        zh: list[str] = []
        hit_ratio = any_r
        count = ev.anywhere[entity]
        if full_r >= 0.5:
            conf = 0.7 + 0.3 * full_r + (0.05 if accepted else 0.0)
            en.append(f"{ev.full[entity]}/{n} sampled values are {entity}")
            zh.append(f"{n} 个抽样值中 {ev.full[entity]} 个为 {entity}")
        elif accepted and shape_r >= 0.5:
            conf = 0.6 + 0.3 * shape_r
            hit_ratio = max(any_r, shape_r)
            shaped = max(ev.shape[entity], ev.loose_shape[entity] if loose_r else 0)
            en.append(f"{shaped}/{n} sampled values have the form of {entity}")
            zh.append(f"{n} 个抽样值中 {shaped} 个符合 {entity} 的格式")
        elif count and _free_text_hits(ev, entity, accepted):
            conf = 0.55 + 0.3 * any_r + (0.1 if accepted else 0.0)
            en.append(f"{count}/{n} sampled values contain {entity}")
            zh.append(f"{n} 个抽样值中 {count} 个含有 {entity}")
        elif accepted:
            if n == 0:
                conf = 0.6 if hint is not None and hint.strong else 0.55
                en.append("no values sampled")
                zh.append("未抽到值")
            elif ev.protected >= 0.5 * n:
                conf = 0.5
                hit_ratio = 0.0
                en.append(f"the {n} sampled values look masked or encrypted")
                zh.append(f"{n} 个抽样值看似已遮蔽或加密")
            elif (
                entity in _LOOSE
                and hint is not None
                and (hint.strong or people)
                and not any(ev.ratio(ev.full, other) >= 0.5 for other in ev.full)
            ):
                # Names and addresses take too many forms ("大梨") for values to overrule a
                # column named receiver_name.
                conf = 0.55
                en.append(f"the {n} sampled values are not typical of {entity}")
                zh.append(f"{n} 个抽样值不是典型的 {entity}")
        if conf < MIN_CONFIDENCE:
            continue
        if accepted and hint is not None:
            weak_in_people = people and not hint.strong
            en.append(hint.why_en + (" (a table about people)" if weak_in_people else ""))
            zh.append(hint.why_zh + ("（人员相关表）" if weak_in_people else ""))
        entities.append(
            ColumnEntity(
                entity=entity,
                hit_ratio=round(min(hit_ratio, 1.0), 4),
                confidence=round(min(conf, 1.0), 4),
            )
        )
        reasons_en.append(f"{entity}: " + "; ".join(en))
        reasons_zh.append(f"{entity}：" + "；".join(zh))
        if entity in ev.previews and hit_ratio > 0:
            previews.append(ev.previews[entity])
    for h in col.hits:
        if h.rule.category is None:
            continue
        cat = h.rule.category
        if any(c.category == cat for c in categories):
            continue
        is_content = cat.startswith("user.content.private")
        if h.strong:
            conf = 0.8
        elif is_content and content:
            conf = 0.75
        elif people and (not is_content or n > 0):
            conf = 0.65
        else:
            continue
        categories.append(ColumnCategory(category=cat, confidence=conf))
        context_en = (
            ""
            if h.strong
            else (
                " (a table of user content)"
                if is_content and content
                else " (a table about people)"
            )
        )
        context_zh = (
            "" if h.strong else ("（用户内容表）" if is_content and content else "（人员相关表）")
        )
        reasons_en.append(f"{cat}: {h.why_en}{context_en}")
        reasons_zh.append(f"{cat}：{h.why_zh}{context_zh}")
    entities.sort(key=lambda e: -e.confidence)
    categories.sort(key=lambda c: -c.confidence)
    none_en = (
        f"no personal data in {n} sampled values" if n else "no personal data; no values sampled"
    )
    none_zh = f"{n} 个抽样值中未发现个人信息" if n else "未发现个人信息；未抽到值"
    return ColumnReport(
        table=table,
        column=col.sample.name,
        entities=tuple(entities),
        categories=tuple(categories),
        sampled=len(col.sample.values),
        non_empty=n,
        reason=" | ".join(reasons_en) or none_en,
        reason_zh=" | ".join(reasons_zh) or none_zh,
        masked_preview=tuple(previews),
    )
