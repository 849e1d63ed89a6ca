"""CACAO 2.0 export: valid under the official schemas (draft-07, as declared) and sound under
the graph checks; the checks catch what the schemas let through."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from guardrail.model.incident import IncidentType
from guardrail.playbook import check_cacao, render_cacao, scenario_incident, to_cacao
from guardrail.playbook.cacao import clock_refs
from tests.playbook.conftest import AT, incident, playbook


@pytest.fixture(scope="module")
def leak_doc(stack: Any) -> dict[str, Any]:
    return to_cacao(playbook(stack, incident()), lang="en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_example_leak_validates(stack: Any, cacao_validator: Any, lang: str) -> None:
    doc = to_cacao(playbook(stack, incident()), lang=lang)
    assert cacao_validator(doc) == []
    assert check_cacao(doc) == []


@pytest.mark.parametrize("kind", list(IncidentType))
def test_library_scenarios_validate(stack: Any, cacao_validator: Any, kind: IncidentType) -> None:
    pb = playbook(stack, scenario_incident(stack, kind, AT), scenario=True)
    doc = to_cacao(pb)
    assert cacao_validator(doc) == []
    assert check_cacao(doc) == []


def test_clocks_are_encoded_as_timeouts_and_labels(leak_doc: dict[str, Any]) -> None:
    hour, day = 3_600_000, 86_400_000
    assert clock_refs(leak_doc) == {
        "irm-report": ("PT4H", 4 * hour),
        "pipl-authority": ("immediately", None),
        "pipl-individuals": ("immediately", None),
        "police-report": ("promptly", None),
        "irm-summary": ("P30D", 30 * day),
        "gdpr-authority": ("PT72H", 72 * hour),
        "gdpr-subjects": ("without_undue_delay", None),
        "breach-register": ("promptly", None),
        "ca-residents": ("P30D", 30 * day),
        "ca-attorney-general": ("P15D", 15 * day),
    }
    assert {label for label in leak_doc["labels"] if label.startswith("clock:")} == {
        "clock:irm-report:PT4H",
        "clock:pipl-authority:immediately",
        "clock:pipl-individuals:immediately",
        "clock:police-report:promptly",
        "clock:irm-summary:P30D",
        "clock:gdpr-authority:PT72H",
        "clock:gdpr-subjects:without_undue_delay",
        "clock:breach-register:promptly",
        "clock:ca-residents:P30D",
        "clock:ca-attorney-general:P15D",
    }


def test_structure(leak_doc: dict[str, Any]) -> None:
    wf = leak_doc["workflow"]
    kinds = sorted({k.split("--")[0] for k in wf})
    assert kinds == ["action", "end", "parallel", "start"]
    (par,) = [n for n in wf.values() if n["type"] == "parallel"]
    assert len(par["next_steps"]) == 3  # PRC, EU, California branches
    assert leak_doc["created"] == "2026-06-11T19:00:00.000Z"
    assert leak_doc["markings"] and leak_doc["severity"] == 80
    # Every action names a defined agent; notifications name their recipient as target.
    targets = {t["name"] for t in leak_doc["target_definitions"].values()}
    assert (
        "Der Hamburgische Beauftragte für Datenschutz und Informationsfreiheit (lead supervisory authority)"
        in targets
    )


def test_conditions_become_if_steps_with_variables(stack: Any, cacao_validator: Any) -> None:
    pb = playbook(stack, incident(persons={"by_region": {"CN": None, "US-CA": None}}))
    doc = to_cacao(pb)
    conditions = sorted(
        n["condition"] for n in doc["workflow"].values() if n["type"] == "if-condition"
    )
    assert conditions == [
        "__affected_persons__:value >= 1000000",
        "__affected_persons__:value >= 1000000",
        "__ca_residents__:value > 500",
    ]
    assert set(doc["playbook_variables"]) == {"__affected_persons__", "__ca_residents__"}
    assert doc["playbook_processing_summary"]["if_logic"] is True
    assert cacao_validator(doc) == [] and check_cacao(doc) == []


def test_regeneration_is_byte_identical(stack: Any) -> None:
    a = render_cacao(playbook(stack, incident()))
    b = render_cacao(playbook(stack, incident()))
    assert a == b
    assert json.loads(a)["id"].startswith("playbook--")


def _first(doc: dict[str, Any], kind: str) -> str:
    return next(k for k, n in doc["workflow"].items() if n["type"] == kind)


def _mutations() -> list[tuple[str, Any, bool, str]]:
    """(name, mutation, schema rejects it, graph-check message fragment)."""

    def dangling(d: dict[str, Any]) -> None:
        d["workflow"][_first(d, "start")]["on_completion"] = (
            "action--00000000-0000-4000-8000-000000000000"
        )

    def shared_end(d: dict[str, Any]) -> None:
        par = d["workflow"][_first(d, "parallel")]
        ends = []
        for head in par["next_steps"]:
            key = head
            while d["workflow"][key]["type"] != "end":
                key = d["workflow"][key]["on_completion"]
            ends.append(key)
        last = par["next_steps"][1]
        while d["workflow"][d["workflow"][last]["on_completion"]]["type"] != "end":
            last = d["workflow"][last]["on_completion"]
        d["workflow"][last]["on_completion"] = ends[0]

    def undefined_agent(d: dict[str, Any]) -> None:
        d["workflow"][_first(d, "action")]["agent"] = (
            "individual--00000000-0000-4000-8000-000000000000"
        )

    def unknown_key(d: dict[str, Any]) -> None:
        d["workflow"][_first(d, "action")]["deadline"] = "soon"

    def no_commands(d: dict[str, Any]) -> None:
        d["workflow"][_first(d, "action")]["commands"] = []

    def end_links(d: dict[str, Any]) -> None:
        d["workflow"][_first(d, "end")]["on_completion"] = _first(d, "start")

    def orphan(d: dict[str, Any]) -> None:
        d["workflow"]["end--00000000-0000-4000-8000-000000000001"] = {"type": "end"}

    def cycle(d: dict[str, Any]) -> None:
        a = _first(d, "action")
        d["workflow"][a]["on_completion"] = _first(d, "start")

    def activity(d: dict[str, Any]) -> None:
        d["playbook_activities"].append("scan-system")

    return [
        ("dangling link", dangling, False, "points to missing step"),
        ("shared end", shared_end, False, "end step shared by 2 branches"),
        ("undefined agent", undefined_agent, False, "is not in agent_definitions"),
        ("unknown key", unknown_key, False, "unknown property deadline"),
        ("no commands", no_commands, True, "action without commands"),
        ("end links onward", end_links, True, "an end step links onward"),
        ("orphan step", orphan, False, "not reachable from workflow_start"),
        ("cycle", cycle, False, "part of a cycle"),
        ("unused activity", activity, False, "no step performs it"),
    ]


@pytest.mark.parametrize(
    ("mutate", "schema_rejects", "message"),
    [m[1:] for m in _mutations()],
    ids=[m[0] for m in _mutations()],
)
def test_checks_catch_broken_documents(
    leak_doc: dict[str, Any], cacao_validator: Any, mutate: Any, schema_rejects: bool, message: str
) -> None:
    doc = copy.deepcopy(leak_doc)
    mutate(doc)
    assert bool(cacao_validator(doc)) is schema_rejects
    problems = check_cacao(doc)
    assert any(message in p for p in problems), problems
