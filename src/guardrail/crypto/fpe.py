"""FF1 format-preserving encryption (NIST SP 800-38G), and helpers for cards and phones.

FF1 encrypts a string of numerals in a given radix to another string of the same length and
alphabet: a 10-digit number stays a 10-digit number. It gives confidentiality only (no
integrity, and equal inputs under the same tweak give equal outputs). The domain must hold at
least 10^6 values (SP 800-38G Rev. 1 draft: radix^minlen >= 1,000,000 ⚠ the revision is a
draft, but the bound is the conservative choice). FF3/FF3-1 are not offered: the 2025 draft
of Rev. 1 withdraws them.

The Feistel rounds keep both halves as integers, and the CBC-MAC over the fixed prefix
(``P`` and the full tweak blocks) is computed once per length, so each round costs one AES
block.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from guardrail.crypto._util import Unpicklable
from guardrail.crypto.fields import check_context
from guardrail.crypto.keys import Keyring
from guardrail.errors import CryptoError

__all__ = [
    "FF1",
    "MIN_DOMAIN",
    "decrypt_card",
    "decrypt_phone",
    "encrypt_card",
    "encrypt_phone",
]

MIN_DOMAIN = 1_000_000  # SP 800-38G Rev. 1 (draft): radix ** minlen >= 10**6
MAX_TWEAK = 256
_CANONICAL = "0123456789abcdefghijklmnopqrstuvwxyz"
_ROUNDS = 10


class _Plan:
    """Per (length, tweak) constants: the halves, byte counts and the MAC state after P|T."""

    __slots__ = (
        "b",
        "d",
        "mod_u",
        "mod_v",
        "n",
        "prefix_state",
        "q_rest",
        "tail_const",
        "tail_single",
        "u",
        "v",
    )

    n: int
    u: int
    v: int
    b: int
    d: int
    mod_u: int
    mod_v: int
    prefix_state: int
    tail_single: bool
    tail_const: int
    q_rest: bytes


class FF1(Unpicklable):
    """FF1 over ``radix`` numerals (``alphabet`` names them; radix 36 uses ``0-9a-z``).

    >>> ff1 = FF1(bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C"))
    >>> ff1.encrypt("0123456789")
    '2433477484'
    >>> ff1.decrypt("2433477484")
    '0123456789'
    """

    __slots__ = ("_alphabet", "_canonical", "_ecb", "_index", "_plans", "_radix", "key_id")

    def __init__(self, key: bytes, radix: int = 10, alphabet: str | None = None) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) not in (16, 24, 32):
            raise CryptoError("an FF1 key must be 16, 24 or 32 bytes (AES-128/192/256)")
        if alphabet is not None:
            if len(set(alphabet)) != len(alphabet) or len(alphabet) < 2:
                raise CryptoError("an FF1 alphabet needs at least 2 distinct characters")
            if radix not in (10, len(alphabet)):
                raise CryptoError(
                    f"radix {radix} does not match the alphabet's {len(alphabet)} characters",
                    hint="omit radix when you pass an alphabet",
                )
            radix = len(alphabet)
        elif not 2 <= radix <= len(_CANONICAL):
            raise CryptoError(
                f"radix {radix} needs an alphabet", hint="pass alphabet= for radix above 36"
            )
        else:
            alphabet = _CANONICAL[:radix]
        if radix > 65536:
            raise CryptoError("FF1 supports a radix of at most 2**16")
        self._radix = radix
        self._alphabet = alphabet
        self._canonical = alphabet == _CANONICAL[:radix]
        self._index = {c: i for i, c in enumerate(alphabet)}
        self._ecb = Cipher(algorithms.AES(bytes(key)), modes.ECB()).encryptor()  # noqa: S305 - one-block PRF of FF1 (SP 800-38G §4.4), not a mode of use
        self._plans: dict[tuple[int, bytes | int], _Plan] = {}
        self.key_id: str | None = None

    @classmethod
    def from_keyring(
        cls,
        keyring: Keyring,
        *,
        context: str,
        radix: int = 10,
        alphabet: str | None = None,
        key_id: str | None = None,
    ) -> FF1:
        """FF1 under an AES-256 key derived from the keyring's primary key (or ``key_id``).

        FF1 output carries no key id: record ``.key_id`` next to the data to decrypt it after
        a rotation.
        """
        check_context(context)
        if key_id is None:
            kid = keyring._primary_raw_id()
        else:
            from guardrail.crypto.keys import key_id_from_hex

            kid = key_id_from_hex(key_id)
            if not keyring._has(kid):
                from guardrail.errors import KeyNotFound

                raise KeyNotFound(
                    f"key {key_id} is not in the keyring", hint="see 'guardrail keys list'"
                )
        key = keyring._derive(kid, b"fpe/ff1/" + context.encode("utf-8"))
        ff1 = cls(key, radix, alphabet)
        ff1.key_id = kid.hex()
        return ff1

    @property
    def radix(self) -> int:
        return self._radix

    @property
    def alphabet(self) -> str:
        return self._alphabet

    def min_length(self) -> int:
        """The shortest input whose domain holds at least 10^6 values."""
        n = 1
        while self._radix**n < MIN_DOMAIN:
            n += 1
        return max(n, 2)

    # -- numerals ------------------------------------------------------------------------

    def _num(self, text: str) -> int:
        if self._canonical and self._radix <= 36:
            if not all(c in self._index for c in text):
                raise CryptoError(
                    f"the input has characters outside the FF1 alphabet (radix {self._radix})",
                    hint="pass only numerals of the alphabet; keep separators outside",
                )
            return int(text, self._radix)
        x = 0
        idx = self._index
        r = self._radix
        try:
            for c in text:
                x = x * r + idx[c]
        except KeyError:
            raise CryptoError(
                f"the input has characters outside the FF1 alphabet (radix {self._radix})",
                hint="pass only numerals of the alphabet; keep separators outside",
            ) from None
        return x

    def _str(self, x: int, m: int) -> str:
        if self._radix == 10 and self._canonical:
            return f"{x:0{m}d}"
        r = self._radix
        a = self._alphabet
        out = [""] * m
        for i in range(m - 1, -1, -1):
            x, rem = divmod(x, r)
            out[i] = a[rem]
        return "".join(out)

    # -- the cipher ----------------------------------------------------------------------

    def _block(self, x: int) -> int:
        return int.from_bytes(self._ecb.update(x.to_bytes(16, "big")), "big")

    def _plan(self, n: int, tweak: bytes) -> _Plan:
        slot = (n, tweak)
        plan = self._plans.get(slot)
        if plan is not None:
            return plan
        t = len(tweak)
        base = self._plans.get((n, t))  # the tweak-independent part, keyed by the length
        if base is None:
            base = self._base(n, t)
            self._plans[(n, t)] = base
        p = _Plan()
        p.n, p.u, p.v, p.b, p.d = base.n, base.u, base.v, base.b, base.d
        p.mod_u, p.mod_v = base.mod_u, base.mod_v
        state = base.prefix_state  # CBC-MAC state after the block P
        fixed = tweak + bytes((-t - p.b - 1) % 16)
        full = len(fixed) // 16
        for j in range(full):
            state = self._block(state ^ int.from_bytes(fixed[16 * j : 16 * j + 16], "big"))
        p.prefix_state = state
        p.q_rest = fixed[16 * full :]
        p.tail_single = len(p.q_rest) + 1 + p.b == 16
        p.tail_const = int.from_bytes(p.q_rest, "big") << (8 * (1 + p.b)) if p.tail_single else 0
        if len(self._plans) >= 4096:  # per-value tweaks (card/phone helpers): stay bounded
            self._plans.clear()
            self._plans[(n, t)] = base
        self._plans[slot] = p
        return p

    def _base(self, n: int, t: int) -> _Plan:
        radix = self._radix
        if radix**n < MIN_DOMAIN or n < 2:
            raise CryptoError(
                f"an FF1 input of {n} numerals in radix {radix} has fewer than 10^6 values",
                hint=f"encrypt at least {self.min_length()} numerals, or use field encryption",
            )
        if t > MAX_TWEAK:
            raise CryptoError(f"the FF1 tweak is longer than {MAX_TWEAK} bytes")
        p = _Plan()
        p.n, p.u = n, n // 2
        p.v = n - p.u
        p.b = ((radix**p.v - 1).bit_length() + 7) // 8
        p.d = 4 * ((p.b + 3) // 4) + 4
        p.mod_u, p.mod_v = radix**p.u, radix**p.v
        block_p = (
            bytes([1, 2, 1])
            + radix.to_bytes(3, "big")
            + bytes([10, p.u % 256])
            + n.to_bytes(4, "big")
            + t.to_bytes(4, "big")
        )
        p.prefix_state = self._block(int.from_bytes(block_p, "big"))
        return p

    def _round(self, p: _Plan, i: int, x: int) -> int:
        """NUM(S) for round ``i`` with the round input numeral ``x`` (SP 800-38G Alg. 7 ii-iv)."""
        if p.tail_single:
            r = self._block(p.prefix_state ^ p.tail_const ^ (i << (8 * p.b)) ^ x)
        else:
            q = p.q_rest + bytes([i]) + x.to_bytes(p.b, "big")
            r = p.prefix_state
            for j in range(0, len(q), 16):
                r = self._block(r ^ int.from_bytes(q[j : j + 16], "big"))
        if p.d <= 16:
            return r >> (8 * (16 - p.d))
        s = r.to_bytes(16, "big")
        j = 1
        while len(s) < p.d:
            s += self._block(r ^ j).to_bytes(16, "big")
            j += 1
        return int.from_bytes(s[: p.d], "big")

    def encrypt(self, text: str, tweak: bytes = b"") -> str:
        """Encrypt a numeral string; the result has the same length and alphabet."""
        p = self._plan(len(text), bytes(tweak))
        a, b = self._num(text[: p.u]), self._num(text[p.u :])
        rnd = self._round
        for i in range(_ROUNDS):
            m = p.mod_u if i % 2 == 0 else p.mod_v
            a, b = b, (a + rnd(p, i, b)) % m
        return self._str(a, p.u) + self._str(b, p.v)

    def decrypt(self, text: str, tweak: bytes = b"") -> str:
        """Invert :meth:`encrypt` (the same tweak is needed)."""
        p = self._plan(len(text), bytes(tweak))
        a, b = self._num(text[: p.u]), self._num(text[p.u :])
        rnd = self._round
        for i in range(_ROUNDS - 1, -1, -1):
            m = p.mod_u if i % 2 == 0 else p.mod_v
            a, b = (b - rnd(p, i, a)) % m, a
        return self._str(a, p.u) + self._str(b, p.v)

    def __repr__(self) -> str:
        return f"FF1(radix={self._radix}, key=<redacted>)"

    __str__ = __repr__


# -- helpers that keep part of a value in the clear -------------------------------------------

_DIGIT = re.compile(r"\d")


def _apply_digits(
    value: str, keep_first: int, keep_last: int, fn: Callable[[str, bytes], str], tweak: bytes
) -> str:
    positions = [m.start() for m in _DIGIT.finditer(value)]
    digits = "".join(value[i] for i in positions)
    n = len(digits)
    middle = digits[keep_first : n - keep_last]
    kept = digits[:keep_first] + "|" + digits[n - keep_last :]
    # The kept digits join the tweak: the same middle under a different BIN encrypts differently.
    new = (
        digits[:keep_first]
        + fn(middle, tweak + b"|" + kept.encode("ascii"))
        + digits[n - keep_last :]
    )
    chars = list(value)
    for pos, d in zip(positions, new, strict=True):
        chars[pos] = d
    return "".join(chars)


def _card_keep(n: int) -> int:
    if n < 10:
        raise CryptoError(
            "a card number needs at least 10 digits for format-preserving encryption",
            hint="use field encryption (FieldEncryptor) for short numbers",
        )
    return min(6, n - 4 - 6)  # keep the BIN, but always encrypt at least 6 digits (10^6)


def _check_decimal(ff1: FF1) -> None:
    if ff1.radix != 10 or ff1.alphabet != "0123456789":
        raise CryptoError("card and phone helpers need a radix-10 FF1")


def encrypt_card(ff1: FF1, card: str, tweak: bytes = b"") -> str:
    """Encrypt a card number keeping its BIN (first 6) and last 4 digits and separators.

    Numbers shorter than 16 digits keep fewer leading digits, so at least 6 are encrypted.

    >>> ff1 = FF1(bytes(32))
    >>> out = encrypt_card(ff1, "6228 4800 1234 5678")
    >>> out[:7] == "6228 48" and out[-4:] == "5678" and decrypt_card(ff1, out) == "6228 4800 1234 5678"
    True
    """
    _check_decimal(ff1)
    n = sum(c.isdigit() for c in card)
    return _apply_digits(card, _card_keep(n), 4, ff1.encrypt, b"card" + tweak)


def decrypt_card(ff1: FF1, card: str, tweak: bytes = b"") -> str:
    """Invert :func:`encrypt_card`."""
    _check_decimal(ff1)
    n = sum(c.isdigit() for c in card)
    return _apply_digits(card, _card_keep(n), 4, ff1.decrypt, b"card" + tweak)


_COUNTRY = re.compile(r"^\s*(\+|00)(\d{1,3})(?=[\s-])")


def _phone_keep(phone: str) -> int:
    m = _COUNTRY.match(phone)
    return len(m.group(2)) + (2 if m.group(1) == "00" else 0) if m else 0


def encrypt_phone(ff1: FF1, phone: str, tweak: bytes = b"") -> str:
    """Encrypt a phone number's national digits, keeping the country prefix and layout.

    The prefix is kept when written ``+86 ...`` or ``0086 ...`` (followed by a space or dash).

    >>> ff1 = FF1(bytes(32))
    >>> out = encrypt_phone(ff1, "+86 138 1234 5678")
    >>> out.startswith("+86 ") and decrypt_phone(ff1, out) == "+86 138 1234 5678"
    True
    """
    _check_decimal(ff1)
    return _apply_digits(phone, _phone_keep(phone), 0, ff1.encrypt, b"phone" + tweak)


def decrypt_phone(ff1: FF1, phone: str, tweak: bytes = b"") -> str:
    """Invert :func:`encrypt_phone`."""
    _check_decimal(ff1)
    return _apply_digits(phone, _phone_keep(phone), 0, ff1.decrypt, b"phone" + tweak)
