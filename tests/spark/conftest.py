"""Fixtures for the Spark tests: one local[2] session per test process, small seeded data.

The session starts once (a JVM takes 10-30 s on a busy machine) and is shared by every test
of the process; tests use small data so the whole folder runs in a couple of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import SHARED

pytest.importorskip("pyspark")

CUSTOMERS = SHARED / "datasets" / "pii-eval" / "customers_100000.parquet"


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local[2] session (guardrail's own start-up: quiet JVM, this interpreter's workers)."""
    from guardrail.spark import get_session

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = get_session(
        "local[2]",
        conf={
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.driver.memory": "1g",
            "spark.sql.session.timeZone": "UTC",
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def customers_path(shared: Path) -> Path:
    return CUSTOMERS


@pytest.fixture(scope="session")
def customers(spark: Any, customers_path: Path) -> Any:
    """The pii-eval table (100,000 rows x 8 string columns) as a Spark DataFrame."""
    return spark.read.parquet(str(customers_path))


@pytest.fixture(scope="session")
def customers_arrow(customers_path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(customers_path)
