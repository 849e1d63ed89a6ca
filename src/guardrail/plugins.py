"""Entry-point plugins: discovery and lazy loading (ARCHITECTURE §6).

Groups:

* ``guardrail.recognizers`` — extra PII recognizers (detect)
* ``guardrail.connectors`` — data sources, by URL scheme
* ``guardrail.policies`` — framework packs (controls crosswalks)
* ``guardrail.reporters`` — report formats
* ``guardrail.checks`` — automated control checks
* ``guardrail.rules`` — classification rule packs

Built-ins register through the same entry points as third-party plugins. Nothing is imported
until asked for by name. A name registered by two distributions, or a plugin whose import
fails, is a :class:`~guardrail.errors.PluginError` naming the distribution and the fix.
This module knows no domain types.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from guardrail.errors import PluginError

__all__ = ["GROUPS", "PluginInfo", "available", "load"]

GROUPS = (
    "guardrail.recognizers",
    "guardrail.connectors",
    "guardrail.policies",
    "guardrail.reporters",
    "guardrail.checks",
    "guardrail.rules",
)

# Third-party modules that only come with an extra: the install hint for an ImportError.
_EXTRA_FOR_MODULE = {
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "pymysql": "mysql",
    "redis": "redis",
    "opendp": "dp",
    "opacus": "dp",
    "torch": "dp",
    "pyspark": "spark",
    "weasyprint": "pdf",
    "starlette": "serve",
    "uvicorn": "serve",
    "pandas": "frames",
    "polars": "frames",
    "faker": "examples",
}


def install_hint(missing_module: str | None, distribution: str | None = None) -> str:
    """How to get a missing module: the guardrail extra that provides it, or the plugin's dist."""
    top = (missing_module or "").split(".", 1)[0]
    extra = _EXTRA_FOR_MODULE.get(top)
    if extra:
        return f"install it with: pip install 'guardrail[{extra}]'"
    if distribution and distribution != "guardrail":
        return f"reinstall the plugin's distribution: pip install --force-reinstall {distribution}"
    if top:
        return f"install the missing module: pip install {top}"
    return "reinstall guardrail"


@dataclass(frozen=True)
class PluginInfo:
    group: str
    name: str
    value: str
    distribution: str

    @property
    def builtin(self) -> bool:
        return self.distribution == "guardrail"


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "unknown"


@cache
def _group(group: str) -> dict[str, tuple[EntryPoint, ...]]:
    if group not in GROUPS:
        raise PluginError(
            f"unknown plugin group '{group}'", hint=f"use one of: {', '.join(GROUPS)}"
        )
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, [])
        # The same distribution can be seen twice (e.g. an editable install next to a wheel);
        # only different distributions conflict.
        if all(_dist_name(e) != _dist_name(ep) for e in found[ep.name]):
            found[ep.name].append(ep)
    return {k: tuple(v) for k, v in found.items()}


def available(group: str) -> list[PluginInfo]:
    """Every plugin registered in ``group``, without importing any of them."""
    out = []
    for name, eps in sorted(_group(group).items()):
        for ep in eps:
            out.append(PluginInfo(group, name, ep.value, _dist_name(ep)))
    return out


def names(group: str) -> list[str]:
    return sorted(_group(group))


def load(group: str, name: str) -> Any:
    """Import and return the object registered as ``name`` in ``group``."""
    eps = _group(group).get(name)
    if not eps:
        known = ", ".join(sorted(_group(group))) or "none"
        raise PluginError(
            f"no plugin named '{name}' in {group}",
            hint=f"available: {known}; plugins come from installed distributions",
        )
    if len(eps) > 1:
        dists = " and ".join(sorted(_dist_name(e) for e in eps))
        raise PluginError(
            f"plugin '{name}' in {group} is registered by both {dists}",
            hint="uninstall one of them",
        )
    ep = eps[0]
    module_name, _, attr = ep.value.partition(":")
    try:
        obj: Any = importlib.import_module(module_name.strip())
        for part in attr.strip().split(".") if attr else ():
            obj = getattr(obj, part)
    except ImportError as exc:
        raise PluginError(
            f"plugin '{name}' ({group}, from {_dist_name(ep)}) failed to import: "
            f"module '{exc.name or module_name}' is missing",
            hint=install_hint(exc.name, _dist_name(ep)),
        ) from None
    except AttributeError:
        raise PluginError(
            f"plugin '{name}' ({group}, from {_dist_name(ep)}) points at '{ep.value}', "
            "which does not exist",
            hint=install_hint(None, _dist_name(ep)),
        ) from None
    except Exception as exc:  # noqa: BLE001 - a crashing plugin must not crash guardrail
        raise PluginError(
            f"plugin '{name}' ({group}, from {_dist_name(ep)}) raised "
            f"{type(exc).__name__} while importing",
            hint=install_hint(None, _dist_name(ep)),
        ) from None
    return obj


def clear_cache() -> None:
    """Forget discovered entry points (for tests that install plugins at run time)."""
    _group.cache_clear()
