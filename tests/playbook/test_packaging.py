"""The wheel ships the playbook templates and declares the iCalendar dependency."""

from __future__ import annotations

import zipfile
from pathlib import Path


def test_wheel_ships_the_playbook_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = z.read(meta).decode()
    assert {
        f"guardrail/_data/templates/playbook/{name}"
        for name in (
            "steps.yaml",
            "notices.yaml",
            "labels.yaml",
            "playbook.md.j2",
            "playbook.html.j2",
        )
    } <= names
    assert {
        "guardrail/playbook/__init__.py",
        "guardrail/model/incident.py",
        "guardrail/cli/playbook.py",
    } <= names
    assert "Requires-Dist: icalendar" in requires
