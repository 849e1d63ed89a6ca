from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail.crypto import SigningKey, jwks
from guardrail.errors import CryptoError, InputError, InvalidSignature
from guardrail.report.signing import (
    check_inputs,
    digest_statement,
    load_signing_key,
    load_trusted_keys,
    sign_report,
    signature_path,
    verify_report,
)

KEY = SigningKey.generate(kid="reports-2026")
OTHER = SigningKey.generate(kid="reports-2026")  # same kid, different key
P256 = SigningKey.generate(alg="ES256", kid="p256")


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_bytes(b'{"schema_version": 1, "findings": []}\n')
    return path


def test_sign_then_verify(report: Path) -> None:
    sig = sign_report(report, KEY)
    assert sig == signature_path(report) == report.with_name("report.json.jws")
    token = sig.read_text("ascii").strip()
    head, body, _ = token.split(".")
    assert body == ""  # detached (RFC 7515 Appendix F)
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    assert header == {"alg": "EdDSA", "kid": "reports-2026"}
    checked = verify_report(report, jwks([KEY]))
    assert (checked.kid, checked.alg, checked.size) == (
        "reports-2026",
        "EdDSA",
        report.stat().st_size,
    )
    assert digest_statement(checked.sha256) == (b'{"sha256":"' + checked.sha256.encode() + b'"}')


def test_ed25519_signatures_are_reproducible(report: Path, tmp_path: Path) -> None:
    first = sign_report(report, KEY).read_bytes()
    copy = tmp_path / "copy" / "report.json"
    copy.parent.mkdir()
    copy.write_bytes(report.read_bytes())
    assert sign_report(copy, KEY).read_bytes() == first


def test_es256_works_too(report: Path) -> None:
    sign_report(report, P256)
    assert verify_report(report, jwks([P256])).alg == "ES256"


def test_tampered_report_fails(report: Path) -> None:
    sign_report(report, KEY)
    report.write_bytes(report.read_bytes().replace(b"[]", b"[ ]"))
    with pytest.raises(InvalidSignature):
        verify_report(report, jwks([KEY]))


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=200), flip=st.integers(min_value=0))
def test_any_changed_byte_fails(tmp_path: Path, data: bytes, flip: int) -> None:
    path = tmp_path / "r.bin"
    path.write_bytes(data)
    sign_report(path, KEY)
    i = flip % len(data)
    changed = bytearray(data)
    changed[i] ^= 0x01
    path.write_bytes(bytes(changed))
    with pytest.raises(InvalidSignature):
        verify_report(path, jwks([KEY]))


def test_untrusted_key_fails(report: Path) -> None:
    sign_report(report, OTHER)
    with pytest.raises(InvalidSignature):
        verify_report(report, jwks([KEY]))
    with pytest.raises(InvalidSignature):
        verify_report(report, jwks([P256]))


def test_swapped_signature_fails(report: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_bytes(b"{}\n")
    sign_report(other, KEY)
    with pytest.raises(InvalidSignature):
        verify_report(report, jwks([KEY]), signature=signature_path(other))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a jws",
        "a.b.c",
        "eyJhbGciOiJub25lIn0..",
        "eyJhbGciOiJIUzI1NiIsImtpZCI6InJlcG9ydHMtMjAyNiJ9..AAAA",
    ],
)
def test_malformed_or_downgraded_signatures_fail(report: Path, token: str) -> None:
    signature_path(report).write_text(token)
    with pytest.raises(InvalidSignature):
        verify_report(report, jwks([KEY]))


def test_missing_files_are_input_errors(report: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no signature for .*report\.json.*report\.json\.jws"):
        verify_report(report, jwks([KEY]))
    with pytest.raises(InputError, match="does not exist"):
        verify_report(tmp_path / "nope.json", jwks([KEY]))


def test_key_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "signing.jwk"
    KEY.save(path)
    assert load_signing_key(path).public() == KEY.public()
    monkeypatch.setenv("GR_TEST_SIGNING_KEY", path.read_text())
    assert load_signing_key("env:GR_TEST_SIGNING_KEY").public() == KEY.public()
    with pytest.raises(CryptoError):
        load_signing_key(tmp_path / "missing.jwk")
    public = tmp_path / "trusted.jwks.json"
    public.write_text(json.dumps(jwks([KEY])))
    assert all("d" not in k for k in load_trusted_keys(public)["keys"])
    for bad, match in (("[1, 2]", "holds no JWK"), ("{oops", "is not JSON")):
        (tmp_path / "bad.json").write_text(bad)
        with pytest.raises(InputError, match=match):
            load_trusted_keys(tmp_path / "bad.json")
    with pytest.raises(InputError, match="does not exist"):
        load_trusted_keys(tmp_path / "none.json")


def test_keys_never_appear_in_output(report: Path, tmp_path: Path) -> None:
    path = tmp_path / "signing.jwk"
    KEY.save(path)
    d = json.loads(path.read_text())["d"]
    sig = sign_report(report, load_signing_key(path)).read_text()
    assert d not in sig and d not in repr(load_signing_key(path))


def test_check_inputs(tmp_path: Path) -> None:
    import hashlib

    (tmp_path / "stack.yaml").write_text("organization: {}\n")
    good = hashlib.sha256(b"organization: {}\n").hexdigest()
    outside = tmp_path.parent / "outside.txt"
    outside.write_text("x")
    checks = check_inputs(
        [
            ("stack.yaml", good),
            ("stack.yaml", "0" * 64),
            ("gone.log", good),
            ("../outside.txt", hashlib.sha256(b"x").hexdigest()),
        ],
        tmp_path,
    )
    assert [(c.path, c.ok, c.actual is None) for c in checks] == [
        ("stack.yaml", True, False),
        ("stack.yaml", False, False),
        ("gone.log", False, True),
        ("../outside.txt", False, True),  # never followed outside the stack folder
    ]
