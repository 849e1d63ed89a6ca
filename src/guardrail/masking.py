"""Display masks for personal data.

Masking is for *display* (screens, reports, logs of evidence): it is not a protection and never
counts as one in the audit. Conventions follow common PRC practice and PCI DSS (see
../shared/reference/regulations.md §12.1), e.g. ``138****1234`` for a mobile number and at most
the first 6 and last 4 digits of a card (PCI DSS v4.0 Req. 3.4.1 ⚠ quoted from a secondary
source); GB/T 35273-2020 §7.2 ⚠ asks for de-identified or masked display of personal
information on screens and paper.

Every function works on user-perceived characters: a base character with its combining marks,
an emoji ZWJ sequence or a flag counts as one, and CJK characters count as one each.

For whole columns use :func:`mask_column` (or :func:`masker` for a reusable function): it
takes fast paths for the common shapes (ASCII digits, ASCII e-mail, CJK names) and falls back to
the general functions otherwise, with identical results.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args

__all__ = [
    "MASK_CHAR",
    "MaskStyle",
    "graphemes",
    "is_masked",
    "mask",
    "mask_address",
    "mask_card",
    "mask_cn_id",
    "mask_column",
    "mask_email",
    "mask_for_entity",
    "mask_name",
    "mask_phone",
    "masker",
]

MASK_CHAR = "*"

MaskStyle = Literal["phone", "cn_id", "card", "email", "name", "address", "generic", "full"]
MASK_STYLES: tuple[str, ...] = get_args(MaskStyle)

# Characters that attach to the previous one: variation selectors, emoji skin-tone modifiers,
# tag characters (subdivision flags), and ZWJ (which also glues the next character).
_ZWJ = "\u200d"
_ATTACH = re.compile(
    "[\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)
_MARKS = frozenset(("Mn", "Mc", "Me"))
_REGIONAL = range(0x1F1E6, 0x1F200)


def graphemes(text: str) -> list[str]:
    """Split ``text`` into user-perceived characters (approximating UAX #29 clusters).

    A base character keeps its combining marks (Mn/Mc/Me), variation selectors, skin-tone
    modifiers and ZWJ-joined followers; two regional indicators form one flag.
    """
    if text.isascii():
        return list(text)
    out: list[str] = []
    for ch in text:
        if out:
            prev = out[-1]
            if (
                unicodedata.category(ch) in _MARKS
                or _ATTACH.match(ch)
                or prev.endswith(_ZWJ)
                or (ord(ch) in _REGIONAL and len(prev) == 1 and ord(prev) in _REGIONAL)
            ):
                out[-1] = prev + ch
                continue
        out.append(ch)
    return out


def mask(
    text: str,
    *,
    keep_first: int = 0,
    keep_last: int = 0,
    char: str = MASK_CHAR,
    min_masked: int = 1,
) -> str:
    """Keep ``keep_first`` and ``keep_last`` characters and replace the rest with ``char``.

    At least ``min_masked`` characters are always hidden: a value too short to keep the
    requested ends is shortened from the kept parts, never revealed whole.

    >>> mask("13812341234", keep_first=3, keep_last=4)
    '138****1234'
    >>> mask("张三丰", keep_first=1)
    '张**'
    """
    g = graphemes(text)
    n = len(g)
    if n == 0:
        return ""
    first, last = max(keep_first, 0), max(keep_last, 0)
    while first + last > max(n - min_masked, 0):
        if last >= first and last > 0:
            last -= 1
        elif first > 0:
            first -= 1
        else:
            break
    hidden = n - first - last
    return "".join(g[:first]) + char * hidden + "".join(g[n - last :] if last else [])


_NON_DIGIT = re.compile(r"\D")
_COUNTRY = re.compile(r"^(\+\d{1,3})[\s-]*")


def mask_phone(phone: str) -> str:
    """Mask a phone number, keeping the country prefix, the first 3 and the last 4 digits.

    >>> mask_phone("13812341234")
    '138****1234'
    >>> mask_phone("+86 138 1234 1234")
    '+86 138****1234'
    """
    s = phone.strip()
    prefix = ""
    m = _COUNTRY.match(s)
    if m:
        prefix, s = m.group(1) + " ", s[m.end() :]
    digits = _NON_DIGIT.sub("", s)
    if len(digits) <= 7:
        return prefix + mask(digits, keep_last=2)
    return prefix + mask(digits, keep_first=3, keep_last=4)


def mask_cn_id(number: str, *, keep_first: int = 3, keep_last: int = 4) -> str:
    """Mask an 18-character PRC resident ID, keeping the first 3 and last 4 (birth date hidden).

    ``keep_first=6`` keeps the region code, as some systems show (regulations.md §12.1).

    >>> mask_cn_id("11010519491231002X")
    '110***********002X'
    """
    s = number.strip()
    if len(s) >= 15:
        return mask(s, keep_first=min(keep_first, 6), keep_last=min(keep_last, 4))
    return mask(s, keep_last=2)


def mask_card(number: str) -> str:
    """Mask a payment card or bank account: at most the first 6 and last 4 digits stay.

    >>> mask_card("6228 4800 1234 5678 901")
    '622848*********8901'
    """
    digits = _NON_DIGIT.sub("", number)
    if len(digits) >= 16:
        return mask(digits, keep_first=6, keep_last=4)
    if len(digits) >= 12:
        return mask(digits, keep_first=4, keep_last=4)
    return mask(digits, keep_last=min(4, max(len(digits) - 4, 0)))


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain.

    A one-character local part is hidden entirely.

    >>> mask_email("zhang.wei@example.cn")
    'z***@example.cn'
    >>> mask_email("a@example.cn")
    '***@example.cn'
    """
    local, sep, domain = email.strip().rpartition("@")
    if not sep:
        return mask(email, keep_first=1)
    g = graphemes(local)
    first = g[:1] if len(g) > 1 else []
    return "".join(first) + "***@" + domain


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,4}")
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 南宫 西门".split()
)
_NAME_DOT = "·•・"


