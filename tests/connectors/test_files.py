from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from guardrail.connectors import open_source
from guardrail.connectors.files import FileConnector, file_kind
from guardrail.errors import ConnectorError, InputError


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.log", "text"),
        ("a.log.gz", "text"),
        ("a.csv", "csv"),
        ("a.jsonl.gz", "jsonl"),
        ("a.parquet", "parquet"),
        ("README", "text"),
    ],
)
def test_file_kind(name: str, kind: str) -> None:
    assert file_kind(Path(name)) == kind


def test_text_chunks_keep_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("".join(f"line {i}\n" for i in range(1, 101)))
    conn = open_source("a.log", base_dir=tmp_path)
    assert isinstance(conn, FileConnector)
    chunks = list(conn.read_text_chunks(conn.files[0], chunk_chars=64))
    assert chunks[0].line == 1
    for c in chunks:
        assert c.text.splitlines()[0] == f"line {c.line}"
    assert "line 5" not in repr(chunks[0])


def test_gzip_and_glob(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    with gzip.open(tmp_path / "logs" / "old.log.gz", "wt") as fh:
        fh.write("hello\n")
    (tmp_path / "logs" / "new.log").write_text("world\n")
    conn = open_source("file:logs/*.log*", base_dir=tmp_path)
    assert [c.text for c in conn.texts()] == ["world\n", "hello\n"]


def test_tables_from_csv_jsonl_parquet(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("name,phone\nAnna,13812345678\nBo,\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"email": "a@b.cn", "n": 1}) + "\n")
    pq.write_table(pa.table({"ip": ["10.0.0.1", None]}), tmp_path / "c.parquet")
    conn = open_source("*", base_dir=tmp_path)
    tables = {t.name: t for t in conn.tables()}
    assert set(tables) == {"a.csv", "b.jsonl", "c.parquet"}
    assert list(conn.sample(tables["a.csv"]).column("phone").values) == ["13812345678", ""]
    assert list(conn.sample(tables["b.jsonl"]).column("n").values) == ["1"]
    assert list(conn.sample(tables["c.parquet"]).column("ip").values) == ["10.0.0.1", None]


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="no files match"):
        open_source("missing/*.log", base_dir=tmp_path)
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        open_source("x.parquet", base_dir=tmp_path).tables()
    (tmp_path / "y.jsonl").write_text('{"a": 1}\n{oops\n')
    conn = open_source("y.jsonl", base_dir=tmp_path)
    with pytest.raises(InputError, match=r"y.jsonl:2 is not valid JSON"):
        conn.sample(conn.tables()[0])
    (tmp_path / "z.log.gz").write_bytes(b"\x1f\x8b\x08\x00truncated")
    conn = open_source("z.log.gz", base_dir=tmp_path)
    with pytest.raises(InputError, match="cannot read"):
        list(conn.texts())
