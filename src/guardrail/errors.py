"""The guardrail error tree.

Every error guardrail raises on purpose derives from :class:`GuardrailError`. Subclasses are
grouped by *what the caller can do about it*, and each carries the process exit code the CLI
uses (library code never exits)::

    GuardrailError                      exit 3  (something broke; the run is not trustworthy)
    ├── UsageError                      exit 2  the caller asked for something invalid
    │   ├── ConfigError                 exit 2  a configuration / manifest / rule file is wrong
    │   │   └── ManifestError           exit 2  ... with the file and line of the problem
    │   ├── InputError                  exit 2  an input (file, URL, frame) is missing or corrupt
    │   │   └── ConnectorError          exit 2  a data source cannot be opened or read
    │   └── PluginError                 exit 2  a plugin is missing, broken or conflicting
    ├── RuleExecutionError              exit 3  a control or rule crashed: the run is incomplete
    ├── CryptoError                     exit 2
    │   ├── InvalidCiphertext           exit 2  one error for every decryption failure
    │   ├── InvalidSignature            exit 2  one error for every signature/JWT failure
    │   └── KeyNotFound                 exit 2
    ├── ConsentMissing                  exit 1  processing is not covered by valid consent
    └── PrivacyBudgetExceeded           exit 1  a DP release would exceed the ledger's budget

Messages name the *input* and the *fix*, never a personal-data value or key material.
Build them from identifiers you control (file names, table and column names, entity names);
never interpolate scanned values. ``hint`` holds the fix as a separate sentence so the CLI can
print it on the same line.
"""

from __future__ import annotations

import re
from enum import IntEnum

__all__ = [
    "ConfigError",
    "ConnectorError",
    "ConsentMissing",
    "CryptoError",
    "ExitCode",
    "GuardrailError",
    "InputError",
    "InvalidCiphertext",
    "InvalidSignature",
    "KeyNotFound",
    "ManifestError",
    "PluginError",
    "PrivacyBudgetExceeded",
    "RuleExecutionError",
    "UsageError",
    "redact_url",
]

# scheme://user:PASSWORD@host... — the password runs to the last "@" before the path, so an
# unescaped "@" in it is hidden too.
_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:)[^/]*(?P<tail>@)")
_BARE_CREDENTIALS = re.compile(r"^[^/@:]+:[^/]*@")  # user:password@host without a scheme


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: safe in messages, logs and reports.

    Anything else is kept as written (a file path stays readable)."""
    shown = _URL_PASSWORD.sub(r"\g<head>***\g<tail>", url)
    if shown == url and _BARE_CREDENTIALS.match(url):
        return "***@" + url.rsplit("@", 1)[1]
    return shown


class ExitCode(IntEnum):
    """Process exit codes (documented in docs/cli.md)."""

    OK = 0
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage, configuration or input error
    INCOMPLETE = 3  # a collector, connector or rule failed: the result is incomplete


class GuardrailError(Exception):
    """Root of every error guardrail raises deliberately."""

    exit_code: ExitCode = ExitCode.INCOMPLETE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class UsageError(GuardrailError):
    """The caller asked for something invalid; fix the invocation."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A configuration, manifest, policy or rule file is invalid."""


class ManifestError(ConfigError):
    """A stack manifest is invalid; carries the file and (1-based) line of the first problem."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        location = f"{file}:{line}" if line is not None else file
        super().__init__(f"{location}: {message}", hint=hint)
        self.file = file
        self.line = line


class InputError(UsageError):
    """An input (file, URL, data frame) is missing, unreadable or corrupt."""


class ConnectorError(InputError):
    """A data source could not be opened or read. The URL's password is never included."""


class PluginError(UsageError):
    """A plugin could not be loaded, or two distributions registered the same name."""


class RuleExecutionError(GuardrailError):
    """A control, rule or collector crashed; the run that hit it is incomplete."""

    exit_code = ExitCode.INCOMPLETE


class CryptoError(GuardrailError):
    """Base for cryptographic failures."""

    exit_code = ExitCode.USAGE


class InvalidCiphertext(CryptoError):
    """Decryption failed. Deliberately one error for every cause (tamper, key, context)."""

    def __init__(
        self,
        message: str = "ciphertext is invalid or was not made for this context",
        *,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)


class InvalidSignature(CryptoError):
    """A signature, JWS or JWT did not verify (bad signature, unknown key, algorithm not
    allowed, expired, wrong audience ...). The message says which check failed, never a claim."""

    def __init__(
        self,
        message: str = "signature is invalid or was not made by a trusted key",
        *,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)


class KeyNotFound(CryptoError):
    """A key id referenced by a token or request is not in the keyring."""


class ConsentMissing(GuardrailError):
    """The requested processing is not covered by valid consent.

    ``reason`` is one of the values of ``guardrail.consent`` 's ``MissingReason``.
    """

    exit_code = ExitCode.FINDINGS

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class PrivacyBudgetExceeded(GuardrailError):
    """A differentially private release would exceed the dataset's privacy budget."""

    exit_code = ExitCode.FINDINGS
