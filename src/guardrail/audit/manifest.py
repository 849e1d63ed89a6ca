"""Loading the stack manifest: YAML with line numbers, validation, reference checks."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from guardrail.errors import ConnectorError, ManifestError
from guardrail.model.common import SourceLocation
from guardrail.model.stack import Datastore, Stack
from guardrail.yamlio import Located, load_yaml, validate

__all__ = ["MANIFEST_NAMES", "LoadedStack", "load_source", "load_stack", "resolve_manifest"]

MANIFEST_NAMES = ("stack.yaml", "stack.yml")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedStack:
    """A validated manifest and where it came from."""

    stack: Stack
    path: Path
    display: str
    located: Located
    sha256: str

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def line_of(self, loc: Loc) -> int | None:
        return self.located.line_of(loc)

    def location(self, loc: Loc) -> SourceLocation:
        return SourceLocation(path=self.display, line=self.line_of(loc))

    def datastore_loc(self, datastore_id: str) -> Loc:
        for i, d in enumerate(self.stack.datastores):
            if d.id == datastore_id:
                return ("datastores", i)
        return ()

    def dataset_loc(self, datastore_id: str, dataset: str) -> Loc:
        base = self.datastore_loc(datastore_id)
        if base:
            d = self.stack.datastores[int(base[1])]
            for j, ds in enumerate(d.datasets):
                if ds.name == dataset:
                    return (*base, "datasets", j)
        return base

    def datastore_url(self, datastore: Datastore) -> str:
        """The datastore's connector URL, from the manifest or its environment variable."""
        if datastore.url:
            return datastore.url
        assert datastore.url_env is not None
        value = os.environ.get(datastore.url_env)
        if not value:
            raise ConnectorError(
                f"datastore '{datastore.id}' reads its URL from ${datastore.url_env}, "
                "which is not set",
                hint=f"export {datastore.url_env}=<connector URL>",
            )
        return value


def resolve_manifest(path: Path) -> Path:
    """A manifest file, or the manifest inside a stack folder."""
    if path.is_dir():
        for name in MANIFEST_NAMES:
            candidate = path / name
            if candidate.is_file():
                return candidate
        raise ManifestError(
            f"no {' or '.join(MANIFEST_NAMES[:2])} in this folder",
            file=str(path),
            hint="point at the manifest file, or create one with 'guardrail init'",
        )
    return path


def load_stack(path: Path | str) -> LoadedStack:
    """Load and validate a stack manifest; problems raise ManifestError with file:line.

    A folder with no manifest but a ``.fides/`` directory is read as a fides project."""
    folder = Path(path)
    if folder.is_dir() and not any((folder / n).is_file() for n in MANIFEST_NAMES):
        from guardrail.audit.fides import fides_to_stack_dict, has_fides

        if has_fides(folder):
            data = fides_to_stack_dict(folder / ".fides")
            located = Located(data=data, file=str(folder / ".fides"))
            stack = validate(Stack, located, what="manifest")
            return LoadedStack(
                stack=stack,
                path=(folder / ".fides").resolve(),
                display=_display(folder / ".fides"),
                located=located,
                sha256=hashlib.sha256(repr(data).encode()).hexdigest(),
            )
    file = resolve_manifest(folder)
    display = _display(file)
    located = load_yaml(file, display=display)
    if not isinstance(located.data, dict):
        raise ManifestError(
            "the manifest must be a mapping of keys to values",
            file=display,
            line=1,
            hint="see 'guardrail schema manifest' for the expected shape",
        )
    stack = validate(Stack, located, context={"defer_references": True}, what="manifest")
    problems = stack.reference_problems()
    if problems:
        loc, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ManifestError(
            message + more,
            file=display,
            line=located.line_of(loc),
            hint="fix the id or add the missing item",
        )
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return LoadedStack(
        stack=stack, path=file.resolve(), display=display, located=located, sha256=digest
    )


def _display(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)


def load_source(source: str) -> LoadedStack:
    """A manifest (file or folder), or a bare data source (database URL, SQLite file, files)
    wrapped in a one-datastore stack so it can be scanned and inventoried without a manifest."""
    from guardrail.connectors import redact_url, scheme_of

    path = Path(source)
    if scheme_of(source) is None and (path.is_dir() or path.suffix in (".yaml", ".yml")):
        return load_stack(path)
    if scheme_of(source) is None and not path.exists():
        raise ManifestError(
            "no such file, folder or data source",
            file=source,
            hint="give a stack manifest, its folder, a database URL or a file",
        )
    kind = "sql"
    if scheme_of(source) is None:
        with path.open("rb") as fh:
            kind = "sql" if fh.read(16) == b"SQLite format 3\x00" else "files"
    # "ZZ" is the ISO 3166 user-assigned code used here for "region not stated".
    stack = Stack.model_validate(
        {
            "organization": {"name": redact_url(source), "established_in": ["ZZ"]},
            "datastores": [{"id": "source", "kind": kind, "url": source, "region": "ZZ"}],
        }
    )
    located = Located(data={}, file=redact_url(source))
    return LoadedStack(
        stack=stack,
        path=Path.cwd() / "source",
        display=redact_url(source),
        located=located,
        sha256="0" * 64,
    )
