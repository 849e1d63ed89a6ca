"""Importing the shop's consent history (and CSV/JSONL files): mapping, resume, bad rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.consent.conftest import MAPPING_PATH, Clock

from guardrail.consent import ConsentRegistry
from guardrail.consent.importer import import_events, load_mapping
from guardrail.errors import ConfigError, InputError
from guardrail.model.consent import ImportColumns, ImportMapping

AT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _after_the_shop_data(clock: Clock) -> None:
    clock.now = AT  # the generated shop's events run up to 2026-06-30


def _db(shop: Path) -> Path:
    return shop / "data" / "shop.db"


def test_default_mapping_reads_the_shop_table(
    registry: ConsentRegistry, shop_template: Path
) -> None:
    result = import_events(registry, str(_db(shop_template)))
    assert (result.read, result.recorded, result.first_seq, result.last_seq) == (
        6000,
        6000,
        1,
        6000,
    )
    again = import_events(registry, str(_db(shop_template)))
    assert (again.read, again.recorded, again.resumed_after) == (0, 0, "6000")
    assert registry.verify().ok and registry.head[0] == 6000
    first = registry.event(1)
    conn = sqlite3.connect(_db(shop_template))
    row = conn.execute(
        "SELECT customer_id, purpose, action, channel FROM consent_events WHERE id = 1"
    ).fetchone()
    assert first.subject == registry.pseudonym(str(row[0]))
    assert (first.purpose, first.action.value, first.evidence_ref) == (
        row[1],
        row[2],
        "consent_events#1",
    )
    assert first.channel.value == row[3].replace("-", "_")


def test_shop_mapping_adds_regions_and_minor_ages(
    registry: ConsentRegistry, shop_template: Path
) -> None:
    result = import_events(registry, str(_db(shop_template)), load_mapping(MAPPING_PATH))
    assert result.recorded == 6000
    conn = sqlite3.connect(_db(shop_template))
    expected: dict[int, int] = {}
    for eid, born, occurred in conn.execute(
        "SELECT e.id, c.birth_date, e.occurred_at FROM consent_events e "
        "JOIN customers c ON c.id = e.customer_id WHERE c.birth_date IS NOT NULL"
    ):
        b, o = date.fromisoformat(born), datetime.fromisoformat(occurred).date()
        age = o.year - b.year - ((o.month, o.day) < (b.month, b.day))
        if age < 18:
            expected[eid] = age
    assert expected, "the generated shop has minors"
    got = {
        int(e.evidence_ref.split("#")[1]): e.minor_age
        for e in (registry.event(s) for s in range(1, 6001))
        if e.minor_age is not None and e.evidence_ref
    }
    assert got == expected
    regions = {registry.event(s).region for s in range(1, 6001, 97)}
    assert regions <= {"CN", "DE", "FR", "US-CA"} and len(regions) > 1


def test_csv_and_jsonl_sources(registry: ConsentRegistry, tmp_path: Path) -> None:
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        "row,who,what,did,when,notice\n"
        "1,u1,analytics,yes,2026-01-05 08:00:00,2025-02\n"
        "2,u2,analytics,no,2026-01-06T09:00:00+08:00,2025-02\n"
    )
    mapping = ImportMapping(
        key="row",
        table="events",
        columns=ImportColumns(
            subject="who",
            purpose="what",
            action="did",
            occurred_at="when",
            notice_version="notice",
            channel=None,
            separate_consent=None,
            gpc=None,
        ),
        actions={"yes": "given", "no": "refused"},  # type: ignore[dict-item]
        timezone="Asia/Shanghai",
    )
    result = import_events(registry, str(csv_file), mapping)
    assert result.recorded == 2
    e1, e2 = registry.event(1), registry.event(2)
    assert e1.occurred_at == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # naive = Asia/Shanghai
    assert e2.occurred_at == datetime(2026, 1, 6, 1, 0, tzinfo=UTC)
    assert (e1.action.value, e2.action.value, e1.channel.value) == ("given", "refused", "import")
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text(
        json.dumps(
            {
                "row": 3,
                "who": "u3",
                "what": "analytics",
                "did": "yes",
                "when": 1767225600,
                "notice": None,
            }
        )
        + "\n\n"
    )
    assert import_events(registry, str(jsonl), mapping).recorded == 1
    assert registry.event(3).occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_bad_rows_are_named_and_can_be_skipped(registry: ConsentRegistry, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        "id,customer_id,purpose,action,occurred_at\n"
        "1,c1,analytics,given,2026-01-01\n"
        "2,c2,analytics,perhaps,2026-01-01\n"
        "3,c3,analytics,given,not-a-date\n"
        "4,c4,analytics,given,2026-01-02\n"
    )
    mapping = ImportMapping(
        columns=ImportColumns(notice_version=None, channel=None, separate_consent=None, gpc=None)
    )
    with pytest.raises(InputError, match=r"row id=2: column 'action': unknown action 'perhaps'"):
        import_events(registry, str(f), mapping)
    assert registry.head[0] == 0  # the batch holding the bad row was not written
    result = import_events(registry, str(f), mapping, skip_invalid=True)
    assert (result.read, result.recorded, result.skipped) == (4, 2, 2)


def test_interrupted_import_resumes_without_duplicates(
    registry: ConsentRegistry, tmp_path: Path
) -> None:
    f = tmp_path / "e.csv"
    rows = [f"{i},c{i},analytics,given,2026-01-01" for i in range(1, 11)]
    rows[6] = "7,c7,analytics,given,garbage"
    f.write_text("id,customer_id,purpose,action,occurred_at\n" + "\n".join(rows) + "\n")
    mapping = ImportMapping(
        columns=ImportColumns(notice_version=None, channel=None, separate_consent=None, gpc=None)
    )
    with pytest.raises(InputError, match="row id=7"):
        import_events(registry, str(f), mapping, batch=3)
    assert registry.head[0] == 6  # batches 1-3 and 4-6 landed with their bookmark
    rows[6] = "7,c7,analytics,given,2026-01-01"
    f.write_text("id,customer_id,purpose,action,occurred_at\n" + "\n".join(rows) + "\n")
    result = import_events(registry, str(f), mapping, batch=3)
    assert (result.recorded, result.resumed_after) == (4, "6")
    subjects = [e.subject for s in range(1, 11) for e in [registry.event(s)]]
    assert len(set(subjects)) == 10 and registry.verify().ok


def test_dry_run_records_nothing(registry: ConsentRegistry, shop_template: Path) -> None:
    result = import_events(registry, str(_db(shop_template)), dry_run=True)
    assert (result.recorded, registry.head[0]) == (6000, 0)


def test_source_errors(registry: ConsentRegistry, tmp_path: Path, shop_template: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        import_events(registry, str(tmp_path / "none.csv"))
    (tmp_path / "junk.db").write_bytes(b"garbage")
    with pytest.raises(InputError, match="not a SQLite database"):
        import_events(registry, str(tmp_path / "junk.db"))
    with pytest.raises(InputError, match="cannot read the consent events"):
        import_events(registry, str(_db(shop_template)), ImportMapping(table="no_such_table"))
    with pytest.raises(ConfigError, match="plain table or column name"):
        import_events(registry, str(_db(shop_template)), ImportMapping(table="x; DROP TABLE y"))
    wrong = ImportMapping(columns=ImportColumns(subject="nobody"))
    with pytest.raises(InputError, match="no column 'nobody'"):
        import_events(registry, str(_db(shop_template)), wrong)


def test_mapping_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("schema_version: 1\ncolumns:\n  subjekt: customer_id\n")
    with pytest.raises(ConfigError, match=r"m.yaml:3: columns.subjekt: unknown key"):
        load_mapping(bad)
    bad.write_text("timezone: Mars/Olympus\n")
    with pytest.raises(ConfigError, match="unknown time zone"):
        import_events_with(bad)


def import_events_with(mapping_file: Path) -> None:
    from guardrail.consent.importer import _zone

    _zone(load_mapping(mapping_file).timezone)


@pytest.mark.integration
def test_import_from_postgresql(
    registry: ConsentRegistry, pg_database: str, shop_template: Path
) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_database)
    src = sqlite3.connect(_db(shop_template))
    rows = src.execute("SELECT * FROM consent_events ORDER BY id LIMIT 500").fetchall()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE consent_events (id int primary key, customer_id int, purpose text, "
            "action text, notice_version text, channel text, separate_consent int, gpc int, "
            "occurred_at text)"
        )
        conn.exec_driver_sql("INSERT INTO consent_events VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows)
    engine.dispose()
    result = import_events(registry, pg_database.replace("+psycopg", ""))
    assert (result.read, result.recorded) == (500, 500)
    assert "postgres@" not in result.source or "***" not in result.source
