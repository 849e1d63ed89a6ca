"""Column classification: names and comments in English and Chinese, the table a column sits
in, sampled values and hit ratios, with a reason in both languages and masked previews."""

from __future__ import annotations

import pytest

from guardrail.detect import classify_columns, classify_table
from guardrail.detect.columns import hinted_entities, load_hints
from guardrail.model.data import ColumnSample, TableSample
from guardrail.model.detection import ColumnReport
from guardrail.testing import Canaries

N = 40


@pytest.fixture(scope="module")
def canaries() -> Canaries:
    return Canaries(seed=3)


@pytest.fixture(scope="module")
def customers(canaries: Canaries) -> dict[str, ColumnReport]:
    c = canaries
    phones = [c.cn_mobile() for _ in range(N)]
    cols = [
        ColumnSample("id", [str(i) for i in range(N)]),
        ColumnSample("身份证号", [c.cn_resident_id() for _ in range(N)]),
        ColumnSample("mobile", phones),
        ColumnSample("contact_email", [c.email() for _ in range(N)]),
        ColumnSample("name", ["张伟", "王芳", "李娜", "刘洋", "陈静"] * 8),
        ColumnSample("收货地址", ["浙江省杭州市西湖区文三路478号"] * N),
        ColumnSample("gender", ["M", "F"] * 20),
        ColumnSample("birthday", [f"1990-01-0{i % 9 + 1}" for i in range(N)]),
        ColumnSample("created_at", ["2024-01-01 10:00:00"] * N),
        ColumnSample("status", ["active"] * N),
        ColumnSample("password_hash", ["$2b$12$" + "a" * 53] * N),
        ColumnSample("phone", [None] * N),
        ColumnSample("notes", ["请联系" + p for p in phones[:10]] + ["ok"] * 30),
    ]
    return {r.column: r for r in classify_columns("customers", cols)}


def entities(report: ColumnReport) -> set[str]:
    return {e.entity for e in report.entities}


def test_customer_table(customers: dict[str, ColumnReport]) -> None:
    got = {name: (entities(r), {k.category for k in r.categories}) for name, r in customers.items()}
    assert got == {
        "id": (set(), set()),
        "身份证号": ({"CN_RESIDENT_ID"}, set()),
        "mobile": ({"PHONE_NUMBER"}, set()),
        "contact_email": ({"EMAIL_ADDRESS"}, set()),
        "name": ({"PERSON"}, set()),
        "收货地址": ({"ADDRESS"}, set()),
        "gender": (set(), {"user.demographic.gender"}),
        "birthday": ({"DATE_OF_BIRTH"}, set()),
        "created_at": (set(), set()),
        "status": (set(), set()),
        "password_hash": ({"CREDENTIAL"}, set()),
        "phone": ({"PHONE_NUMBER"}, set()),  # named so, nothing sampled: kept, lower confidence
        "notes": ({"PHONE_NUMBER"}, {"user.content.private"}),
    }


def test_hit_ratios_confidence_and_reasons(customers: dict[str, ColumnReport]) -> None:
    rid = customers["身份证号"]
    (e,) = rid.entities
    assert (e.hit_ratio, e.confidence) == (1.0, 1.0)
    assert rid.reason == (
        "CN_RESIDENT_ID: 40/40 sampled values are CN_RESIDENT_ID; column name contains '身份证'"
    )
    assert rid.reason_zh == "CN_RESIDENT_ID：40 个抽样值中 40 个为 CN_RESIDENT_ID；列名含 '身份证'"
    notes = customers["notes"].entities[0]
    assert notes.hit_ratio == 0.25 and 0.5 <= notes.confidence < 1.0
    assert "10/40 sampled values contain PHONE_NUMBER" in customers["notes"].reason
    empty = customers["phone"]
    assert empty.entities[0].hit_ratio == 0.0 and empty.entities[0].confidence == 0.6
    assert empty.reason == "PHONE_NUMBER: no values sampled; column name 'phone' matches 'phone'"
    assert customers["id"].reason == "no personal data in 40 sampled values"
    assert customers["id"].reason_zh == "40 个抽样值中未发现个人信息"
    assert (customers["notes"].sampled, customers["phone"].non_empty) == (40, 0)


def test_previews_are_masked(customers: dict[str, ColumnReport], canaries: Canaries) -> None:
    assert customers["mobile"].masked_preview[0].count("*") == 4
    assert customers["password_hash"].masked_preview == ("********",)
    previews = [p for r in customers.values() for p in r.masked_preview]
    reasons = [r.reason + r.reason_zh for r in customers.values()]
    canaries.assert_absent(*previews, *reasons, *map(repr, customers.values()))


def test_parcel_tracking_numbers_are_personal_data() -> None:
    """A tracking number leads to its recipient (mall.oms_order.delivery_sn in the ground
    truth): named in English or Chinese, by name or comment; a delivery company is not."""
    codes = [f"SF{1_300_000_000 + i * 7919}" for i in range(N)]
    cols = [
        ColumnSample("delivery_sn", codes),
        ColumnSample("trackingNumber", codes),
        ColumnSample("c1", codes, comment="物流单号"),
        ColumnSample("快递单号", codes),
        ColumnSample("delivery_company", ["顺丰"] * N, comment="物流公司(配送方式)"),
        ColumnSample("tracking_status", ["shipped"] * N),
    ]
    got = {
        r.column: {k.category for k in r.categories} for r in classify_columns("oms_order", cols)
    }
    pseudonymous = {"user.unique_id.pseudonymous"}
    assert got == {
        "delivery_sn": pseudonymous,
        "trackingNumber": pseudonymous,
        "c1": pseudonymous,
        "快递单号": pseudonymous,
        "delivery_company": set(),
        "tracking_status": set(),
    }


