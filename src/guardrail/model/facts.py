"""Facts collected for an audit: what was measured in the stack's datastores and files.

Collectors produce these; controls read them. Like every model they hold counts and masked
previews only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field

from guardrail.model._base import ValueObject
from guardrail.model.classification import AgeProfile, DatasetClassification
from guardrail.model.consent import ConsentFacts
from guardrail.model.data import TableInfo
from guardrail.model.detection import ColumnReport, EntityCount
from guardrail.model.privacy import Release
from guardrail.model.stack import Stack

__all__ = [
    "ColumnAges",
    "DatastoreFacts",
    "EntityLines",
    "Facts",
    "FileFacts",
    "RetentionProbe",
    "TableFacts",
]


class RetentionProbe(ValueObject):
    """How many rows of a dataset are older than its retention period allows."""

    field: str
    cutoff: datetime
    rows_past_retention: Annotated[int, Field(ge=0)]


class ColumnAges(ValueObject):
    """Age profile of one column's sampled dates of birth (or IDs that embed one)."""

    column: str
    ages: AgeProfile


class TableFacts(ValueObject):
    table: TableInfo
    columns: tuple[ColumnReport, ...] = ()
    retention: RetentionProbe | None = None
    ages: tuple[ColumnAges, ...] = ()

    @property
    def personal_columns(self) -> tuple[ColumnReport, ...]:
        return tuple(c for c in self.columns if c.entities)


class EntityLines(ValueObject):
    entity: str
    first_lines: tuple[int, ...]


class FileFacts(ValueObject):
    path: str
    lines: Annotated[int, Field(ge=0)]
    counts: tuple[EntityCount, ...] = ()
    first_lines: tuple[EntityLines, ...] = ()
    masked_samples: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)


class DatastoreFacts(ValueObject):
    datastore: str
    tables: tuple[TableFacts, ...] = ()
    files: tuple[FileFacts, ...] = ()
    scanned: bool = True


class Facts(ValueObject):
    """Everything the controls may look at: the manifest plus measurements."""

    stack: Stack
    at: AwareDatetime
    datastores: tuple[DatastoreFacts, ...] = ()
    # Every dataset's fields under each law: scanned tables (detected + declared) and
    # datasets known only from the manifest (declared).
    classifications: tuple[DatasetClassification, ...] = ()
    # What the consent registry says (None: no registry declared or it could not be read).
    consent: ConsentFacts | None = None
    # Differentially private releases cited by anonymised flows, read from the DP ledger.
    dp_releases: tuple[Release, ...] = ()
    failed_collectors: tuple[str, ...] = ()

    def datastore(self, id: str) -> DatastoreFacts | None:
        return next((d for d in self.datastores if d.datastore == id), None)

    def classification(self, datastore: str, dataset: str) -> DatasetClassification | None:
        return next(
            (c for c in self.classifications if c.datastore == datastore and c.dataset == dataset),
            None,
        )
