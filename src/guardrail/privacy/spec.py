"""Loading ``query.yaml`` (a :class:`~guardrail.model.privacy.QuerySpec`) with file:line errors."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from guardrail.errors import ManifestError
from guardrail.model.privacy import Aggregate, QuerySpec
from guardrail.yamlio import Located, load_yaml, parse_yaml, validate

__all__ = ["load_spec", "parse_spec"]


def load_spec(path: str | Path, *, display: str | None = None) -> QuerySpec:
    """Read and validate a DP query spec; errors name the file and line and the fix."""
    located = load_yaml(path, display=display or str(path))
    return _validate(located)


def parse_spec(text: str, *, display: str = "query.yaml") -> QuerySpec:
    """Validate a DP query spec given as YAML text."""
    return _validate(parse_yaml(text, display))


HINT = "see 'guardrail dp schema query' for the expected shape"


def _validate(located: Located) -> QuerySpec:
    _check_keys(located)
    try:
        return validate(QuerySpec, located, what="dp-query")
    except ManifestError as exc:
        exc.hint = HINT
        raise


def _aggregate_keys() -> set[str]:
    keys: set[str] = set()
    for model in Aggregate.__origin__.__args__:  # type: ignore[attr-defined]
        keys |= set(model.model_fields)
    return keys


def _check_keys(located: Located) -> None:
    """Misspelt keys first: 'unknown key' at its own line beats 'required key is missing'."""
    data: Any = located.data
    if not isinstance(data, dict):
        return
    _unknown(located, data, set(QuerySpec.model_fields), ())
    aggs = data.get("aggregates")
    if isinstance(aggs, list):
        known = _aggregate_keys()
        for i, agg in enumerate(aggs):
            if isinstance(agg, dict):
                _unknown(located, agg, known, ("aggregates", i))


def _unknown(
    located: Located, mapping: dict[Any, Any], known: set[str], loc: tuple[Any, ...]
) -> None:
    for key in mapping:
        if str(key) not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            where = ".".join(str(p) for p in (*loc, key))
            raise ManifestError(
                f"{where}: unknown key" + (f" (did you mean '{close[0]}'?)" if close else ""),
                file=located.file,
                line=located.line_of((*loc, str(key))),
                hint=HINT,
            )
