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
