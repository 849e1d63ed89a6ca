from __future__ import annotations

import pytest

from guardrail import plugins
from guardrail.errors import PluginError


def test_builtins_are_registered() -> None:
    assert {"sqlite", "postgresql", "mysql", "mariadb", "file"} <= set(
        plugins.names("guardrail.connectors")
    )
    assert {"pipl", "gdpr", "ccpa"} <= set(plugins.names("guardrail.policies"))
    assert {"json", "html"} <= set(plugins.names("guardrail.reporters"))
    assert all(
        i.builtin for i in plugins.available("guardrail.reporters") if i.name in ("json", "html")
    )


def test_listing_does_not_import(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "guardrail.report.html", raising=False)
    plugins.available("guardrail.reporters")
    assert "guardrail.report.html" not in sys.modules


def test_unknown_plugin_names_available() -> None:
    with pytest.raises(PluginError, match="no plugin named 'nope'") as info:
        plugins.load("guardrail.reporters", "nope")
    assert "json" in (info.value.hint or "")


def test_unknown_group() -> None:
    with pytest.raises(PluginError, match="unknown plugin group"):
        plugins.available("guardrail.nothing")


class _Dist:
    def __init__(self, name: str) -> None:
        self.name = name


class _EP:
    def __init__(self, name: str, value: str, dist: str) -> None:
        self.name, self.value, self.dist = name, value, _Dist(dist)


def _fake(monkeypatch: pytest.MonkeyPatch, eps: list[_EP]) -> None:
    plugins.clear_cache()
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps)


def test_conflict_names_both_distributions(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, [_EP("x", "json:loads", "dist-a"), _EP("x", "json:dumps", "dist-b")])
    try:
        with pytest.raises(PluginError, match="registered by both dist-a and dist-b"):
            plugins.load("guardrail.reporters", "x")
    finally:
        plugins.clear_cache()


def test_import_failure_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, [_EP("pg", "psycopg_is_not_here.mod:X", "guardrail-pg")])
    try:
        with pytest.raises(PluginError, match="failed to import") as info:
            plugins.load("guardrail.connectors", "pg")
        assert "pip install" in (info.value.hint or "")
    finally:
        plugins.clear_cache()


def test_extra_hint_for_known_modules() -> None:
    assert plugins.install_hint("psycopg") == "install it with: pip install 'guardrail[postgres]'"
    assert "guardrail[dp]" in plugins.install_hint("opacus.accountants")


def test_crashing_plugin_is_a_plugin_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "boom_plugin.py").write_text("raise RuntimeError('secret value 13912345678')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _fake(monkeypatch, [_EP("boom", "boom_plugin:X", "boom-dist")])
    try:
        with pytest.raises(PluginError, match="raised RuntimeError") as info:
            plugins.load("guardrail.reporters", "boom")
        assert "13912345678" not in str(info.value)
    finally:
        plugins.clear_cache()
