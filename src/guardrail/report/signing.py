"""Signed reports: a detached JWS over the report's SHA-256 digest, and its verification.

``sign_report(path, key)`` writes ``<report>.jws`` next to the report: a compact JWS with
the payload left out (RFC 7515 Appendix F), ``<header>..<signature>``. The signed payload is
the canonical statement ``{"sha256":"<hex digest of the report's bytes>"}``; the verifier
recomputes it from the file, so one changed byte (or a swapped file) fails verification.
Keys come from :mod:`guardrail.crypto` (EdDSA/Ed25519 by default, ES256 too); the header
names the key (``kid``) and the algorithm, and verification pins both to the trusted keys.

Ed25519 signatures are deterministic: the same report bytes and key give the same signature,
so a reproducible run (same inputs, same ``--at``) also reproduces its ``.jws`` files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from guardrail.crypto import SigningKey, sign_detached, verify_detached
from guardrail.errors import InputError, InvalidSignature
from guardrail.model.report import InputCheck, ReportSignature

__all__ = [
    "SIGNATURE_SUFFIX",
    "check_inputs",
    "digest_statement",
    "load_signing_key",
    "load_trusted_keys",
    "sign_report",
    "signature_path",
    "verify_report",
]

#: The detached signature of ``report.json`` is ``report.json.jws``.
SIGNATURE_SUFFIX = ".jws"
_CHUNK = 1 << 20


def signature_path(report: Path) -> Path:
    return report.with_name(report.name + SIGNATURE_SUFFIX)


def _sha256_file(path: Path, what: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist", hint="check the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder, not a file", hint="name the file") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path} ({exc.strerror})") from None
    return h.hexdigest(), size


def digest_statement(sha256_hex: str) -> bytes:
    """The signed payload: canonical JSON naming the digest algorithm and value."""
    return json.dumps({"sha256": sha256_hex}, separators=(",", ":"), sort_keys=True).encode()


def load_signing_key(spec: str | Path) -> SigningKey:
    """A private signing key from a JWK file (mode 0600) or ``env:VARIABLE``."""
    text = str(spec)
    if text.startswith("env:"):
        return SigningKey.from_env(text[4:])
    return SigningKey.load(Path(text))


def load_trusted_keys(path: str | Path) -> dict[str, Any]:
    """Trusted verification keys: a JWKS (``{"keys": [...]}``) or a single JWK file.

    Only the public members are used, so a private JWK also works on the signer's machine;
    send verifiers the public JWKS.
    """
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"key file {p} does not exist", hint="pass a JWKS or JWK file") from None
    except (OSError, UnicodeDecodeError):
        raise InputError(f"cannot read key file {p}", hint="pass a JWKS or JWK file") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(
            f"key file {p} is not JSON", hint='pass a JWKS ({"keys": [...]}) or a JWK'
        ) from None
    if not isinstance(doc, dict) or not ("keys" in doc or "kty" in doc):
        raise InputError(
            f"key file {p} holds no JWK or JWKS", hint='pass a JWKS ({"keys": [...]}) or a JWK'
        )
    return doc


def sign_report(report: Path, key: SigningKey) -> Path:
    """Sign ``report``'s digest; write ``<report>.jws`` atomically and return its path."""
    digest, _size = _sha256_file(report, "report")
    token = sign_detached(digest_statement(digest), key)
    out = signature_path(report)
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(token + "\n", encoding="ascii")
        tmp.replace(out)
    except OSError as exc:
        raise InputError(f"cannot write {out} ({exc.strerror})", hint="check the folder") from None
    return out


def verify_report(
    report: Path,
    keys: Any,
    *,
    signature: Path | None = None,
    algorithms: Iterable[str] = ("EdDSA", "ES256"),
) -> ReportSignature:
    """Check ``report`` against its detached signature and the trusted ``keys``.

    Raises :class:`~guardrail.errors.InvalidSignature` when the report was changed, the
    signature was made by an untrusted key or is malformed; :class:`InputError` when a file
    is missing.
    """
    sig_path = signature if signature is not None else signature_path(report)
    digest, size = _sha256_file(report, "report")
    try:
        raw = sig_path.read_text("ascii").strip()
    except FileNotFoundError:
        raise InputError(
            f"no signature for {report} (looked for {sig_path})",
            hint="sign reports with 'guardrail audit --sign KEY' or pass --signature",
        ) from None
    except (OSError, UnicodeDecodeError):
        raise InvalidSignature(f"signature file {sig_path} is not a compact JWS") from None
    header = verify_detached(digest_statement(digest), raw, keys, algorithms=tuple(algorithms))
    return ReportSignature(
        report=str(report),
        signature=str(sig_path),
        sha256=digest,
        size=size,
        kid=str(header["kid"]),
        alg=header["alg"],
    )


def check_inputs(
    result_inputs: Iterable[tuple[str, str]],
    root: Path,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[InputCheck]:
    """Re-hash each ``(path, sha256)`` input below ``root``; a missing file has no digest."""
    items = list(result_inputs)
    out = []
    for i, (rel, expected) in enumerate(items):
        if progress is not None:
            progress(f"hashing {rel}", i, len(items))
        path = (root / rel).resolve()
        actual: str | None = None
        # A report names inputs relative to the stack's folder; never follow one outside it.
        if path.is_relative_to(root.resolve()):
            try:
                actual = _sha256_file(path, "input")[0]
            except InputError:
                actual = None
        out.append(InputCheck(path=rel, expected=expected, actual=actual))
    if progress is not None:
        progress("hashed", len(items), len(items))
    return out
