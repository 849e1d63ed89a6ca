"""Crypto and masking hot paths against their references, measured in the same run.

    python benchmarks/bench_crypto.py [--values N] [--repeat R]

| measure | reference (same run) | target |
|---|---|---|
| FieldEncryptor.encrypt_many | bare ``AESGCM.encrypt`` loop with a fresh ``os.urandom(12)`` nonce | >= 0.4x |
| Pseudonymizer.pseudonym_many | bare loop of ``cryptography`` HMAC-SHA256 (new object per value) | >= 0.5x |
| FF1 10-digit values | 20,000 values/s (absolute) | >= 20,000/s |
| mask_column (phones ...) | 1,000,000 values/s (absolute); bare slicing shown for context | >= 1,000,000/s |

Rates are the median of ``--repeat`` runs (the machine is shared: medians resist noise).
"""

from __future__ import annotations

import argparse
import hmac as std_hmac
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_of, report
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

from guardrail.crypto import (
    FF1,
    DeterministicEncryptor,
    FieldEncryptor,
    Keyring,
    Pseudonymizer,
    encrypt_card,
)
from guardrail.masking import mask_column


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n, rep = args.values, args.repeat
    kr = Keyring.generate()
    ids = [f"1101051949{i:08d}" for i in range(n)]
    ids_b = [v.encode() for v in ids]
    rows: list[dict[str, object]] = []

    def rate(fn: Callable[[], object], count: int) -> float:
        return count / median_of(fn, rep)

    def paired(
        ours: Callable[[], object], ref: Callable[[], object], count: int
    ) -> tuple[float, float, float]:
        """Alternate the two runs (load drifts on a shared machine): median rates, and the
        median of the per-pair ratios."""
        t_o: list[float] = []
        t_r: list[float] = []
        for _ in range(rep):
            for fn, out in ((ref, t_r), (ours, t_o)):
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
        ratio = statistics.median(r / o for r, o in zip(t_r, t_o, strict=True))
        return count / statistics.median(t_o), count / statistics.median(t_r), ratio

    def row(
        measure: str,
        ours: float,
        ref: float | None,
        ref_name: str,
        target: str,
        ok: bool,
        ratio: float | None = None,
    ) -> None:
        rows.append(
            {
                "measure": measure,
                "guardrail (values/s)": ours,
                "reference (values/s)": ref if ref is not None else "",
                "reference is": ref_name,
                "ratio": ratio if ratio is not None else (ours / ref if ref else ""),
                "target": target + (" ✔" if ok else " ✘"),
            }
        )

    # field encryption vs a bare AESGCM loop (with the fresh nonce a correct loop needs)
    enc = FieldEncryptor(kr, context="shop.customers.id_number")
    aead = AESGCM(os.urandom(32))

    def bare_gcm() -> None:
        e, urandom = aead.encrypt, os.urandom
        for v in ids_b:
            e(urandom(12), v, None)

    ours, ref, ratio = paired(lambda: enc.encrypt_many(ids), bare_gcm, n)
    row(
        "FieldEncryptor.encrypt_many (AES-256-GCM token)",
        ours,
        ref,
        "bare AESGCM.encrypt loop",
        ">= 0.4x",
        ratio >= 0.4,
        ratio,
    )

    det = DeterministicEncryptor(kr, context="shop.customers.email")
    siv = AESSIV(os.urandom(64))

    def bare_siv() -> None:
        e = siv.encrypt
        for v in ids_b:
            e(v, [b"context"])

    ours, ref, ratio = paired(lambda: det.encrypt_many(ids), bare_siv, n)
    row(
        "DeterministicEncryptor.encrypt_many (AES-SIV)",
        ours,
        ref,
        "bare AESSIV.encrypt loop",
        "(context)",
        True,
        ratio,
    )

    # pseudonyms vs a bare HMAC loop
    p = Pseudonymizer(kr, context="consent.subject")
    key = os.urandom(32)

    def bare_hmac() -> None:
        for v in ids_b:
            h = c_hmac.HMAC(key, hashes.SHA256())
            h.update(v)
            h.finalize()

    def std_loop() -> None:
        d = std_hmac.digest
        for v in ids_b:
            d(key, v, "sha256")

    ours, ref, ratio = paired(lambda: p.pseudonym_many(ids), bare_hmac, n)
    row(
        "Pseudonymizer.pseudonym_many (HMAC-SHA256)",
        ours,
        ref,
        "bare cryptography HMAC loop",
        ">= 0.5x",
        ratio >= 0.5,
        ratio,
    )
    ours, ref, ratio = paired(lambda: p.pseudonym_many(ids), std_loop, n)
    row(
        "Pseudonymizer.pseudonym_many (HMAC-SHA256)",
        ours,
        ref,
        "bare stdlib hmac.digest loop",
        "(context)",
        True,
        ratio,
    )

    # FF1
    ff1 = FF1(os.urandom(32))
    m = min(n, 50_000)
    tens = [f"{i * 7919 % 10**10:010d}" for i in range(m)]
    ours = rate(lambda: [ff1.encrypt(v) for v in tens], m)
    row("FF1 encrypt, 10-digit values", ours, 20_000, "target rate", ">= 20,000/s", ours >= 20_000)
    cards = [f"62284800{i:08d}" for i in range(m)]
    ours = rate(lambda: [encrypt_card(ff1, v) for v in cards], m)
    row("encrypt_card (BIN + last 4 kept)", ours, None, "(informational)", "-", True)

    # masking a column of 1M values: Python lists, and Arrow columns (Parquet/Arrow data)
    import pyarrow as pa

    k = 1_000_000
    columns = {
        "phone": [f"138{i:08d}" for i in range(k)],
        "cn_id": [f"1101051949{i:08d}" for i in range(k)],
        "card": [f"62284800{i:08d}" for i in range(k)],
        "email": [f"user{i}@example.cn" for i in range(k)],
        "name": [["张三", "欧阳娜娜", "王小明", "李四"][i % 4] for i in range(k)],
    }
    phones = columns["phone"]

    def bare_slice() -> None:
        [v[:3] + "****" + v[7:] for v in phones]

    for style, data in columns.items():
        ours, ref, ratio = paired(lambda d=data, s=style: mask_column(d, s), bare_slice, k)  # type: ignore[misc]
        row(
            f"mask_column({style!r}), 1M-value list",
            ours,
            ref,
            "bare slicing comprehension",
            ">= 1,000,000/s",
            ours >= 1_000_000,
            ratio,
        )
        arrow = pa.array(data, type=pa.string())
        ours, ref, ratio = paired(lambda a=arrow, s=style: mask_column(a, s), bare_slice, k)  # type: ignore[misc]
        row(
            f"mask_column({style!r}), 1M-value Arrow column",
            ours,
            ref,
            "bare slicing comprehension",
            ">= 1,000,000/s",
            ours >= 1_000_000,
            ratio,
        )

    report("crypto and masking", rows)


if __name__ == "__main__":
    main()
