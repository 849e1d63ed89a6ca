from __future__ import annotations

import pytest

from guardrail import errors as E


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (E.ConfigError, 2),
        (E.ManifestError, 2),
        (E.InputError, 2),
        (E.ConnectorError, 2),
        (E.PluginError, 2),
        (E.RuleExecutionError, 3),
        (E.InvalidCiphertext, 2),
        (E.PrivacyBudgetExceeded, 1),
        (E.GuardrailError, 3),
    ],
)
def test_exit_codes(cls: type[E.GuardrailError], code: int) -> None:
    assert cls.exit_code == code
    assert issubclass(cls, E.GuardrailError)


def test_manifest_error_names_file_and_line() -> None:
    err = E.ManifestError("unknown key", file="stack.yaml", line=12, hint="fix it")
    assert str(err) == "stack.yaml:12: unknown key — fix it"
    assert err.line == 12 and err.file == "stack.yaml"


def test_invalid_ciphertext_has_one_message() -> None:
    assert "invalid" in str(E.InvalidCiphertext())


def test_consent_missing_carries_reason() -> None:
    err = E.ConsentMissing("no consent for marketing", reason="withdrawn")
    assert err.reason == "withdrawn" and err.exit_code == 1


def _loaders() -> list[tuple[str, object]]:
    from guardrail.audit.manifest import load_stack
    from guardrail.audit.waivers import load_baseline, load_waivers
    from guardrail.consent.catalog import load_catalog as load_consent_catalog
    from guardrail.detect.catalog import load_presidio_yaml
    from guardrail.privacy import load_spec, read_table_file

    return [
        ("stack.yaml", load_stack),
        ("waivers.yaml", load_waivers),
        ("baseline.json", load_baseline),
        ("catalog.yaml", load_consent_catalog),
        ("presidio-recognizers.yaml", load_presidio_yaml),
        ("query.yaml", load_spec),
        ("orders.csv", read_table_file),
    ]


@pytest.mark.parametrize("index", range(7))
def test_public_loaders_take_str_paths_and_name_a_missing_file(tmp_path, index) -> None:  # type: ignore[no-untyped-def]
    """Users pass plain strings: a missing file is one GuardrailError naming it, never an
    AttributeError from treating the str as a Path."""
    name, load = _loaders()[index]
    missing = str(tmp_path / name)
    with pytest.raises(E.GuardrailError) as info:
        load(missing)  # type: ignore[operator]
    assert name in str(info.value)


def test_str_paths_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from guardrail.privacy import load_spec, read_table_file

    spec = Path(__file__).resolve().parents[1] / "examples" / "dp" / "orders_by_status.yaml"
    assert load_spec(str(spec)).dataset == "shop"
    csv = tmp_path / "t.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    assert read_table_file(str(csv)).n_rows == 2


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:Pw-c4nary@h/db", "postgresql://u:***@h/db"),
        ("postgresql+psycopg://u:p@Pw-c4nary@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("redis://:Pw-c4nary@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("u:Pw-c4nary@h/db", "***@h/db"),  # no scheme: still hidden
        ("mysql+pymysql://root@127.0.0.1/x", "mysql+pymysql://root@127.0.0.1/x"),
        ("sqlite:///consent.db", "sqlite:///consent.db"),
        ("/var/lib/shop/consent.db", "/var/lib/shop/consent.db"),  # a path stays readable
    ],
)
def test_one_url_redactor_hides_every_password(url: str, shown: str) -> None:
    assert E.redact_url(url) == shown
    assert "c4nary" not in E.redact_url(url)
    from guardrail.connectors import redact_url

    assert redact_url is E.redact_url  # one implementation, re-exported
