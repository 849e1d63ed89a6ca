"""Query specs: valid ones load, invalid ones name the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.errors import ManifestError
from guardrail.model.privacy import QuantilesAggregate, QuerySpec
from guardrail.privacy import load_spec

GOOD = """\
schema_version: 1
dataset: shop
table: orders
user_column: customer_id
privacy_unit: customer
group_by: [province]
partitions:
  public: [广东省, 浙江省]
epsilon: 1.0
delta: 1.0e-6
bounds:
  max_partitions: 3
  max_rows_per_partition: 10
  clamp: {amount: [0, 500]}
budget: {epsilon: 3, delta: 1.0e-5}
aggregates:
  - {name: orders, kind: count}
  - {name: revenue, kind: sum, column: amount}
  - {name: basket, kind: mean, column: amount, per_user: mean}
  - {name: amount_q, kind: quantiles, column: amount, q: [0.9, 0.5]}
  - {name: amount_h, kind: histogram, column: amount, edges: [0, 50, 100, 500]}
  - {name: buyers, kind: distinct_users, weight: 2}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "query.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_complete_spec_loads(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, GOOD))
    assert isinstance(spec, QuerySpec)
    assert spec.unit == "customer" and spec.release_delta == 1e-6
    assert spec.partitions is not None and spec.partitions.public == ("广东省", "浙江省")
    q = spec.aggregates[3]
    assert isinstance(q, QuantilesAggregate) and q.q == (0.5, 0.9)
    assert spec.bounds.clamp == {"amount": (0.0, 500.0)}


def test_defaults() -> None:
    spec = QuerySpec.model_validate(
        {
            "dataset": "d",
            "user_column": "user id",
            "epsilon": 1,
            "aggregates": [{"name": "c", "kind": "count"}],
        }
    )
    assert spec.unit == "user_id" and spec.release_delta == 1e-6 and spec.mechanism == "gaussian"
    lap = spec.model_copy(update={"mechanism": "laplace"})
    assert lap.release_delta == 0.0


@pytest.mark.parametrize(
    ("edit", "line", "fragment"),
    [
        (("user_column: customer_id", "user_colum: customer_id"), 4, "did you mean 'user_column'"),
        (("epsilon: 1.0\n", "epsilon: -1\n"), 9, "epsilon"),
        (("delta: 1.0e-6", "delta: 2"), 10, "delta"),
        (
            ("  public: [广东省, 浙江省]", "  public: [广东省, 浙江省]\n  private: {}"),
            7,
            "either public",
        ),
        (("kind: count}", "kind: median}"), 17, "aggregates.0"),
        (("q: [0.9, 0.5]", "q: [0.9, 1.5]"), 20, "aggregates.3.quantiles.q.1"),
        (("edges: [0, 50, 100, 500]", "edges: [0, 100, 50]"), 21, "strictly increasing"),
        (("clamp: {amount: [0, 500]}", "clamp: {amount: [500, 0]}"), 14, "lower < upper"),
        (("{name: revenue, kind: sum", "{name: orders, kind: sum"), 1, "unique"),
        (("max_partitions: 3", "max_partitions: 0"), 12, "max_partitions"),
    ],
)
def test_invalid_specs_point_at_the_line(
    tmp_path: Path, edit: tuple[str, str], line: int, fragment: str
) -> None:
    assert edit[0] in GOOD
    path = _write(tmp_path, GOOD.replace(edit[0], edit[1], 1))
    with pytest.raises(ManifestError) as info:
        load_spec(path)
    err = info.value
    assert err.file == str(path)
    assert fragment in err.message
    assert err.line == line
    assert "guardrail dp schema query" in (err.hint or "")


def test_group_by_needs_a_partition_choice(tmp_path: Path) -> None:
    text = GOOD.replace("partitions:\n  public: [广东省, 浙江省]\n", "")
    with pytest.raises(ManifestError, match="group_by needs partitions"):
        load_spec(_write(tmp_path, text))


def test_public_keys_match_the_group_by(tmp_path: Path) -> None:
    text = GOOD.replace("group_by: [province]", "group_by: [province, city]")
    with pytest.raises(ManifestError, match="2 value"):
        load_spec(_write(tmp_path, text))


def test_laplace_with_public_partitions_is_pure(tmp_path: Path) -> None:
    text = GOOD.replace("delta: 1.0e-6", "delta: 1.0e-6\nmechanism: laplace")
    with pytest.raises(ManifestError, match="pure"):
        load_spec(_write(tmp_path, text))
    ok = load_spec(_write(tmp_path, GOOD.replace("delta: 1.0e-6", "mechanism: laplace")))
    assert ok.release_delta == 0.0


def test_malformed_yaml_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="invalid YAML") as info:
        load_spec(_write(tmp_path, "dataset: [shop\n"))
    assert info.value.line is not None
    with pytest.raises(ManifestError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(ManifestError, match="duplicate key 'epsilon'"):
        load_spec(_write(tmp_path, GOOD + "epsilon: 2\n"))
