"""The helpers the commands share: ``--at`` times, the output folder, atomic writes."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import click
import pytest

from guardrail.cli._common import (
    make_output_dir,
    parse_time,
    time_or_now,
    write_file,
    write_text_atomic,
)
from guardrail.errors import InputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-30T00:00:00Z", datetime(2026, 6, 30, tzinfo=UTC)),
        ("2026-06-30T08:00:00+08:00", datetime(2026, 6, 30, tzinfo=UTC)),
        ("2026-06-30", datetime(2026, 6, 30, tzinfo=UTC)),  # no zone: UTC
    ],
)
def test_parse_time_reads_iso_8601(value: str, expected: datetime) -> None:
    parsed = parse_time(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_parse_time_keeps_the_given_zone() -> None:
    parsed = parse_time("2026-06-30T08:00:00+08:00", naive="reject")
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parsed.tzinfo == timezone(timedelta(hours=8))


def test_parse_time_passes_none_through() -> None:
    assert parse_time(None) is None
    assert parse_time(None, naive="reject") is None


def test_parse_time_names_the_option_and_the_fix() -> None:
    with pytest.raises(click.BadParameter) as err:
        parse_time("yesterday", param="--expires")
    assert err.value.param_hint == "--expires"
    assert err.value.format_message() == (
        "Invalid value for --expires: 'yesterday' is not an ISO 8601 time "
        "(e.g. 2026-06-30T00:00:00Z)"
    )


def test_parse_time_repeats_at_most_40_characters_of_a_bad_value() -> None:
    with pytest.raises(click.BadParameter) as err:
        parse_time("x" * 39 + "SECRET-TAIL")
    message = err.value.format_message()
    assert "'" + "x" * 39 + "S'" in message
    assert "SECRET-TAIL" not in message


def test_parse_time_can_refuse_a_time_without_a_zone() -> None:
    with pytest.raises(click.BadParameter, match=r"give a time zone \(e\.g\. \.\.\.Z or \+08:00\)"):
        parse_time("2026-06-30T00:00:00", naive="reject")


def test_time_or_now() -> None:
    assert time_or_now("2026-06-30T00:00:00Z") == datetime(2026, 6, 30, tzinfo=UTC)
    before = datetime.now(UTC)
    now = time_or_now(None)
    assert before <= now <= datetime.now(UTC)
    with pytest.raises(click.BadParameter) as err:
        time_or_now("soon")
    assert err.value.param_hint == "--at"


def test_make_output_dir(tmp_path: Path) -> None:
    make_output_dir(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
    make_output_dir(tmp_path / "a" / "b")  # already there: fine
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError) as err:
        make_output_dir(tmp_path / "file" / "out")
    assert err.value.hint == "choose another --output-dir"
    assert "cannot create the output folder" in err.value.message


def test_write_file_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    write_file(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_text_atomic_streams_pieces_privately(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "events.jsonl"
    write_text_atomic(target, iter(["a\n", "b\r\n"]))
    assert target.read_bytes() == b"a\nb\r\n"  # line ends as written
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_text_atomic(target, "ü\n")
    assert target.read_bytes() == "ü\n".encode()
    assert sorted(p.name for p in target.parent.iterdir()) == ["events.jsonl"]


def test_write_text_atomic_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def pieces() -> Iterator[str]:
        yield "half"
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_text_atomic(target, pieces())
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
