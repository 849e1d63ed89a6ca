"""Comparing two audit results by finding fingerprint."""

from __future__ import annotations

from guardrail.model._base import ValueObject
from guardrail.model.audit import AuditResult, Finding

__all__ = ["Change", "ReportDiff", "diff_results"]


class Change(ValueObject):
    """A finding present in both runs whose severity, status or message changed."""

    old: Finding
    new: Finding
    fields: tuple[str, ...]


class ReportDiff(ValueObject):
    new: tuple[Finding, ...] = ()
    fixed: tuple[Finding, ...] = ()
    changed: tuple[Change, ...] = ()
    unchanged: int = 0


def diff_results(old: AuditResult, new: AuditResult) -> ReportDiff:
    before = {f.id: f for f in old.findings}
    after = {f.id: f for f in new.findings}
    changed: list[Change] = []
    unchanged = 0
    for fid in before.keys() & after.keys():
        a, b = before[fid], after[fid]
        fields = tuple(
            name
            for name, x, y in (
                ("severity", a.severity, b.severity),
                ("status", a.status, b.status),
                ("message", a.message, b.message),
                ("refs", a.refs, b.refs),
            )
            if x != y
        )
        if fields:
            changed.append(Change(old=a, new=b, fields=fields))
        else:
            unchanged += 1
    order = {f.id: i for i, f in enumerate(new.findings)}
    return ReportDiff(
        new=tuple(after[i] for i in sorted(after.keys() - before.keys(), key=order.__getitem__)),
        fixed=tuple(before[i] for i in sorted(before.keys() - after.keys())),
        changed=tuple(sorted(changed, key=lambda c: order[c.new.id])),
        unchanged=unchanged,
    )
