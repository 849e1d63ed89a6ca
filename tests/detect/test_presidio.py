"""The Presidio adapter: the same catalog inside Presidio's AnalyzerEngine (no drift), a blank
spaCy pipeline, user YAML recognizers, and tldextract kept offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.detect import Scanner, load_catalog
from guardrail.detect.presidio import (
    BlankSpacyNlpEngine,
    CatalogRecognizer,
    analyzer_engine,
    results_to_detections,
    stock_analyzer,
    use_bundled_tld_snapshot,
)

pytest.importorskip("presidio_analyzer")

TEXTS = [
    ("en", "Call +1 (415) 555-2671 or mail bob@mail.example.co.uk; SSN 536-22-1234."),
    ("en", "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, ip 10.0.0.1"),
    ("zh", "客户王小明，身份证11010519491231002X，手机13812345678，邮箱a.b@example.com谢谢"),
    ("zh", "收货地址：浙江省杭州市西湖区文三路478号，银行卡号：6222 0212 3456 7890 128"),
]


@pytest.fixture(scope="module")
def analyzer():  # type: ignore[no-untyped-def]
    return analyzer_engine(plugins=False, ner_model=None)


@pytest.mark.parametrize(("language", "text"), TEXTS)
def test_presidio_adapter_finds_what_the_fast_engine_finds(
    analyzer,  # type: ignore[no-untyped-def]
    language: str,
    text: str,
) -> None:
    scanner = Scanner(plugins=False, ner=None)
    fast = {
        (d.entity, d.start, d.end)
        for d in scanner.scan(text, language="zh" if language == "zh" else None)
    }
    results = analyzer.analyze(text, language=language, entities=list(scanner.entities))
    via_presidio = {(d.entity, d.start, d.end) for d in results_to_detections(results)}
    assert fast  # the texts do hold personal data
    assert fast <= via_presidio
    # Presidio keeps overlapping results of different entities (a UnionPay number is both a
    # CREDIT_CARD and, next to 银行卡, a CN_BANK_CARD); the fast engine keeps the best one.
    extra = via_presidio - fast
    assert all(any(s < fe and fs < e for _, fs, fe in fast) for _, s, e in extra)


def test_the_nlp_engine_is_a_blank_spacy_engine() -> None:
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    engine = BlankSpacyNlpEngine(("en", "zh"))
    assert isinstance(engine, SpacyNlpEngine)
    engine.load()
    assert engine.is_loaded()
    artifacts = engine.process_text("John Smith lives here", "en")
    assert [t.text for t in artifacts.tokens] == ["John", "Smith", "lives", "here"]
    assert list(artifacts.entities) == []  # blank: no NER model, nothing downloaded
    assert len(engine.process_text("张三住这里", "zh").tokens) == 5  # characters


def test_catalog_recognizers_carry_the_catalog_patterns() -> None:
    from presidio_analyzer import PatternRecognizer

    spec = load_catalog().entity("CN_RESIDENT_ID")
    rec = CatalogRecognizer(spec, language="zh")
    assert isinstance(rec, PatternRecognizer)
    assert [p.regex for p in rec.patterns] == [p.regex for p in spec.patterns]
    assert set(rec.context) == set(spec.context.words)
    (hit,) = rec.analyze("身份证11010519491231002X", entities=["CN_RESIDENT_ID"])
    assert (hit.entity_type, hit.start, hit.end) == ("CN_RESIDENT_ID", 3, 21)
    assert rec.analyze("身份证11010519491231002X", entities=["PERSON"]) == []


def test_user_yaml_recognizers_join_the_analyzer(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "recognizers:\n  - name: member\n    supported_entity: MEMBER_NO\n"
        "    patterns: [{name: m, regex: 'VIP[0-9]{8}', score: 0.8}]\n"
    )
    engine = analyzer_engine(
        languages=("en",), recognizer_files=[path], plugins=False, ner_model=None
    )
    text = "member VIP12345678 mailed a@b.cn"
    got = {(r.entity_type, text[r.start : r.end]) for r in engine.analyze(text, language="en")}
    assert got == {("MEMBER_NO", "VIP12345678"), ("EMAIL_ADDRESS", "a@b.cn")}


def test_stock_presidio_is_the_reference_and_blind_to_resident_ids() -> None:
    stock = stock_analyzer("en")
    text = "身份证 11010519491231002X mail bob@example.com"
    found = {r.entity_type for r in stock.analyze(text, language="en")}
    assert "CN_RESIDENT_ID" not in found and "EMAIL_ADDRESS" in found


def test_tldextract_uses_the_bundled_snapshot() -> None:
    import tldextract.tldextract as tld

    use_bundled_tld_snapshot()
    use_bundled_tld_snapshot()  # idempotent
    extractor = tld.TLD_EXTRACTOR
    assert extractor.suffix_list_urls == ()
    assert extractor("www.example.co.uk").suffix == "co.uk"
