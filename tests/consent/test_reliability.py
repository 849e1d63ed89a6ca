"""Reliability: concurrent writer processes lose nothing; a writer killed mid-batch leaves a
verifiable store. Run on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import REPO
from tests.consent.conftest import CATALOG_PATH, KEY

from guardrail.consent import ConsentRegistry

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from guardrail.consent import ConsentRegistry
    from guardrail.crypto import Keyring
    from guardrail.model.consent import ConsentRequest

    url, name, n, batch, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    at = datetime(2026, 6, 1, tzinfo=UTC)
    reg = ConsentRegistry(url, keyring=Keyring.from_material(bytes.fromhex(key), key_id="0c0a0f0e"),
                          clock=lambda: at)
    print("ready", flush=True)
    if batch == 1:
        for i in range(n):
            reg.record(f"{name}-{i}", "analytics", at=at)
    else:
        def requests():
            i = 0
            while n == 0 or i < n:
                yield ConsentRequest(subject=f"{name}-{i}", purpose="analytics", occurred_at=at)
                i += 1
        reg.record_many(requests(), batch=batch,
                        progress=lambda done: print(f"committed {done}", flush=True))
    reg.close()
    """
)


def _spawn(url: str, name: str, n: int, batch: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, name, str(n), str(batch), KEY.hex()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _four_writers(reg: ConsentRegistry, url: str) -> None:
    per = 150
    procs = [_spawn(url, f"w{k}", per, 1 if k % 2 else 25) for k in range(4)]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    report = reg.verify()
    assert report.ok, report.problems
    assert report.events == 4 * per
    for k in range(4):
        assert reg.status(f"w{k}-{per - 1}", "analytics").valid
        assert len(reg.history(f"w{k}-0")) == 1


def _killed_mid_batch(reg: ConsentRegistry, url: str) -> None:
    batch = 400
    proc = _spawn(url, "victim", 0, batch)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    for _ in range(3):  # let a few batches commit, then kill while the next one is being written
        line = proc.stdout.readline()
        assert line.startswith("committed"), proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    report = reg.verify()
    assert report.ok, report.problems
    assert report.events >= 3 * batch and report.events % batch == 0  # whole batches only
    # and the registry keeps working after the crash
    reg.record("after-crash", "analytics")
    assert reg.verify().ok


def test_four_processes_sqlite(registry: ConsentRegistry) -> None:
    _four_writers(registry, f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}")


def test_sigkill_mid_batch_sqlite(registry: ConsentRegistry) -> None:
    _killed_mid_batch(registry, f"sqlite:///{registry.store.display.removeprefix('sqlite:///')}")


@pytest.mark.integration
def test_four_processes_postgresql(
    pg_database: str, make_registry: Callable[..., ConsentRegistry]
) -> None:
    _four_writers(make_registry(pg_database), pg_database)


@pytest.mark.integration
def test_sigkill_mid_batch_postgresql(
    pg_database: str, make_registry: Callable[..., ConsentRegistry]
) -> None:
    _killed_mid_batch(make_registry(pg_database), pg_database)


def test_catalog_path_is_shared() -> None:
    assert Path(CATALOG_PATH).is_file()
