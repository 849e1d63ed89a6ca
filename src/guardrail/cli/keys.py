"""``guardrail keys``: create, rotate, retire and list keyrings; create signing keys and export
their public JWKS (never printing key material)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from guardrail.cli._common import parse_time, write_text_atomic
from guardrail.cli._options import format_option
from guardrail.cli._ui import UI

if TYPE_CHECKING:
    from guardrail.crypto import SigningKey

__all__ = ["ALG_OPTION", "KID_OPTION", "keys", "new_signing_key"]


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
    """Manage keyrings for field encryption, pseudonyms and FF1, and signing keys.

    \b
    Keys are written to files with mode 0600 and are never printed; 'list' shows key ids,
    status and creation times only. 'signing-key' makes the private JWK that signs reports
    (audit --sign) and consent receipts (consent --signing-key); 'jwks' exports the public
    halves for verifiers.
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


#: The options of a new signing key (here and in 'consent keygen').
ALG_OPTION = click.option(
    "--alg",
    type=click.Choice(["EdDSA", "ES256"]),
    default="EdDSA",
    show_default=True,
    help="EdDSA (Ed25519) or ES256 (P-256).",
)
KID_OPTION = click.option(
    "--kid", help="Key id (default: the RFC 7638 thumbprint of the public key)."
)


@keys.command(name="signing-key")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@ALG_OPTION
@KID_OPTION
@click.option(
    "--jwks",
    "jwks_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the public JWKS (for verifiers) to this file.",
)
@click.pass_obj
def signing_key(ui: UI, file: Path, alg: str, kid: str | None, jwks_path: Path | None) -> None:
    """Create a private signing key FILE: a JWK, mode 0600 (refuses to overwrite).

    \b
    guardrail keys signing-key compliance.jwk --kid compliance-2026 --jwks compliance.jwks.json
    guardrail audit examples/shop -o json --sign compliance.jwk
    guardrail verify-report guardrail-out/report.json --key compliance.jwks.json
    """
    if jwks_path is not None and jwks_path.exists():
        # Checked first, so a refused JWKS leaves no key behind.
        raise click.UsageError(f"{jwks_path} already exists; choose another --jwks file")
    key = new_signing_key(file, alg, kid)
    ui.info(f"created signing key {file}: kid {key.kid}, {key.alg} (private: keep it secret)")
    if jwks_path is not None:
        write_text_atomic(jwks_path, _jwks_text([key]))
        ui.info(f"wrote the public JWKS {jwks_path}")


@keys.command(name="jwks")
@click.argument("keys_", metavar="KEY...", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JWKS to this file instead of standard output.",
)
@click.pass_obj
def jwks_(ui: UI, keys_: tuple[str, ...], output: Path | None) -> None:
    """Print the public JWKS of private signing keys (JWK files or env:VARIABLE).

    Only public members are written: hand the result to whoever verifies your reports
    (verify-report --key) or consent receipts.
    """
    from guardrail.report.signing import load_signing_key

    loaded = [load_signing_key(k) for k in keys_]
    kids = [k.kid for k in loaded]
    if len(set(kids)) != len(kids):
        raise click.UsageError("two keys share a key id; give each key its own --kid")
    if output is None:
        ui.raw(_jwks_text(loaded))
        return
    write_text_atomic(output, _jwks_text(loaded))
    ui.info(f"wrote the public JWKS of {len(loaded)} key(s) to {output}")


def new_signing_key(path: Path, alg: str, kid: str | None) -> SigningKey:
    """Generate a signing key and save it at ``path`` (private JWK, mode 0600, no overwrite)."""
    from guardrail.crypto import SigningKey

    key = SigningKey.generate("ES256" if alg == "ES256" else "EdDSA", kid=kid)
    key.save(path)
    return key


def _jwks_text(loaded: list[SigningKey]) -> str:
    """The public JWKS of ``loaded`` as indented JSON (public members only)."""
    from guardrail.crypto import jwks

    return json.dumps(jwks(loaded), indent=2) + "\n"