def mask_name(name: str) -> str:
    """Chinese names keep the surname (``张*``, ``欧阳**``); Latin names keep initials.

    Transliterated names joined by a middle dot keep the first character and the dots.

    >>> mask_name("张三")
    '张*'
    >>> mask_name("Anna Keller")
    'A*** K*****'
    >>> mask_name("买买提·艾力")
    '买**·**'
    """
    s = name.strip()
    if _CJK.search(s):
        g = graphemes(s.replace(" ", ""))
        if len(g) <= 1:
            return MASK_CHAR
        if any(c in _NAME_DOT for c in g):
            return g[0] + "".join(c if c in _NAME_DOT else MASK_CHAR for c in g[1:])
        keep = 2 if len(g) >= 4 and "".join(g[:2]) in _COMPOUND_SURNAMES else 1
        return "".join(g[:keep]) + MASK_CHAR * (len(g) - keep)
    parts = re.split(r"(\s+|-)", s)
    return "".join(p if not p.strip() or p == "-" else mask(p, keep_first=1) for p in parts)


# Province-, prefecture- and county-level suffixes of Chinese addresses.
_CN_ADMIN = re.compile(r"^(.+?(?:省|自治区|特别行政区|市))?(.+?(?:市|自治州|地区|盟|州))?")
# Trailing words holding a digit: postcodes such as 97403, 94105-1234 or SW1A 2AA.
_POSTCODE_TAIL = re.compile(r"(?:^|\s+)(?:\S*\d\S*)(?:\s+\S*\d\S*)*$")


def mask_address(address: str) -> str:
    """Keep the province and city of a Chinese address; the region of a Latin one.

    >>> mask_address("广东省深圳市南山区科技园路1号")
    '广东省深圳市****'
    >>> mask_address("742 Evergreen Terrace, Springfield, OR 97403")
    '****, Springfield, OR'
    """
    s = address.strip()
    if _CJK.search(s):
        m = _CN_ADMIN.match(s)
        kept = "".join(p for p in (m.groups() if m else ()) if p)
        if kept == s:  # nothing below the city level: still hide something
            return mask(s, keep_first=max(len(graphemes(s)) - 2, 0))
        return kept + MASK_CHAR * 4 if kept else MASK_CHAR * 4
    parts = [p.strip() for p in s.split(",")]
    if len(parts) >= 3:
        region = _POSTCODE_TAIL.sub("", parts[-1])
        return ", ".join(
            [MASK_CHAR * 4, parts[-2], region] if region else [MASK_CHAR * 4, parts[-2]]
        )
    if len(parts) == 2:
        return MASK_CHAR * 4 + ", " + _POSTCODE_TAIL.sub("", parts[-1])
    return MASK_CHAR * 4


