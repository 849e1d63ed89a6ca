"""The privacy-budget ledger: one persistent budget per dataset, composed with Opacus.

Every DP output that touches a dataset — aggregate releases and DP-SGD runs alike — is an
entry in its ledger (SQLite by default, PostgreSQL or MySQL/MariaDB through SQLAlchemy).

* **Composition.** Gaussian releases are recorded as Opacus history entries
  ``(noise_multiplier = σ/Δ, sample_rate = 1, steps = 1)``, DP-SGD runs as
  ``(σ, q, steps)``. The live check before every charge uses Opacus' ``RDPAccountant``
  (at its default orders plus larger ones, :data:`~guardrail.privacy.accounting.RDP_ORDERS`,
  so that small ε can be stated); the
  final statement (:meth:`Ledger.budget` with ``accountant="prv"``) uses its
  ``PRVAccountant``. Laplace releases (pure ε) and the δ of partition selection are added by
  basic composition: ε = ε_accountant(δ_total − Σδ_selection) + Σε_Laplace.
* **Reserve, then spend.** A charge is checked and inserted in one transaction that holds the
  dataset's lock (SQLite ``BEGIN IMMEDIATE``; ``SELECT … FOR UPDATE`` on servers), so
  concurrent processes can never overspend. A reservation counts as spent from the moment it
  exists; it is only ever removed by :meth:`Ledger.cancel` *before* any noise was drawn.
* **Retries.** Each release has a request key (the query's digest). Asking again returns the
  first noisy answer; a fresh draw would be a new release, and averaging draws defeats noise.

Opacus' RDP analysis (numpy and scipy) is loaded on first use, not with this module, and
without the Opacus package itself, which imports torch (seconds); the PRV accountant
(``--accountant prv``) imports Opacus and torch.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from guardrail.errors import (
    ConfigError,
    GuardrailError,
    InputError,
    PrivacyBudgetExceeded,
    UsageError,
)
from guardrail.model.privacy import (
    BudgetStatement,
    DatasetBudget,
    LedgerEntry,
    Release,
    TrainingRun,
)
from guardrail.privacy.accounting import RDP_ORDERS, compose_gaussian

__all__ = ["DEFAULT_LEDGER", "Charge", "Ledger", "Reservation"]

#: Where the ledger lives unless told otherwise (relative to the working directory).
DEFAULT_LEDGER = "sqlite:///guardrail-ledger.db"
SCHEMA_VERSION = "1"
#: Relative tolerance of the budget check (floating-point noise between equal formulas).
TOLERANCE = 1e-9

_metadata = sa.MetaData()
_Payload = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

_meta = sa.Table(
    "guardrail_dp_meta",
    _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
_datasets = sa.Table(
    "guardrail_dp_datasets",
    _metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("privacy_unit", sa.String(64), nullable=False),
    sa.Column("epsilon_total", sa.Double, nullable=False),
    sa.Column("delta_total", sa.Double, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)
_entries = sa.Table(
    "guardrail_dp_entries",
    _metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column(
        "dataset", sa.String(200), sa.ForeignKey("guardrail_dp_datasets.name"), nullable=False
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("request_key", sa.String(120), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("mechanism", sa.String(16), nullable=False),
    sa.Column("privacy_unit", sa.String(64), nullable=False),
    sa.Column("noise_multiplier", sa.Double, nullable=True),
    sa.Column("sample_rate", sa.Double, nullable=True),
    sa.Column("steps", sa.Integer, nullable=True),
    sa.Column("pure_epsilon", sa.Double, nullable=False),
    sa.Column("selection_delta", sa.Double, nullable=False),
    sa.Column("epsilon", sa.Double, nullable=False),
    sa.Column("delta", sa.Double, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("spent_at", sa.String(40), nullable=True),
    sa.Column("payload", _Payload, nullable=True),
    sa.UniqueConstraint("dataset", "request_key", name="uq_guardrail_dp_request"),
    sa.UniqueConstraint("dataset", "seq", name="uq_guardrail_dp_seq"),
)


@dataclass(frozen=True)
class Charge:
    """What one release or training run costs.

    ``gaussian``: one Gaussian mechanism with σ/Δ = ``noise_multiplier`` (sample rate 1);
    ``dp-sgd``: ``steps`` subsampled Gaussian steps at ``sample_rate``; ``laplace``: pure
    ``pure_epsilon``. ``selection_delta`` is the δ of DP partition selection. ``epsilon`` and
    ``delta`` are the entry's own stated guarantee (shown, not used for composition).
    """

    mechanism: Literal["gaussian", "laplace", "dp-sgd"]
    epsilon: float
    delta: float
    noise_multiplier: float | None = None
    sample_rate: float = 1.0
    steps: int = 1
    pure_epsilon: float = 0.0
    selection_delta: float = 0.0

    def __post_init__(self) -> None:
        if self.mechanism in ("gaussian", "dp-sgd"):
            z = self.noise_multiplier
            if z is None or not z > 0 or not math.isfinite(z):
                raise ValueError("a Gaussian charge needs a positive noise multiplier")
            if not 0 < self.sample_rate <= 1 or self.steps < 1:
                raise ValueError("sample rate must be in (0, 1] and steps ≥ 1")
        if self.pure_epsilon < 0 or self.selection_delta < 0:
            raise ValueError("charges are never negative")


@dataclass(frozen=True)
class Reservation:
    """A charge held in the ledger. ``cached`` is the earlier answer of an identical request."""

    id: str
    dataset: str
    request_key: str
    cached: Release | None = None


@dataclass(frozen=True)
class _Row:
    kind: str
    state: str
    mechanism: str
    noise_multiplier: float | None
    sample_rate: float | None
    steps: int | None
    pure_epsilon: float
    selection_delta: float


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise InputError("times must be timezone-aware", hint="pass e.g. at=datetime.now(UTC)")
    return at.astimezone(UTC).isoformat()


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Ledger:
    """A privacy-budget ledger at a SQLAlchemy URL (default: ``guardrail-ledger.db`` here).

    ``Ledger(url).releases(dataset)`` and ``Ledger(url).budget(dataset)`` are the read API the
    audit cites as evidence of anonymised analytics.
    """

    def __init__(self, url: str = DEFAULT_LEDGER, *, base_dir: Path | None = None) -> None:
        self._url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError(
                f"cannot parse the ledger URL {url!r}",
                hint="write it like sqlite:///guardrail-ledger.db or postgresql://user@host/db",
            ) from None
        self.display = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        self.dialect = backend
        try:
            if backend == "sqlite":
                self._engine = self._sqlite_engine(parsed, base_dir)
            elif backend in ("postgresql", "mysql", "mariadb"):
                if "+" not in parsed.drivername:
                    driver = "psycopg" if backend == "postgresql" else "pymysql"
                    parsed = parsed.set(drivername=f"{backend}+{driver}")
                self._engine = sa.create_engine(
                    parsed, isolation_level="READ COMMITTED", pool_pre_ping=True
                )
            else:
                raise ConfigError(
                    f"the ledger cannot live in a '{backend}' database ({self.display})",
                    hint="use sqlite, postgresql, mysql or mariadb",
                )
        except (NoSuchModuleError, ImportError):
            raise ConfigError(
                f"the database driver for the ledger {self.display} is not installed",
                hint="pip install 'guardrail[postgres]' or 'guardrail[mysql]'",
            ) from None
        self._create_schema()

    # -- connection -----------------------------------------------------------------------------

    def _sqlite_engine(self, parsed: sa.URL, base_dir: Path | None) -> Engine:
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ConfigError(
                "the ledger needs a file (an in-memory ledger forgets what was spent)",
                hint="write it like sqlite:///guardrail-ledger.db",
            )
        path = Path(database)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if path.exists() and not path.is_file():
            raise ConfigError(f"the ledger path {path} is not a file")
        if path.is_file():
            with path.open("rb") as fh:
                head = fh.read(16)
            if head and head != b"SQLite format 3\x00":
                raise ConfigError(
                    f"{path} is not a SQLite database (or is corrupt)",
                    hint="point the ledger URL at a SQLite file or a new path",
                )
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            f"sqlite:///{path}",
            connect_args={"timeout": 120},
            poolclass=sa.pool.NullPool,
        )

        @sa.event.listens_for(engine, "connect")
        def _autocommit_driver(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_conn.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _immediate(conn: Connection) -> None:
            # Take the write lock at the start: the check and the insert are one critical
            # section across processes.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def _fail(self, action: str, exc: BaseException) -> GuardrailError:
        detail = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
        first = detail[0][:160] if detail else type(exc).__name__
        return ConfigError(
            f"{action} failed for the ledger {self.display}: {first}",
            hint="check the ledger URL, that the server runs and that the user may write",
        )

    @contextmanager
    def _tx(self, action: str) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except GuardrailError:
            raise
        except SQLAlchemyError as exc:
            raise self._fail(action, exc) from None

    def _create_schema(self) -> None:
        for attempt in range(3):
            try:
                _metadata.create_all(self._engine, checkfirst=True)
                break
            except IntegrityError:
                continue  # another process created the tables at the same moment
            except SQLAlchemyError as exc:
                if attempt == 2 or "already exists" not in str(exc).lower():
                    raise self._fail("creating the ledger tables", exc) from None
        with self._tx("opening the ledger") as conn:
            row = conn.execute(
                sa.select(_meta.c.value).where(_meta.c.key == "schema_version")
            ).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            _meta.insert().values(key="schema_version", value=SCHEMA_VERSION)
                        )
                except IntegrityError:
                    pass
            elif row[0] != SCHEMA_VERSION:
                raise ConfigError(
                    f"the ledger {self.display} has schema version {row[0]}, this guardrail "
                    f"reads version {SCHEMA_VERSION}",
                    hint="upgrade guardrail",
                )

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.display!r})"

    # -- datasets -------------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        with self._tx("reading the ledger") as conn:
            return [
                r[0] for r in conn.execute(sa.select(_datasets.c.name).order_by(_datasets.c.name))
            ]

    def _dataset_row(self, conn: Connection, name: str, *, lock: bool = False) -> Any:
        stmt = sa.select(_datasets).where(_datasets.c.name == name)
        if lock and self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        return conn.execute(stmt).first()

    def ensure_dataset(
        self,
        name: str,
        *,
        privacy_unit: str,
        budget: DatasetBudget | None,
        at: datetime,
    ) -> None:
        """Create ``name`` with ``budget`` if new; check the unit (and budget) if it exists."""
        with self._tx("reading the ledger") as conn:
            row = self._dataset_row(conn, name)
        if row is None:
            if budget is None:
                raise UsageError(
                    f"dataset '{name}' has no budget in the ledger {self.display}",
                    hint="declare budget: {epsilon: ..., delta: ...} in the spec, or run "
                    f"'guardrail dp budget {name} --set --epsilon E --delta D "
                    f"--privacy-unit {privacy_unit}'",
                )
            with suppress(_AlreadyExists):
                self.set_budget(
                    name,
                    epsilon=budget.epsilon,
                    delta=budget.delta,
                    privacy_unit=privacy_unit,
                    at=at,
                    create_only=True,
                )
            with self._tx("reading the ledger") as conn:
                row = self._dataset_row(conn, name)
        if row.privacy_unit != privacy_unit:
            raise UsageError(
                f"dataset '{name}' protects the privacy unit '{row.privacy_unit}', "
                f"not '{privacy_unit}'",
                hint="budgets compose only over one neighbouring relation: use the same "
                "privacy_unit, or a separate dataset",
            )
        if budget is not None and (
            not math.isclose(row.epsilon_total, budget.epsilon, rel_tol=1e-12)
            or not math.isclose(row.delta_total, budget.delta, rel_tol=1e-12)
        ):
            raise UsageError(
                f"the spec declares a budget of ε={budget.epsilon:g}, δ={budget.delta:g} for "
                f"'{name}', but the ledger holds ε={row.epsilon_total:g}, "
                f"δ={row.delta_total:g}",
                hint=f"remove budget: from the spec, or change it deliberately with "
                f"'guardrail dp budget {name} --set'",
            )

    def set_budget(
        self,
        name: str,
        *,
        epsilon: float,
        delta: float,
        privacy_unit: str,
        at: datetime,
        create_only: bool = False,
    ) -> BudgetStatement:
        """Create a dataset's budget, or change its total (never below what is spent)."""
        DatasetBudget(epsilon=epsilon, delta=delta)  # validates
        now = _iso(at)
        with self._tx("writing the ledger") as conn:
            row = self._dataset_row(conn, name, lock=True)
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            _datasets.insert().values(
                                name=name,
                                privacy_unit=privacy_unit,
                                epsilon_total=float(epsilon),
                                delta_total=float(delta),
                                created_at=now,
                                updated_at=now,
                            )
                        )
                except IntegrityError:
                    raise _AlreadyExists(name) from None
            else:
                if create_only:
                    raise _AlreadyExists(name)
                if row.privacy_unit != privacy_unit:
                    raise UsageError(
                        f"dataset '{name}' protects the privacy unit '{row.privacy_unit}'",
                        hint="the unit of an existing dataset cannot change",
                    )
                rows = self._rows(conn, name)
                spent = _live_epsilon(rows, delta)
                if spent > epsilon * (1 + TOLERANCE):
                    raise UsageError(
                        f"dataset '{name}' has already spent ε={spent:.4g} at δ={delta:g}",
                        hint="a budget cannot be set below what is spent",
                    )
                conn.execute(
                    _datasets.update()
                    .where(_datasets.c.name == name)
                    .values(epsilon_total=float(epsilon), delta_total=float(delta), updated_at=now)
                )
        return self.budget(name)

    # -- charges --------------------------------------------------------------------------------

    def _rows(self, conn: Connection, dataset: str) -> list[_Row]:
        stmt = (
            sa.select(
                _entries.c.kind,
                _entries.c.state,
                _entries.c.mechanism,
                _entries.c.noise_multiplier,
                _entries.c.sample_rate,
                _entries.c.steps,
                _entries.c.pure_epsilon,
                _entries.c.selection_delta,
            )
            .where(_entries.c.dataset == dataset)
            .order_by(_entries.c.seq)
        )
        return [_Row(*r) for r in conn.execute(stmt)]

    def lookup(self, dataset: str, request_key: str) -> Release | None:
        """The recorded answer of an earlier identical request, if any."""
        with self._tx("reading the ledger") as conn:
            row = conn.execute(
                sa.select(_entries.c.state, _entries.c.payload, _entries.c.kind).where(
                    (_entries.c.dataset == dataset) & (_entries.c.request_key == request_key)
                )
            ).first()
        if row is None or row.kind != "release":
            return None
        if row.state != "spent" or row.payload is None:
            raise _in_progress(dataset)
        return Release.model_validate_json(row.payload)

    def reserve(
        self,
        dataset: str,
        charge: Charge,
        *,
        privacy_unit: str,
        request_key: str,
        description: str,
        at: datetime,
        kind: Literal["release", "training"] = "release",
    ) -> Reservation:
        """Atomically check the budget and hold ``charge``; raise if it does not fit."""
        _rdp_analysis()  # load the accountant before taking the lock
        entry_id = ("rel_" if kind == "release" else "run_") + uuid.uuid4().hex[:24]
        with self._tx("reserving budget") as conn:
            ds = self._dataset_row(conn, dataset, lock=True)
            if ds is None:
                raise UsageError(
                    f"dataset '{dataset}' is not in the ledger {self.display}",
                    hint=f"create it with 'guardrail dp budget {dataset} --set ...'",
                )
            if ds.privacy_unit != privacy_unit:
                raise UsageError(
                    f"dataset '{dataset}' protects the privacy unit '{ds.privacy_unit}', "
                    f"not '{privacy_unit}'",
                    hint="charges compose only over one neighbouring relation",
                )
            existing = conn.execute(
                sa.select(_entries.c.state, _entries.c.payload, _entries.c.id).where(
                    (_entries.c.dataset == dataset) & (_entries.c.request_key == request_key)
                )
            ).first()
            if existing is not None:
                if existing.state == "spent" and existing.payload is not None and kind == "release":
                    cached = Release.model_validate_json(existing.payload)
                    return Reservation(existing.id, dataset, request_key, cached)
                raise _in_progress(dataset)
            rows = self._rows(conn, dataset)
            new = _Row(
                kind,
                "reserved",
                charge.mechanism,
                charge.noise_multiplier,
                charge.sample_rate,
                charge.steps,
                charge.pure_epsilon,
                charge.selection_delta,
            )
            eps = _live_epsilon([*rows, new], ds.delta_total)
            if not eps <= ds.epsilon_total * (1 + TOLERANCE):
                before = _live_epsilon(rows, ds.delta_total)
                raise PrivacyBudgetExceeded(
                    f"dataset '{dataset}' would reach ε={_fmt(eps)} of its ε={ds.epsilon_total:g} "
                    f"(δ={ds.delta_total:g}); spent so far ε={_fmt(before)}",
                    hint="ask for a smaller epsilon, reuse an earlier release, or raise the "
                    "budget deliberately with 'guardrail dp budget --set'",
                )
            seq = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(_entries.c.seq), 0)).where(
                    _entries.c.dataset == dataset
                )
            ).scalar_one()
            conn.execute(
                _entries.insert().values(
                    id=entry_id,
                    dataset=dataset,
                    seq=int(seq) + 1,
                    kind=kind,
                    state="reserved",
                    request_key=request_key,
                    description=description[:2000],
                    mechanism=charge.mechanism,
                    privacy_unit=privacy_unit,
                    noise_multiplier=charge.noise_multiplier,
                    sample_rate=charge.sample_rate if charge.mechanism != "laplace" else None,
                    steps=charge.steps if charge.mechanism != "laplace" else None,
                    pure_epsilon=float(charge.pure_epsilon),
                    selection_delta=float(charge.selection_delta),
                    epsilon=float(charge.epsilon),
                    delta=float(charge.delta),
                    created_at=_iso(at),
                )
            )
        return Reservation(entry_id, dataset, request_key)

    def commit(self, reservation: Reservation, payload: Release | TrainingRun) -> None:
        """Record the answer of a reservation; from now on retries get it."""
        body = payload.model_dump_json()
        with self._tx("recording the release") as conn:
            done = conn.execute(
                _entries.update()
                .where((_entries.c.id == reservation.id) & (_entries.c.state == "reserved"))
                .values(state="spent", payload=body, spent_at=_iso(payload.created))
            ).rowcount
        if done != 1:
            raise GuardrailError(
                f"reservation {reservation.id} is no longer open in the ledger {self.display}",
                hint="its budget stays spent; rerun the query to get a recorded answer",
            )

    def cancel(self, reservation: Reservation) -> None:
        """Remove a reservation. Only valid when *no noise was drawn* for it."""
        with self._tx("cancelling a reservation") as conn:
            conn.execute(
                _entries.delete().where(
                    (_entries.c.id == reservation.id) & (_entries.c.state == "reserved")
                )
            )

    # -- reading --------------------------------------------------------------------------------

    def budget(
        self, dataset: str, *, accountant: Literal["rdp", "prv"] = "rdp", at: datetime | None = None
    ) -> BudgetStatement:
        """Spent and remaining ε of ``dataset`` and every entry's cumulative ε (RDP).

        ``accountant="prv"`` states the total with Opacus' PRV accountant (tighter, slower).
        """
        with self._tx("reading the ledger") as conn:
            ds = self._dataset_row(conn, dataset)
            if ds is None:
                raise UsageError(
                    f"dataset '{dataset}' is not in the ledger {self.display}",
                    hint="list datasets with 'guardrail dp budget'",
                )
            rows = conn.execute(
                sa.select(_entries).where(_entries.c.dataset == dataset).order_by(_entries.c.seq)
            ).all()
        plain = [
            _Row(
                r.kind,
                r.state,
                r.mechanism,
                r.noise_multiplier,
                r.sample_rate,
                r.steps,
                r.pure_epsilon,
                r.selection_delta,
            )
            for r in rows
        ]
        cumulative = _cumulative_epsilons(plain, ds.delta_total)
        entries = tuple(
            LedgerEntry(
                id=r.id,
                kind=r.kind,
                state=r.state,
                description=r.description,
                mechanism=r.mechanism,
                epsilon=r.epsilon,
                delta=r.delta,
                noise_multiplier=r.noise_multiplier,
                sample_rate=r.sample_rate,
                steps=r.steps,
                pure_epsilon=r.pure_epsilon,
                selection_delta=r.selection_delta,
                epsilon_cumulative=c,
                created=_parse_time(r.created_at),
            )
            for r, c in zip(rows, cumulative, strict=True)
        )
        if accountant == "prv":
            spent = _prv_epsilon(plain, ds.delta_total)
        else:
            spent = cumulative[-1] if cumulative else 0.0
        return BudgetStatement(
            dataset=dataset,
            privacy_unit=ds.privacy_unit,
            epsilon_total=ds.epsilon_total,
            delta_total=ds.delta_total,
            epsilon_spent=spent,
            epsilon_remaining=max(ds.epsilon_total - spent, 0.0) if math.isfinite(spent) else 0.0,
            epsilon_pure=sum(r.pure_epsilon for r in plain),
            delta_selection=sum(r.selection_delta for r in plain),
            accountant=accountant,
            releases=sum(1 for r in rows if r.kind == "release"),
            training_runs=sum(1 for r in rows if r.kind == "training"),
            reserved=sum(1 for r in rows if r.state == "reserved"),
            entries=entries,
            created=at or datetime.now(UTC),
        )

    def releases(self, dataset: str, *, with_cells: bool = False) -> list[Release]:
        """Recorded releases of ``dataset``, oldest first (cells only if ``with_cells``)."""
        with self._tx("reading the ledger") as conn:
            rows = conn.execute(
                sa.select(_entries.c.payload)
                .where(
                    (_entries.c.dataset == dataset)
                    & (_entries.c.kind == "release")
                    & (_entries.c.state == "spent")
                )
                .order_by(_entries.c.seq)
            ).all()
        out = []
        for (body,) in rows:
            rel = Release.model_validate_json(body)
            out.append(rel if with_cells else rel.model_copy(update={"cells": ()}))
        return out

    def release(self, release_id: str) -> Release:
        with self._tx("reading the ledger") as conn:
            row = conn.execute(
                sa.select(_entries.c.payload, _entries.c.state).where(
                    (_entries.c.id == release_id) & (_entries.c.kind == "release")
                )
            ).first()
        if row is None or row.payload is None:
            raise UsageError(
                f"no recorded release '{release_id}' in the ledger {self.display}",
                hint="list them with 'guardrail dp budget DATASET'",
            )
        return Release.model_validate_json(row.payload)

    def training_runs(self, dataset: str) -> list[TrainingRun]:
        with self._tx("reading the ledger") as conn:
            rows = conn.execute(
                sa.select(_entries.c.payload)
                .where(
                    (_entries.c.dataset == dataset)
                    & (_entries.c.kind == "training")
                    & (_entries.c.payload.is_not(None))
                )
                .order_by(_entries.c.seq)
            ).all()
        return [TrainingRun.model_validate_json(body) for (body,) in rows]


