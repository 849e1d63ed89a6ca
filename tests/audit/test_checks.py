"""Pass and fail fixtures for every automated check, asserted as exact sets."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.audit.fixtures import column, logfile, run, stack, table

from guardrail.model.facts import DatastoreFacts, RetentionProbe

DB = {"id": "db", "url": "sqlite:///x.db", "region": "CN"}
LOGS = {"id": "logs", "kind": "logs", "url": "file:logs/*.log", "region": "CN"}


def test_sensitive_pi_encrypted() -> None:
    s = stack(
        datastores=[
            {
                **DB,
                "datasets": [
                    {
                        "name": "customers",
                        "fields": [
                            {
                                "name": "id_token",
                                "entity": "CN_RESIDENT_ID",
                                "protection": {"field_encrypted": True},
                            }
                        ],
                    }
                ],
            }
        ]
    )
    facts = DatastoreFacts(
        datastore="db",
        tables=(
            table(
                "customers",
                column("customers", "id_number", ("CN_RESIDENT_ID", 1.0, 1.0)),  # plaintext
                column("customers", "id_token"),  # declared encrypted, nothing detected
                column("customers", "phone", ("PHONE_NUMBER", 1.0, 1.0)),  # not sensitive
                column("customers", "notes", ("CN_RESIDENT_ID", 0.02, 0.5)),
            ),  # too weak
            table("payments", column("payments", "pan", ("CREDIT_CARD", 0.9, 0.97))),
        ),
    )
    assert run("sensitive_pi_encrypted", s, facts) == {
        ("field:db.customers.id_number", False),
        ("field:db.customers.id_token", True),
        ("field:db.payments.pan", False),
    }


def test_no_pii_in_logs() -> None:
    s = stack(
        datastores=[
            {**LOGS, "datasets": [{"name": "access.log", "allowed_entities": ["IP_ADDRESS"]}]}
        ]
    )
    facts = DatastoreFacts(
        datastore="logs",
        files=(
            logfile("logs/app.log", PHONE_NUMBER=3, EMAIL_ADDRESS=1),
            logfile("logs/access.log", IP_ADDRESS=40),
            logfile("logs/clean.log"),
        ),
    )
    assert run("no_pii_in_logs", s, facts) == {
        ("file:logs:logs/app.log", False),
        ("file:logs:logs/access.log", True),
        ("file:logs:logs/clean.log", True),
    }


def test_retention() -> None:
    s = stack(
        datastores=[
            {
                **DB,
                "datasets": [
                    {"name": "t_ok", "timestamp_field": "at"},
                    {"name": "t_stale", "timestamp_field": "at"},
                    {"name": "t_unenforced"},
                ],
            },
            LOGS,
        ],
        retention=[
            {"dataset": "db.t_ok", "period": "P1Y", "enforcement": {"mechanism": "ttl"}},
            {
                "dataset": "db.t_stale",
                "period": "P1Y",
                "enforcement": {"mechanism": "deletion_job"},
            },
            {"dataset": "db.t_unenforced", "period": "P1Y"},
            {
                "datastore": "logs",
                "period": "P3M",
                "minimum": "P6M",
                "enforcement": {"mechanism": "deletion_job"},
            },
        ],
    )
    cutoff = datetime(2025, 11, 22, tzinfo=UTC)
    pii = ("EMAIL_ADDRESS", 1.0, 1.0)
    ok = table("t_ok", column("t_ok", "email", pii))
    ok = ok.model_copy(
        update={"retention": RetentionProbe(field="at", cutoff=cutoff, rows_past_retention=0)}
    )
    stale = table("t_stale", column("t_stale", "email", pii))
    stale = stale.model_copy(
        update={"retention": RetentionProbe(field="at", cutoff=cutoff, rows_past_retention=7)}
    )
    db = DatastoreFacts(
        datastore="db",
        tables=(
            ok,
            stale,
            table("t_unenforced", column("t_unenforced", "email", pii)),
            table("t_undefined", column("t_undefined", "email", pii)),
            table("t_nopii", column("t_nopii", "sku")),
        ),
    )
    logs = DatastoreFacts(datastore="logs", files=(logfile("logs/a.log", IP_ADDRESS=1),))
    assert run("retention_defined_and_enforced", s, db, logs) == {
        ("dataset:db.t_ok", True),
        ("dataset:db.t_stale", False),
        ("dataset:db.t_unenforced", False),
        ("dataset:db.t_undefined", False),
        ("datastore:logs", False),  # 3 months is shorter than the 6-month minimum
    }


def _flows_stack(flows: list[dict], **extra: object) -> object:
    return stack(
        systems=[
            {"id": "cn-app", "name": "App", "region": "CN"},
            {"id": "eu-app", "name": "EU app", "region": "DE"},
        ],
        processors=[
            {"id": "us-vendor", "name": "US", "region": "US"},
            {"id": "jp-vendor", "name": "JP", "region": "JP"},
            {"id": "cn-vendor", "name": "CN", "region": "CN"},
        ],
        purposes=[
            {
                "id": "mkt",
                "description": {"en": "m", "zh": "m"},
                "legal_basis": {"pipl": "consent", "gdpr": "consent"},
            },
            {
                "id": "ship",
                "description": {"en": "s", "zh": "s"},
                "legal_basis": {"pipl": "contract_or_hr", "gdpr": "contract"},
            },
        ],
        flows=flows,
        **extra,
    )


def _flow(fid: str, src: str, dst: str, a: str, b: str, **kw: object) -> dict:
    return {"id": fid, "from": src, "to": dst, "from_region": a, "to_region": b, **kw}


def test_prc_outbound_mechanism() -> None:
    flows = [
        _flow(
            "no-mechanism",
            "cn-app",
            "us-vendor",
            "CN",
            "US",
            purpose="ship",
            persons_since_jan1={"total": 90_000},
        ),
        _flow(
            "contract",
            "cn-app",
            "jp-vendor",
            "CN",
            "JP",
            purpose="ship",
            persons_since_jan1={"total": 50_000},
            transfers=[{"mechanism": "cac_standard_contract", "expires": "2027-01-01"}],
        ),
        _flow(
            "expired",
            "cn-app",
            "us-vendor",
            "CN",
            "US",
            purpose="ship",
            transfers=[{"mechanism": "cac_standard_contract", "expires": "2025-01-01"}],
        ),
        _flow(
            "no-separate-consent",
            "cn-app",
            "jp-vendor",
            "CN",
            "JP",
            purpose="mkt",
            transfers=[{"mechanism": "cac_standard_contract"}],
        ),
        _flow(
            "exempt-by-contract",
            "cn-app",
            "us-vendor",
            "CN",
            "US",
            purpose="ship",
            transfers=[{"mechanism": "xbp_contract_necessity"}],
        ),
        _flow("domestic", "cn-app", "cn-vendor", "CN", "CN"),
        _flow("eu-out", "eu-app", "us-vendor", "DE", "US"),
    ]
    covers = ["no-mechanism", "contract", "expired", "no-separate-consent", "exempt-by-contract"]
    s = _flows_stack(
        flows,
        assessments=[{"id": "pipia", "kind": "pipia", "covers": covers, "completed": "2026-01-01"}],
    )
    # 140,000 persons in total since 1 January: the standard-contract route (XBP Art. 8).
    assert run("prc_outbound_mechanism", s) == {
        ("flow:no-mechanism", False),
        ("flow:contract", True),
        ("flow:expired", False),
        ("flow:no-separate-consent", False),
        ("flow:exempt-by-contract", True),
    }


def test_prc_small_volume_is_exempt_but_needs_pipia() -> None:
    flows = [
        _flow(
            "small",
            "cn-app",
            "us-vendor",
            "CN",
            "US",
            purpose="ship",
            persons_since_jan1={"total": 5_000},
        )
    ]
    assert run("prc_outbound_mechanism", _flows_stack(flows)) == {("flow:small", False)}
    s = _flows_stack(
        flows,
        assessments=[{"id": "p", "kind": "pipia", "covers": ["small"], "completed": "2026-01-01"}],
    )
    assert run("prc_outbound_mechanism", s) == {("flow:small", True)}


def test_prc_sensitive_volume_needs_assessment() -> None:
    flows = [
        _flow(
            "ids",
            "cn-app",
            "us-vendor",
            "CN",
            "US",
            purpose="ship",
            persons_since_jan1={"total": 20_000, "sensitive": 12_000},
            transfers=[{"mechanism": "cac_standard_contract"}],
        )
    ]
    s = _flows_stack(
        flows,
        assessments=[{"id": "p", "kind": "pipia", "covers": ["ids"], "completed": "2026-01-01"}],
    )
    assert run("prc_outbound_mechanism", s) == {("flow:ids", False)}


def test_eu_transfer_safeguards() -> None:
    flows = [
        _flow("none", "eu-app", "us-vendor", "DE", "US"),
        _flow(
            "sccs-tia",
            "eu-app",
            "us-vendor",
            "DE",
            "US",
            transfers=[{"mechanism": "sccs", "evidence": "SCC-1", "tia": True}],
        ),
        _flow(
            "sccs-no-tia",
            "eu-app",
            "us-vendor",
            "DE",
            "US",
            transfers=[{"mechanism": "sccs", "evidence": "SCC-2"}],
        ),
        _flow("adequate", "eu-app", "jp-vendor", "DE", "JP", transfers=[{"mechanism": "adequacy"}]),
        _flow(
            "not-adequate", "eu-app", "cn-vendor", "DE", "CN", transfers=[{"mechanism": "adequacy"}]
        ),
        _flow(
            "expired",
            "eu-app",
            "us-vendor",
            "DE",
            "US",
            transfers=[
                {"mechanism": "sccs", "evidence": "x", "tia": True, "expires": "2026-01-01"}
            ],
        ),
        _flow("cn-out", "cn-app", "us-vendor", "CN", "US"),
    ]
    assert run("eu_transfer_safeguards", _flows_stack(flows)) == {
        ("flow:none", False),
        ("flow:sccs-tia", True),
        ("flow:sccs-no-tia", False),
        ("flow:adequate", True),
        ("flow:not-adequate", False),
        ("flow:expired", False),
    }
    assert run("eu_transfer_safeguards", _flows_stack(flows), frameworks={"pipl"}) == set()


def test_protection_officer() -> None:
    officer = {"name": "A", "published": True, "reported_to_authority": "2025-08-01"}
    good = stack(
        organization={**stack().organization.model_dump(), "sells_or_shares_pi": True},
        officers={"pi_protection_officer": officer, "dpo": officer},
    )
    assert run("protection_officer_designated", good) == {
        ("organization:officers.pi_protection_officer", True),
        ("organization:officers.dpo", True),
    }
    unreported = {**officer, "reported_to_authority": None}
    bad = stack(
        organization={
            **stack().organization.model_dump(),
            "sells_or_shares_pi": True,
            "established_in": ["US"],
        },
        officers={"pi_protection_officer": unreported, "dpo": {**officer, "published": False}},
    )
    assert run("protection_officer_designated", bad) == {
        ("organization:officers.pi_protection_officer", False),
        ("organization:officers.prc_representative", False),
        ("organization:officers.dpo", False),
        ("organization:officers.eu_representative", False),
    }


def test_inventory_matches_data() -> None:
    from tests.audit.fixtures import classified

    from guardrail.model.data import ColumnInfo, TableInfo

    s = stack(
        datastores=[
            {
                **DB,
                "datasets": [
                    {
                        "name": "declared_ok",
                        "fields": [{"name": "email", "entity": "EMAIL_ADDRESS"}],
                    },
                    {
                        "name": "drift",
                        "fields": [
                            {"name": "email", "entity": "EMAIL_ADDRESS"},
                            {"name": "gone", "entity": "PHONE_NUMBER"},
                        ],
                    },
                    {"name": "missing_table"},
                ],
            }
        ]
    )

    def tf(name: str, *cols: str):  # type: ignore[no-untyped-def]
        return table(name).model_copy(
            update={"table": TableInfo(name=name, columns=tuple(ColumnInfo(name=c) for c in cols))}
        )

    facts = DatastoreFacts(
        datastore="db",
        tables=(
            tf("declared_ok", "email"),
            tf("drift", "email", "phone"),
            tf("undeclared", "email"),
            tf("no_pi", "sku"),
        ),
    )
    from guardrail.classify import FieldInput, classify_dataset
    from guardrail.model.detection import ColumnEntity as CE
    from guardrail.model.stack import FieldDeclaration

    # Declared fields feed the classification exactly as the collector does.
    ok_decl = FieldDeclaration(name="email", entity="EMAIL_ADDRESS")
    cls = (
        classify_dataset(
            "db",
            "declared_ok",
            [
                FieldInput(
                    "email", (CE(entity="EMAIL_ADDRESS", hit_ratio=1, confidence=0.9),), ok_decl
                )
            ],
        ),
        classify_dataset(
            "db",
            "drift",
            [
                FieldInput(
                    "email", (CE(entity="EMAIL_ADDRESS", hit_ratio=1, confidence=0.9),), ok_decl
                ),
                FieldInput("phone", (CE(entity="PHONE_NUMBER", hit_ratio=1, confidence=0.9),)),
                FieldInput("gone", declared=FieldDeclaration(name="gone", entity="PHONE_NUMBER")),
            ],
        ),
        classified("db", "undeclared", ("email", ("EMAIL_ADDRESS",))),
        classified("db", "no_pi", ("sku", ())),
    )
    assert run("inventory_matches_data", s, facts, classifications=cls) == {
        ("dataset:db.declared_ok", True),
        ("dataset:db.drift", False),
        ("dataset:db.undeclared", False),
        ("dataset:db.missing_table", False),
    }


def test_pi_fields_labelled() -> None:
    from guardrail.classify import FieldInput, classify_dataset
    from guardrail.model.detection import ColumnEntity as CE
    from guardrail.model.stack import FieldDeclaration

    s = stack(
        datastores=[
            {
                **DB,
                "datasets": [
                    {
                        "name": "good",
                        "fields": [{"name": "email", "categories": ["user.contact.email"]}],
                    },
                    {
                        "name": "typo",
                        "fields": [{"name": "email", "categories": ["user.contct.email"]}],
                    },
                ],
            }
        ]
    )
    cls = (
        classify_dataset(
            "db",
            "good",
            [
                FieldInput(
                    "email",
                    declared=FieldDeclaration(name="email", categories=("user.contact.email",)),
                )
            ],
        ),
        classify_dataset(
            "db",
            "typo",
            [
                FieldInput(
                    "email",
                    declared=FieldDeclaration(name="email", categories=("user.contct.email",)),
                )
            ],
        ),
        classify_dataset(
            "db",
            "plugin",
            [FieldInput("x", (CE(entity="LOYALTY_ID", hit_ratio=1, confidence=0.9),))],
        ),
    )
    assert run("pi_fields_labelled", s, classifications=cls) == {
        ("dataset:db.good", True),
        ("dataset:db.typo", False),
        ("dataset:db.plugin", False),
    }
