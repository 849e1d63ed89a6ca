"""Column transformers: a policy entry plus keys, applied to a chunk of one column's values.

Every transformer leaves ``None`` and ``""`` alone and recognises values it (or a previous
run) already produced — ``gr1:`` tokens, ``gp1:`` pseudonyms, masks, bands — so running
``protect`` twice, or resuming after a crash, never transforms a value twice. FF1 output is
not recognisable; exactly-once for FPE columns rests on the run's checkpoint (see
:mod:`guardrail.protect.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from guardrail.crypto import (
    FF1,
    DeterministicEncryptor,
    FieldEncryptor,
    InvalidCiphertext,
    Keyring,
    Pseudonymizer,
    decrypt_card,
    decrypt_phone,
    encrypt_card,
    encrypt_phone,
    is_pseudonym,
    is_token,
)
from guardrail.errors import CryptoError, InputError
from guardrail.masking import mask_column, masker
from guardrail.model.protect import (
    ColumnTransform,
    DeterministicTransform,
    EncryptTransform,
    FpeTransform,
    GeneralizeTransform,
    MaskTransform,
    PseudonymizeTransform,
    ShredTransform,
    SuppressTransform,
)
from guardrail.protect.generalize import (
    age_band,
    is_generalized_age,
    truncate_date,
    truncate_postcode,
)

__all__ = [
    "NEEDS_KEYS",
    "RECOGNISABLE",
    "REVERSIBLE",
    "Tally",
    "Transformer",
    "build_transformer",
    "to_text",
]

#: Transforms ``guardrail reveal`` can undo.
REVERSIBLE = frozenset({"encrypt", "deterministic", "fpe", "shred"})
#: Transforms that need the keyring.
NEEDS_KEYS = frozenset({"encrypt", "deterministic", "pseudonymize", "fpe", "shred"})
#: Transforms whose output is recognisable without any record (no double application).
RECOGNISABLE = frozenset({"encrypt", "deterministic", "pseudonymize", "shred", "suppress"})


def to_text(value: Any) -> str | None:
    """A cell as text (``None`` for NULL); bytes are refused by the caller."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("binary value")
    return str(value)


@dataclass
class Tally:
    changed: int = 0
    already: int = 0
    empty: int = 0
    preview: list[str] = field(default_factory=list)
    changed_idx: list[int] = field(default_factory=list)
    """Positions changed in the last chunk (not accumulated by ``add``)."""

    def add(self, other: Tally) -> None:
        self.changed += other.changed
        self.already += other.already
        self.empty += other.empty
        for p in other.preview:
            if len(self.preview) < 3:
                self.preview.append(p)


def _short(value: str) -> str:
    return value if len(value) <= 24 else value[:20] + "…"


class Transformer:
    """Applies one column's transform to chunks; ``apply`` returns new values and a tally."""

    name: str
    key_id: str | None = None

    def __init__(self, table: str, column: str) -> None:
        self.table = table
        self.column = column

    def _bad(self, row: object, what: str) -> InputError:
        return InputError(
            f"{self.table}.{self.column} (row {row}): {what}",
            hint="clean the value, or choose another transform for the column",
        )

    def apply(
        self,
        values: Sequence[Any],
        rows: Sequence[object],
        subjects: Sequence[Any] | None = None,
    ) -> tuple[list[str | None], Tally]:
        raise NotImplementedError

    def reveal(self, values: Sequence[Any]) -> list[str | None]:
        raise CryptoError(
            f"{self.table}.{self.column} was transformed with '{self.name}', which cannot be "
            "reversed",
            hint="only encrypt, deterministic, fpe and shred columns can be revealed",
        )


