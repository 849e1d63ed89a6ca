"""The optional config file (``.guardrail.yaml``) that supplies defaults to the commands.

Precedence for every option: command-line flag > ``GUARDRAIL_*`` environment variable >
config file > built-in default (click resolves it in that order from ``default_map``).

    # .guardrail.yaml
    fail_on: critical          # keys are the option names, with underscores
    frameworks: [pipl, gdpr]
    output: [json, sarif]
    check:                     # per-command sections override the top level
      sample: 50
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from guardrail.model._base import ValueObject

__all__ = ["CONFIG_NAME", "Config", "default_map", "load_config"]

CONFIG_NAME = ".guardrail.yaml"


class CommandConfig(ValueObject):
    frameworks: tuple[str, ...] | None = None
    fail_on: Literal["critical", "high", "medium", "low", "none"] | None = None
    lang: Literal["en", "zh"] | None = None
    at: str | None = None
    output: tuple[str, ...] | None = None
    output_dir: str | None = None
    sample: int | None = None
    baseline: str | None = None
    waivers: str | None = None
    no_waivers: bool | None = None
    sign: str | None = None


class Config(CommandConfig):
    schema_version: Literal[1] = 1
    audit: CommandConfig | None = None
    check: CommandConfig | None = None
    inventory: CommandConfig | None = None
    scan: CommandConfig | None = None


_PARAM = {"output": "formats", "sign": "sign_key"}  # config key -> click parameter name
_COMMAND_KEYS = {
    "audit": set(CommandConfig.model_fields),
    "check": set(CommandConfig.model_fields) - {"sign"},
    "inventory": {"lang", "sample", "at"},
    "scan": {"sample"},
}


def load_config(path: Path) -> Config:
    from guardrail.yamlio import load_yaml, validate

    return validate(Config, load_yaml(path), what="config")


def default_map(config: Config) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    top = config.model_dump(
        exclude_none=True, exclude={"schema_version", "audit", "check", "inventory", "scan"}
    )
    for command, keys in _COMMAND_KEYS.items():
        section = getattr(config, command)
        values = {**top, **(section.model_dump(exclude_none=True) if section else {})}
        out[command] = {_PARAM.get(k, k): v for k, v in values.items() if k in keys}
    return out
