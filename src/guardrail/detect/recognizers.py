"""User recognizers: Presidio-format YAML files and the ``guardrail.recognizers`` entry points.

An entry point may name any of:

* an :class:`~guardrail.detect.catalog.EntitySpec`, a list of them or a
  :class:`~guardrail.detect.catalog.Catalog` (pure data: both engines run it);
* a path to a Presidio-format recognizer YAML file (``str`` or :class:`~pathlib.Path`);
* a Presidio ``EntityRecognizer`` instance or class (anything with ``supported_entities``
  and ``analyze(text, entities, nlp_artifacts)``): the fast engine calls it as is, the
  Presidio adapter registers it;
* a zero-argument callable returning one of the above.

A plugin that fails to load, or returns something else, is a
:class:`~guardrail.errors.PluginError` (fail closed: never a silently weaker scan).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from guardrail import plugins
from guardrail.detect.catalog import Catalog, EntitySpec, load_presidio_yaml
from guardrail.errors import PluginError

__all__ = ["GROUP", "load_plugin_recognizers", "split_recognizers"]

GROUP = "guardrail.recognizers"


def _is_foreign(obj: Any) -> bool:
    return callable(getattr(obj, "analyze", None)) and hasattr(obj, "supported_entities")


def _flatten(obj: Any, where: str, depth: int = 0) -> tuple[list[EntitySpec], list[Any]]:
    if isinstance(obj, EntitySpec):
        return [obj], []
    if isinstance(obj, Catalog):
        return list(obj.entities), []
    if isinstance(obj, (str, Path)):
        return load_presidio_yaml(Path(obj)), []
    if _is_foreign(obj) and not isinstance(obj, type):
        return [], [obj]
    if isinstance(obj, (list, tuple)):
        specs: list[EntitySpec] = []
        foreign: list[Any] = []
        for item in obj:
            s, f = _flatten(item, where, depth + 1)
            specs += s
            foreign += f
        return specs, foreign
    if callable(obj) and depth < 2:
        try:
            made = obj()
        except Exception as exc:  # noqa: BLE001 - a plugin's factory may raise anything
            raise PluginError(
                f"recognizer plugin {where} raised {type(exc).__name__} when called",
                hint="fix or uninstall the plugin",
            ) from None
        return _flatten(made, where, depth + 1)
    raise PluginError(
        f"recognizer plugin {where} gave a {type(obj).__name__}",
        hint="return an EntitySpec, a Presidio EntityRecognizer, a YAML path, or a list of them",
    )


def split_recognizers(items: Iterable[Any]) -> tuple[list[EntitySpec], list[Any]]:
    """Catalog entity specs and foreign (Presidio-style) recognizers among ``items``."""
    specs: list[EntitySpec] = []
    foreign: list[Any] = []
    for i, item in enumerate(items):
        s, f = _flatten(item, f"#{i}")
        specs += s
        foreign += f
    return specs, foreign


@cache
def _plugin_recognizers() -> tuple[tuple[EntitySpec, ...], tuple[Any, ...]]:
    specs: list[EntitySpec] = []
    foreign: list[Any] = []
    for name in plugins.names(GROUP):
        obj = plugins.load(GROUP, name)
        s, f = _flatten(obj, f"'{name}'")
        specs += [spec.model_copy(update={"origin": f"entry point {name}"}) for spec in s]
        foreign += f
    return tuple(specs), tuple(foreign)


def load_plugin_recognizers() -> tuple[list[EntitySpec], list[Any]]:
    """Everything registered in the ``guardrail.recognizers`` entry-point group."""
    specs, foreign = _plugin_recognizers()
    return list(specs), list(foreign)


def clear_cache() -> None:
    """Forget loaded plugins (tests that install plugins at run time)."""
    _plugin_recognizers.cache_clear()