class _PerValue(Transformer):
    """Shared loop: skip empties and already-transformed values; transform the rest in bulk."""

    _prefix: str | None = None
    """Every already-transformed value starts with this (tokens, pseudonyms)."""

    def _done(self, value: str) -> bool:
        return False

    def _all_plain(self, values: Sequence[Any]) -> bool:
        """True if no value is empty, non-text or already transformed (one fast pass)."""
        prefix = self._prefix
        if prefix is None:
            return False
        return all(v.__class__ is str and v and not v.startswith(prefix) for v in values)

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        """Transform ``values`` (at positions ``idx`` of the chunk; see ``_row``/``_subject``)."""
        raise NotImplementedError

    _rows: Sequence[object] = ()
    _subjects: Sequence[Any] | None = None

    def _rotate(self, value: str) -> str | None:
        """A replacement for an already-transformed value (``--rotate``), or ``None``."""
        return None

    rotate = False

    def apply(
        self,
        values: Sequence[Any],
        rows: Sequence[object],
        subjects: Sequence[Any] | None = None,
    ) -> tuple[list[str | None], Tally]:
        self._rows, self._subjects = rows, subjects
        if not self.rotate and values and self._all_plain(values):
            # The common case: every value is non-empty text not yet transformed.
            every = list(range(len(values)))
            results = self._bulk(values, every)  # type: ignore[arg-type]
            preview = [_short(r) for r in results[:3]]
            tally = Tally(changed=len(every), preview=preview, changed_idx=every)
            return results, tally  # type: ignore[return-value]
        out: list[Any] = list(values)
        todo: list[int] = []
        todo_vals: list[str] = []
        changed: list[int] = []
        empty = already = 0
        done = self._done
        rotate = self.rotate
        for i, raw in enumerate(values):
            if raw is None or raw == "":
                empty += 1
                continue
            if raw.__class__ is str:
                v = raw
            else:
                try:
                    v = to_text(raw) or ""
                except TypeError:
                    raise self._bad(rows[i], "binary values cannot be transformed") from None
            if done(v):
                new = self._rotate(v) if rotate else None
                if new is None:
                    already += 1
                else:
                    out[i] = new
                    changed.append(i)
                continue
            todo.append(i)
            todo_vals.append(v)
        tally = Tally(changed=len(changed) + len(todo), already=already, empty=empty)
        if todo:
            results = self._bulk(todo_vals, todo)
            for i, r in zip(todo, results, strict=True):
                out[i] = r
            tally.preview = [_short(r) for r in results[:3]]
            changed = sorted(changed + todo) if changed else todo
        tally.changed_idx = changed
        return out, tally


class _Tokens(_PerValue):
    """Values become ``gr1:`` tokens (recognisable, so never encrypted twice); reveal decrypts."""

    _prefix = "gr1:"
    _enc: Any

    def _done(self, value: str) -> bool:
        return value.startswith("gr1:") and is_token(value)

    def reveal(self, values: Sequence[Any]) -> list[str | None]:
        return [self._enc.decrypt(v) if v else v for v in values]


class _Encrypt(_Tokens):
    name = "encrypt"
    _enc: FieldEncryptor | DeterministicEncryptor

    def __init__(
        self,
        table: str,
        column: str,
        enc: FieldEncryptor | DeterministicEncryptor,
        rotate: bool,
    ) -> None:
        super().__init__(table, column)
        self._enc = enc
        self.rotate = rotate
        self.key_id = enc.primary_id

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        return self._enc.encrypt_many(values)

    def _rotate(self, value: str) -> str | None:
        if not self._enc.needs_rotation(value):
            return None
        try:
            return self._enc.rotate(value)
        except InvalidCiphertext:
            raise CryptoError(
                f"{self.table}.{self.column}: a token does not decrypt with this keyring",
                hint="rotate with the keyring the column was protected with",
            ) from None


class _Deterministic(_Encrypt):
    name = "deterministic"


class _Pseudonymize(_PerValue):
    name = "pseudonymize"
    _prefix = "gp1:"

    def __init__(self, table: str, column: str, p: Pseudonymizer) -> None:
        super().__init__(table, column)
        self._p = p
        self.key_id = p.primary_id

    def _done(self, value: str) -> bool:
        return is_pseudonym(value)

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        return self._p.pseudonym_many(values)


class _Fpe(_PerValue):
    name = "fpe"

    def __init__(self, table: str, column: str, ff1: FF1, spec: FpeTransform) -> None:
        super().__init__(table, column)
        self._ff1 = ff1
        self._format = spec.format
        self.key_id = ff1.key_id
        fwd: dict[str, Callable[[str], str]] = {
            "digits": ff1.encrypt,
            "alphabet": ff1.encrypt,
            "card": lambda v: encrypt_card(ff1, v),
            "phone": lambda v: encrypt_phone(ff1, v),
        }
        back: dict[str, Callable[[str], str]] = {
            "digits": ff1.decrypt,
            "alphabet": ff1.decrypt,
            "card": lambda v: decrypt_card(ff1, v),
            "phone": lambda v: decrypt_phone(ff1, v),
        }
        self._fwd = fwd[spec.format]
        self._back = back[spec.format]

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        fwd = self._fwd
        out = []
        for v, i in zip(values, idx, strict=True):
            try:
                out.append(fwd(v))
            except CryptoError as exc:
                raise self._bad(
                    self._rows[i], f"cannot be format-preserving encrypted ({exc.message})"
                ) from None
        return out

    def reveal(self, values: Sequence[Any]) -> list[str | None]:
        back = self._back
        return [back(v) if v else v for v in values]


class _Mask(_PerValue):
    name = "mask"

    def __init__(self, table: str, column: str, spec: MaskTransform) -> None:
        super().__init__(table, column)
        masker(spec.style, char=spec.char)  # validates the style and character early
        self._spec = spec
        self._char = spec.char

    def _done(self, value: str) -> bool:
        return self._char in value

    def _all_plain(self, values: Sequence[Any]) -> bool:
        c = self._char
        return all(v.__class__ is str and v and c not in v for v in values)

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        out: list[str] = mask_column(
            values,
            self._spec.style,
            keep_first=self._spec.keep_first,
            keep_last=self._spec.keep_last,
            char=self._spec.char,
        )
        return out