class _AlreadyExists(Exception):
    pass


def _in_progress(dataset: str) -> UsageError:
    return UsageError(
        f"an identical release of '{dataset}' is reserved but has no recorded answer "
        "(running elsewhere, or interrupted after its noise may have been drawn)",
        hint="its budget stays spent; wait for it, or ask for a new release (--new-release)",
    )


def _fmt(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else "∞"


# -- accounting through Opacus --------------------------------------------------------------------


@functools.cache
def _rdp_analysis() -> Any:
    """Opacus' RDP analysis module, ``opacus/accountants/analysis/rdp.py`` (numpy and scipy
    only; ``RDPAccountant`` is a thin wrapper over it). Loaded from its file so that the
    ``opacus`` package, whose ``__init__`` imports torch (~2.5 s), is not; if that ever
    fails (another layout), the package is imported the usual way."""
    try:
        spec = importlib.util.find_spec("opacus")  # finds the package without importing it
        locations = list(spec.submodule_search_locations or ()) if spec else []
        path = Path(locations[0]) / "accountants" / "analysis" / "rdp.py"
        file_spec = importlib.util.spec_from_file_location("guardrail._opacus_rdp", path)
        if file_spec is None or file_spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(module)
        if not callable(getattr(module, "compute_rdp", None)) or not callable(
            getattr(module, "get_privacy_spent", None)
        ):
            raise ImportError(path)
        return module
    except (ImportError, OSError, IndexError, ValueError, SyntaxError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from opacus.accountants.analysis import rdp

        return rdp


def _prv_accountant() -> Any:
    """Opacus' PRV accountant class (imports the opacus package, and so torch)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from opacus.accountants import PRVAccountant
    return PRVAccountant


def _history(rows: list[_Row]) -> list[tuple[float, float, int]]:
    return [
        (float(r.noise_multiplier), float(r.sample_rate or 1.0), int(r.steps or 1))
        for r in rows
        if r.mechanism in ("gaussian", "dp-sgd") and r.noise_multiplier is not None
    ]


def _composed(
    rows: list[_Row],
    delta_total: float,
    gaussian_epsilon: Callable[[list[tuple[float, float, int]], float], float],
) -> float:
    """ε of the whole history at the dataset's δ: pure ε plus, by basic composition,
    ``gaussian_epsilon(history, δ left after selections)`` of the Gaussian entries."""
    pure = sum(r.pure_epsilon for r in rows)
    sel = sum(r.selection_delta for r in rows)
    history = _history(rows)
    if not history:
        return pure if sel <= delta_total else math.inf
    delta = delta_total - sel
    if not delta > 0:
        return math.inf
    return gaussian_epsilon(history, delta) + pure


def _live_epsilon(rows: list[_Row], delta_total: float) -> float:
    """ε of the whole history at the dataset's δ: Opacus RDP + pure ε (basic composition)."""
    return _composed(rows, delta_total, _rdp_epsilon)


def _rdp_epsilon(history: list[tuple[float, float, int]], delta: float) -> float:
    """What Opacus' ``RDPAccountant(history).get_epsilon(delta, alphas)`` computes: the
    entries' RDP curves summed at the orders, then converted to ε at ``delta``."""
    analysis = _rdp_analysis()
    orders = _orders()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rdp = sum(
            analysis.compute_rdp(q=q, noise_multiplier=z, steps=steps, orders=orders)
            for z, q, steps in history
        )
        eps, _ = analysis.get_privacy_spent(orders=orders, rdp=rdp, delta=delta)
    return float(eps)


def _orders() -> list[float]:
    return [float(a) for a in RDP_ORDERS]


def _cumulative_epsilons(rows: list[_Row], delta_total: float) -> list[float]:
    """The dataset's ε (RDP) after each entry."""
    if not rows:
        return []
    analysis = _rdp_analysis()
    orders = _orders()
    out = []
    total_rdp: Any = 0.0
    pure = sel = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in rows:
            pure += r.pure_epsilon
            sel += r.selection_delta
            if r.mechanism in ("gaussian", "dp-sgd") and r.noise_multiplier is not None:
                total_rdp = total_rdp + analysis.compute_rdp(
                    q=float(r.sample_rate or 1.0),
                    noise_multiplier=float(r.noise_multiplier),
                    steps=int(r.steps or 1),
                    orders=orders,
                )
            delta = delta_total - sel
            if isinstance(total_rdp, float):
                out.append(pure if delta >= 0 else math.inf)
            elif not delta > 0:
                out.append(math.inf)
            else:
                eps, _ = analysis.get_privacy_spent(orders=orders, rdp=total_rdp, delta=delta)
                out.append(float(eps) + pure)
    return out


def _prv_epsilon(rows: list[_Row], delta_total: float) -> float:
    """Final statement with Opacus' PRV accountant.

    Sample-rate-1 Gaussian entries are first composed into one (exact: Gaussians compose to a
    Gaussian), which keeps PRV fast however many releases there are.
    """
    return _composed(rows, delta_total, _prv_gaussian_epsilon)


def _prv_gaussian_epsilon(history: list[tuple[float, float, int]], delta: float) -> float:
    full = [h for h in history if h[1] >= 1.0]
    sub = [h for h in history if h[1] < 1.0]
    collapsed = []
    if full:
        zs = [z for z, _, steps in full for _ in range(steps)] if len(full) < 10_000 else []
        z_eff = (
            compose_gaussian(zs)
            if zs
            else 1.0 / math.sqrt(sum(steps / (z * z) for z, _, steps in full))
        )
        collapsed.append((z_eff, 1.0, 1))
    acct = _prv_accountant()()
    acct.history = collapsed + sub
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numpy as np

        with np.errstate(all="ignore"):
            return float(acct.get_epsilon(delta=delta))
