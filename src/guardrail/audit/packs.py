"""Control catalog and per-law framework packs (crosswalks from controls to articles).

``policies/controls.yaml`` defines the controls once, independent of any law. Each framework
pack (``policies/<id>/pack.yaml``) maps controls to that law's provisions, so adding a law is
adding data. Packs are found through the ``guardrail.policies`` entry-point group; each entry
point is a callable returning the pack's folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from guardrail import plugins
from guardrail.errors import ConfigError, PluginError
from guardrail.model._base import ValueObject
from guardrail.model.audit import Control, ControlId, FrameworkInfo, PackVersion
from guardrail.model.common import ArticleRef, LocalizedText, Severity, Slug
from guardrail.resources import data_dir
from guardrail.yamlio import parse_yaml, validate

__all__ = [
    "ControlCatalog",
    "ControlSpec",
    "FrameworkPack",
    "PolicySet",
    "Requirement",
    "builtin_ccpa",
    "builtin_gdpr",
    "builtin_pipl",
    "load_policies",
]


def _ref(value: Any) -> Any:
    return ArticleRef.parse(value) if isinstance(value, str) else value


Ref = Annotated[ArticleRef, BeforeValidator(_ref)]


class ControlSpec(ValueObject):
    id: ControlId
    slug: Slug
    title: LocalizedText
    objective: LocalizedText
    severity: Severity
    check: Slug | None = None
    remediation: LocalizedText
    fix_command: str | None = None


class ControlCatalog(ValueObject):
    schema_version: Literal[1]
    version: str
    controls: tuple[ControlSpec, ...] = Field(min_length=1)


class Requirement(ValueObject):
    control: ControlId
    refs: tuple[Ref, ...] = Field(min_length=1)
    note: str | None = None


class FrameworkPack(ValueObject):
    schema_version: Literal[1]
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    title: LocalizedText
    version: str
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    @property
    def info(self) -> FrameworkInfo:
        return FrameworkInfo(id=self.id, title=self.title, version=self.version)


def builtin_pipl() -> Traversable:
    return data_dir("policies").joinpath("pipl")


def builtin_gdpr() -> Traversable:
    return data_dir("policies").joinpath("gdpr")


def builtin_ccpa() -> Traversable:
    return data_dir("policies").joinpath("ccpa")


@dataclass(frozen=True)
class PolicySet:
    """The loaded controls and the framework packs that cite them."""

    catalog: ControlCatalog
    packs: tuple[FrameworkPack, ...]

    @property
    def framework_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.packs)

    def pack(self, framework: str) -> FrameworkPack:
        for p in self.packs:
            if p.id == framework:
                return p
        raise KeyError(framework)

    def refs(self, control: str, frameworks: Iterable[str]) -> tuple[ArticleRef, ...]:
        out: list[ArticleRef] = []
        wanted = set(frameworks)
        for p in self.packs:
            if p.id not in wanted:
                continue
            for r in p.requirements:
                if r.control == control:
                    tagged = [x.model_copy(update={"framework": p.id}) for x in r.refs]
                    out.extend(x for x in tagged if x not in out)
        return tuple(out)

    def frameworks_of(self, control: str) -> tuple[str, ...]:
        return tuple(p.id for p in self.packs if any(r.control == control for r in p.requirements))

    def controls(self) -> list[Control]:
        """Every control cited by at least one loaded pack, with its references."""
        out = []
        for spec in self.catalog.controls:
            fws = self.frameworks_of(spec.id)
            if not fws:
                continue
            out.append(Control(**spec.model_dump(), refs=self.refs(spec.id, fws), frameworks=fws))
        return out

    def versions(self) -> tuple[PackVersion, ...]:
        return (
            PackVersion(id="controls", version=self.catalog.version),
            *(PackVersion(id=p.id, version=p.version) for p in self.packs),
        )


def _load_catalog() -> ControlCatalog:
    path = data_dir("policies").joinpath("controls.yaml")
    return validate(
        ControlCatalog,
        parse_yaml(path.read_text("utf-8"), "policies/controls.yaml"),
        what="controls",
    )


def _load_pack(name: str) -> FrameworkPack:
    entry: Callable[[], Traversable] = plugins.load("guardrail.policies", name)
    try:
        folder = entry()
        text = folder.joinpath("pack.yaml").read_text("utf-8")
    except (OSError, TypeError) as exc:
        raise PluginError(
            f"policy pack '{name}' has no readable pack.yaml ({type(exc).__name__})",
            hint="reinstall the pack",
        ) from None
    pack = validate(FrameworkPack, parse_yaml(text, f"policies/{name}/pack.yaml"), what="pack")
    if pack.id != name:
        raise ConfigError(
            f"policy pack registered as '{name}' declares id '{pack.id}'",
            hint="make the entry-point name and the pack id agree",
        )
    return pack


_BUILTIN_ORDER = ("pipl", "gdpr", "ccpa")


def load_policies(frameworks: Iterable[str] | None = None) -> PolicySet:
    """Load the control catalog and the requested framework packs (default: all installed)."""
    order = {name: i for i, name in enumerate(_BUILTIN_ORDER)}
    available = sorted(plugins.names("guardrail.policies"), key=lambda n: (order.get(n, 99), n))
    wanted = list(dict.fromkeys(frameworks)) if frameworks else available
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise ConfigError(
            f"unknown framework{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            hint=f"available: {', '.join(available)}",
        )
    catalog = _load_catalog()
    packs = tuple(_load_pack(f) for f in wanted)
    known = {c.id for c in catalog.controls}
    for p in packs:
        for r in p.requirements:
            if r.control not in known:
                raise ConfigError(
                    f"pack '{p.id}' maps unknown control '{r.control}'",
                    hint="add the control to policies/controls.yaml or fix the id",
                )
    return PolicySet(catalog=catalog, packs=packs)
