"""Shared fixtures: paths, the generated example shop, real database servers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) draws the same examples on every run, so a merge
# gate never turns on a newly drawn example; local runs keep exploring new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
EXAMPLE = REPO / "examples" / "shop"
AT = "2026-11-22T00:00:00Z"  # fixed audit time for reproducible assertions


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("shop_generate", EXAMPLE / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared data folder is missing: {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def shop_generator():  # type: ignore[no-untyped-def]
    return _load_generator()


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory: pytest.TempPathFactory, shop_generator) -> Path:  # type: ignore[no-untyped-def]
    """The example shop generated once per session (manifest + data + logs)."""
    root = tmp_path_factory.mktemp("shop") / "shop"
    shutil.copytree(
        EXAMPLE,
        root,
        ignore=shutil.ignore_patterns("data", "logs", "playbooks", "__pycache__", "guardrail-out"),
    )
    shop_generator.generate(root)
    shop_generator.generate_consent(root)
    shop_generator.generate_playbooks(root)
    return root


@pytest.fixture
def shop(tmp_path: Path, shop_template: Path) -> Path:
    """A private copy of the generated shop that a test may modify."""
    dest = tmp_path / "shop"
    shutil.copytree(shop_template, dest)
    return dest


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per session (without build isolation)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = out.glob("guardrail-*.whl")
    return whl


# -- real servers --------------------------------------------------------------------------

PG_URL = os.environ.get("GUARDRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("GUARDRAIL_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("GUARDRAIL_TEST_REDIS", "redis://127.0.0.1:6379/15")
REQUIRE = os.environ.get("GUARDRAIL_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, exc: BaseException) -> None:
    msg = f"{what} is not reachable ({type(exc).__name__})"
    if REQUIRE:
        pytest.fail(msg + "; GUARDRAIL_REQUIRE_SERVICES=1 makes this an error")
    pytest.skip(msg)


def _scratch_database(
    what: str, admin_url: str, create: str, drop: str, *, autocommit: bool = False
) -> Iterator[str]:
    """A fresh database on the real server at ``admin_url``, dropped afterwards: its URL.
    ``create`` and ``drop`` are the statements, with ``{name}`` for the database's name."""
    import sqlalchemy as sa

    name = f"gr_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = sa.create_engine(
            admin_url, **({"isolation_level": "AUTOCOMMIT"} if autocommit else {})
        )
        with admin.begin() as c:
            c.execute(sa.text(create.format(name=name)))
    except Exception as exc:  # noqa: BLE001
        _unavailable(what, exc)
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.begin() as c:
            c.execute(sa.text(drop.format(name=name)))
        admin.dispose()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the real server; dropped afterwards."""
    yield from _scratch_database(
        "PostgreSQL",
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        'CREATE DATABASE "{name}"',
        'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        autocommit=True,
    )


@pytest.fixture
def mysql_database() -> Iterator[str]:
    """A fresh MariaDB/MySQL database on the real server; dropped afterwards."""
    yield from _scratch_database(
        "MariaDB",
        MYSQL_URL,
        "CREATE DATABASE `{name}` DEFAULT CHARACTER SET utf8mb4",
        "DROP DATABASE IF EXISTS `{name}`",
    )