class _Generalize(_PerValue):
    name = "generalize"

    def __init__(self, table: str, column: str, spec: GeneralizeTransform) -> None:
        super().__init__(table, column)
        self._spec = spec
        if spec.age_band is not None:
            width, top = spec.age_band, spec.top_code
            self._fn: Callable[[str], str] = lambda v: age_band(v, width=width, top_code=top)
            self._is_done: Callable[[str], bool] = is_generalized_age
        elif spec.date is not None:
            level = spec.date
            self._fn = lambda v: truncate_date(v, level)
            self._is_done = lambda v: False  # truncation is idempotent
        else:
            keep = spec.postcode or 0
            self._fn = lambda v: truncate_postcode(v, keep)
            self._is_done = lambda v: "*" in v

    def _done(self, value: str) -> bool:
        return self._is_done(value)

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        out = []
        fn = self._fn
        for v, i in zip(values, idx, strict=True):
            try:
                out.append(fn(v))
            except ValueError as exc:
                raise self._bad(self._rows[i], str(exc)) from None
        return out

    def apply(
        self,
        values: Sequence[Any],
        rows: Sequence[object],
        subjects: Sequence[Any] | None = None,
    ) -> tuple[list[str | None], Tally]:
        out, tally = super().apply(values, rows, subjects)
        if self._spec.date is not None:  # idempotent: count unchanged values as "already"
            same = {i for i in tally.changed_idx if to_text(values[i]) == out[i]}
            if same:
                tally.changed -= len(same)
                tally.already += len(same)
                tally.changed_idx = [i for i in tally.changed_idx if i not in same]
        return out, tally


class _Suppress(Transformer):
    name = "suppress"

    def apply(
        self,
        values: Sequence[Any],
        rows: Sequence[object],
        subjects: Sequence[Any] | None = None,
    ) -> tuple[list[str | None], Tally]:
        changed = [i for i, v in enumerate(values) if v is not None and v != ""]
        tally = Tally(changed=len(changed), empty=len(values) - len(changed), changed_idx=changed)
        return [None] * len(values), tally


class _Shred(_Tokens):
    name = "shred"

    def __init__(self, table: str, column: str, enc: Any) -> None:
        super().__init__(table, column)
        self._enc = enc

    def _bulk(self, values: list[str], idx: list[int]) -> list[str]:
        subjects = self._subjects or ()
        out = []
        for v, i in zip(values, idx, strict=True):
            subject = to_text(subjects[i]) if i < len(subjects) else None
            if not subject:
                raise self._bad(self._rows[i], "the subject column is empty")
            out.append(self._enc.encrypt(subject, v))
        return out


def build_transformer(
    table: str,
    column: str,
    spec: ColumnTransform,
    *,
    context: str,
    keyring: Keyring | None,
    rotate: bool = False,
    fpe_key_id: str | None = None,
    shred: Any = None,
) -> Transformer:
    """The transformer for one policy entry. ``fpe_key_id`` pins the FF1 key (reveal, resume)."""
    if spec.transform in NEEDS_KEYS and keyring is None:
        raise CryptoError(
            f"{table}.{column} uses '{spec.transform}', which needs a keyring",
            hint="pass --keyring FILE (or set keyring: in the policy)",
        )
    if isinstance(spec, EncryptTransform):
        assert keyring is not None
        return _Encrypt(table, column, FieldEncryptor(keyring, context), rotate)
    if isinstance(spec, DeterministicTransform):
        assert keyring is not None
        return _Deterministic(table, column, DeterministicEncryptor(keyring, context), rotate)
    if isinstance(spec, PseudonymizeTransform):
        assert keyring is not None
        return _Pseudonymize(table, column, Pseudonymizer(keyring, context))
    if isinstance(spec, FpeTransform):
        assert keyring is not None
        radix_args: dict[str, Any] = (
            {"alphabet": spec.alphabet} if spec.format == "alphabet" else {"radix": 10}
        )
        ff1 = FF1.from_keyring(keyring, context=context, key_id=fpe_key_id, **radix_args)
        return _Fpe(table, column, ff1, spec)
    if isinstance(spec, MaskTransform):
        return _Mask(table, column, spec)
    if isinstance(spec, GeneralizeTransform):
        return _Generalize(table, column, spec)
    if isinstance(spec, SuppressTransform):
        return _Suppress(table, column)
    if isinstance(spec, ShredTransform):
        if shred is None:
            raise CryptoError(f"{table}.{column} uses 'shred', which needs the subject key store")
        return _Shred(table, column, shred.encryptor(context))
    raise AssertionError(f"unhandled transform {spec.transform}")
