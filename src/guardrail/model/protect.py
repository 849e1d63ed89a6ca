"""Value objects of the protection helpers: key metadata, ``protect`` policies and results.

A protect policy (``protect.yaml``) maps the columns of tables to transforms::

    schema_version: 1
    context_prefix: shop            # contexts default to <prefix>.<table>.<column>
    keyring: {file: keys/keyring.json}
    tables:
      customers:
        columns:
          id_number: {transform: encrypt}
          phone:     {transform: fpe, format: phone}
          email:     {transform: deterministic}
          name:      {transform: mask, style: name}
          birth_date: {transform: generalize, date: year}
        quasi_identifiers: [birth_date, city]
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from guardrail.model._base import ValueObject

__all__ = [
    "AnonymityReport",
    "ColumnOutcome",
    "ColumnTransform",
    "DeterministicTransform",
    "EncryptTransform",
    "FpeTransform",
    "GeneralizeTransform",
    "KeyInfo",
    "KeyStatus",
    "KeyringSource",
    "MaskTransform",
    "ProtectPolicy",
    "ProtectReport",
    "PseudonymizeTransform",
    "RevealRecord",
    "ShredTransform",
    "SuppressTransform",
    "TableOutcome",
    "TablePolicy",
    "TransformName",
]

KeyStatus = Literal["primary", "decrypt-only"]


class KeyInfo(ValueObject):
    """What may be shown about a key: its id, status and creation time (never material)."""

    id: str
    status: KeyStatus
    created: AwareDatetime


# -- policy ----------------------------------------------------------------------------------

Context = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=128)]

#: Keep in step with ``guardrail.masking.MASK_STYLES`` (a test checks it).
MaskStyleName = Literal["phone", "cn_id", "card", "email", "name", "address", "generic", "full"]

TransformName = Literal[
    "encrypt", "deterministic", "pseudonymize", "fpe", "mask", "generalize", "suppress", "shred"
]


class _Transform(ValueObject):
    context: Context | None = None
    """Overrides the default context ``<context_prefix>.<table>.<column>``."""


class EncryptTransform(_Transform):
    """AES-256-GCM field tokens (reversible with the keyring; a new token each time)."""

    transform: Literal["encrypt"]


class DeterministicTransform(_Transform):
    """AES-SIV tokens: equal values give equal tokens (joins, look-ups)."""

    transform: Literal["deterministic"]


class PseudonymizeTransform(_Transform):
    """Keyed HMAC-SHA256 pseudonyms (irreversible)."""

    transform: Literal["pseudonymize"]


class FpeTransform(_Transform):
    """FF1 format-preserving encryption (reversible; the output keeps the input's format)."""

    transform: Literal["fpe"]
    format: Literal["digits", "card", "phone", "alphabet"] = "digits"
    alphabet: Annotated[str, StringConstraints(min_length=2, max_length=4096)] | None = None

    @model_validator(mode="after")
    def _alphabet(self) -> FpeTransform:
        if (self.format == "alphabet") != (self.alphabet is not None):
            raise ValueError("format 'alphabet' needs 'alphabet:' (and only it takes one)")
        if self.alphabet is not None and len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError("the alphabet repeats a character")
        return self


class MaskTransform(_Transform):
    """A display mask written over the value (irreversible; not a protection at rest)."""

    transform: Literal["mask"]
    style: MaskStyleName = "generic"
    keep_first: Annotated[int, Field(ge=0, le=64)] | None = None
    keep_last: Annotated[int, Field(ge=0, le=64)] | None = None
    char: Annotated[str, StringConstraints(min_length=1, max_length=1)] = "*"


class GeneralizeTransform(_Transform):
    """Coarser values: age bands, truncated dates, truncated postcodes (exactly one)."""

    transform: Literal["generalize"]
    age_band: Annotated[int, Field(ge=2, le=100)] | None = None
    top_code: Annotated[int, Field(ge=1, le=150)] | None = None
    date: Literal["year", "quarter", "month"] | None = None
    postcode: Annotated[int, Field(ge=0, le=12)] | None = None

    @model_validator(mode="after")
    def _one(self) -> GeneralizeTransform:
        chosen = [n for n in ("age_band", "date", "postcode") if getattr(self, n) is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of age_band, date or postcode")
        if self.top_code is not None and self.age_band is None:
            raise ValueError("top_code only applies to age_band")
        return self


class SuppressTransform(_Transform):
    """Replace the value with NULL (an empty cell in files)."""

    transform: Literal["suppress"]


class ShredTransform(_Transform):
    """Encrypt under the data subject's own key (crypto-shredding; see ``shred_store``)."""

    transform: Literal["shred"]
    subject_column: ColumnName


ColumnTransform = Annotated[
    EncryptTransform
    | DeterministicTransform
    | PseudonymizeTransform
    | FpeTransform
    | MaskTransform
    | GeneralizeTransform
    | SuppressTransform
    | ShredTransform,
    Field(discriminator="transform"),
]


class TablePolicy(ValueObject):
    key: tuple[ColumnName, ...] = ()
    """Key columns for SQL tables; default: the primary key (SQLite: ``rowid``)."""
    columns: dict[ColumnName, ColumnTransform]
    quasi_identifiers: tuple[ColumnName, ...] = ()
    """Measured for k-anonymity before and after (with ``sensitive`` for l-diversity)."""
    sensitive: tuple[ColumnName, ...] = ()

    @model_validator(mode="after")
    def _columns(self) -> TablePolicy:
        if not self.columns:
            raise ValueError("a table needs at least one column to protect")
        for name, t in self.columns.items():
            if isinstance(t, ShredTransform) and t.subject_column == name:
                raise ValueError(f"column '{name}' cannot be its own subject column")
        return self


class KeyringSource(ValueObject):
    """Where ``guardrail protect`` finds the keyring (command-line options override it)."""

    file: str | None = None
    env: str | None = None
    kms: str | None = None
    """A LocalKMS key-encryption-key file, for a wrapped keyring."""

    @model_validator(mode="after")
    def _one(self) -> KeyringSource:
        if (self.file is None) == (self.env is None):
            raise ValueError("give exactly one of file or env")
        return self


class ProtectPolicy(ValueObject):
    schema_version: Literal[1] = 1
    context_prefix: Annotated[str, StringConstraints(max_length=100, pattern=r"^\S*$")] = ""
    keyring: KeyringSource | None = None
    shred_store: str | None = None
    """Key-store URL for ``shred`` columns (``sqlite:///subject-keys.db``, ``postgresql://...``)."""
    tables: dict[ColumnName, TablePolicy]

    @model_validator(mode="after")
    def _shred(self) -> ProtectPolicy:
        if not self.tables:
            raise ValueError("the policy names no tables")
        uses = any(
            isinstance(t, ShredTransform)
            for tp in self.tables.values()
            for t in tp.columns.values()
        )
        if uses and not self.shred_store:
            raise ValueError("'shred' columns need 'shred_store:' (a key-store URL)")
        return self

    def context(self, table: str, column: str) -> str:
        """The context a column's tokens are bound to."""
        explicit = self.tables[table].columns[column].context
        if explicit:
            return explicit
        return ".".join(p for p in (self.context_prefix, table, column) if p)


# -- results ---------------------------------------------------------------------------------


class ColumnOutcome(ValueObject):
    column: str
    transform: TransformName
    changed: int = 0
    """Values transformed (or, in a dry run, that would be)."""
    already: int = 0
    """Values already protected (tokens, pseudonyms, masks) and left alone."""
    empty: int = 0
    """NULL or empty values."""
    key_id: str | None = None
    preview: tuple[str, ...] = ()
    """A few transformed values (tokens shortened); never the input values."""
    skipped_reason: str | None = None


class TableOutcome(ValueObject):
    table: str
    rows: int = 0
    resumed_at_row: int | None = None
    columns: tuple[ColumnOutcome, ...] = ()
    k_before: int | None = None
    k_after: int | None = None
    l_before: int | None = None
    l_after: int | None = None


class ProtectReport(ValueObject):
    source: str
    dry_run: bool
    rotate: bool = False
    started: AwareDatetime
    finished: AwareDatetime
    tables: tuple[TableOutcome, ...]


class AnonymityReport(ValueObject):
    """k-anonymity (smallest equivalence class) and distinct l-diversity of a table."""

    quasi_identifiers: tuple[str, ...]
    rows: int
    classes: int
    k: int
    """Size of the smallest equivalence class (0 for an empty table)."""
    rows_below: dict[int, int] = Field(default_factory=dict)
    """For k targets 2, 5 and 10: rows in classes smaller than the target."""
    l_diversity: dict[str, int] = Field(default_factory=dict)
    """Per sensitive column: the fewest distinct values in any class."""


class RevealRecord(ValueObject):
    """One line of the reveal audit log: who revealed which fields of which rows, when, why."""

    at: AwareDatetime
    actor: str
    reason: str
    source: str
    table: str
    columns: tuple[str, ...]
    rows: tuple[str, ...]
    count: int
    prev: str
    hash: str = ""
