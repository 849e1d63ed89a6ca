"""Fixtures for the detection tests: one scanner per entity set, span helpers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guardrail.detect import Scanner, load_catalog

Spans = set[tuple[str, str]]


@pytest.fixture(scope="session")
def every_entity() -> Scanner:
    """A scanner for every catalog entity (DATE_TIME included), plugins off."""
    return Scanner(entities=load_catalog().entity_names, plugins=False, ner=None)


@pytest.fixture(scope="session")
def default() -> Scanner:
    """The default entity set, plugins and NER off (what a fresh install reports)."""
    return Scanner(plugins=False, ner=None)


@pytest.fixture(scope="session")
def spans(every_entity: Scanner) -> Callable[[str], Spans]:
    """``{(entity, matched text)}`` for a text, every entity enabled."""

    def run(text: str) -> Spans:
        return {(d.entity, text[d.start : d.end]) for d in every_entity.scan(text)}

    return run
