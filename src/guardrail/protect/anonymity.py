"""k-anonymity and l-diversity of a table over chosen quasi-identifiers.

A table is *k-anonymous* over quasi-identifiers (age, postcode, gender ...) when every
combination of their values is shared by at least k rows (Sweeney 2002); it is *l-diverse*
(distinct l-diversity, Machanavajjhala et al. 2007) when each such class holds at least l
distinct values of every sensitive column. Both are measures, not guarantees: they say
nothing about linkage through columns left out of the quasi-identifiers.

    report = measure_anonymity(rows, quasi_identifiers=("age", "postcode"), sensitive=("diagnosis",))
    report.k, report.l_diversity["diagnosis"]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from guardrail.model.protect import AnonymityReport

__all__ = ["AnonymityMeter", "measure_anonymity"]

K_TARGETS = (2, 5, 10)


class AnonymityMeter:
    """Accumulates equivalence classes chunk by chunk (for tables that do not fit in memory)."""

    __slots__ = ("_classes", "_qi", "_rows", "_sensitive", "_values")

    def __init__(self, quasi_identifiers: Sequence[str], sensitive: Sequence[str] = ()) -> None:
        if not quasi_identifiers:
            raise ValueError("name at least one quasi-identifier")
        self._qi = tuple(quasi_identifiers)
        self._sensitive = tuple(sensitive)
        self._classes: Counter[tuple[object, ...]] = Counter()
        self._values: dict[str, dict[tuple[object, ...], set[object]]] = {
            s: {} for s in self._sensitive
        }
        self._rows = 0

    def add_columns(self, columns: Mapping[str, Sequence[object]]) -> None:
        """Add a chunk given column-wise (every column the same length)."""
        missing = [c for c in (*self._qi, *self._sensitive) if c not in columns]
        if missing:
            raise KeyError(f"columns not in the chunk: {', '.join(missing)}")
        keys = list(zip(*(columns[q] for q in self._qi), strict=True))
        self._classes.update(keys)
        self._rows += len(keys)
        for s in self._sensitive:
            per = self._values[s]
            for key, value in zip(keys, columns[s], strict=True):
                per.setdefault(key, set()).add(value)

    def add_rows(self, rows: Iterable[Mapping[str, object]]) -> None:
        names = (*self._qi, *self._sensitive)
        cols: dict[str, list[object]] = {n: [] for n in names}
        for row in rows:
            for n in names:
                cols[n].append(row[n])
        self.add_columns(cols)

    def report(self) -> AnonymityReport:
        sizes = self._classes.values()
        return AnonymityReport(
            quasi_identifiers=self._qi,
            rows=self._rows,
            classes=len(self._classes),
            k=min(sizes, default=0),
            rows_below={t: sum(n for n in sizes if n < t) for t in K_TARGETS},
            l_diversity={
                s: min((len(v) for v in self._values[s].values()), default=0)
                for s in self._sensitive
            },
        )


def measure_anonymity(
    data: Iterable[Mapping[str, object]] | Mapping[str, Sequence[object]],
    *,
    quasi_identifiers: Sequence[str],
    sensitive: Sequence[str] = (),
) -> AnonymityReport:
    """k and l of ``data`` (rows as mappings, or a mapping of column name to values).

    >>> rows = [{"age": "30-39", "zip": "518***", "dx": "flu"},
    ...         {"age": "30-39", "zip": "518***", "dx": "cold"},
    ...         {"age": "40-49", "zip": "518***", "dx": "flu"}]
    >>> r = measure_anonymity(rows, quasi_identifiers=("age", "zip"), sensitive=("dx",))
    >>> (r.k, r.classes, r.l_diversity["dx"])
    (1, 2, 1)
    """
    meter = AnonymityMeter(quasi_identifiers, sensitive)
    if isinstance(data, Mapping):
        meter.add_columns(data)
    else:
        meter.add_rows(data)
    return meter.report()
