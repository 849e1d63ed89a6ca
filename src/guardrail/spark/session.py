"""The Spark session guardrail runs on, and Spark's errors as guardrail errors.

:func:`get_session` returns the session already running in this process (``spark-submit``,
``pyspark``, a notebook) or starts one. A session guardrail starts itself is quiet: the JVM's
console output (log lines, stage progress bars, Python workers' stderr) goes to the file named
by ``GUARDRAIL_SPARK_LOG``, or nowhere — Spark's own messages can quote records, and the
command line prints one line per error, never a Java stack trace. With a local master the
Python workers run this interpreter (so they see the same guardrail), unless
``PYSPARK_PYTHON`` says otherwise.

:func:`spark_errors` turns what Spark raises into :class:`~guardrail.errors.ConnectorError`
(naming the source and Spark's error condition, never Spark's message text, which may quote
data) and re-raises guardrail errors that executors reported.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from guardrail.errors import ConnectorError, GuardrailError, UsageError

__all__ = [
    "DEFAULT_MASTER",
    "MASTER_ENV",
    "get_session",
    "is_local_master",
    "quiet_warnings",
    "spark_errors",
    "track_jobs",
]

#: Environment variable naming the master for sessions guardrail starts.
MASTER_ENV = "GUARDRAIL_SPARK_MASTER"
#: Environment variable naming a file for the JVM's console output (default: discarded).
LOG_ENV = "GUARDRAIL_SPARK_LOG"
DEFAULT_MASTER = "local[*]"

_LOCK = threading.Lock()
_LOCAL = re.compile(r"^local(\[[0-9*]+(,\s*[0-9]+)?\])?$|^local-cluster\[")


def is_local_master(master: str) -> bool:
    """``local``, ``local[N]``, ``local[*]``, ``local[N,F]`` or ``local-cluster[...]``."""
    return bool(_LOCAL.match(master.strip()))


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Silence PySpark's start-up and pandas-version warnings (they go to stderr)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\.|$)")
        warnings.filterwarnings("ignore", message=r".*PySpark does not yet fully support")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pyspark(\.|$)")
        yield


def _same_master(running: str, wanted: str) -> bool:
    return running.strip() == wanted.strip()


def get_session(master: str | None = None, *, conf: Mapping[str, str] | None = None) -> Any:
    """The running Spark session, or a new one.

    ``master``: the master URL for a new session (default: ``$GUARDRAIL_SPARK_MASTER``, else
    ``local[*]``). Asking for another master than the running session's is a
    :class:`~guardrail.errors.UsageError` (a process has one SparkContext). ``conf``: extra
    Spark settings for a new session (``spark.executor.memory`` ...).
    """
    with quiet_warnings(), _LOCK:
        try:
            from pyspark import SparkConf, SparkContext
            from pyspark.sql import SparkSession
        except ImportError:
            raise UsageError(
                "Spark support needs PySpark",
                hint="install it with: pip install 'guardrail[spark]'",
            ) from None
        running = SparkContext._active_spark_context
        if running is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
            # spark-submit, the pyspark shell or a notebook: use what it configured.
            session = SparkSession.builder.getOrCreate()
            actual = str(session.sparkContext.master)
            if master is not None and not _same_master(actual, master):
                raise UsageError(
                    f"this process already runs Spark with master '{actual}', not '{master}'",
                    hint="leave out --spark-master (or GUARDRAIL_SPARK_MASTER) under spark-submit",
                )
            return session
        chosen = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
        settings = SparkConf()
        settings.setMaster(chosen).setAppName("guardrail")
        settings.set("spark.ui.showConsoleProgress", "false")
        if is_local_master(chosen):
            settings.set("spark.ui.enabled", "false")
        for key, value in (conf or {}).items():
            settings.set(str(key), str(value))
        # A stopped context leaves its JVM running: a new session reuses it.
        gateway = SparkContext._gateway or _launch(settings)
        try:
            context = SparkContext(gateway=gateway, conf=settings)
        except Exception as exc:  # noqa: BLE001 - Py4J / Spark raise many types at start-up
            raise ConnectorError(
                f"Spark could not start with master '{chosen}' ({type(exc).__name__})",
                hint="check the master URL and that the cluster is reachable",
            ) from None
        if is_local_master(chosen) and "PYSPARK_PYTHON" not in os.environ:
            # Local workers run this interpreter: the venv that has guardrail installed.
            context.pythonExec = sys.executable
        return SparkSession(context)


def _launch(settings: Any) -> Any:
    from pyspark.java_gateway import launch_gateway

    log_path = os.environ.get(LOG_ENV)
    sink: IO[bytes] | int = subprocess.DEVNULL
    if log_path:
        sink = Path(log_path).open("ab")  # noqa: SIM115 - the JVM writes to it for its lifetime
    try:
        return launch_gateway(settings, popen_kwargs={"stdout": sink, "stderr": sink})  # type: ignore[no-untyped-call]
    except Exception as exc:  # noqa: BLE001 - no Java, a bad SPARK_HOME ...
        raise ConnectorError(
            f"the Spark JVM did not start ({type(exc).__name__})",
            hint="install Java 17 or later (or set JAVA_HOME); set GUARDRAIL_SPARK_LOG=FILE "
            "to keep the JVM's output",
        ) from None


Progress = Callable[[str, int, int], None]


@contextmanager
def track_jobs(spark: Any, label: str, progress: Progress | None) -> Iterator[None]:
    """Run the block's Spark jobs under one job group and, with ``progress``, report the
    tasks completed in its stages (polled twice a second from a daemon thread)."""
    context = spark.sparkContext
    group = f"guardrail-{uuid.uuid4().hex[:12]}"
    context.setJobGroup(group, label, interruptOnCancel=True)
    stop = threading.Event()
    watcher = None
    if progress is not None:
        tracker = context.statusTracker()

        def poll() -> None:
            while not stop.wait(0.5):
                done = total = 0
                try:
                    for job in tracker.getJobIdsForGroup(group):
                        info = tracker.getJobInfo(job)
                        for stage in info.stageIds if info is not None else ():
                            s = tracker.getStageInfo(stage)
                            if s is not None:
                                done += s.numCompletedTasks
                                total += s.numTasks
                except Exception:  # noqa: BLE001, S112 - progress is best effort
                    continue
                if total:
                    progress(label, done, total)

        watcher = threading.Thread(target=poll, name="guardrail-spark-progress", daemon=True)
        watcher.start()
    try:
        yield
    finally:
        stop.set()
        if watcher is not None:
            watcher.join(timeout=2)
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)


def _condition(exc: BaseException) -> str:
    for getter in ("getCondition", "getErrorClass"):
        fn = getattr(exc, getter, None)
        if fn is not None:
            try:
                value = fn()
            except Exception:  # noqa: BLE001 - best effort
                value = None
            if value:
                return str(value)
    return type(exc).__name__


#: Spark error conditions and what they mean for the user (message, hint).
_KNOWN: dict[str, tuple[str, str]] = {
    "PATH_NOT_FOUND": ("the path does not exist", "check the path or glob"),
    "TABLE_OR_VIEW_NOT_FOUND": (
        "no such table or view",
        "name it as database.table; 'spark:database:DB' scans every table of DB",
    ),
    "SCHEMA_NOT_FOUND": ("no such database", "check the database name"),
    "UNABLE_TO_INFER_SCHEMA": (
        "no readable data there (empty, or not in the named format)",
        "check the path and the format (spark:parquet:, spark:orc:, spark:json:, spark:csv:)",
    ),
    "FAILED_READ_FILE": (
        "a file could not be read (corrupt or not in the named format)",
        "check the files are complete and in the format the URL names",
    ),
}


@contextmanager
def spark_errors(display: str) -> Iterator[None]:
    """Map Spark's exceptions to :class:`~guardrail.errors.ConnectorError` naming ``display``."""
    try:
        with quiet_warnings():
            yield
    except GuardrailError:
        raise
    except Exception as exc:
        module = type(exc).__module__ or ""
        if not (module.startswith("pyspark") or module.startswith("py4j")):
            raise
        cond = _condition(exc)
        key = next((k for k in _KNOWN if cond.startswith(k)), None)
        if key is None and "FAILED_READ_FILE" in _chain_conditions(exc):
            key = "FAILED_READ_FILE"
        if key is not None:
            what, hint = _KNOWN[key]
            raise ConnectorError(f"{display}: {what}", hint=hint) from None
        raise ConnectorError(
            f"{display}: the Spark job failed ({cond})",
            hint="set GUARDRAIL_SPARK_LOG=FILE to keep Spark's log, or check the cluster's logs",
        ) from None


def _chain_conditions(exc: BaseException) -> str:
    """Error-condition names anywhere in a Spark exception's text (names only are used)."""
    text = str(getattr(exc, "desc", "") or "") + " " + type(exc).__name__
    with suppress(Exception):
        text += " " + str(exc)
    return " ".join(re.findall(r"\[([A-Z][A-Z_.]+)\]", text))
