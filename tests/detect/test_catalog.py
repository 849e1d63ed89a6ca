"""The pattern catalog, user recognizers in Presidio's YAML format and by entry point."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrail import plugins
from guardrail.detect import Scanner, load_catalog, load_presidio_yaml
from guardrail.detect.catalog import EntitySpec, PatternSpec, merge_catalogs, parse_catalog
from guardrail.detect.recognizers import clear_cache, split_recognizers
from guardrail.errors import ConfigError, ManifestError, PluginError
from guardrail.yamlio import parse_yaml

REQUIRED = {
    "CN_RESIDENT_ID", "PHONE_NUMBER", "CREDIT_CARD", "CN_BANK_CARD", "EMAIL_ADDRESS",
    "IP_ADDRESS", "IBAN_CODE", "US_SSN", "CN_PASSPORT", "CN_HK_MACAU_PERMIT", "CN_USCC",
    "CN_LICENSE_PLATE", "GEO_COORDINATE", "DATE_OF_BIRTH", "MAC_ADDRESS", "IMEI", "CREDENTIAL",
    "URL", "PERSON", "ADDRESS",
}  # fmt: skip


def test_catalog_covers_the_required_entities() -> None:
    catalog = load_catalog()
    assert set(catalog.entity_names) >= REQUIRED
    assert "DATE_TIME" in catalog.entity_names
    assert set(catalog.default_entities) == set(catalog.entity_names) - {"DATE_TIME"}
    # Every entity is bilingual for users and has at least one text pattern.
    for e in catalog.entities:
        assert e.patterns, e.entity


def test_fragments_are_expanded() -> None:
    doc = """\
        schema_version: 1
        fragments:
          D4: '[0-9]{4}'
          CODE: 'X-{{D4}}'
        entities:
          - entity: ORDER_CODE
            description: {en: order code, zh: 订单代码}
            patterns:
              - name: code
                regex: '{{CODE}}'
                score: 0.7
        """
    catalog = parse_catalog(parse_yaml(textwrap.dedent(doc), "mine.yaml"))
    (pattern,) = catalog.entity("ORDER_CODE").patterns
    assert pattern.regex == "X-[0-9]{4}"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("entities: [", "mine.yaml:1: invalid YAML"),
        (
            "schema_version: 1\nentities:\n  - entity: X_Y\n    patterns:\n      - name: a\n"
            "        regex: abc\n        score: 0.5\n        colour: red\n",
            "mine.yaml:8: entities.0.patterns.0.colour: unknown key",
        ),
        (
            "schema_version: 1\nentities:\n  - entity: X_Y\n    patterns:\n      - name: a\n"
            '        regex: "a(b"\n        score: 0.5\n',
            "mine.yaml:6: entities.0.patterns.0.regex: regex does not compile",
        ),
        (
            "schema_version: 1\nentities:\n  - entity: X_Y\n    patterns:\n      - name: a\n"
            "        regex: abc\n        score: 1.5\n",
            "mine.yaml:7: entities.0.patterns.0.score: Input should be less than or equal to 1",
        ),
        (
            "schema_version: 1\nentities:\n  - entity: lower\n    patterns: []\n",
            "mine.yaml:3: entities.0.entity: String should match pattern",
        ),
        (
            "schema_version: 1\nfragments: {A: x}\nentities:\n  - entity: X_Y\n    patterns:\n"
            '      - name: a\n        regex: "{{B}}"\n        score: 0.5\n',
            "mine.yaml: unknown regex fragment {{B}}",
        ),
    ],
)
def test_bad_catalogs_name_the_file_and_line(doc: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_catalog(parse_yaml(doc, "mine.yaml"))
    assert info.value.message.startswith(message)
    assert info.value.hint


def test_validation_hint_points_at_the_format_description() -> None:
    doc = "schema_version: 1\nentities:\n  - entity: X_Y\n    nope: 1\n"
    with pytest.raises(ManifestError) as info:
        parse_catalog(parse_yaml(doc, "mine.yaml"))
    assert info.value.hint == (
        "see 'guardrail schema catalog'; the catalog format is described in docs/detect.md"
    )


# -- Presidio's recognizer YAML -------------------------------------------------------------

PRESIDIO_YAML = """\
recognizers:
  - name: "Employee id recognizer"
    supported_language: en
    supported_entity: EMPLOYEE_ID
    patterns:
      - name: "employee id"
        regex: "EMP-[0-9]{6}"
        score: 0.8
    context: [employee, 工号]
  - name: "Titles"
    supported_entity: TITLE
    deny_list: [Dr., Prof.]
    deny_list_score: 0.6
  - name: "Built in"
    type: predefined
    supported_entity: EMAIL_ADDRESS
  - name: "Switched off"
    enabled: false
    supported_entity: SWITCHED_OFF
    patterns:
      - {name: x, regex: "x", score: 0.5}
