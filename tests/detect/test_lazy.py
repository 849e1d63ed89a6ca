"""Work the engines put off until first use gives the results eager construction gave."""

from __future__ import annotations

import re

import pytest

from guardrail.detect import Scanner, load_catalog
from guardrail.detect import validators as v
from guardrail.detect.catalog import parse_bundled, parse_catalog
from guardrail.detect.cells import CellMatcher, value_kind
from guardrail.detect.validators import make_validators
from guardrail.errors import ManifestError


def test_the_bundled_catalog_is_loaded_without_compiling_and_checks_when_not_trusted() -> None:
    # A regex that does not compile passes a trusted parse (the bundled catalog's regexes are
    # checked by test_bundled_files_pass_the_strict_parser) and fails an untrusted one.
    doc = parse_bundled(
        "entities:\n"
        "  - entity: SHOP_ID\n"
        "    patterns:\n"
        "      - {name: shop, regex: 'SHOP-([0-9]+', score: 0.9, group: 2}\n",
        "mine.yaml",
    )
    assert parse_catalog(doc, trusted=True).entities[0].patterns[0].regex == "SHOP-([0-9]+"
    with pytest.raises(ManifestError, match="regex does not compile"):
        parse_catalog(doc)


def test_scanner_rules_compile_on_first_use_and_share_equal_regexes() -> None:
    scanner = Scanner(plugins=False, ner=None)
    rules = scanner._rules
    assert all(r._rx is None for r in rules)
    text = "Call 13812345678 or mail li.lei@example.com; card 4111 1111 1111 1111."
    found = {(d.entity, text[d.start : d.end]) for d in scanner.scan(text)}
    assert {
        ("PHONE_NUMBER", "13812345678"),
        ("EMAIL_ADDRESS", "li.lei@example.com"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
    } <= found
    used = [r for r in rules if r._rx is not None]
    assert 0 < len(used) < len(rules)
    for r in rules:
        rx = r.regex
        assert rx.pattern == r.pattern
        assert rx.flags & re.IGNORECASE == r.flags & re.IGNORECASE
    # Rules with the same regex and flags hold one object: the digit-run scan reuses its
    # matches across them.
    by_source: dict[tuple[str, int], re.Pattern[str]] = {}
    for r in rules:
        assert by_source.setdefault((r.pattern, r.flags), r.regex) is r.regex


def _eager_match(value: str) -> list[tuple[str, bool, float, str]]:
    """CellMatcher.match without its index: every cell rule compiled up front and tried."""
    validators = make_validators()
    fits = []
    for spec in load_catalog().entities:
        for c in spec.cells:
            if value_kind(value) in c.kinds and re.fullmatch(c.regex, value):
                verdict = validators[c.validator](value) if c.validator else True
                if verdict is False:
                    continue
                score = c.score if verdict is True else min(c.score, float(verdict) + 0.3)
                if score >= 0.5 or verdict is True:
                    fits.append((spec.entity, c.needs_hint, score, c.name))
    fits.sort(key=lambda f: -f[2])
    strong = [f for f in fits if not f[1]][:1]
    shapes: dict[str, tuple[str, bool, float, str]] = {}
    for f in fits:
        if f[1]:
            shapes.setdefault(f[0], f)
    return strong + list(shapes.values())


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "+1-518-517-4143",
        "11010519491231002X",
        "4111111111111111",
        "192.168.10.20",
        "li.lei@example.com",
        "https://shop.example.com/u/42",
        "Jane Smith",
        "北京市朝阳区建国路88号",
        "张伟",
        "plain words here",
    ],
)
def test_cell_rules_compiled_per_value_kind_match_like_eager_ones(value: str) -> None:
    matcher = CellMatcher()
    assert matcher._kinds == {}
    assert sorted(matcher.match(value)) == sorted(_eager_match(value))
    assert set(matcher._kinds) == {value_kind(value)}


@pytest.mark.parametrize(
    "number",
    [
        "+1-518-517-4143",  # valid in the US
        "+1-542-468-4656",  # no NANP region has area code 542: possible only
        "+1-439-869-3729",
        "+44 20 7946 0958",
        "+7 912 345 67 89",
        "+86 138 1234 5678",
        "+999 1234 5678",
    ],
)
def test_international_numbers_score_as_the_best_region_says(number: str) -> None:
    digits = v._digits(number)
    best = 0
    for k in (1, 2, 3):
        regions = v._regions_for_cc(digits[:k])
        if regions:
            best = max(v._phone_region(r).significant(digits[k:]) for r in regions)
            break
    assert v._international(digits) == best


def test_a_valid_us_number_builds_no_other_nanp_region() -> None:
    v._phone_region.cache_clear()
    assert v._international(v._digits("+1-518-517-4143")) == 2
    assert v._phone_region.cache_info().currsize == 1


@pytest.mark.parametrize("rows", [False, True])
@pytest.mark.parametrize("large", [False, True])
def test_small_arrow_arrays_deduplicate_like_arrows_hash_kernel(
    rows: bool, large: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa

    from guardrail.detect import cells

    values = ["b", None, "a", "b", "", "张伟", "a", None, "b "]
    arr = pa.chunked_array(
        [values[:4], values[4:]], type=pa.large_string() if large else pa.string()
    )
    small = cells._distinct(arr, rows=rows)
    monkeypatch.setattr(cells, "SMALL_ARRAY", 0)  # Arrow's dictionary_encode + value_counts
    assert cells._distinct(arr, rows=rows) == small
    assert small[0] == ["b", "a", "", "张伟", "b "]
    assert small[1] == [2, 2, 1, 1, 1]
    assert small[2] == ([0, -1, 1, 0, 2, 3, 1, -1, 4] if rows else None)
