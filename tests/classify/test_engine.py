from __future__ import annotations

from guardrail.classify import FieldInput, classify_dataset
from guardrail.model.detection import ColumnEntity
from guardrail.model.stack import FieldDeclaration


def _det(*entities: str, conf: float = 0.9) -> tuple[ColumnEntity, ...]:
    return tuple(ColumnEntity(entity=e, hit_ratio=0.5, confidence=conf) for e in entities)


def test_sources_and_merging() -> None:
    result = classify_dataset(
        "db",
        "t",
        [
            FieldInput("notes", detected=_det("PHONE_NUMBER", "CN_RESIDENT_ID", "CREDIT_CARD")),
            FieldInput(
                "email",
                detected=_det("EMAIL_ADDRESS"),
                declared=FieldDeclaration(name="email", categories=("user.contact.email",)),
            ),
            FieldInput(
                "tier",
                declared=FieldDeclaration(name="tier", categories=("user.account.settings",)),
            ),
            FieldInput("sku"),
        ],
    )
    by = {f.field: f for f in result.fields}
    assert set(by) == {"notes", "email", "tier"}
    assert (by["notes"].source, by["email"].source, by["tier"].source) == (
        "detected",
        "both",
        "declared",
    )
    notes = by["notes"].labels
    assert set(notes.pipl.kinds) == {"specific_identity", "financial_account"}
    assert notes.ccpa.clauses == ("(ae)(1)(A)",)
    assert by["notes"].sensitivity.value == "restricted"
    assert {str(r) for r in notes.refs} >= {"PIPL Art. 28", "GDPR Art. 4(1)"}


def test_non_personal_entities_carry_no_labels() -> None:
    result = classify_dataset("db", "t", [FieldInput("uscc", detected=_det("CN_USCC"))])
    (f,) = result.fields
    assert not f.personal and not f.labels.sensitive_anywhere


def test_declared_entity_counts() -> None:
    result = classify_dataset(
        "db",
        "t",
        [FieldInput("id_enc", declared=FieldDeclaration(name="id_enc", entity="CN_RESIDENT_ID"))],
    )
    (f,) = result.fields
    assert f.entities == ("CN_RESIDENT_ID",) and f.labels.pipl.sensitive
