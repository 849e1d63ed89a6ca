"""Generate the token known-answer file: ``python -m tests.crypto.make_vectors``.

The file pins the token format: valid tokens (field AES-GCM and deterministic AES-SIV) that
must keep decrypting in every future version, and invalid ones (tampered, truncated, wrong
context, unknown key id, wrong version byte, bad encoding) that must raise InvalidCiphertext.
AES-SIV tokens are deterministic, so the test regenerates them and compares exactly.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from guardrail.crypto import DeterministicEncryptor, FieldEncryptor, Keyring

OUT = Path(__file__).with_name("vectors") / "tokens.json"
MATERIAL = bytes(range(32))
KEY_ID = "0a0b0c0d"
OLD_MATERIAL = bytes(range(100, 132))
OLD_KEY_ID = "01020304"
CONTEXT = "shop.customers.id_number"
PLAINTEXTS = ["11010519491231002X", "", "张三", "Zoë Müller", "13812345678" * 20]


def keyring() -> Keyring:
    """Two keys: the primary (KEY_ID) and an older decrypt-only one (OLD_KEY_ID)."""
    old = Keyring.from_material(OLD_MATERIAL, key_id=OLD_KEY_ID)
    return Keyring.from_material(MATERIAL, key_id=KEY_ID).merge(old)


def _raw(token: str) -> bytearray:
    body = token[4:]
    return bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _tok(raw: bytes | bytearray) -> str:
    return "gr1:" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def _invalid(kind: str, token: str) -> list[dict[str, Any]]:
    raw = _raw(token)
    flipped = bytearray(raw)
    flipped[-1] ^= 0x01
    header = bytearray(raw)
    header[1] ^= 0xFF  # unknown key id
    version = bytearray(raw)
    version[0] = 0x7F
    swapped = bytearray(raw)
    swapped[0] = 0x02 if raw[0] == 0x01 else 0x01
    body = bytearray(raw)
    body[6] ^= 0x80
    return [
        {"recipe": kind, "why": "tampered tag", "token": _tok(flipped), "context": CONTEXT},
        {"recipe": kind, "why": "tampered body", "token": _tok(body), "context": CONTEXT},
        {"recipe": kind, "why": "truncated", "token": _tok(raw[:-5]), "context": CONTEXT},
        {"recipe": kind, "why": "header only", "token": _tok(raw[:5]), "context": CONTEXT},
        {"recipe": kind, "why": "wrong context", "token": token, "context": CONTEXT + "_copy"},
        {"recipe": kind, "why": "unknown key id", "token": _tok(header), "context": CONTEXT},
        {"recipe": kind, "why": "wrong version", "token": _tok(version), "context": CONTEXT},
        {
            "recipe": kind,
            "why": "other recipe's version",
            "token": _tok(swapped),
            "context": CONTEXT,
        },
        {"recipe": kind, "why": "no prefix", "token": token[4:], "context": CONTEXT},
        {"recipe": kind, "why": "other prefix", "token": "gr2:" + token[4:], "context": CONTEXT},
        {"recipe": kind, "why": "padding", "token": token + "=", "context": CONTEXT},
        {
            "recipe": kind,
            "why": "standard base64",
            "token": token.replace("-", "+").replace("_", "/")
            if ("-" in token or "_" in token)
            else token[:-1] + "+",
            "context": CONTEXT,
        },
        {
            "recipe": kind,
            "why": "whitespace",
            "token": token[:10] + " " + token[10:],
            "context": CONTEXT,
        },
        {"recipe": kind, "why": "empty", "token": "", "context": CONTEXT},
    ]


def build() -> dict[str, Any]:
    kr = keyring()
    old = Keyring.from_material(OLD_MATERIAL, key_id=OLD_KEY_ID)
    valid: list[dict[str, Any]] = []
    for recipe, cls in (("field", FieldEncryptor), ("deterministic", DeterministicEncryptor)):
        for p in PLAINTEXTS:
            valid.append(
                {
                    "recipe": recipe,
                    "key_id": KEY_ID,
                    "context": CONTEXT,
                    "plaintext": p,
                    "token": cls(kr, CONTEXT).encrypt(p),
                }
            )
        valid.append(
            {
                "recipe": recipe,
                "key_id": OLD_KEY_ID,
                "context": CONTEXT,
                "plaintext": "older key",
                "token": cls(old, CONTEXT).encrypt("older key"),
            }
        )
    invalid = _invalid("field", valid[0]["token"]) + _invalid(
        "deterministic", valid[len(PLAINTEXTS) + 1]["token"]
    )
    return {
        "about": "guardrail gr1 token known answers; regenerate with python -m tests.crypto.make_vectors",
        "keys": [
            {"id": KEY_ID, "material_hex": MATERIAL.hex(), "status": "primary"},
            {"id": OLD_KEY_ID, "material_hex": OLD_MATERIAL.hex(), "status": "decrypt-only"},
        ],
        "valid": valid,
        "invalid": invalid,
    }


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
