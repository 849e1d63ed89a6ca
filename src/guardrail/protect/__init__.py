"""Applying protections to data at rest: CSV, Parquet and SQL tables.

``protect(source, policy, keyring=...)`` maps the columns a policy names to transforms
(field encryption, deterministic encryption, keyed pseudonyms, FF1, masks, generalisation,
suppression, crypto-shredding), chunk by chunk, resumable after a crash without transforming
any value twice. ``reveal(...)`` decrypts selected cells under an explicit :class:`KeyAccess`
and records every reveal in an append-only, hash-chained audit log.

Generalisation helpers and k-anonymity / l-diversity measurement live in
:mod:`guardrail.protect.generalize` and :mod:`guardrail.protect.anonymity`.
"""

from guardrail.protect.anonymity import AnonymityMeter, measure_anonymity
from guardrail.protect.engine import ProtectOptions, protect
from guardrail.protect.generalize import age_band, truncate_date, truncate_postcode
from guardrail.protect.policy import load_keyring, load_policy
from guardrail.protect.reveal import KeyAccess, RevealResult, reveal, verify_audit_log

__all__ = [
    "AnonymityMeter",
    "KeyAccess",
    "ProtectOptions",
    "RevealResult",
    "age_band",
    "load_keyring",
    "load_policy",
    "measure_anonymity",
    "protect",
    "reveal",
    "truncate_date",
    "truncate_postcode",
    "verify_audit_log",
]