def _mask_ip(value: str) -> str:
    """Keep the first two octets of IPv4 (``10.2.*.*``) or two groups of IPv6."""
    if "." in value and ":" not in value:
        parts = value.split(".")
        return ".".join(parts[:2] + ["*"] * (len(parts) - 2))
    groups = value.split(":")
    return ":".join(groups[:2]) + ":*"


def _generic(value: str) -> str:
    n = len(graphemes(value))
    return mask(value, keep_first=1 if n >= 6 else 0, keep_last=2 if n >= 8 else 0)


_BY_ENTITY: dict[str, Callable[[str], str]] = {
    "PHONE_NUMBER": mask_phone,
    "CN_RESIDENT_ID": mask_cn_id,
    "CREDIT_CARD": mask_card,
    "CN_BANK_CARD": mask_card,
    "IBAN_CODE": lambda v: mask(v.replace(" ", ""), keep_first=4, keep_last=4),
    "EMAIL_ADDRESS": mask_email,
    "PERSON": mask_name,
    "ADDRESS": mask_address,
    "IP_ADDRESS": lambda v: _mask_ip(v),
    "CREDENTIAL": lambda v: MASK_CHAR * 8,
}


def mask_for_entity(entity: str, value: str) -> str:
    """The display mask for a value known to be ``entity``; a generic mask otherwise."""
    return _BY_ENTITY.get(entity, _generic)(value)


def is_masked(value: str, char: str = MASK_CHAR) -> bool:
    """True if ``value`` already holds the mask character (masking it again changes nothing
    that matters and may reveal less predictably, so callers skip it)."""
    return char in value


# -- column masking -----------------------------------------------------------------------


def masker(
    style: MaskStyle,
    *,
    keep_first: int | None = None,
    keep_last: int | None = None,
    char: str = MASK_CHAR,
) -> Callable[[str], str]:
    """A masking function for one ``style``, with fast paths for common value shapes.

    ``keep_first``/``keep_last`` configure ``generic`` (default 1/0) and ``cn_id`` (3/4, at
    most 6/4). ``full`` replaces every character. Results equal the general functions'.

    >>> masker("phone")("13812345678")
    '138****5678'
    >>> masker("generic", keep_first=2, keep_last=2)("ABCDEFG")
    'AB***FG'
    """
    if style not in MASK_STYLES:
        raise ValueError(f"unknown mask style {style!r}; use one of {', '.join(MASK_STYLES)}")
    if len(char) != 1:
        raise ValueError("the mask character must be a single character")
    fn = _build(style, keep_first, keep_last)
    if char == MASK_CHAR:
        return fn
    return lambda v: fn(v).replace(MASK_CHAR, char)


_ID_CHECK = frozenset("0123456789Xx")
_STARS = tuple(MASK_CHAR * i for i in range(64))


