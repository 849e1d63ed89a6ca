from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest

from guardrail.errors import ConfigError
from guardrail.masking import MASK_STYLES
from guardrail.model.protect import MaskStyleName, ProtectPolicy
from guardrail.protect import load_keyring, load_policy
from guardrail.protect.engine import table_digest


def test_mask_styles_in_step_with_masking() -> None:
    assert set(get_args(MaskStyleName)) == set(MASK_STYLES)


def test_load_resolves_paths_and_contexts(workdir: Path) -> None:
    policy = load_policy(workdir / "protect.yaml")
    assert policy.keyring is not None and policy.keyring.file == str(
        workdir.resolve() / "keyring.json"
    )
    assert policy.context("customers", "id_number") == "shop.customers.id_number"
    kr = load_keyring(policy=policy)
    assert kr is not None and kr.primary_id == "0a0b0c0d"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tables: {t: {columns: {c: {transform: rot13}}}}", "1: tables.t.columns.c"),
        ("tables: {t: {columns: {c: {transform: fpe, alphabet: ab}}}}", "format 'alphabet'"),
        ("tables: {t: {columns: {c: {transform: generalize}}}}", "exactly one of age_band"),
        (
            "tables: {t: {columns: {c: {transform: generalize, age_band: 10, date: year}}}}",
            "exactly one",
        ),
        ("tables: {t: {columns: {c: {transform: shred, subject_column: s}}}}", "shred_store"),
        ("tables: {t: {columns: {c: {transform: encrypt, colour: red}}}}", "unknown key"),
        ("tables: {t: {columns: {}}}", "at least one column"),
        ("tables: {}", "names no tables"),
        ("schema_version: 2\ntables: {t: {columns: {c: {transform: encrypt}}}}", "schema_version"),
        ("tables: {t: {columns: {c: {transform: mask, style: tattoo}}}}", "style"),
        ("tables: [\n", "invalid YAML"),
    ],
)
def test_bad_policies_name_file_and_problem(
    write_policy: Callable[[str], Path], body: str, message: str
) -> None:
    path = write_policy(body, "bad.yaml")
    with pytest.raises(ConfigError, match=r"bad\.yaml") as info:
        load_policy(path)
    assert message in str(info.value) and "docs/protection.md" in str(info.value)


def test_digest_tracks_transforms_and_contexts() -> None:
    a = ProtectPolicy.model_validate(
        {"tables": {"t": {"columns": {"c": {"transform": "encrypt"}}}}}
    )
    b = ProtectPolicy.model_validate(
        {"context_prefix": "x", "tables": {"t": {"columns": {"c": {"transform": "encrypt"}}}}}
    )
    c = ProtectPolicy.model_validate(
        {"tables": {"t": {"columns": {"c": {"transform": "deterministic"}}}}}
    )
    assert len({table_digest(p, "t") for p in (a, b, c)}) == 3
    assert table_digest(a, "t") == table_digest(a.model_copy(), "t")


def test_keyring_sources(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_keyring() is None
    monkeypatch.setenv("GR_KR", (workdir / "keyring.json").read_text())
    kr = load_keyring(env="GR_KR")
    assert kr is not None and kr.primary_id == "0a0b0c0d"
    with pytest.raises(ConfigError, match="not both"):
        load_keyring(file=workdir / "keyring.json", env="GR_KR")
