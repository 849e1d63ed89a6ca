"""What an incident touched: datasets resolved in the manifest, and the data they hold with its
meaning under each law (from classification) and its protection.

Data comes from three sources, in this order: the fields each affected dataset declares in the
manifest, the fields an audit detected (its inventory, when given), and entities or categories
the incident names. A dataset that declares no fields and was not scanned is *undeclared*: what
it holds is unknown, so obligations that depend on the data stay conditional.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from guardrail.classify import FieldInput, builtin_rules, classify_dataset, entity_rule
from guardrail.model.classification import FieldClassification, RegimeLabels
from guardrail.model.incident import ExposedData, Incident
from guardrail.model.inventory import InventoryField
from guardrail.model.stack import Dataset, Datastore, Protection, Stack
from guardrail.playbook.law import ca_element

__all__ = ["IncidentData", "affected_datasets", "incident_data", "reference_problems"]

Protected = str  # one of ExposedData.protection's literals


@dataclass(frozen=True)
class IncidentData:
    """The data side of an incident, resolved against the manifest."""

    datasets: tuple[tuple[Datastore, Dataset], ...]
    data: tuple[ExposedData, ...]
    # Affected datasets whose content is unknown (no declared fields, no inventory).
    undeclared: tuple[str, ...]
    # Regions where affected data is processed (datastores, systems, the vendor).
    processing_regions: tuple[str, ...]
    minors_declared: bool
    complete: bool = field(default=True)


def reference_problems(incident: Incident, stack: Stack) -> list[tuple[tuple[str | int, ...], str]]:
    """Names in the incident that the manifest does not know, as ``(location, message)``."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    systems = {s.id for s in stack.systems}
    stores = {d.id for d in stack.datastores}
    datasets = {f"{d.id}.{ds.name}" for d in stack.datastores for ds in d.datasets}
    for i, sid in enumerate(incident.affected.systems):
        if sid not in systems:
            out.append((("affected", "systems", i), f"unknown system '{sid}'"))
    for i, did in enumerate(incident.affected.datastores):
        if did not in stores:
            out.append((("affected", "datastores", i), f"unknown datastore '{did}'"))
    for i, key in enumerate(incident.affected.datasets):
        if key not in datasets:
            out.append(
                (
                    ("affected", "datasets", i),
                    f"unknown dataset '{key}' (write it as <datastore id>.<dataset name>)",
                )
            )
    if incident.vendor is not None and incident.vendor not in {p.id for p in stack.processors}:
        out.append((("vendor",), f"unknown processor '{incident.vendor}'"))
    return out


def affected_datasets(incident: Incident, stack: Stack) -> list[tuple[Datastore, Dataset]]:
    """Datasets named directly, or through their datastore or system, in manifest order."""
    named = set(incident.affected.datasets)
    stores = set(incident.affected.datastores)
    systems = set(incident.affected.systems)
    out = []
    for d in stack.datastores:
        for ds in d.datasets:
            if (
                f"{d.id}.{ds.name}" in named
                or d.id in stores
                or (d.system is not None and d.system in systems)
            ):
                out.append((d, ds))
    return out


def _rule_for(
    entity: str | None, categories: Iterable[str]
) -> tuple[str | None, str, RegimeLabels]:
    """(entity, category, labels) from the classification rules: the entity's rule, else the
    closest category rule of the taxonomy (``user.contact.address.city`` → its ancestors)."""
    if entity is not None:
        rule = entity_rule(entity)
        return entity, rule.category, rule.labels if rule.personal else RegimeLabels()
    cats = tuple(categories)
    for cat in cats:
        crule = builtin_rules().category(cat)
        if crule is not None:
            return None, cat, crule.labels if crule.personal else RegimeLabels()
    return None, cats[0] if cats else "user", RegimeLabels()


@lru_cache(maxsize=512)
def _classified(datastore: str, ds: Dataset) -> dict[str, FieldClassification]:
    """The dataset classified as a whole, so combination rules apply (a card number with its
    security code, a street address with a name ...). Cached: datasets are frozen values."""
    fields = [FieldInput(name=f.name, declared=f) for f in ds.fields if f.entity or f.categories]
    return {fc.field: fc for fc in classify_dataset(datastore, ds.name, fields).fields}


def _protection(p: Protection, whole_copy_encrypted: bool | None) -> Protected:
    if p.field_encrypted:
        return "encrypted"
    if p.tokenized:
        return "tokenized"
    if whole_copy_encrypted:
        return "encrypted"
    if p.pseudonymized:
        return "pseudonymized"
    if p.hashed:
        return "hashed"
    return "plaintext"


