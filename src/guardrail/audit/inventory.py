"""The data inventory and the records of processing, built from the classified facts."""

from __future__ import annotations

from guardrail.model.facts import Facts
from guardrail.model.inventory import InventoryField, ProcessingRecord, Recipient
from guardrail.model.stack import Datastore, Flow, Protection, Stack

__all__ = ["build_inventory", "build_records"]


def _prefix_overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _flows_from(stack: Stack, store: Datastore) -> list[Flow]:
    origins = {store.id} | ({store.system} if store.system else set())
    return [f for f in stack.flows if f.source in origins]


def _carries(flow: Flow, categories: tuple[str, ...]) -> bool:
    if not flow.categories:
        return True
    return any(_prefix_overlap(c, fc) for c in categories for fc in flow.categories)


def build_inventory(facts: Facts) -> tuple[InventoryField, ...]:
    """Every personal-data field with its meaning, source, protections and destinations."""
    stack = facts.stack
    systems = {s.id: s for s in stack.systems}
    out: list[InventoryField] = []
    for cls in facts.classifications:
        store = stack.datastore(cls.datastore)
        ds = next((d for d in store.datasets if d.name == cls.dataset), None)
        decls = {f.name: f for f in ds.fields} if ds else {}
        flows = _flows_from(stack, store)
        owner = systems[store.system].owner if store.system in systems else None
        for f in cls.fields:
            if not f.personal:
                continue
            decl = decls.get(f.field)
            purposes = tuple(
                dict.fromkeys((*(ds.purposes if ds else ()), *(decl.purposes if decl else ())))
            )
            rule = stack.retention_for(store.id, cls.dataset, f.categories)
            # Flows leaving this datastore's system, or serving one of the field's purposes,
            # that carry the field's categories.
            carried = [
                fl
                for fl in stack.flows
                if (fl in flows or (fl.purpose is not None and fl.purpose in purposes))
                and _carries(fl, f.categories)
            ]
            out.append(
                InventoryField(
                    datastore=cls.datastore,
                    dataset=cls.dataset,
                    field=f.field,
                    entities=f.entities,
                    categories=f.categories,
                    labels=f.labels,
                    sensitivity=f.sensitivity,
                    source="inherited" if f.source == "inferred" else f.source,
                    confidence=f.confidence,
                    protection=decl.protection if decl else Protection(),
                    purposes=purposes,
                    retention=str(rule.period) if rule else None,
                    recipients=tuple(dict.fromkeys(fl.destination for fl in carried)),
                    transfers=tuple(fl.id for fl in carried if fl.cross_border),
                    owner=owner,
                    reason=f.reason,
                )
            )
    return tuple(out)


def build_records(
    facts: Facts, inventory: tuple[InventoryField, ...]
) -> tuple[ProcessingRecord, ...]:
    """One record per purpose (GDPR Art. 30(1)(a)-(g); PIPL Arts. 55-56 inputs)."""
    stack = facts.stack
    names = {s.id: s.name for s in stack.systems} | {p.id: p.name for p in stack.processors}
    processors = {p.id: p for p in stack.processors}
    out: list[ProcessingRecord] = []
    for purpose in stack.purposes:
        fields = [f for f in inventory if purpose.id in f.purposes]
        datasets = tuple(dict.fromkeys(f"{f.datastore}.{f.dataset}" for f in fields))
        stores = {f.datastore for f in fields}
        flows = [fl for fl in stack.flows if fl.purpose == purpose.id]
        recipients: list[Recipient] = []
        for fl in flows:
            if any(r.id == fl.destination for r in recipients):
                continue
            proc = processors.get(fl.destination)
            roles = (
                tuple(
                    f"{law}:{role.value}"
                    for law, role in (
                        ("pipl", proc.roles.pipl),
                        ("gdpr", proc.roles.gdpr),
                        ("ccpa", proc.roles.ccpa),
                    )
                    if role is not None
                )
                if proc
                else ("internal",)
            )
            recipients.append(
                Recipient(
                    id=fl.destination,
                    name=names.get(fl.destination, fl.destination),
                    region=fl.to_region,
                    roles=roles,
                )
            )
        transfers = tuple(
            f"{fl.id} ({fl.from_region}→{fl.to_region}: "
            + (", ".join(t.mechanism.value for t in fl.transfers) or "no mechanism")
            + ")"
            for fl in flows
            if fl.cross_border
        )
        retention = tuple(
            dict.fromkeys(
                f"{d}: {r.period}"
                for d in datasets
                if (r := stack.retention_for(d.split(".", 1)[0], d.split(".", 1)[1])) is not None
            )
        )
        measures: list[str] = []
        for sid in sorted(stores):
            store = stack.datastore(sid)
            if store.encryption_at_rest.enabled:
                measures.append(
                    f"{sid}: encrypted at rest"
                    + (f" ({store.encryption_at_rest.kms})" if store.encryption_at_rest.kms else "")
                )
        for f in fields:
            p = f.protection
            kinds = [
                k
                for k, v in (
                    ("field-encrypted", p.field_encrypted),
                    ("pseudonymised", p.pseudonymized),
                    ("tokenised", p.tokenized),
                    ("hashed", p.hashed),
                )
                if v
            ]
            if kinds:
                measures.append(f"{f.datastore}.{f.dataset}.{f.field}: {', '.join(kinds)}")
        covered = {purpose.id, *datasets, *(fl.id for fl in flows)}
        assessments = tuple(
            f"{a.kind.value}:{a.id}" for a in stack.assessments if covered & set(a.covers)
        )
        subjects = tuple(
            dict.fromkeys(
                s
                for d in stack.datastores
                for ds in d.datasets
                if f"{d.id}.{ds.name}" in datasets
                for s in ds.subjects
            )
        )
        out.append(
            ProcessingRecord(
                purpose=purpose.id,
                description=purpose.description,
                legal_basis=purpose.legal_basis,
                controller=stack.organization.name,
                data_categories=tuple(sorted({c for f in fields for c in f.categories})),
                sensitive_categories=tuple(
                    sorted({c for f in fields if f.labels.sensitive_anywhere for c in f.categories})
                ),
                subjects=subjects,
                datasets=datasets,
                recipients=tuple(recipients),
                transfers=transfers,
                retention=retention,
                security_measures=tuple(dict.fromkeys(measures)),
                assessments=assessments,
                separate_consent_required=purpose.requires_separate_consent,
                automated_decision_making=purpose.automated_decision_making,
            )
        )
    return tuple(out)
