"""Safe YAML loading that remembers where every node came from.

Used for every YAML input (manifests, packs, rules, waivers, policies) so that validation
errors point at ``file:line``. Duplicate keys, which PyYAML silently accepts, are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from guardrail.errors import ConfigError, ManifestError

__all__ = ["Located", "load_yaml", "schema_name", "validate"]

MAX_YAML_BYTES = 16 * 1024 * 1024

Loc = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed YAML document and the 1-based line of every node, keyed by path."""

    data: Any
    file: str
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """Line of ``loc``, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


# libyaml's parser when PyYAML was built with it (≈10× faster); same nodes and marks.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path, *, display: str | None = None) -> Located:
    """Parse one YAML file with positions. Raises ManifestError naming file and line."""
    path = Path(path)
    shown = display or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ManifestError("file not found", file=shown, hint="check the path") from None
    except OSError as exc:
        raise ManifestError(f"cannot read ({exc.strerror})", file=shown) from None
    if size > MAX_YAML_BYTES:
        raise ManifestError(
            f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB",
            file=shown,
            hint="split it or remove embedded data",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"not UTF-8 text (byte {exc.start})", file=shown, hint="save the file as UTF-8"
        ) from None
    return parse_yaml(text, shown)


def parse_yaml(text: str, display: str) -> Located:
    located = Located(data=None, file=display)
    try:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            # Re-parse with the pure-Python parser: its messages are the documented ones.
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or "invalid YAML").strip()
        raise ManifestError(
            f"invalid YAML: {problem}",
            file=display,
            line=line,
            hint="fix the YAML syntax at that line",
        ) from None
    except yaml.YAMLError:
        raise ManifestError("invalid YAML", file=display, hint="fix the YAML syntax") from None
    if node is None:
        raise ManifestError(
            "the file is empty",
            file=display,
            hint="see 'guardrail schema manifest' for the expected shape",
        )
    located.data = _construct(node, (), located)
    return located


def _construct(node: yaml.Node, loc: Loc, out: Located) -> Any:
    out.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ManifestError(
                    "YAML merge keys ('<<') are not supported",
                    file=out.file,
                    line=key_node.start_mark.line + 1,
                    hint="write the keys out",
                )
            key = _scalar(key_node)
            if isinstance(key, (dict, list)):
                raise ManifestError(
                    "mapping keys must be scalars", file=out.file, line=key_node.start_mark.line + 1
                )
            if key in result:
                raise ManifestError(
                    f"duplicate key '{key}'",
                    file=out.file,
                    line=key_node.start_mark.line + 1,
                    hint="remove or rename one of them",
                )
            child = (*loc, str(key))
            out.lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = (*loc, i)
            out.lines[child] = item.start_mark.line + 1
            items.append(_construct(item, child, out))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # A bare constructor (four dicts) rather than a whole SafeLoader (reader, scanner, parser).
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


M = TypeVar("M", bound=BaseModel)


def validate(
    model: type[M], located: Located, *, context: dict[str, Any] | None = None, what: str = "file"
) -> M:
    """Validate parsed YAML against ``model``; the first problem becomes a ManifestError."""
    try:
        return model.model_validate(located.data, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        first = errors[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        more = (
            f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            if len(errors) > 1
            else ""
        )
        msg = _friendly(first)
        raise ManifestError(
            f"{where}: {msg}{more}",
            file=located.file,
            line=located.line_of(loc),
            hint=f"see 'guardrail schema {schema_name(what)}' for the expected shape",
        ) from None


def schema_name(what: str) -> str:
    """The ``guardrail schema`` argument that prints the shape of a ``what`` document."""
    return what.strip().lower().replace(" ", "-")


def _friendly(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check its spelling)"
    if kind == "missing":
        return "required key is missing"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def config_error_from(exc: ValidationError, what: str) -> ConfigError:
    first = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return ConfigError(f"{what}: {where}: {_friendly(first)}")
