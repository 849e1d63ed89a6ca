from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.masking import (
    graphemes,
    mask,
    mask_address,
    mask_card,
    mask_cn_id,
    mask_email,
    mask_for_entity,
    mask_name,
    mask_phone,
)


@pytest.mark.parametrize(
    ("fn", "value", "masked"),
    [
        (mask_phone, "13812341234", "138****1234"),
        (mask_phone, "+86 138 1234 1234", "+86 138****1234"),
        (mask_cn_id, "11010519491231002X", "110***********002X"),
        (mask_card, "6228480012345678901", "622848*********8901"),
        (mask_card, "4111 1111 1111 1111", "411111******1111"),
        (mask_email, "zhang.wei@example.cn", "z***@example.cn"),
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧阳**"),
        (mask_name, "Anna Keller", "A*** K*****"),
        (mask_address, "广东省深圳市南山区科技园路1号", "广东省深圳市****"),
        (mask_address, "北京市海淀区中关村大街1号", "北京市****"),  # a municipality is its own city
    ],
)
def test_masks(fn, value: str, masked: str) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == masked


def test_combining_characters_count_as_one() -> None:
    value = unicodedata.normalize("NFD", "Zoë Müller")
    assert len(graphemes("e\u0301")) == 1
    out = mask_name(value)
    assert out.startswith("Z") and "\u0308" not in out  # no orphaned combining marks
    assert mask("e\u0301ab", keep_first=1) == "e\u0301**"


@given(st.text(min_size=1, max_size=40), st.integers(0, 6), st.integers(0, 6))
def test_mask_never_reveals_whole(value: str, first: int, last: int) -> None:
    out = mask(value, keep_first=first, keep_last=last)
    assert len(graphemes(out)) == len(graphemes(value))
    assert "*" in out


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_phone_mask_reveals_at_most_seven_digits(phone: str) -> None:
    out = mask_phone(phone)
    assert sum(c.isdigit() for c in out) == 7 and out.count("*") == 4


@given(st.from_regex(r"[0-9]{16,19}", fullmatch=True))
def test_card_mask_keeps_at_most_first6_last4(card: str) -> None:
    out = mask_card(card)
    assert out[:6] == card[:6] and out[-4:] == card[-4:]
    assert sum(c.isdigit() for c in out) == 10


def test_entity_dispatch() -> None:
    assert mask_for_entity("IP_ADDRESS", "10.20.30.40") == "10.20.*.*"
    assert mask_for_entity("CREDENTIAL", "hunter2") == "********"
    assert "secretvalue" not in mask_for_entity("UNKNOWN_THING", "secretvalue")


# -- refinements: tables of CJK and Latin inputs, column masking, configurable styles ---------

from guardrail.masking import MASK_STYLES, is_masked, mask_column, masker  # noqa: E402


@pytest.mark.parametrize(
    ("fn", "value", "masked"),
    [
        # CN mobiles, with and without country prefix / separators
        (mask_phone, "+86-139-0000-1111", "+86 139****1111"),
        (mask_phone, "0755-8888-1234", "075*****1234"),
        (mask_phone, "12345", "***45"),
        # resident IDs: 18 and 15 digits, lower-case check letter
        (mask_cn_id, "11010519491231002x", "110***********002x"),
        (mask_cn_id, "110105491231002", "110********1002"),
        (mask_cn_id, "1234", "**34"),
        # cards never show more than 6 + 4
        (mask_card, "4111-1111-1111-1111", "411111******1111"),
        (mask_card, "378282246310005", "3782*******0005"),
        (mask_card, "123456", "****56"),
        # e-mails, including non-ASCII local parts and one-letter locals
        (mask_email, "a@example.cn", "***@example.cn"),
        (mask_email, "张伟@例子.中国", "张***@例子.中国"),
        (mask_email, "not-an-email", "n***********"),
        # Chinese names: surname kept, compound surnames, single character, middle dot
        (mask_name, "李", "*"),
        (mask_name, "王小明", "王**"),
        (mask_name, "司马光", "司**"),
        (mask_name, "诸葛孔明", "诸葛**"),
        (mask_name, "买买提·艾力", "买**·**"),
        # Latin names: initials, hyphens, diacritics precomposed
        (mask_name, "Jean-Luc Picard", "J***-L** P*****"),
        (mask_name, "Zoë Müller", "Z** M*****"),
        # addresses: province/city kept
        (mask_address, "内蒙古自治区呼和浩特市新城区", "内蒙古自治区呼和浩特市****"),
        (mask_address, "上海市", "上**"),
        (mask_address, "10 Downing St, London SW1A 2AA", "****, London"),
        (mask_address, "1 Main St, Springfield, IL 62701-1234", "****, Springfield, IL"),
        (mask_address, "somewhere", "****"),
    ],
)
def test_mask_table(fn, value: str, masked: str) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == masked


@pytest.mark.parametrize(
    ("value", "clusters"),
    [
        ("🇨🇳🇺🇸", ["🇨🇳", "🇺🇸"]),
        ("👍🏽!", ["👍🏽", "!"]),
        ("👨\u200d👩\u200d👧x", ["👨\u200d👩\u200d👧", "x"]),
        ("ne\u0301e", ["n", "e\u0301", "e"]),
        ("हिन्दी", ["हि", "न्", "दी"]),  # Devanagari vowel signs are spacing marks (Mc)
        ("張三", ["張", "三"]),
    ],
)
def test_graphemes(value: str, clusters: list[str]) -> None:
    assert graphemes(value) == clusters