def test_comments_name_the_column(canaries: Canaries) -> None:
    cols = [
        ColumnSample("c1", [canaries.cn_mobile() for _ in range(N)], comment="收货人手机号"),
        ColumnSample("c2", ["x"] * N, comment="用户真实姓名"),
        ColumnSample("c3", [None] * N, comment="the customer's e-mail address"),
        ColumnSample("c4", ["a"] * N, comment="the customer's e-mail address"),
    ]
    got = {r.column: r for r in classify_columns("t_order", cols)}
    assert entities(got["c1"]) == {"PHONE_NUMBER"}
    assert got["c1"].reason.endswith("column comment contains '手机'")
    # 姓名 in a comment is a strong hint: atypical values lower the confidence, no more.
    assert [(e.entity, e.confidence) for e in got["c2"].entities] == [("PERSON", 0.55)]
    # Not an ADDRESS ("e-mail address"); an e-mail column by its comment, unless the values
    # say otherwise (e-mail addresses have one form: values overrule the hint).
    assert got["c3"].reason == ("EMAIL_ADDRESS: no values sampled; column comment names 'e_mail'")
    assert got["c4"].entities == ()


def test_keys_and_flags_are_not_what_their_name_starts_with() -> None:
    cols = [
        ColumnSample("address_id", [str(i) for i in range(N)]),
        ColumnSample("customer_id", [str(i) for i in range(N)]),
        ColumnSample("email_verified", ["1", "0"] * 20),
        ColumnSample("phone_count", ["2"] * N),
        ColumnSample("detail_mobile_html", ["<p>x</p>"] * N),
    ]
    assert [r for r in classify_columns("orders", cols) if r.entities or r.categories] == []


def test_weak_hints_need_a_table_about_people() -> None:
    names = ["Sony Walkman", "Desk Lamp"] * 20
    people = ["John Smith", "Mary Jones"] * 20
    products = classify_columns("products", [ColumnSample("name", names)])
    assert products[0].entities == ()
    (member,) = classify_columns("ums_member", [ColumnSample("name", ["大梨", "小王"] * 20)])
    assert entities(member) == {"PERSON"} and "(a table about people)" in member.reason
    # Elsewhere a weak hint counts when the values have the entity's form.
    (orders,) = classify_columns("orders", [ColumnSample("name", people)])
    assert entities(orders) == {"PERSON"} and "(a table about people)" not in orders.reason
    (level,) = classify_columns("ums_member_level", [ColumnSample("name", ["黄金会员"] * N)])
    assert level.entities == ()


def test_chinese_table_comment_sets_the_context() -> None:
    cols = [ColumnSample("name", ["大梨", "小王"] * 20)]
    (r,) = classify_table(TableSample(table="t_a", columns=tuple(cols)), table_comment="会员信息表")
    assert entities(r) == {"PERSON"}
    (r,) = classify_table(TableSample(table="t_a", columns=tuple(cols)), table_comment="会员标签表")
    assert r.entities == ()


def test_user_content_tables_mark_text_columns() -> None:
    cols = [ColumnSample("body", ["Hello, the parcel was late."] * N)]
    (r,) = classify_columns("support_tickets", cols)
    assert [(k.category, k.confidence) for k in r.categories] == [("user.content.private", 0.75)]
    assert r.reason.endswith("(a table of user content)")


def test_integer_ip_in_a_column_named_ip() -> None:
    values = ["3232235786", "16777216"] * 20
    (r,) = classify_columns("events", [ColumnSample("client_ip", values)])
    assert [(e.entity, e.hit_ratio) for e in r.entities] == [("IP_ADDRESS", 1.0)]
    assert r.masked_preview == ("192.168.*.*",)  # shown dotted and masked, never raw
    (plain,) = classify_columns("events", [ColumnSample("amount", values)])
    assert "IP_ADDRESS" not in entities(plain)


def test_codes_are_not_free_text_card_numbers() -> None:
    # One number in ten passes Luhn: a column of order numbers is not a card column.
    codes = [f"{n:016d}" for n in range(4000000000000000, 4000000000000000 + N * 7, 7)]
    (r,) = classify_columns("orders", [ColumnSample("order_sn", codes)])
    assert r.entities == ()


def test_masked_values_lower_the_confidence() -> None:
    values = ["138****5678"] * N
    (r,) = classify_columns("users", [ColumnSample("phone", values)])
    assert [(e.entity, e.confidence) for e in r.entities] == [("PHONE_NUMBER", 0.5)]
    assert "look masked or encrypted" in r.reason


def test_hint_helpers() -> None:
    assert hinted_entities("receiver_phone") == {"PHONE_NUMBER"}
    assert hinted_entities("c1", "收货人手机号") == {"PHONE_NUMBER", "PERSON"}
    assert hinted_entities("name", strong=True) == set()
    assert hinted_entities("name") == {"PERSON"}
    hints = load_hints()
    assert "id" in hints.neutral_suffixes and "products" in hints.thing_tables
    # Every hint targets an entity of the catalog or a fideslang category.
    from guardrail.detect import load_catalog

    known = set(load_catalog().entity_names)
    assert {h.entity for h in hints.hints if h.entity} - known == set()
