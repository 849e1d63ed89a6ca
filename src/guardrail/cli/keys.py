"""``guardrail keys``: create, rotate, retire and list keyrings (never printing key material)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from guardrail.cli._common import parse_time
from guardrail.cli._options import format_option
from guardrail.cli._ui import UI

__all__ = ["keys"]


_KMS = click.option(
    "--kms",
    "kms_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A LocalKMS key-encryption-key file: the keyring's keys are stored wrapped by it.",
)
_AT = click.option("--at", metavar="TIME", help="Creation time to record (ISO 8601).")


def _kms(path: Path | None, *, create: bool, ui: UI) -> Any:
    if path is None:
        return None
    from guardrail.crypto import LocalKMS

    if create and not path.exists():
        kms = LocalKMS.create(path)
        ui.info(f"created key-encryption-key file {path} (keep it apart from the data)")
        return kms
    return LocalKMS(path)


@click.group()
def keys() -> None:
    """Manage keyrings for field encryption, pseudonyms and FF1.

    \b
    Keys are written to files with mode 0600 and are never printed; 'list' shows key ids,
    status and creation times only.
    """


@keys.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_KMS
@_AT
@click.pass_obj
def create(ui: UI, file: Path, kms_path: Path | None, at: str | None) -> None:
    """Create a keyring FILE with one primary key (refuses to overwrite).

    With --kms, the key is stored wrapped by the KMS's key-encryption key (created if the
    KMS file does not exist yet).
    """
    from guardrail.crypto import Keyring

    kms = _kms(kms_path, create=True, ui=ui)
    kr = Keyring.generate(at=parse_time(at, naive="reject"))
    kr.save(file, kms=kms)
    ui.info(f"created keyring {file} with primary key {kr.primary_id}")


@keys.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_KMS
@_AT
@click.pass_obj
def rotate(ui: UI, file: Path, kms_path: Path | None, at: str | None) -> None:
    """Add a new primary key to FILE; older keys stay for decryption only.

    Then re-encrypt existing tokens with 'guardrail protect SOURCE --policy P --rotate' and
    retire the old key with 'guardrail keys retire FILE KEY_ID'.
    """
    from guardrail.crypto import Keyring

    kms = _kms(kms_path, create=False, ui=ui)
    old = Keyring.from_file(file, kms=kms)
    new = old.rotate(at=parse_time(at, naive="reject"))
    new.save(file, kms=kms, overwrite=True)
    ui.info(f"rotated {file}: primary key {new.primary_id} (was {old.primary_id})")


@keys.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("key_id")
@_KMS
@click.pass_obj
def retire(ui: UI, file: Path, key_id: str, kms_path: Path | None) -> None:
    """Remove KEY_ID from FILE. Tokens still under that key become unreadable."""
    from guardrail.crypto import Keyring

    kms = _kms(kms_path, create=False, ui=ui)
    kr = Keyring.from_file(file, kms=kms).retire(key_id)
    kr.save(file, kms=kms, overwrite=True)
    ui.info(f"retired key {key_id} from {file}; {len(kr)} key(s) remain")


@keys.command(name="list")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_KMS
@format_option("table", "json", help="Output format.")
@click.pass_obj
def list_(ui: UI, file: Path, kms_path: Path | None, fmt: str) -> None:
    """List the keys of FILE: id, status (primary / decrypt-only) and creation time."""
    from guardrail.crypto import Keyring

    kms = _kms(kms_path, create=False, ui=ui)
    info = Keyring.from_file(file, kms=kms).info()
    if fmt == "json":
        ui.raw(json.dumps([k.model_dump(mode="json") for k in info], indent=2) + "\n")
        return
    from rich.table import Table

    table = Table(title=f"keyring {file}" + (" (wrapped)" if kms else ""))
    for col in ("key id", "status", "created"):
        table.add_column(col)
    for k in info:
        table.add_row(k.id, k.status, k.created.isoformat(timespec="seconds"))
    ui.print(table)