def test_generic_keeps_clusters_whole() -> None:
    assert mask("👨\u200d👩\u200d👧abc", keep_first=1) == "👨\u200d👩\u200d👧***"
    assert mask("abcé", keep_last=1) == "***é"
    assert mask(unicodedata.normalize("NFD", "abcé"), keep_last=1) == "***e\u0301"


def test_cn_id_keep_is_configurable_but_capped() -> None:
    assert mask_cn_id("11010519491231002X", keep_first=6) == "110105********002X"
    assert mask_cn_id("11010519491231002X", keep_first=17, keep_last=17) == "110105********002X"
    assert masker("cn_id", keep_first=6)("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize(
    ("style", "kwargs", "values", "expected"),
    [
        ("phone", {}, ["13812345678", None, ""], ["138****5678", None, ""]),
        ("card", {}, ["6228480012345678901"], ["622848*********8901"]),
        ("email", {}, ["zhang@x.cn", "a@x.cn"], ["z***@x.cn", "***@x.cn"]),
        ("name", {}, ["张三", "欧阳娜娜", "Anna Keller"], ["张*", "欧阳**", "A*** K*****"]),
        ("generic", {"keep_first": 2, "keep_last": 1}, ["ABCDEF", "AB"], ["AB***F", "A*"]),
        ("full", {}, ["abc", "张三"], ["***", "**"]),
        ("phone", {"char": "#"}, ["13812345678"], ["138####5678"]),
    ],
)
def test_mask_column(
    style: str, kwargs: dict[str, object], values: list[str | None], expected: list[str | None]
) -> None:
    assert mask_column(values, style, **kwargs) == expected  # type: ignore[arg-type]


_SHAPES = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[0-9]{17}[0-9Xx ]", fullmatch=True),
    st.from_regex(r"[0-9]{12,20}", fullmatch=True),
    st.from_regex(r"[a-z.]{0,8}@[a-z]{1,6}\.cn", fullmatch=True),
    st.text(alphabet="张王李欧阳司马诸葛三丰娜明", min_size=1, max_size=5),
    st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Mn", "Mc"]), max_size=8),
    st.text(max_size=20),
)


@given(_SHAPES)
def test_fast_paths_equal_general_functions(value: str) -> None:
    general = {
        "phone": mask_phone,
        "cn_id": mask_cn_id,
        "card": mask_card,
        "email": mask_email,
        "name": mask_name,
        "address": mask_address,
        "generic": lambda v: mask(v, keep_first=1),
    }
    for style, fn in general.items():
        assert masker(style)(value) == fn(value), style  # type: ignore[arg-type]


@given(st.from_regex(r"[0-9]{18}", fullmatch=True))
def test_id_mask_hides_birth_date(value: str) -> None:
    out = masker("cn_id")(value)
    assert out[6:14] == "*" * 8 and is_masked(out)


def test_unknown_style_and_bad_char() -> None:
    with pytest.raises(ValueError, match="unknown mask style"):
        masker("nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="single character"):
        masker("phone", char="**")
    assert set(MASK_STYLES) == {
        "phone",
        "cn_id",
        "card",
        "email",
        "name",
        "address",
        "generic",
        "full",
    }


_COLUMN_VALUES = st.lists(st.one_of(st.none(), st.just(""), _SHAPES), max_size=30)


@settings(deadline=None, max_examples=60)
@given(_COLUMN_VALUES, st.sampled_from(sorted(MASK_STYLES)))
def test_column_paths_equal_per_value_masks(values: list[str | None], style: str) -> None:
    import pyarrow as pa

    fn = masker(style)  # type: ignore[arg-type]
    expected = [fn(v) if v else v for v in values]
    assert mask_column(values, style) == expected  # type: ignore[arg-type]
    arrow = mask_column(pa.array(values, type=pa.string()), style)  # type: ignore[arg-type]
    assert arrow.to_pylist() == expected
    chunked = pa.chunked_array([values[:3], values[3:]], type=pa.string())
    assert mask_column(chunked, style).to_pylist() == expected  # type: ignore[arg-type]


def test_arrow_column_with_other_char_and_non_string_type() -> None:
    import pyarrow as pa

    assert mask_column(pa.array(["13812345678"]), "phone", char="#").to_pylist() == ["138####5678"]
    assert mask_column(pa.array([1234567, None]), "generic").to_pylist() == ["1******", None]


def test_mask_column_misuse_names_position_and_type_never_content() -> None:
    with pytest.raises(TypeError, match="not one string"):
        mask_column("13812345678", "phone")
    for style in ("phone", "card", "cn_id", "name", "email", "generic"):
        with pytest.raises(TypeError, match=r"value #2 is of type int, not str") as info:
            mask_column(["13812345678", None, 13812345679], style)  # type: ignore[list-item]
        assert "13812345679" not in str(info.value)
    with pytest.raises(TypeError, match=r"value #0 is of type bytes"):
        mask_column([b"13812345678"], "phone")  # type: ignore[list-item]
    # Any iterable of str/None works (a generator is read once).
    assert mask_column((v for v in ["13812345678", None]), "phone") == ["138****5678", None]