"""


@pytest.fixture
def presidio_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "recognizers.yaml"
    path.write_text(PRESIDIO_YAML, encoding="utf-8")
    return path


def test_presidio_yaml_becomes_catalog_specs(presidio_yaml: Path) -> None:
    specs = load_presidio_yaml(presidio_yaml)
    assert [s.entity for s in specs] == ["EMPLOYEE_ID", "TITLE"]  # predefined/disabled skipped
    emp = specs[0]
    assert emp.context.en == ("employee",) and emp.context.zh == ("工号",)
    assert emp.patterns[0].ignore_case  # Presidio compiles case-insensitively by default
    assert emp.origin == str(presidio_yaml)


def test_scanner_runs_presidio_yaml_recognizers(presidio_yaml: Path) -> None:
    scanner = Scanner(
        entities=["EMPLOYEE_ID", "TITLE", "EMAIL_ADDRESS"],
        recognizers=[presidio_yaml],
        plugins=False,
        ner=None,
    )
    text = "employee emp-123456 (Dr. Chen) wrote to a@b.cn"
    assert {(d.entity, text[d.start : d.end]) for d in scanner.scan(text)} == {
        ("EMPLOYEE_ID", "emp-123456"),
        ("TITLE", "Dr."),
        ("EMAIL_ADDRESS", "a@b.cn"),
    }


def test_presidio_yaml_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("recognizers:\n  - name: r\n    patterns: 3\n")
    with pytest.raises(ManifestError, match=r"bad\.yaml:3: recognizers\.0\.patterns") as info:
        load_presidio_yaml(bad)
    assert "Presidio's recognizer YAML format" in (info.value.hint or "")
    two = tmp_path / "two.yaml"
    two.write_text(
        "recognizers:\n  - name: r\n    supported_entities: [A_B, C_D]\n"
        "    patterns: [{name: p, regex: x, score: 0.5}]\n"
    )
    with pytest.raises(ConfigError, match="recognizer 'r': a custom recognizer names exactly"):
        load_presidio_yaml(two)
    broken = tmp_path / "broken.yaml"
    broken.write_text("recognizers:\n  - name: r\n    supported_entity: A_B\n"
                      "    patterns: [{name: p, regex: '(', score: 0.5}]\n")  # fmt: skip
    with pytest.raises(ConfigError, match="recognizer 'r': regex does not compile"):
        load_presidio_yaml(broken)
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        load_presidio_yaml(tmp_path / "missing.yaml")


def test_merging_into_a_known_entity_adds_patterns() -> None:
    extra = EntitySpec(
        entity="PHONE_NUMBER",
        patterns=(PatternSpec(name="extension", regex="ext\\.[0-9]{4}", score=0.6),),
    )
    merged = merge_catalogs(load_catalog(), [extra])
    names = [p.name for p in merged.entity("PHONE_NUMBER").patterns]
    assert names[-1] == "extension" and len(names) == 3
    clash = EntitySpec(
        entity="PHONE_NUMBER",
        patterns=(PatternSpec(name="phone_national", regex="x", score=0.6),),
        origin="my.yaml",
    )
    with pytest.raises(ConfigError, match=r"from my\.yaml reuses pattern names phone_national"):
        merge_catalogs(load_catalog(), [clash])


class _Upper:
    """A Presidio-style recognizer object (duck-typed: supported_entities + analyze)."""

    supported_entities = ("SHOUT",)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[object]:
        from types import SimpleNamespace

        out = []
        for word in text.split():
            if len(word) > 3 and word.isupper():
                start = text.index(word)
                out.append(
                    SimpleNamespace(
                        entity_type="SHOUT", start=start, end=start + len(word), score=0.7
                    )
                )
        return out


def test_foreign_recognizer_objects_run_in_the_fast_engine() -> None:
    scanner = Scanner(recognizers=[_Upper()], plugins=False, ner=None)
    assert "SHOUT" in scanner.entities
    text = "please STOP calling 13812345678"
    assert {(d.entity, text[d.start : d.end]) for d in scanner.scan(text)} == {
        ("SHOUT", "STOP"),
        ("PHONE_NUMBER", "13812345678"),
    }


def test_split_recognizers_rejects_other_things() -> None:
    with pytest.raises(PluginError, match="recognizer plugin #0 gave a int"):
        split_recognizers([3])
    specs, foreign = split_recognizers([lambda: [load_catalog().entity("URL")], _Upper()])
    assert [s.entity for s in specs] == ["URL"] and len(foreign) == 1


# -- entry points ------------------------------------------------------------------------------


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real distribution on sys.path registering two ``guardrail.recognizers`` entry points."""
    (tmp_path / "shop_recognizers.py").write_text(
        textwrap.dedent(
            """\
            from pathlib import Path
            from guardrail.detect.catalog import EntitySpec, PatternSpec

            MEMBER = EntitySpec(
                entity="MEMBER_NO",
                patterns=(PatternSpec(name="member_no", regex="VIP[0-9]{8}", score=0.8),),
            )
            YAML = Path(__file__).with_name("more.yaml")
            """
        )
    )
    (tmp_path / "more.yaml").write_text(
        "recognizers:\n  - name: coupon\n    supported_entity: COUPON\n"
        "    patterns: [{name: c, regex: 'CPN-[A-Z]{5}', score: 0.9}]\n"
    )
    info = tmp_path / "shop_recognizers-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shop-recognizers\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[guardrail.recognizers]\nmember = shop_recognizers:MEMBER\ncoupon = shop_recognizers:YAML\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.clear_cache()
    clear_cache()
    yield tmp_path
    plugins.clear_cache()
    clear_cache()


