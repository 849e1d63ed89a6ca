"""Streaming file scanning: text and logs, CSV/TSV, JSON Lines, Parquet, gzip; bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from guardrail import scan_file as top_scan_file
from guardrail.detect import Scanner, scan_file
from guardrail.detect import stream as stream_mod
from guardrail.detect.stream import file_kind
from guardrail.errors import InputError
from guardrail.model.detection import ColumnReport
from guardrail.model.scan import Finding
from guardrail.testing import Canaries

LOG = (
    "2026-06-30T00:00:00Z INFO start\n"
    "2026-06-30T00:00:01Z WARN sms failed phone=13812345678 email=a.b@example.com\n"
    "\n"
    "2026-06-30T00:00:02Z INFO 用户身份证11010519491231002X已核验\n"
)
_LINES = LOG.splitlines()
LOG_FOUND = [
    ("PHONE_NUMBER", 2, _LINES[1].index("13812345678") + 1, "138****5678"),
    ("EMAIL_ADDRESS", 2, _LINES[1].index("a.b@") + 1, "a***@example.com"),
    ("CN_RESIDENT_ID", 4, _LINES[3].index("1101") + 1, "110***********002X"),
]


def text_findings(items: list[Any]) -> list[tuple[str, int | None, int | None, str]]:
    return [(f.entity, f.line, f.column, f.preview) for f in items if isinstance(f, Finding)]


@pytest.mark.parametrize("name", ["app.log", "notes.txt", "app.log.gz", "README"])
def test_text_and_logs(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = LOG.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert file_kind(path) == "text"
    got = list(scan_file(path))
    assert text_findings(got) == LOG_FOUND
    first = got[0]
    assert first.source == str(path) and first.location() == {"line": 2, "column": 44}
    line = LOG.splitlines()[1]
    assert line[first.start : first.end] == "13812345678"
    assert top_scan_file is not None


def test_crlf_and_display_name(tmp_path: Path) -> None:
    path = tmp_path / "win.log"
    path.write_bytes(LOG.replace("\n", "\r\n").encode())
    got = list(scan_file(path, display="logs/win.log"))
    assert text_findings(got) == LOG_FOUND and {f.source for f in got} == {"logs/win.log"}


def test_long_lines_are_read_in_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_mod, "MAX_LINE", 64)
    path = tmp_path / "one-line.log"
    filler = "x" * 70
    path.write_text(f"{filler} 13812345678 {filler} a@b.cn\nnext 13912345678\n")
    got = [(f.entity, f.line, f.column) for f in scan_file(path)]
    # Pieces of 64 characters: the phone straddles no boundary (72..82), nor the e-mail.
    assert got == [("PHONE_NUMBER", 1, 72), ("EMAIL_ADDRESS", 1, 155), ("PHONE_NUMBER", 2, 6)]


def test_min_score_and_entities(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text(LOG)
    only = Scanner(entities=["EMAIL_ADDRESS"], plugins=False, ner=None)
    assert [f.entity for f in scan_file(path, scanner=only)] == ["EMAIL_ADDRESS"]
    # Only the mobile next to "phone=" reaches 1.0.
    assert [f.entity for f in scan_file(path, min_score=1.0)] == ["PHONE_NUMBER"]


ROWS = [
    {"id": "1", "name": "张伟", "phone": "13812345678", "note": "ok"},
    {"id": "2", "name": "王芳", "phone": "13912345678", "note": "邮箱 a.b@example.com"},
    {"id": "3", "name": "李娜", "phone": "13712345678", "note": "ok"},
]


def write_table(path: Path, rows: list[dict[str, str]]) -> None:
    kind = file_kind(path)
    if kind == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
        return
    if kind == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        sep = "\t" if kind == "tsv" else ","
        text = sep.join(rows[0]) + "\n" + "".join(sep.join(r.values()) + "\n" for r in rows)
    data = text.encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize(
    "name",
    [
        "people.csv",
        "people.tsv",
        "people.jsonl",
        "people.ndjson",
        "people.csv.gz",
        "people.parquet",
    ],
)
def test_table_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_table(path, ROWS)
    got = list(scan_file(path))
    findings = [f for f in got if isinstance(f, Finding)]
    reports = {r.column: r for r in got if isinstance(r, ColumnReport)}
    assert [(f.field, f.row, f.entity) for f in findings] == [
        ("phone", 0, "PHONE_NUMBER"),
        ("phone", 1, "PHONE_NUMBER"),
        ("note", 1, "EMAIL_ADDRESS"),
        ("phone", 2, "PHONE_NUMBER"),
    ]
    assert findings[0].location() == {"table": str(path), "column": "phone", "row": 0}
    assert {c: {e.entity for e in r.entities} for c, r in reports.items()} == {
        "id": set(),
        "name": {"PERSON"},  # a people table, by the file's name
        "phone": {"PHONE_NUMBER"},
        "note": {"EMAIL_ADDRESS"},
    }
    assert {r.sampled for r in reports.values()} == {3}


def test_table_file_sample_limits_rows(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    write_table(path, ROWS * 10)
    got = list(scan_file(path, sample=4))
    assert max(f.row for f in got if isinstance(f, Finding)) == 3
    assert {r.sampled for r in got if isinstance(r, ColumnReport)} == {4}


def test_table_file_batches_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_mod, "BATCH_ROWS", 2)
    path = tmp_path / "people.jsonl"
    write_table(path, ROWS * 3)
    got = list(scan_file(path))
    rows = [f.row for f in got if isinstance(f, Finding) and f.field == "phone"]
    assert rows == list(range(9))
    (phone,) = [r for r in got if isinstance(r, ColumnReport) and r.column == "phone"]
    assert phone.sampled == 9 and phone.entities[0].hit_ratio == 1.0


def test_findings_never_hold_values(tmp_path: Path) -> None:
    c = Canaries(seed=5)
    path = tmp_path / "planted.csv"
    rows = [{"phone": c.cn_mobile(), "card": c.card(), "rid": c.cn_resident_id()} for _ in range(5)]
    write_table(path, rows)
    log = tmp_path / "planted.log"
    log.write_text("\n".join(f"user {r['phone']} id {r['rid']} card {r['card']}" for r in rows))
    out = [repr(x) + x.model_dump_json() for x in [*scan_file(path), *scan_file(log)]]
    assert len(out) > 15
    c.assert_absent(*out)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.log", None, "cannot read .*missing.log"),
        ("latin1.log", "caf\xe9 13812345678".encode("latin-1"), "is not UTF-8 text"),
        ("broken.log.gz", b"\x1f\x8b\x08\x00not gzip at all", "cannot read .*broken.log.gz"),
        ("short.log.gz", gzip.compress(LOG.encode(), mtime=0)[:30], "cannot read .*short.log.gz"),
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', r"bad.jsonl:2 is not valid JSON"),
        ("bad.parquet", b"PAR1 this is not parquet", "is not a readable Parquet file"),
        ("bad.csv", b'a,b\n"x,1\n' + b"y" * 200_000 + b"\n", "is not valid csv"),
    ],
)
def test_bad_files_are_input_errors(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        list(scan_file(path))
    assert info.value.hint
    assert "13812345678" not in str(info.value)


def test_empty_files(tmp_path: Path) -> None:
    for name in ("empty.log", "empty.csv", "empty.jsonl"):
        (tmp_path / name).write_text("")
        assert list(scan_file(tmp_path / name)) == []
