"""Differentially private analytics and one privacy-budget ledger per dataset.

* :func:`run_query` answers a :class:`~guardrail.model.privacy.QuerySpec` (count, sum, mean,
  quantiles, histograms, distinct users; group-by with public keys or DP partition
  selection) with user-level contribution bounding and noise from OpenDP's samplers, and
  charges a :class:`Ledger`.
* :class:`Ledger` persists each dataset's budget (SQLite, PostgreSQL, MySQL/MariaDB) and
  composes releases and DP-SGD runs with Opacus' accountants. ``Ledger(url).releases(ds)``
  and ``Ledger(url).budget(ds)`` are what an audit cites.
* :mod:`guardrail.privacy.train` charges DP-SGD runs (Opacus) to the same ledger.

Importing this package loads neither torch nor Opacus (nor SQLAlchemy, until a Ledger is
used): ``Ledger`` and the training helpers are imported on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guardrail.privacy.aggregate import describe, plan_query, query_digest, run_query
from guardrail.privacy.frame import Frame, read_table_file
from guardrail.privacy.spec import load_spec

if TYPE_CHECKING:
    from guardrail.privacy.ledger import DEFAULT_LEDGER, Charge, Ledger, Reservation

__all__ = [
    "DEFAULT_LEDGER",
    "Charge",
    "Frame",
    "Ledger",
    "Reservation",
    "describe",
    "load_spec",
    "plan_query",
    "query_digest",
    "read_table_file",
    "run_query",
]

_LAZY = {
    "DEFAULT_LEDGER": "guardrail.privacy.ledger",
    "Charge": "guardrail.privacy.ledger",
    "Ledger": "guardrail.privacy.ledger",
    "Reservation": "guardrail.privacy.ledger",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'guardrail.privacy' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
