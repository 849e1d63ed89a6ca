"""``guardrail validate``: check a stack manifest and its policy files without scanning."""

from __future__ import annotations

import os
from pathlib import Path

import click

from guardrail.cli._ui import UI

__all__ = ["validate"]


@click.command()
@click.argument("stack", type=click.Path(path_type=Path), default=Path(), envvar="GUARDRAIL_STACK")
@click.pass_obj
def validate(ui: UI, stack: Path) -> int:
    """Validate STACK: the manifest (schema and references, errors at file:line), the
    waivers and classification policies next to it, and that every datastore URL resolves
    to an installed connector. Exit 0 valid, 2 invalid. Nothing is scanned."""
    from guardrail import plugins
    from guardrail.audit.facts import rules_for
    from guardrail.audit.manifest import load_stack
    from guardrail.audit.packs import load_policies
    from guardrail.audit.waivers import load_waivers
    from guardrail.connectors import scheme_of
    from guardrail.errors import ConfigError, ExitCode

    loaded = load_stack(stack)
    load_policies()
    rules_for(loaded)  # policies/classification.yaml and the manifest's own rules
    waivers = loaded.base_dir / "policies" / "waivers.yaml"
    n_waivers = len(load_waivers(waivers)) if waivers.is_file() else 0
    connectors = set(plugins.names("guardrail.connectors"))
    for i, ds in enumerate(loaded.stack.datastores):
        if not ds.scan or ds.kind == "other":
            continue
        url = ds.url or os.environ.get(ds.url_env or "")
        line = loaded.line_of(("datastores", i))
        if not url:
            raise ConfigError(
                f"{loaded.display}:{line}: datastore '{ds.id}' reads its URL from "
                f"${ds.url_env}, which is not set",
                hint=f"export {ds.url_env}=<connector URL> (or set scan: false)",
            )
        scheme = scheme_of(url) or ("file" if ds.kind in ("files", "logs") else "sqlite")
        if scheme not in connectors:
            raise ConfigError(
                f"{loaded.display}:{line}: datastore '{ds.id}' uses '{scheme}://', for which "
                "no connector is installed",
                hint=f"installed connectors: {', '.join(sorted(connectors))}",
            )
    s = loaded.stack
    counts = {
        "system": len(s.systems),
        "datastore": len(s.datastores),
        "processor": len(s.processors),
        "flow": len(s.flows),
        "purpose": len(s.purposes),
        "waiver": n_waivers,
    }
    ui.print(
        f"{loaded.display}: valid — "
        + ", ".join(f"{n} {noun}{'' if n == 1 else 's'}" for noun, n in counts.items())
    )
    return int(ExitCode.OK)
