"""The fast engine: exact spans per entity in English and Chinese, adversarial cases, context
scoring, configuration errors and the invariants every scan keeps."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.detect import Scanner, default_scanner, load_catalog, scan_text, scan_texts
from guardrail.errors import ConfigError
from guardrail.testing import Canaries

Spans = set[tuple[str, str]]

# (text, {(entity, exact matched text)}) — every entity enabled (DATE_TIME too).
ENGLISH: list[tuple[str, Spans]] = [
    ("SSN: 536-22-1234", {("US_SSN", "536-22-1234")}),
    ("Driver license: D1234567 (CA)", {("US_DRIVER_LICENSE", "D1234567")}),
    ("passport number 912803456", {("US_PASSPORT", "912803456")}),
    ("Card 4111 1111 1111 1111 exp 12/27", {("CREDIT_CARD", "4111 1111 1111 1111")}),
    ("IBAN DE89 3704 0044 0532 0130 00 please", {("IBAN_CODE", "DE89 3704 0044 0532 0130 00")}),
    ("IBAN: GB82WEST12345698765432", {("IBAN_CODE", "GB82WEST12345698765432")}),
    (
        "routing 021000021 account 123456789012",
        {("US_BANK_NUMBER", "021000021"), ("US_BANK_NUMBER", "123456789012")},
    ),
    ("write to bob@mail.example.co.uk.", {("EMAIL_ADDRESS", "bob@mail.example.co.uk")}),
    (
        "See https://shop.example.com/orders?id=7 now",
        {("URL", "https://shop.example.com/orders?id=7")},
    ),
    ("visit www.example.org/about", {("URL", "www.example.org/about")}),
    ("call +1 (415) 555-2671 today", {("PHONE_NUMBER", "+1 (415) 555-2671")}),
    ("+44 20 7946 0958", {("PHONE_NUMBER", "+44 20 7946 0958")}),
    ("Tel: 030 12345678", {("PHONE_NUMBER", "030 12345678")}),
    ("You can reach me at 05639 427598.", {("PHONE_NUMBER", "05639 427598")}),
    ("location: 40.7128, -74.0060", {("GEO_COORDINATE", "40.7128, -74.0060")}),
    ("DOB: 1985-03-12", {("DATE_OF_BIRTH", "1985-03-12")}),
    ("born on March 12, 1985", {("DATE_OF_BIRTH", "March 12, 1985")}),
    ("Meeting on 2024-05-06", {("DATE_TIME", "2024-05-06")}),
    (
        "server 192.168.1.10 and 2001:db8::8a2e:370:7334",
        {("IP_ADDRESS", "192.168.1.10"), ("IP_ADDRESS", "2001:db8::8a2e:370:7334")},
    ),
    ("IPv4 10.0.0.1:8080", {("IP_ADDRESS", "10.0.0.1")}),
    ("MAC 00:1A:2B:3C:4D:5E", {("MAC_ADDRESS", "00:1A:2B:3C:4D:5E")}),
    ("IMEI 490154203237518", {("IMEI", "490154203237518")}),
    (
        "Ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043",
        {("ADDRESS", "1600 Amphitheatre Parkway, Mountain View, CA 94043")},
    ),
    ("Hauptstraße 5, 10115 Berlin", {("ADDRESS", "Hauptstraße 5")}),
    (
        "Mr. John Smith lives at 221 Baker Street",
        {("PERSON", "John Smith"), ("ADDRESS", "221 Baker Street")},
    ),
    ("Name: Alice Johnson", {("PERSON", "Alice Johnson")}),
    ("password=Hunter2Secret!", {("CREDENTIAL", "Hunter2Secret!")}),
    (
        "token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        {("CREDENTIAL", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789")},
    ),
    ("key AKIAIOSFODNN7EXAMPLE", {("CREDENTIAL", "AKIAIOSFODNN7EXAMPLE")}),
    (
        "hash $2b$12$KIXQJ5Rk0Yt1v8mFqz8yUe7Pq5sYv2m1u3Rz6h8j9k0l1m2n3o4p5 stored",
        {("CREDENTIAL", "$2b$12$KIXQJ5Rk0Yt1v8mFqz8yUe7Pq5sYv2m1u3Rz6h8j9k0l1m2n3o4p5")},
    ),
    (
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        {
            (
                "CREDENTIAL",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            )
        },
    ),
    # The password of a connection URL, not an e-mail address "secret@host".
    ("dsn mysql://admin:S3cretPass@db.internal:3306/shop", {("CREDENTIAL", "S3cretPass")}),
]

CHINESE: list[tuple[str, Spans]] = [
    ("身份证11010519491231002X。", {("CN_RESIDENT_ID", "11010519491231002X")}),
    ("编号 440306199003071232", {("CN_RESIDENT_ID", "440306199003071232")}),
    ("旧身份证号码 110105491231002", {("CN_RESIDENT_ID", "110105491231002")}),
    ("护照号码：E12345678", {("CN_PASSPORT", "E12345678")}),
    ("港澳通行证：C12345678", {("CN_HK_MACAU_PERMIT", "C12345678")}),
    ("统一社会信用代码：91350100M000100Y43", {("CN_USCC", "91350100M000100Y43")}),
    ("车牌号：京A12345，停在门口", {("CN_LICENSE_PLATE", "京A12345")}),
    ("车牌 粤B·D12345", {("CN_LICENSE_PLATE", "粤B·D12345")}),
    ("银行卡号：6222 0212 3456 7890 128", {("CREDIT_CARD", "6222 0212 3456 7890 128")}),
    ("卡号6212345678901232", {("CREDIT_CARD", "6212345678901232")}),
    ("邮箱zhang.san@example.com谢谢", {("EMAIL_ADDRESS", "zhang.san@example.com")}),
    (
        "发送到ab@example.com，并抄送cd@example.org。",
        {("EMAIL_ADDRESS", "ab@example.com"), ("EMAIL_ADDRESS", "cd@example.org")},
    ),
    (
        "我的邮箱是zhang@example.com电话是13812345678",
        {("EMAIL_ADDRESS", "zhang@example.com"), ("PHONE_NUMBER", "13812345678")},
    ),
    ("电话：010-62345678", {("PHONE_NUMBER", "010-62345678")}),
    ("手机号：138-1234-5678", {("PHONE_NUMBER", "138-1234-5678")}),
    ("手机 +86 138 1234 5678", {("PHONE_NUMBER", "+86 138 1234 5678")}),
    (
        "身份证：11010519491231002X；手机：+86-138-1234-5678",
        {("CN_RESIDENT_ID", "11010519491231002X"), ("PHONE_NUMBER", "+86-138-1234-5678")},
    ),
    ("位置 39.9042,116.4074", {("GEO_COORDINATE", "39.9042,116.4074")}),
    ("出生日期：1990年5月17日", {("DATE_OF_BIRTH", "1990年5月17日")}),
    ("她的生日是1992年3月4日", {("DATE_OF_BIRTH", "1992年3月4日")}),
    (
        "收货地址：浙江省杭州市西湖区文三路478号华星科技大厦",
        {("ADDRESS", "浙江省杭州市西湖区文三路478号")},
    ),
    ("地址：北京市朝阳区建国路88号", {("ADDRESS", "北京市朝阳区建国路88号")}),
    (
        "联系人：张伟，电话13812345678",
        {("PERSON", "张伟"), ("PHONE_NUMBER", "13812345678")},
    ),
    ("客户王小明先生已下单", {("PERSON", "王小明")}),
    ("我叫李四。", {("PERSON", "李四")}),
]

# Numbers that look like personal data but are not (or sit where an entity cannot).
NOT_PII = [
    "order=SO20250320005074 total=1489.63 EUR qty=3",
    "订单号202403201234567890123已发货",  # an ID-shaped run inside a longer digit run
    "ref 911010519491231002X7",
    "身份证号11010519491231002X1",
    "电话13812345678910",  # a mobile inside a longer run
    "price 13812345678.00",
    "订单金额13812.00元",
    "价格：¥1389.00，数量3，合计4167.00元",
    "Invoice INV-2024-000123 amount $1,234.56",
    "id 4111111111111111111",  # Luhn-valid card digits inside a longer run
    "GET /api/v1 HTTP/1.1 304 57938",  # status code and byte count
    "timestamp 1711000000000",
    "session 550e8400-e29b-41d4-a716-446655440000",
    "v1.2.3.4 released",
    "version 10.0.0.1.2",
    "Uptime 99.9999,100.0000 percent",
    "ssn 078-05-1120 is the famous invalid one",
    "身份证号：110105194912310021，请核对",  # wrong check digit
    "Visit example.com today",  # a bare domain is not a URL
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH, ids=[t for t, _ in ENGLISH])
def test_english_spans(text: str, expected: Spans, spans: Callable[[str], Spans]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(("text", "expected"), CHINESE, ids=[t for t, _ in CHINESE])
def test_chinese_spans(text: str, expected: Spans, spans: Callable[[str], Spans]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize("text", NOT_PII)
def test_numbers_that_are_not_personal_data(text: str, spans: Callable[[str], Spans]) -> None:
    assert spans(text) == set()


def test_offsets_are_characters_end_exclusive() -> None:
    text = "😀客户留言：手机13812345678，邮箱zhang.san@example.com谢谢"
    got = [(d.entity, d.start, d.end) for d in scan_text(text)]
    assert got == [("PHONE_NUMBER", 8, 19), ("EMAIL_ADDRESS", 22, 43)]
    assert text[8:19] == "13812345678" and text[22:43] == "zhang.san@example.com"


def test_id_vs_phone_vs_card(spans: Callable[[str], Spans]) -> None:
    text = "卡号 6212345678901232 手机 13812345678 身份证 11010519491231002X"
    assert spans(text) == {
        ("CREDIT_CARD", "6212345678901232"),
        ("PHONE_NUMBER", "13812345678"),
        ("CN_RESIDENT_ID", "11010519491231002X"),
    }
    # An 18-digit resident ID is never also a card (19 digits) or a phone.
    assert spans("4403061990030712326") == set()


def test_email_inside_a_url_and_url_never_the_mail_domain(spans: Callable[[str], Spans]) -> None:
    assert spans("bob@www.example.com") == {("EMAIL_ADDRESS", "bob@www.example.com")}
    assert spans("http://www.example.com/contact?email=bob@example.com") == {
        ("EMAIL_ADDRESS", "bob@example.com")  # the personal part wins over the link
    }


def test_dates_are_opt_in(default: Scanner, every_entity: Scanner) -> None:
    assert "DATE_TIME" not in default.entities
    assert default.scan("Meeting on 2024-05-06") == []
    assert [d.entity for d in every_entity.scan("Meeting on 2024-05-06")] == ["DATE_TIME"]


def test_context_raises_score() -> None:
    plain = scan_text("x 13812345678")[0].score
    boosted = scan_text("手机号 13812345678")[0].score
    assert boosted > plain


def test_context_decides_weak_candidates(default: Scanner) -> None:
    # A bare 11-digit number without a mobile prefix only counts next to a phone word.
    assert default.scan("ref 12345678901") == []
    assert [d.entity for d in default.scan("电话 0755 12345678")] == ["PHONE_NUMBER"]
    # First-generation resident IDs have no check digit: context is required.
    assert default.scan("no. 110105491231002") == []


def test_negative_context_words_keep_order_numbers_out(default: Scanner) -> None:
    assert default.scan("订单号 13812345678") == []


def test_language_zh_adds_names_without_cue_words(default: Scanner) -> None:
    text = "张三丰的手机是13912345678"
    assert {(d.entity, text[d.start : d.end]) for d in default.scan(text)} == {
        ("PHONE_NUMBER", "13912345678")
    }
    assert {(d.entity, text[d.start : d.end]) for d in default.scan(text, language="zh")} == {
        ("PERSON", "张三丰"),
        ("PHONE_NUMBER", "13912345678"),
    }


def test_language_en_skips_chinese_recognizers(default: Scanner) -> None:
    assert default.scan("客户王小明先生已下单", language="en") == []
    assert [d.entity for d in default.scan("客户王小明先生已下单")] == ["PERSON"]


def test_entity_selection_and_min_score() -> None:
    only = Scanner(entities="EMAIL_ADDRESS, PHONE_NUMBER", plugins=False, ner=None)
    assert only.entities == ("EMAIL_ADDRESS", "PHONE_NUMBER")
    text = "手机13812345678 身份证11010519491231002X a@b.cn"
    assert {d.entity for d in only.scan(text)} == {"PHONE_NUMBER", "EMAIL_ADDRESS"}
    # The mobile next to 手机 scores 1.0; the ID (checksum, no context boost) and the
    # e-mail score 0.9.
    strict = Scanner(min_score=0.95, plugins=False, ner=None)
    assert [(d.entity, d.score) for d in strict.scan(text)] == [("PHONE_NUMBER", 1.0)]
    assert [d.entity for d in only.scan(text, min_score=1.0)] == ["PHONE_NUMBER"]
    assert only.scan("a@b.cn", min_score=0.95) == []


def test_unknown_entity_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown entity: NOPE") as info:
        Scanner(entities=["NOPE"])
    assert "CN_RESIDENT_ID" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="unknown entities: A, B"):
        Scanner(entities=["A", "B", "EMAIL_ADDRESS"])


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="min_score must be between 0 and 1"):
        Scanner(min_score=2)
    with pytest.raises(ConfigError, match="no numbering plan for region 'XX'"):
        Scanner(phone_regions=["CN", "XX"])


def test_phone_regions_change_what_validates() -> None:
    cn_only = Scanner(entities=["PHONE_NUMBER"], phone_regions=["CN"], plugins=False, ner=None)
    us_only = Scanner(entities=["PHONE_NUMBER"], phone_regions=["US"], plugins=False, ner=None)
    text = "电话：010-62345678"
    assert [d.entity for d in cn_only.scan(text)] == ["PHONE_NUMBER"]
    assert us_only.scan(text) == []


def test_default_scanner_is_shared_and_public_api_matches() -> None:
    assert default_scanner() is default_scanner()
    texts = ["手机13812345678", "", "no pii here", "a@b.cn"]
    assert scan_texts(texts) == [scan_text(t) for t in texts]
    assert repr(default_scanner()).startswith("Scanner(entities=")


def test_every_catalog_entity_has_a_classification_rule() -> None:
    from guardrail.classify import entity_rule

    for name in load_catalog().entity_names:
        assert entity_rule(name).entity == name


def test_text_holding_the_batch_separator_is_scanned_alone(default: Scanner) -> None:
    texts = ["手机13812345678", "a\x1e\x1e\x1e\x1eb 13912345678", "x"]
    assert default.scan_many(texts) == [default.scan(t) for t in texts]


def test_iter_many_streams_the_same_results(default: Scanner) -> None:
    texts = [f"line {i} 手机139{i:08d}" for i in range(50)]
    assert list(default.iter_many(iter(texts))) == default.scan_many(texts)


# -- invariants ------------------------------------------------------------------------------

# Text made of the characters personal data and its surroundings are made of.
ALPHABET = "0123456789 -.+@:/()年月日号手机电话身份证XxABCabc_，。\n"
pieces = st.sampled_from(
    [
        "13812345678",
        "11010519491231002X",
        "4111 1111 1111 1111",
        "a.b@example.com",
        "192.168.1.1",
        "https://x.cn/a",
        "电话",
        "身份证",
        "2024-03-20",
    ]
)
texts = st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=12), pieces), max_size=8).map(
    "".join
)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_scan_invariants(text: str) -> None:
    scanner = default_scanner()
    found = scanner.scan(text)
    last_end = 0
    for d in found:
        assert 0 <= d.start < d.end <= len(text)
        assert d.start >= last_end  # sorted, never overlapping
        last_end = d.end
        assert d.entity in scanner.entities
        assert scanner.min_score <= d.score <= 1.0


def test_misuse_gets_one_clear_error() -> None:
    from guardrail.errors import InputError

    scanner = default_scanner()
    with pytest.raises(InputError, match="several texts, not one string"):
        scanner.scan_many("13800138000")  # would otherwise scan character by character
    with pytest.raises(InputError, match=r"text #1 is of type int, not str"):
        scanner.scan_many(["a", 13800138000])
    with pytest.raises(InputError, match=r"text #0 is of type bytes"):
        scanner.scan_many([b"13800138000"])
    with pytest.raises(InputError, match="value of type int"):
        scanner.scan(13800138000)  # type: ignore[arg-type]
    for bad in ("fr", "EN", "chinese"):
        with pytest.raises(InputError, match="unknown language"):
            scanner.scan("x", language=bad)  # type: ignore[arg-type]
        with pytest.raises(InputError, match="unknown language"):
            scanner.scan_many(["x"], language=bad)  # type: ignore[arg-type]
    # None is no text (a NULL cell), alone or in a batch.
    assert scanner.scan(None) == []  # type: ignore[arg-type]
    got = scanner.scan_many([None, "13800138000", None])  # type: ignore[list-item]
    assert [[d.entity for d in ds] for ds in got] == [[], ["PHONE_NUMBER"], []]


@pytest.mark.parametrize(
    "batch",
    [
        ["0000000", "010.000"],  # a 7-digit run's window reached the next document's "010.000"
        ["电话 0000000", "010.000"],
        ["0000000 x", "86 13800138000"],
    ],
)
def test_batch_windows_stop_at_the_document(batch: list[str]) -> None:
    scanner = default_scanner()
    assert scanner.scan_many(batch) == [scanner.scan(t) for t in batch]


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, max_size=6))
def test_batch_equals_one_by_one(batch: list[str]) -> None:
    scanner = default_scanner()
    assert scanner.scan_many(batch) == [scanner.scan(t) for t in batch]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from(["", " ", "，", "：", "的", "号码", "ID: ", "\n"]),
    st.sampled_from(["", " ", "。", "，", "谢谢", "\t"]),
)
def test_planted_values_are_found_next_to_any_boundary(seed: int, before: str, after: str) -> None:
    c = Canaries(seed=seed)
    rid, mobile, email = c.cn_resident_id(), c.cn_mobile(), c.email()
    text = f"{before}{rid}{after}客户{mobile}{after}邮箱{email}{after}"
    got = {(d.entity, text[d.start : d.end]) for d in default_scanner().scan(text)}
    assert {
        ("CN_RESIDENT_ID", rid),
        ("PHONE_NUMBER", mobile),
        ("EMAIL_ADDRESS", email),
    } <= got
