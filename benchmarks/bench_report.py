"""Report rendering for a large audit, every format against its reference in the same run.

The example shop is audited once; its result is then scaled to a large estate (``--findings``
findings, ``--fields`` inventory rows, ``--flows`` transfer decisions) by cloning findings onto
new targets. Measured:

* each format's ``render(result)`` versus the canonical JSON serialisation of the same result
  (pydantic's ``model_dump_json``): every format renders from that model, so the ratio is the
  cost of the format over the floor;
* OCSF versus Prowler's way of building the same events (one ``py_ocsf_models``
  ``ComplianceFinding`` per event, then ``model_dump_json``), the anchor tool's reference;
* PDF (on a smaller result: WeasyPrint lays out every page) versus the HTML it is made from;
* signing and verifying a report versus hashing its bytes (``hashlib.sha256``).

    python benchmarks/bench_report.py [--findings 2000] [--fields 500] [--flows 100]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import REPO, median_of, report

from guardrail.audit import AuditOptions, run_audit
from guardrail.crypto import SigningKey, jwks
from guardrail.model.audit import AuditResult, ControlResult, Finding, Target
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.ocsf import ocsf_events
from guardrail.report.signing import sign_report, verify_report

AT = datetime(2026, 11, 22, tzinfo=UTC)


def _shop_result(tmp: Path) -> AuditResult:
    spec = importlib.util.spec_from_file_location("gen", REPO / "examples/shop/generate.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    (tmp / "stack.yaml").write_text((REPO / "examples/shop/stack.yaml").read_text())
    gen.generate(tmp)
    return run_audit(tmp, AuditOptions(at=AT))


def scale(base: AuditResult, findings: int, fields: int, flows: int) -> AuditResult:
    """The shop's result with ``findings`` findings spread over new targets of each control."""
    if not base.findings:
        raise SystemExit("the example audit produced no findings to scale")
    out: list[Finding] = []
    i = 0
    while len(out) < findings:
        for f in base.findings:
            if len(out) >= findings:
                break
            target = Target(kind=f.target.kind, id=f"{f.target.id}.{i}")
            fid = hashlib.sha256(f"{f.control}|{target}".encode()).hexdigest()[:32]
            out.append(f.model_copy(update={"id": fid, "target": target}))
        i += 1
    by_control: dict[str, list[str]] = {}
    for f in out:
        by_control.setdefault(f.control, []).append(f.id)
    results = tuple(
        r.model_copy(update={"findings": tuple(by_control.get(r.control, r.findings))})
        if isinstance(r, ControlResult)
        else r
        for r in base.results
    )
    inventory = tuple(
        x.model_copy(update={"field": f"{x.field}_{n}"})
        for n in range(fields // max(len(base.inventory), 1) + 1)
        for x in base.inventory
    )[:fields]
    transfers = tuple(
        t.model_copy(update={"flow": f"{t.flow}-{n}"})
        for n in range(flows // max(len(base.transfers), 1) + 1)
        for t in base.transfers
    )[:flows]
    return base.model_copy(
        update={
            "findings": tuple(out),
            "results": results,
            "inventory": inventory,
            "transfers": transfers,
        }
    )


def _prowler_style(events: list[dict[str, object]]) -> None:
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    json.dumps(
        [json.loads(ComplianceFinding(**e).model_dump_json(exclude_none=True)) for e in events]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=2000)
    ap.add_argument("--fields", type=int, default=500)
    ap.add_argument("--flows", type=int, default=100)
    ap.add_argument("--pdf-findings", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        base = _shop_result(Path(d))
    big = scale(base, args.findings, args.fields, args.flows)
    n = args.repeat
    floor = median_of(lambda: big.model_dump_json(indent=2), n)
    rows = []
    for fmt in ("json", "html", "md", "sarif", "junit", "csv", "ocsf", "oscal"):
        rep = reporter(fmt)
        size = len(rep.render(big, lang=Lang.ZH))
        t = median_of(lambda rep=rep: rep.render(big, lang=Lang.ZH), n)  # type: ignore[misc]
        rows.append(
            {
                "format": fmt,
                "guardrail (s)": t,
                "reference (s)": floor,
                "reference is": "model_dump_json",
                "ratio": t / floor,
                "output (KB)": size // 1024,
            }
        )
    events = ocsf_events(big)
    ours = median_of(lambda: ocsf_events(big), n)
    prowler = median_of(lambda: _prowler_style(events), n)
    rows.append(
        {
            "format": "ocsf events only",
            "guardrail (s)": ours,
            "reference (s)": prowler,
            "reference is": "py_ocsf_models (Prowler)",
            "ratio": ours / prowler,
            "output (KB)": len(json.dumps(events)) // 1024,
        }
    )
    small = scale(base, args.pdf_findings, min(args.fields, 100), min(args.flows, 20))
    html_t = median_of(lambda: reporter("html").render(small, lang=Lang.ZH), 3)
    pdf_bytes = reporter("pdf").render(small, lang=Lang.ZH)  # warm-up: fonts load once
    pdf_t = median_of(lambda: reporter("pdf").render(small, lang=Lang.ZH), 3)
    rows.append(
        {
            "format": f"pdf ({args.pdf_findings} findings, zh)",
            "guardrail (s)": pdf_t,
            "reference (s)": html_t,
            "reference is": "the HTML it renders",
            "ratio": pdf_t / html_t,
            "output (KB)": len(pdf_bytes) // 1024,
        }
    )
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "report.json"
        path.write_bytes(reporter("json").render(big))
        key = SigningKey.generate()
        trusted = jwks([key])

        def sign_and_verify() -> None:
            sign_report(path, key)
            verify_report(path, trusted)

        signed = median_of(sign_and_verify, n)
        hashed = median_of(lambda: hashlib.sha256(path.read_bytes()).hexdigest(), n)
        rows.append(
            {
                "format": "sign + verify report.json",
                "guardrail (s)": signed,
                "reference (s)": hashed,
                "reference is": "sha256 of the file",
                "ratio": signed / hashed,
                "output (KB)": path.stat().st_size // 1024,
            }
        )
    report(
        f"Report rendering ({len(big.findings)} findings, {len(big.inventory)} inventory rows, "
        f"{len(big.transfers)} transfer decisions)",
        rows,
    )


if __name__ == "__main__":
    sys.exit(main())
