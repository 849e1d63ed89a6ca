"""The audit engine: manifest + facts -> control results and findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from guardrail import __version__
from guardrail.audit.applicability import decide_all
from guardrail.audit.checks import CheckContext, Outcome, resolve_check
from guardrail.audit.checks.transfers import transfer_register
from guardrail.audit.facts import DEFAULT_SAMPLE_ROWS, Progress, collect
from guardrail.audit.inventory import build_inventory
from guardrail.audit.manifest import LoadedStack, load_stack
from guardrail.audit.packs import PolicySet, load_policies
from guardrail.audit.waivers import apply_baseline, apply_waivers, load_baseline, load_waivers
from guardrail.errors import GuardrailError
from guardrail.model.audit import (
    AuditResult,
    Control,
    ControlResult,
    ControlStatus,
    Finding,
    FindingStatus,
    InputDigest,
    RunError,
    Scorecard,
    Target,
    Waiver,
)
from guardrail.model.common import LocalizedText
from guardrail.model.facts import Facts

__all__ = ["AuditOptions", "fingerprint", "run_audit"]

# Controls whose checks read measured data; they cannot pass when a collector failed.
_DATA_CHECKS = frozenset(
    {
        "inventory_matches_data",
        "pi_fields_labelled",
        "sensitive_pi_encrypted",
        "no_pii_in_logs",
        "retention_defined_and_enforced",
    }
)


@dataclass(frozen=True)
class AuditOptions:
    frameworks: tuple[str, ...] | None = None
    at: datetime | None = None
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    scan_data: bool = True
    progress: Progress | None = None
    # Waivers: the stack's policies/waivers.yaml unless another file is given; off for auditors.
    waivers: Path | None = None
    use_waivers: bool = True
    # A previous report (or fingerprint list): its findings are "baselined", not gating.
    baseline: Path | None = None


def fingerprint(control: str, target: Target) -> str:
    """Stable finding id: independent of messages, evidence and line numbers."""
    return hashlib.sha256(f"{control}|{target.kind}|{target.id}".encode()).hexdigest()[:32]


def run_audit(stack: Path | str | LoadedStack, options: AuditOptions | None = None) -> AuditResult:
    """Audit a stack. Raises for unusable input (exit 2); records run errors (exit 3)."""
    options = options or AuditOptions()
    started = datetime.now(UTC)
    at = options.at or started
    if at.tzinfo is None:
        raise GuardrailError(
            "the audit time must be timezone-aware",
            hint="pass an aware datetime, e.g. 2026-01-01T00:00:00+00:00",
        )
    loaded = stack if isinstance(stack, LoadedStack) else load_stack(stack)
    policies = load_policies(options.frameworks)
    applicability = decide_all(policies.framework_ids, loaded.stack)
    applicable = frozenset(a.framework for a in applicability if a.applies)

    errors: list[RunError] = []
    if options.scan_data:
        facts, collect_errors = collect(
            loaded, at=at, sample_rows=options.sample_rows, progress=options.progress
        )
        errors.extend(collect_errors)
    else:
        facts = Facts(stack=loaded.stack, at=at)

    waivers: tuple[Waiver, ...] = ()
    if options.use_waivers:
        waiver_file = options.waivers or loaded.base_dir / "policies" / "waivers.yaml"
        if options.waivers is not None or waiver_file.is_file():
            waivers = load_waivers(waiver_file)
    baseline = load_baseline(options.baseline) if options.baseline else frozenset()

    controls = policies.controls()
    evaluated: list[
        tuple[
            Control,
            frozenset[str],
            ControlStatus,
            list[Outcome],
            LocalizedText | None,
            list[Finding],
        ]
    ] = []
    for control in controls:
        fws = frozenset(control.frameworks) & applicable
        status, outcomes, note = _evaluate(control, fws, facts, loaded, at, errors)
        if options.scan_data is False and control.check in _DATA_CHECKS:
            status, outcomes = ControlStatus.NOT_APPLICABLE, []
            note = LocalizedText(en="Data was not scanned in this mode.", zh="此模式未扫描数据。")
        raw = [
            f
            for o in _merge_failures(outcomes)
            if (f := _finding(control, o, fws, policies, loaded)) is not None
        ]
        final = apply_baseline(apply_waivers(raw, waivers, today=at.date()), baseline)
        evaluated.append((control, fws, status, outcomes, note, final))

    results: list[ControlResult] = []
    findings: list[Finding] = []
    per_framework: dict[tuple[str, str], ControlStatus] = {}
    for control, fws, status, outcomes, note, final in evaluated:
        findings.extend(final)
        if (
            status is ControlStatus.FAIL
            and final
            and all(f.status is FindingStatus.WAIVED for f in final)
        ):
            status = ControlStatus.WAIVED
        results.append(
            ControlResult(
                control=control.id,
                status=status,
                frameworks=tuple(sorted(fws)),
                targets_checked=len(outcomes),
                findings=tuple(f.id for f in final),
                note=note,
            )
        )
        for fw in control.frameworks:
            fw_status = _status_for(fw, status, outcomes, fws)
            mine = [f for f in final if fw in f.frameworks]
            if (
                fw_status is ControlStatus.FAIL
                and mine
                and all(f.status is FindingStatus.WAIVED for f in mine)
            ):
                fw_status = ControlStatus.WAIVED
            per_framework[(control.id, fw)] = fw_status

    findings.sort(key=lambda f: (-f.severity.rank, f.control, f.target.id))
    scorecards = tuple(_scorecard(fw, controls, per_framework) for fw in policies.framework_ids)
    finished = datetime.now(UTC) if options.at is None else at
    return AuditResult(
        guardrail_version=__version__,
        organization=loaded.stack.organization.name,
        stack=loaded.display,
        started=started if options.at is None else at,
        finished=finished,
        at=at,
        frameworks=tuple(p.info for p in policies.packs),
        applicability=applicability,
        controls=tuple(controls),
        results=tuple(results),
        findings=tuple(findings),
        scorecards=scorecards,
        errors=tuple(errors),
        inputs=tuple(_digests(loaded)),
        packs=policies.versions(),
        inventory=build_inventory(facts),
        transfers=transfer_register(loaded.stack, at=at, frameworks=applicable),
        waivers=waivers,
    )


def _evaluate(
    control: Control,
    fws: frozenset[str],
    facts: Facts,
    loaded: LoadedStack,
    at: datetime,
    errors: list[RunError],
) -> tuple[ControlStatus, list[Outcome], LocalizedText | None]:
    if not fws:
        return (
            ControlStatus.NOT_APPLICABLE,
            [],
            LocalizedText(
                en="None of the laws this control maps to applies.",
                zh="该控制项对应的法律均不适用。",
            ),
        )
    if control.check is None:
        today = at.date()
        valid = [
            a for a in facts.stack.attestations if a.control == control.id and a.expires >= today
        ]
        if valid:
            a = valid[0]
            return (
                ControlStatus.PASS,
                [],
                LocalizedText(
                    en=f"Attested by {a.owner} until {a.expires} ({a.evidence}).",
                    zh=f"由 {a.owner} 证明，有效期至 {a.expires}（{a.evidence}）。",
                ),
            )
        return (
            ControlStatus.MANUAL,
            [],
            LocalizedText(
                en="Manual control: add an attestation (owner, evidence, expiry) to the manifest.",
                zh="人工控制项：请在清单中添加证明（负责人、证据、有效期）。",
            ),
        )
    try:
        outcomes = list(
            resolve_check(control.check)(
                CheckContext(facts=facts, loaded=loaded, frameworks=fws, at=at)
            )
        )
    except GuardrailError as exc:
        errors.append(RunError(stage=f"control {control.id}", message=exc.message, hint=exc.hint))
        return ControlStatus.ERROR, [], None
    except Exception as exc:  # noqa: BLE001 - fail closed, never echo data
        errors.append(
            RunError(
                stage=f"control {control.id}",
                message=f"check '{control.check}' raised {type(exc).__name__}",
                hint="run with --verbose and report the problem",
            )
        )
        return ControlStatus.ERROR, [], None
    failed = any(not o.passed for o in outcomes)
    if failed:
        return ControlStatus.FAIL, outcomes, None
    if control.check in _DATA_CHECKS and facts.failed_collectors:
        return (
            ControlStatus.ERROR,
            outcomes,
            LocalizedText(
                en="Some datastores could not be scanned: " + ", ".join(facts.failed_collectors),
                zh="部分数据存储未能扫描：" + "、".join(facts.failed_collectors),
            ),
        )
    if not outcomes:
        return (
            ControlStatus.NOT_APPLICABLE,
            [],
            LocalizedText(
                en="Nothing in the stack is subject to this control.",
                zh="清单中没有适用该控制项的对象。",
            ),
        )
    return ControlStatus.PASS, outcomes, None


def _merge_failures(outcomes: list[Outcome]) -> list[Outcome]:
    """One failing outcome per target: a check may fail one target under several laws (e.g.
    a PIPIA and a CCPA risk assessment for the same flow); the finding's fingerprint is per
    (control, target), so their messages, evidence and frameworks are merged."""
    merged: dict[str, Outcome] = {}
    for o in outcomes:
        if o.passed:
            continue
        key = str(o.target)
        prev = merged.get(key)
        if prev is None:
            merged[key] = o
            continue
        frameworks = (
            None
            if prev.frameworks is None or o.frameworks is None
            else (prev.frameworks | o.frameworks)
        )
        severity = (
            prev.severity
            if o.severity is None
            or (prev.severity is not None and prev.severity.rank >= o.severity.rank)
            else o.severity
        )
        merged[key] = prev.model_copy(
            update={
                "message": LocalizedText(
                    en=f"{prev.message.en} {o.message.en}", zh=f"{prev.message.zh}{o.message.zh}"
                ),
                "evidence": (*prev.evidence, *o.evidence),
                "frameworks": frameworks,
                "severity": severity,
            }
        )
    return list(merged.values())


def _finding(
    control: Control,
    outcome: Outcome,
    fws: frozenset[str],
    policies: PolicySet,
    loaded: LoadedStack,
) -> Finding | None:
    frameworks = fws & outcome.frameworks if outcome.frameworks is not None else fws
    if not frameworks:
        return None
    return Finding(
        id=fingerprint(control.id, outcome.target),
        control=control.id,
        title=control.title,
        severity=outcome.severity or control.severity,
        target=outcome.target,
        frameworks=tuple(f for f in policies.framework_ids if f in frameworks),
        refs=policies.refs(control.id, frameworks),
        message=outcome.message,
        evidence=outcome.evidence,
        remediation=control.remediation,
        fix_command=control.fix_command,
        location=loaded.location(outcome.loc),
    )


def _status_for(
    fw: str, status: ControlStatus, outcomes: list[Outcome], applicable: frozenset[str]
) -> ControlStatus:
    if fw not in applicable:
        return ControlStatus.NOT_APPLICABLE
    if status is not ControlStatus.FAIL:
        return status
    mine = [o for o in outcomes if o.frameworks is None or fw in o.frameworks]
    if any(not o.passed for o in mine):
        return ControlStatus.FAIL
    return ControlStatus.PASS if mine else ControlStatus.NOT_APPLICABLE


def _scorecard(
    fw: str, controls: Iterable[Control], per: dict[tuple[str, str], ControlStatus]
) -> Scorecard:
    counts = dict.fromkeys(ControlStatus, 0)
    for c in controls:
        if (c.id, fw) in per:
            counts[per[(c.id, fw)]] += 1
    return Scorecard(
        framework=fw,
        passed=counts[ControlStatus.PASS],
        failed=counts[ControlStatus.FAIL],
        manual=counts[ControlStatus.MANUAL],
        waived=counts[ControlStatus.WAIVED],
        errors=counts[ControlStatus.ERROR],
        not_applicable=counts[ControlStatus.NOT_APPLICABLE],
    )


def _digests(loaded: LoadedStack) -> list[InputDigest]:
    # Every input is recorded relative to the stack folder (the manifest too), so the report does
    # not depend on the folder the audit ran from and `verify-report --inputs STACK` finds them.
    out = [InputDigest(path=_rel(loaded.path, loaded.base_dir), sha256=loaded.sha256)]
    for ds in loaded.stack.datastores:
        if not ds.url:
            continue
        candidates: list[Path] = []
        if ds.url.startswith("sqlite:///"):
            candidates.append(loaded.base_dir / ds.url[len("sqlite:///") :])
        elif ds.kind in ("files", "logs"):
            pattern = ds.url.removeprefix("file://").removeprefix("file:")
            candidates.extend(sorted(loaded.base_dir.glob(pattern)))
        for p in candidates:
            if p.is_file():
                out.append(InputDigest(path=_rel(p, loaded.base_dir), sha256=_sha256(p)))
    return out


def _rel(p: Path, base: Path) -> str:
    try:
        return str(p.relative_to(base))
    except ValueError:
        return str(p)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