def _build(style: str, keep_first: int | None, keep_last: int | None) -> Callable[[str], str]:
    star = MASK_CHAR
    if style == "phone":
        stars4 = star * 4

        def phone(v: str) -> str:
            if len(v) == 11 and v.isdigit() and v.isascii():
                return v[:3] + stars4 + v[7:]
            return mask_phone(v)

        return phone
    if style == "cn_id":
        f = 3 if keep_first is None else min(max(keep_first, 0), 6)
        la = 4 if keep_last is None else min(max(keep_last, 0), 4)
        mid = star * (18 - f - la)

        def cn_id(v: str) -> str:
            if len(v) == 18 and v.isascii() and v[:17].isdigit() and v[17] in _ID_CHECK:
                return v[:f] + mid + (v[18 - la :] if la else "")
            return mask_cn_id(v, keep_first=f, keep_last=la)

        return cn_id
    if style == "card":

        def card(v: str) -> str:
            n = len(v)
            if n >= 16 and v.isdigit() and v.isascii():
                return v[:6] + star * (n - 10) + v[n - 4 :]
            return mask_card(v)

        return card
    if style == "email":

        def email(v: str) -> str:
            if v.isascii() and v == v.strip():
                local, sep, domain = v.rpartition("@")
                if sep:
                    return (local[0] if len(local) > 1 else "") + "***@" + domain
            return mask_email(v)

        return email
    if style == "name":
        full_match = _CJK_NAME.fullmatch
        compound = _COMPOUND_SURNAMES

        def name(v: str) -> str:
            if full_match(v):
                keep = 2 if len(v) >= 4 and v[:2] in compound else 1
                return v[:keep] + star * (len(v) - keep)
            return mask_name(v)

        return name
    if style == "address":
        return mask_address
    if style == "full":
        return lambda v: star * len(v) if v.isascii() else star * len(graphemes(v))
    f = 1 if keep_first is None else max(keep_first, 0)
    la = 0 if keep_last is None else max(keep_last, 0)

    def generic(v: str) -> str:
        n = len(v)
        if v.isascii() and n - f - la >= 1:
            return v[:f] + star * (n - f - la) + (v[n - la :] if la else "")
        return mask(v, keep_first=f, keep_last=la)

    return generic


def mask_column(
    values: Iterable[str | None] | Any,
    style: MaskStyle,
    *,
    keep_first: int | None = None,
    keep_last: int | None = None,
    char: str = MASK_CHAR,
) -> Any:
    """Mask every value of a column (``None`` and ``""`` pass through).

    ``values`` may be a list (a list is returned) or a pyarrow ``Array``/``ChunkedArray`` of
    strings (an ``Array`` is returned): Arrow columns are masked with vectorised kernels for
    the common shapes, and per value only where a value needs the general rules.

    >>> mask_column(["13812345678", None, "+86 139 0000 1111"], "phone")
    ['138****5678', None, '+86 139****1111']
    """
    fn = masker(style, keep_first=keep_first, keep_last=keep_last, char=char)
    if _is_arrow(values):
        return _mask_arrow(values, style, fn, keep_first, keep_last, char)
    if isinstance(values, (str, bytes)):
        raise TypeError(
            "mask_column takes a column of values (a list or an Arrow array), not one string; "
            "for one value use masker(style)(value)"
        )
    if not isinstance(values, (list, tuple)):
        values = list(values)
    try:
        return _mask_list(values, style, fn, keep_first, keep_last, char)
    except (TypeError, AttributeError):
        # Name the offending value by position and type (never its content).
        for i, v in enumerate(values):
            if v is not None and not isinstance(v, str):
                raise TypeError(
                    f"value #{i} is of type {type(v).__name__}, not str "
                    "(convert with str() first; None passes through)"
                ) from None
        raise


def _mask_list(
    values: list[str | None] | tuple[str | None, ...],
    style: MaskStyle,
    fn: Callable[[str], str],
    keep_first: int | None,
    keep_last: int | None,
    char: str,
) -> list[str | None]:
    """:func:`mask_column` for a list (the common shapes inline: no call per value)."""
    if char == MASK_CHAR:
        # The common shapes inline (no call per value); same results as ``fn``.
        if style == "phone":
            s4 = MASK_CHAR * 4
            return [
                v[:3] + s4 + v[7:]
                if v and len(v) == 11 and v.isascii() and v.isdigit()
                else (fn(v) if v else v)
                for v in values
            ]
        if style == "card":
            stars = _STARS
            return [
                v[:6] + stars[len(v) - 10] + v[-4:]
                if v and 16 <= len(v) < 74 and v.isascii() and v.isdigit()
                else (fn(v) if v else v)
                for v in values
            ]
        if style == "cn_id" and keep_first is None and keep_last is None:
            s11 = MASK_CHAR * 11
            return [
                v[:3] + s11 + v[14:]
                if v
                and len(v) == 18
                and v.isascii()
                and (v.isdigit() or (v[17] in "Xx" and v[:17].isdigit()))
                else (fn(v) if v else v)
                for v in values
            ]
        if style == "name":
            # One alphabetic word (any script, no combining marks): keep the first letter, or
            # a compound Chinese surname (4+ characters) — what mask_name does for it.
            stars, compound = _STARS, _COMPOUND_SURNAMES
            return [
                (
                    v[:2] + stars[len(v) - 2]
                    if len(v) >= 4 and v[:2] in compound
                    else v[:1] + stars[len(v) - 1]
                )
                if v and 2 <= len(v) < 64 and v.isalpha()
                else (fn(v) if v else v)
                for v in values
            ]
    return [fn(v) if v else v for v in values]


