"""Incident playbooks: every hot path against its reference, measured in the same run.

* obligations engine (``decide``) vs. validating the incident itself (the input floor);
* Markdown rendering vs. the bare jinja2 render of the same template and context (the
  templating floor: what guardrail adds is the context and the notices);
* CACAO export + guardrail's graph checks vs. validating the same document with ``jsonschema``
  against the official CACAO 2.0 schemas (the reference validator);
* the library (8 incident types × 5 files + index) vs. writing the same bytes (the I/O floor);
* the library lint vs. reading and hashing the same files (the I/O floor);
* ``guardrail playbook --incident`` (md, html, cacao, ics) vs. ``guardrail --help``.

    python benchmarks/bench_playbook.py
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import REPO, SHARED, best_of, median_of, report, run_cmd

from guardrail.audit.manifest import load_stack
from guardrail.model.common import Lang
from guardrail.model.incident import Incident
from guardrail.playbook import (
    build_playbook,
    check_cacao,
    decide,
    generate_library,
    lint_library,
    load_incident,
    render_html,
    render_ics,
    render_markdown,
    to_cacao,
)
from guardrail.playbook.render import _env, _page_context

GUARDRAIL = str(Path(sys.executable).with_name("guardrail"))
SHOP = REPO / "examples" / "shop"
LEAK = SHOP / "incidents" / "customer-leak.yaml"
AT = datetime(2026, 6, 11, 19, 0, tzinfo=UTC)


def _cacao_validator():  # type: ignore[no-untyped-def]
    import jsonschema
    import referencing
    from referencing.jsonschema import DRAFT7

    root = SHARED / "schemas" / "cacao-2.0"
    resources = []
    for f in sorted(root.rglob("*.json")):
        doc = json.loads(f.read_text("utf-8"))
        resources.append(
            (doc["$id"], referencing.Resource.from_contents(doc, default_specification=DRAFT7))
        )
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((root / "playbook.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(schema, registry=registry)


def main() -> None:
    stack = load_stack(SHOP).stack
    incident = load_incident(LEAK, stack)
    raw = incident.model_dump(mode="json")
    pb = build_playbook(incident, stack, at=AT)
    rows = []

    n = 200
    engine = best_of(lambda: [decide(incident, stack) for _ in range(n)], 5) / n
    parse = best_of(lambda: [Incident.model_validate(raw) for _ in range(n)], 5) / n
    rows.append(
        {
            "measure": "obligations engine, 1 incident (ms)",
            "guardrail": engine * 1e3,
            "reference": parse * 1e3,
            "reference is": "pydantic validation of the incident",
            "ratio": engine / parse,
        }
    )

    ctx = _page_context(pb, Lang.EN)
    template = _env("md").get_template("playbook.md.j2")
    md = best_of(lambda: [render_markdown(pb, lang="en") for _ in range(20)], 5) / 20
    bare = best_of(lambda: [template.render(ctx) for _ in range(20)], 5) / 20
    rows.append(
        {
            "measure": "Markdown playbook, en (ms)",
            "guardrail": md * 1e3,
            "reference": bare * 1e3,
            "reference is": "jinja2 render, context prebuilt",
            "ratio": md / bare,
        }
    )

    validator = _cacao_validator()
    doc = to_cacao(pb)
    ours = best_of(lambda: [check_cacao(to_cacao(pb)) for _ in range(20)], 5) / 20
    schema = best_of(lambda: [list(validator.iter_errors(doc)) for _ in range(5)], 3) / 5
    rows.append(
        {
            "measure": "CACAO export + graph checks (ms)",
            "guardrail": ours * 1e3,
            "reference": schema * 1e3,
            "reference is": "jsonschema, official CACAO schemas",
            "ratio": ours / schema,
        }
    )

    with tempfile.TemporaryDirectory() as d:
        lib = Path(d) / "lib"
        generate_library(stack, lib, at=AT)  # warm the templates
        gen = median_of(lambda: generate_library(stack, lib, at=AT), 5)
        files = sorted(p for p in lib.rglob("*") if p.is_file())
        blobs = [(p, p.read_bytes()) for p in files]
        floor_dir = Path(d) / "floor"

        def write_floor() -> None:
            for p, data in blobs:
                out = floor_dir / p.relative_to(lib)
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".tmp")
                tmp.write_bytes(data)
                tmp.replace(out)

        floor = best_of(write_floor, 5)
        rows.append(
            {
                "measure": f"library, 8 types / {len(files)} files (s)",
                "guardrail": gen,
                "reference": floor,
                "reference is": "writing the same bytes",
                "ratio": gen / floor,
            }
        )
        lint = median_of(lambda: lint_library(lib, stack=stack), 5)
        read = best_of(lambda: [hashlib.sha256(p.read_bytes()).hexdigest() for p in files], 5)
        rows.append(
            {
                "measure": "library lint (s)",
                "guardrail": lint,
                "reference": read,
                "reference is": "reading + SHA-256 of the files",
                "ratio": lint / read,
            }
        )
        out = Path(d) / "out"
        cli = median_of(
            lambda: run_cmd(
                [GUARDRAIL, "playbook", str(SHOP), "--incident", str(LEAK), "--output-dir", str(out),
                 "--at", "2026-06-11T19:00:00Z"]
            ),
            5,
        )  # fmt: skip
        helpt = best_of(lambda: run_cmd([GUARDRAIL, "--help"]), 5)
        rows.append(
            {
                "measure": "guardrail playbook --incident, 4 formats (s)",
                "guardrail": cli,
                "reference": helpt,
                "reference is": "guardrail --help",
                "ratio": cli / helpt,
            }
        )

        def in_process() -> None:
            p = build_playbook(incident, stack, at=AT)
            render_markdown(p, lang="en")
            render_html(p, lang="en")
            check_cacao(to_cacao(p))
            render_ics(p)

        inproc = best_of(in_process, 5)
        rows.append(
            {
                "measure": "the same 4 formats in process (s)",
                "guardrail": inproc,
                "reference": cli,
                "reference is": "the CLI run above",
                "ratio": inproc / cli,
            }
        )
    report("Incident playbooks", rows)


if __name__ == "__main__":
    main()
