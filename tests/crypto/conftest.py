"""Fixtures of the crypto tests: fixed keyrings and times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guardrail.crypto import Keyring

AT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_material(bytes(range(32)), key_id="0a0b0c0d", at=AT)


@pytest.fixture
def rotated(keyring: Keyring) -> Keyring:
    return keyring.rotate(at=AT)