def _is_arrow(values: object) -> bool:
    mod = type(values).__module__
    return mod.startswith("pyarrow") and hasattr(values, "to_pylist")


_CJK_CLASS = "[\\x{3400}-\\x{9fff}\\x{f900}-\\x{faff}]"


def _mask_arrow(
    values: Any,
    style: str,
    fn: Callable[[str], str],
    keep_first: int | None,
    keep_last: int | None,
    char: str,
) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    if len(arr) == 0:
        return arr
    s = pc.utf8_slice_codeunits

    def join(*parts: Any) -> Any:
        return pc.binary_join_element_wise(*parts, "")

    def stars(a: Any) -> Any:  # one mask character per code point of ``a``
        return pc.binary_repeat(pa.scalar(MASK_CHAR), pc.utf8_length(a))

    def matches(pattern: str) -> Any:
        return pc.match_substring_regex(arr, pattern=pattern)

    cond: Any = None
    fast: Any = None
    if style == "phone":
        cond = matches("^[0-9]{11}$")
        fast = join(s(arr, 0, 3), pa.scalar(MASK_CHAR * 4), s(arr, 7, 11))
    elif style == "cn_id":
        f = 3 if keep_first is None else min(max(keep_first, 0), 6)
        la = 4 if keep_last is None else min(max(keep_last, 0), 4)
        cond = matches("^[0-9]{17}[0-9Xx]$")
        fast = join(s(arr, 0, f), pa.scalar(MASK_CHAR * (18 - f - la)), s(arr, 18 - la, 18))
    elif style == "card":
        cond = matches("^[0-9]{16,}$")
        fast = join(s(arr, 0, 6), stars(s(arr, 6, -4)), s(arr, -4))
    elif style == "email":
        # printable ASCII, one "@", a local part of 2+ characters
        cond = matches("^[\\x21-\\x3f\\x41-\\x7e]{2,}@[\\x21-\\x3f\\x41-\\x7e]*$")
        parts = pc.split_pattern(pc.if_else(cond, arr, pa.scalar("x@")), pattern="@", max_splits=1)
        domain = pc.list_element(parts, 1)
        fast = join(s(arr, 0, 1), pa.scalar("***@"), domain)
    elif style == "name":
        cond = matches(f"^{_CJK_CLASS}{{2,4}}$")
        compound = "|".join(sorted(_COMPOUND_SURNAMES))
        keep2 = pc.and_(matches(f"^({compound})"), pc.equal(pc.utf8_length(arr), 4))
        fast = pc.if_else(
            keep2,
            join(s(arr, 0, 2), pa.scalar(MASK_CHAR * 2)),
            join(s(arr, 0, 1), stars(s(arr, 1))),
        )
    elif style in ("generic", "full"):
        f = 0 if style == "full" else (1 if keep_first is None else max(keep_first, 0))
        la = 0 if style == "full" else (0 if keep_last is None else max(keep_last, 0))
        cond = pc.and_(pc.string_is_ascii(arr), pc.greater_equal(pc.utf8_length(arr), f + la + 1))
        middle = s(arr, f, -la) if la else s(arr, f)
        fast = join(s(arr, 0, f), stars(middle), s(arr, -la) if la else pa.scalar(""))
    if cond is None:  # no vectorised shape for this style: every value the general way
        cond = pa.array([False] * len(arr), type=pa.bool_())
        fast = arr
    cond = pc.fill_null(cond, False)
    out = pc.if_else(cond, fast, arr)
    slow = pc.and_(pc.invert(cond), pc.fill_null(pc.not_equal(arr, pa.scalar("")), False))
    if pc.any(slow).as_py():
        redo = [fn(v) for v in arr.filter(slow).to_pylist()]
        out = pc.replace_with_mask(out, slow, pa.array(redo, type=pa.string()))
    if char != MASK_CHAR:
        out = pc.replace_substring(out, pattern=MASK_CHAR, replacement=char)
    return out
