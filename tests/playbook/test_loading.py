"""Reading incident files and audit reports: bad input names the file, the line and the fix,
never the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guardrail.errors import InputError, ManifestError
from guardrail.model.incident import IncidentType
from guardrail.playbook import load_incident, load_inventory
from guardrail.testing import Canaries
from tests.playbook.conftest import LEAK

GOOD = """\
id: INC-1
type: leak
discovered_at: 2026-06-12T02:40:00+08:00
affected:
  datasets: [shop_db.customers]
persons:
  by_region: {CN: 10}
"""


def test_example_incidents_load(stack: Any) -> None:
    inc = load_incident(LEAK, stack)
    assert inc.type is IncidentType.EXFILTRATION and inc.persons.counted_total == 1_200_000
    for path in sorted(LEAK.parent.glob("*.yaml")):
        load_incident(path, stack)


def test_aliases_and_defaults(stack: Any, tmp_path: Path) -> None:
    (tmp_path / "i.yaml").write_text(GOOD)
    inc = load_incident(tmp_path / "i.yaml", stack)
    assert inc.type is IncidentType.EXFILTRATION  # "leak" is an alias
    assert inc.awareness == inc.discovered_at


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            GOOD.replace("[shop_db.customers]", "[shop_db.clients]"),
            "i.yaml:5",
            "unknown dataset 'shop_db.clients'",
        ),
        (GOOD.replace("type: leak", "type: flood"), "i.yaml:2", "type"),
        (GOOD.replace("+08:00", ""), "i.yaml:3", "discovered_at"),
        (GOOD + "colour: red\n", "i.yaml:8", "unknown key"),
        (GOOD + "aware_at: 2026-06-11T00:00:00Z\n", "i.yaml", "aware_at is before discovered_at"),
        (GOOD.replace("{CN: 10}", "{China: 10}"), "i.yaml:7", "persons.by_region"),
        (GOOD + "sent: {gdpr: 2026-06-13T00:00:00Z}\n", "i.yaml", "unknown obligation 'gdpr'"),
        (GOOD + "role: processor\n", "i.yaml", "names the controller"),
        ("id: [x\n", "i.yaml:2", "invalid YAML"),
        ("- just\n- a list\n", "i.yaml:1", "an incident file is a mapping"),
        ("", "i.yaml", "the file is empty"),
    ],
    ids=[
        "unknown-dataset",
        "unknown-type",
        "naive-time",
        "unknown-key",
        "aware-before-discovery",
        "bad-region",
        "unknown-sent-obligation",
        "processor-without-controller",
        "bad-yaml",
        "not-a-mapping",
        "empty",
    ],
)
def test_bad_incidents(stack: Any, tmp_path: Path, text: str, where: str, message: str) -> None:
    (tmp_path / "i.yaml").write_text(text)
    with pytest.raises(ManifestError) as info:
        load_incident(tmp_path / "i.yaml", stack, display="i.yaml")
    assert str(info.value).startswith(where), str(info.value)
    assert message in str(info.value)
    assert info.value.hint


def test_errors_never_repeat_values(stack: Any, tmp_path: Path) -> None:
    c = Canaries(seed=11)
    phone, card = c.cn_mobile(), c.card()
    (tmp_path / "i.yaml").write_text(
        GOOD.replace("{CN: 10}", f"{{CN: '{phone}x'}}") + f"records: '{card}'\n"
    )
    with pytest.raises(ManifestError) as info:
        load_incident(tmp_path / "i.yaml", stack)
    c.assert_absent(str(info.value), repr(info.value), names=["message", "repr"])


def test_missing_file_and_folder(stack: Any, tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="file not found"):
        load_incident(tmp_path / "missing.yaml", stack)
    with pytest.raises(ManifestError, match="is a folder"):
        load_incident(tmp_path, stack)


def test_inventory_from_a_report(tmp_path: Path) -> None:
    from guardrail.model.audit import AuditResult

    report = AuditResult.model_validate(
        {
            "guardrail_version": "0",
            "organization": "x",
            "stack": "stack.yaml",
            "started": "2026-01-01T00:00:00Z",
            "finished": "2026-01-01T00:00:01Z",
            "at": "2026-01-01T00:00:00Z",
            "frameworks": [],
            "applicability": [],
            "controls": [],
            "results": [],
            "findings": [],
            "scorecards": [],
            "inventory": [
                {
                    "datastore": "shop_db",
                    "dataset": "support_tickets",
                    "field": "body",
                    "entities": ["CN_RESIDENT_ID"],
                    "source": "detected",
                }
            ],
        }
    )
    (tmp_path / "report.json").write_text(report.model_dump_json())
    (field,) = load_inventory(tmp_path / "report.json")
    assert field.entities == ("CN_RESIDENT_ID",)
    (tmp_path / "bad.json").write_text('{"guardrail_version": 1}')
    with pytest.raises(InputError, match="not a guardrail audit report"):
        load_inventory(tmp_path / "bad.json")
    with pytest.raises(InputError, match="file not found"):
        load_inventory(tmp_path / "none.json")


def test_inventory_fills_an_undeclared_dataset(stack: Any) -> None:
    from guardrail.model.inventory import InventoryField
    from tests.playbook.conftest import incident, playbook

    inc = incident(affected={"datasets": ["shop_db.support_tickets"]})
    before = playbook(stack, inc)
    assert before.obligation("ca-residents").status.value == "conditional"
    field = InventoryField(
        datastore="shop_db",
        dataset="support_tickets",
        field="body",
        entities=("PERSON", "CN_RESIDENT_ID"),
        source="detected",
    )
    after = playbook(stack, inc, inventory=(field,))
    assert after.obligation("ca-residents").status.value == "required"
    assert {(d.entity, d.source) for d in after.assessment.data} == {
        ("PERSON", "detected"),
        ("CN_RESIDENT_ID", "detected"),
    }