def _unintelligible(protection: Protected, incident: Incident) -> bool | None:
    """Whether the party that got the data cannot read it.

    Encryption and tokenisation count while the key (or token vault) stayed safe (GDPR Art.
    34(3)(a); Cal. Civ. Code §1798.82(a)). Pseudonymised or hashed values do not: they remain
    personal data and short identifiers (phones, ID numbers) are easily re-identified.
    A whole-copy encryption whose status is unknown makes plaintext data unknown too.
    """
    if protection in ("encrypted", "tokenized"):
        key = incident.encryption.key_exposed
        return None if key is None else not key
    if incident.encryption.encrypted is None:
        return None
    return False


@dataclass
class _Row:
    entity: str | None
    category: str
    protection: Protected
    source: str
    datasets: list[str] = field(default_factory=list)
    pipl: bool = False
    gdpr: bool = False
    ccpa: bool = False


def incident_data(
    incident: Incident, stack: Stack, inventory: Sequence[InventoryField] = ()
) -> IncidentData:
    pairs = affected_datasets(incident, stack)
    rows: dict[tuple[str | None, str, str], _Row] = {}
    undeclared: list[str] = []
    whole = incident.encryption.encrypted

    def add(
        entity: str | None,
        categories: Iterable[str],
        protection: Protection,
        dataset: str | None,
        source: str,
        labels: RegimeLabels | None = None,
    ) -> None:
        ent, category, rule_labels = _rule_for(entity, categories)
        if labels is None:
            labels = rule_labels
        prot = _protection(protection, whole)
        row = rows.setdefault((ent, category, prot), _Row(ent, category, prot, source))
        if dataset is not None and dataset not in row.datasets:
            row.datasets.append(dataset)
        row.pipl = row.pipl or labels.pipl.sensitive
        row.gdpr = row.gdpr or labels.gdpr.category != "personal"
        row.ccpa = row.ccpa or labels.ccpa.sensitive

    by_dataset: dict[str, list[InventoryField]] = {}
    for inv in inventory:
        by_dataset.setdefault(f"{inv.datastore}.{inv.dataset}", []).append(inv)
    for store, ds in pairs:
        key = f"{store.id}.{ds.name}"
        personal = [f for f in ds.fields if f.entity or f.categories]
        if personal:
            by_name = _classified(store.id, ds)
            for f in personal:
                fc = by_name.get(f.name)
                if fc is not None and not fc.personal:
                    continue
                entity = f.entity or (fc.entities[0] if fc is not None and fc.entities else None)
                labels = fc.labels if fc is not None else None
                add(entity, f.categories, f.protection, key, "declared", labels)
        detected = by_dataset.get(key, [])
        declared_names = {f.name for f in personal}
        for inv in detected:
            if inv.field in declared_names and inv.source != "detected":
                continue
            for ent in inv.entities or (None,):
                add(ent, inv.categories, inv.protection, key, "detected", inv.labels)
        if not personal and not detected:
            undeclared.append(key)
    for ent in incident.data.entities:
        add(ent, (), Protection(), None, "incident")
    for cat in incident.data.categories:
        add(None, (cat,), Protection(), None, "incident")

    data = tuple(
        ExposedData.model_validate(
            {
                "entity": r.entity,
                "category": r.category,
                "datasets": tuple(r.datasets),
                "source": r.source,
                "pipl_sensitive": r.pipl,
                "gdpr_special": r.gdpr,
                "ccpa_sensitive": r.ccpa,
                "ca_element": ca_element(r.entity),
                "protection": r.protection,
                "unintelligible": _unintelligible(r.protection, incident),
            }
        )
        for r in rows.values()
    )
    regions: list[str] = []
    systems = {s.id: s for s in stack.systems}
    for store, _ds in pairs:
        regions.append(store.region)
        if store.system is not None and store.system in systems:
            regions.append(systems[store.system].region)
    for sid in incident.affected.systems:
        if sid in systems:
            regions.append(systems[sid].region)
    for d in stack.datastores:
        if d.id in incident.affected.datastores:
            regions.append(d.region)
    for p in stack.processors:
        if p.id == incident.vendor:
            regions.append(p.region)
    complete = incident.data.complete and not undeclared and bool(data)
    return IncidentData(
        datasets=tuple(pairs),
        data=data,
        undeclared=tuple(undeclared),
        processing_regions=tuple(dict.fromkeys(regions)),
        minors_declared=any(ds.contains_minors for _s, ds in pairs),
        complete=complete,
    )