def test_entry_point_recognizers_are_loaded(installed_plugin: Path) -> None:
    scanner = Scanner(ner=None)
    assert {"MEMBER_NO", "COUPON"} <= set(scanner.entities)
    text = "会员 VIP12345678 用券 CPN-ABCDE"
    assert {(d.entity, text[d.start : d.end]) for d in scanner.scan(text)} == {
        ("MEMBER_NO", "VIP12345678"),
        ("COUPON", "CPN-ABCDE"),
    }
    assert "MEMBER_NO" not in Scanner(plugins=False, ner=None).entities


def test_a_broken_entry_point_fails_closed(installed_plugin: Path) -> None:
    info = installed_plugin / "shop_recognizers-1.0.dist-info" / "entry_points.txt"
    info.write_text("[guardrail.recognizers]\nbad = shop_recognizers:NOPE\n")
    plugins.clear_cache()
    clear_cache()
    with pytest.raises(PluginError, match=r"plugin 'bad' .* which does not exist"):
        Scanner(ner=None)


def test_bundled_files_pass_the_strict_parser() -> None:
    """The bundled YAML is loaded with libyaml for speed; the line-tracking parser (which
    rejects duplicate keys) must read the same documents."""
    from importlib import resources

    from guardrail.detect.catalog import parse_bundled
    from guardrail.detect.columns import ColumnHints, load_hints
    from guardrail.resources import data_dir

    text = resources.files("guardrail.detect").joinpath("patterns.yaml").read_text("utf-8")
    strict = parse_catalog(parse_yaml(text, "patterns.yaml"))
    assert strict == load_catalog()
    assert parse_bundled(text, "x").data == parse_yaml(text, "x").data
    hints = data_dir("rules").joinpath("column_hints.yaml").read_text("utf-8")
    assert ColumnHints.model_validate(parse_yaml(hints, "h").data) == load_hints()
