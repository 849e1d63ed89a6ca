"""``guardrail consent``: the consent registry from the command line.

Every subcommand opens the registry named by ``--registry`` (default ``sqlite:///consent.db``,
or ``$GUARDRAIL_CONSENT_URL``) with the keyring from ``--keyring FILE`` or
``$GUARDRAIL_KEYRING``. Subjects are pseudonymised before they are stored or looked up and are
never printed; pass ``-`` as SUBJECT to read it from stdin (keeps it out of the process list and
shell history).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from guardrail.cli._common import parse_time, write_text_atomic
from guardrail.cli._options import format_option, lang_option
from guardrail.cli._ui import UI
from guardrail.cli.keys import ALG_OPTION, KID_OPTION, new_signing_key
from guardrail.errors import ExitCode, InputError

if TYPE_CHECKING:
    from guardrail.consent.registry import ConsentRegistry
    from guardrail.model.consent import ConsentEvent, ConsentState, VerifyReport

__all__ = ["consent"]

URL_ENV = "GUARDRAIL_CONSENT_URL"
CATALOG_ENV = "GUARDRAIL_CONSENT_CATALOG"
SIGNING_ENV = "GUARDRAIL_CONSENT_SIGNING_KEY"
TOKENS_ENV = "GUARDRAIL_CONSENT_TOKENS"


@dataclass
class _Ctx:
    ui: UI
    url: str
    catalog: Path | None
    keyring: Path | None
    signing_key: Path | None
    lang: str

    def open(self, *, create: bool = False, signing: bool = False) -> ConsentRegistry:
        from guardrail.consent import ConsentRegistry
        from guardrail.crypto import Keyring, SigningKey

        keyring = Keyring.from_file(self.keyring) if self.keyring else Keyring.from_env()
        key = None
        if self.signing_key is not None:
            key = SigningKey.load(self.signing_key)
        elif os.environ.get(SIGNING_ENV):
            key = SigningKey.from_env(SIGNING_ENV)
        elif signing:
            from guardrail.errors import ConfigError

            raise ConfigError(
                "no signing key for consent receipts",
                hint=f"pass --signing-key FILE or set {SIGNING_ENV}; create one with "
                "'guardrail consent keygen FILE'",
            )
        return ConsentRegistry(
            self.url, keyring=keyring, catalog=self.catalog, signing_key=key, create=create
        )


def _at(value: str | None, name: str = "--at") -> datetime | None:
    """An ISO 8601 option value; surrounding blanks are ignored (values often come pasted)."""
    return None if value is None else parse_time(value.strip(), param=name)


def _subject(value: str) -> str:
    """SUBJECT, or the first line of stdin for '-'."""
    if value == "-":
        line = sys.stdin.readline().strip()
        if not line:
            raise InputError("no subject on stdin", hint="pipe the subject id in, one line")
        return line
    return value


def _short(pseudonym: str) -> str:
    return pseudonym[:12] + "…" if len(pseudonym) > 13 else pseudonym or "(erased)"


def _time(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if dt is not None else "—"


def _json(ui: UI, payload: Any) -> None:
    ui.raw(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _events_table(
    ui: UI, events: tuple[ConsentEvent, ...] | list[ConsentEvent], title: str
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in (
        "#",
        "occurred (UTC)",
        "purpose",
        "action",
        "channel",
        "notice",
        "separate",
        "GPC",
        "evidence",
    ):
        table.add_column(col)
    for e in events:
        table.add_row(
            str(e.seq),
            _time(e.occurred_at),
            e.purpose or "(all)",
            e.action.value + (" (erased)" if e.erased else ""),
            e.channel.value,
            e.notice_version or "—",
            "yes" if e.separate_consent else "",
            "yes" if e.gpc else "",
            e.evidence.value if e.evidence else "",
        )
    ui.print(table)


def _states_table(ui: UI, states: tuple[ConsentState, ...], lang: str, title: str) -> None:
    from rich.table import Table

    from guardrail.model.consent import reason_text

    table = Table(title=title, title_justify="left")
    for col in ("purpose", "valid", "state", "reason", "since", "notice", "flags", "refs"):
        table.add_column(col)
    for s in states:
        flags = [
            f
            for f, on in (
                ("separate", s.separate_consent),
                ("opted-out", s.opted_out),
                ("GPC", s.gpc),
                ("SPI-limited", s.sensitive_limited),
                (
                    f"minor {s.minor_age}" if s.minor_age is not None else "",
                    s.minor_age is not None,
                ),
                ("guardian", s.guardian),
            )
            if on
        ]
        table.add_row(
            s.purpose,
            "[green]yes[/]" if s.valid else "[red]no[/]",
            s.lifecycle.value,
            reason_text(s.reason).get(lang)
            if s.reason
            else ("not required" if not s.consent_required else ""),
            _time(s.since),
            s.notice_version or "—",
            ", ".join(flags),
            "; ".join(str(r) for r in s.refs),
        )
    ui.print(table)


FORMAT = format_option("table", "json", help="Output format.")


@click.group()
@click.option(
    "--registry",
    "url",
    envvar=URL_ENV,
    default="sqlite:///consent.db",
    show_default=True,
    metavar="URL",
    help=f"Registry database: sqlite:///file.db or postgresql://user@host/db (also ${URL_ENV}).",
)
@click.option(
    "--catalog",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=CATALOG_ENV,
    help=f"Purposes catalog YAML; stored in the registry for later runs (also ${CATALOG_ENV}).",
)
@click.option(
    "--keyring",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keyring file for subject pseudonyms (default: $GUARDRAIL_KEYRING).",
)
@click.option(
    "--signing-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Private JWK that signs receipts (also ${SIGNING_ENV}).",
)
@lang_option("Language of explanations.")
@click.pass_context
def consent(
    ctx: click.Context,
    url: str,
    catalog: Path | None,
    keyring: Path | None,
    signing_key: Path | None,
    lang: str,
) -> None:
    """Consent registry: append-only, hash-chained consent with signed receipts.

    \b
    Exit codes: 0 ok · 1 consent missing (status --require) or a broken chain (verify)
    · 2 usage, configuration or input error · 3 the registry could not be read or written.
    """
    ui = ctx.obj if isinstance(ctx.obj, UI) else UI()
    ctx.obj = _Ctx(ui, url, catalog, keyring, signing_key, lang)


@consent.command()
@click.argument("subject")
@click.argument("purpose", required=False)
@click.option(
    "--action",
    type=click.Choice(
        ["given", "refused", "withdrawn", "expired", "opt_out", "opt_in", "limit_sensitive", "gpc"]
    ),
    default="given",
    show_default=True,
)
@click.option("--at", "at", metavar="TIME", help="When the choice was made (default: now).")
@click.option("--notice", "notice", metavar="VERSION", help="Notice version (default: in force).")
@click.option(
    "--channel",
    type=click.Choice(
        [
            "web",
            "app",
            "mini_program",
            "email",
            "phone",
            "in_person",
            "paper",
            "api",
            "browser_signal",
            "import",
            "other",
        ]
    ),
    default="web",
    show_default=True,
)
@click.option("--separate", is_flag=True, help="Separate consent (单独同意, PIPL Arts. 23-39).")
@click.option("--gpc", is_flag=True, help="The browser sent Sec-GPC: 1.")
@click.option("--region", metavar="CODE", help="The subject's region (CN, DE, US-CA ...).")
@click.option("--minor-age", type=click.IntRange(0, 17), help="Age of a minor subject.")
@click.option("--guardian", metavar="ID", help="The guardian who consented (pseudonymised).")
@click.option(
    "--evidence",
    type=click.Choice(
        [
            "checkbox",
            "button",
            "signature",
            "double_opt_in",
            "verbal_recorded",
            "settings",
            "gpc_header",
            "imported",
            "other",
        ]
    ),
)
@click.option("--evidence-ref", metavar="REF", help="Opaque reference to the evidence.")
@click.option("--expires", metavar="TIME", help="When this consent expires.")
@click.option("--receipt", is_flag=True, help="Also print a signed receipt (JWT).")
@FORMAT
@click.pass_obj
def record(
    c: _Ctx,
    subject: str,
    purpose: str | None,
    action: str,
    at: str | None,
    notice: str | None,
    channel: str,
    separate: bool,
    gpc: bool,
    region: str | None,
    minor_age: int | None,
    guardian: str | None,
    evidence: str | None,
    evidence_ref: str | None,
    expires: str | None,
    receipt: bool,
    fmt: str,
) -> None:
    """Record a choice of SUBJECT about PURPOSE (omit PURPOSE for opt_out/opt_in/gpc)."""
    with c.open(create=True, signing=receipt) as reg:
        event = reg.record(
            _subject(subject),
            purpose,
            action,
            at=_at(at),
            notice_version=notice,
            channel=channel,
            separate_consent=separate,
            gpc=gpc,
            region=region,
            minor_age=minor_age,
            guardian=guardian,
            evidence=evidence,
            evidence_ref=evidence_ref,
            expires_at=_at(expires, "--expires"),
        )
        token = reg.receipt(event.seq) if receipt else None
    if fmt == "json":
        payload: dict[str, Any] = {"event": event.model_dump(mode="json")}
        if token:
            payload["receipt"] = token
        _json(c.ui, payload)
        return
    _events_table(c.ui, [event], "recorded")
    if token:
        c.ui.raw(token + "\n")


@consent.command()
@click.argument("subject")
@click.argument("purposes", nargs=-1)
@click.option("--at", "at", metavar="TIME", help="When it was withdrawn (default: now).")
@click.option(
    "--opt-out", is_flag=True, help="Also opt out of sale/sharing and limit sensitive PI."
)
@FORMAT
@click.pass_obj
def withdraw(
    c: _Ctx, subject: str, purposes: tuple[str, ...], at: str | None, opt_out: bool, fmt: str
) -> None:
    """Withdraw SUBJECT's consent to PURPOSES (default: every purpose consented to)."""
    with c.open(create=False) as reg:
        events = reg.withdraw(
            _subject(subject), list(purposes) or None, at=_at(at), opt_out=opt_out
        )
    if fmt == "json":
        _json(c.ui, {"events": [e.model_dump(mode="json") for e in events]})
    elif events:
        _events_table(c.ui, events, f"{len(events)} event(s) recorded")
    else:
        c.ui.info("nothing to withdraw: no consent is currently given")


@consent.command()
@click.argument("subject")
@click.argument("purposes", nargs=-1)
@click.option("--at", "at", metavar="TIME", help="State as of this time (default: now).")
@click.option("--require", is_flag=True, help="Exit 1 unless every purpose is covered.")
@FORMAT
@click.pass_obj
def status(
    c: _Ctx, subject: str, purposes: tuple[str, ...], at: str | None, require: bool, fmt: str
) -> int:
    """Show SUBJECT's consent state for PURPOSES (default: every purpose of the catalog)."""
    with c.open() as reg:
        states = reg.statuses(_subject(subject), list(purposes) or None, at=_at(at))
    if fmt == "json":
        _json(c.ui, {"states": [s.model_dump(mode="json") for s in states]})
    else:
        _states_table(c.ui, states, c.lang, "consent status")
    if require and not all(s.valid for s in states):
        missing = [s.purpose for s in states if not s.valid]
        c.ui.info(f"consent missing for: {', '.join(missing)}")
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)


@consent.command()
@click.argument("subject")
@format_option("table", "json", "jsonl")
@click.pass_obj
def history(c: _Ctx, subject: str, fmt: str) -> None:
    """Every event of SUBJECT, oldest first."""
    with c.open() as reg:
        events = reg.history(_subject(subject))
    if fmt == "json":
        _json(c.ui, {"events": [e.model_dump(mode="json") for e in events]})
    elif fmt == "jsonl":
        c.ui.raw("".join(e.model_dump_json() + "\n" for e in events))
    else:
        _events_table(c.ui, events, f"{len(events)} event(s)")


@consent.command()
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A receipt or checkpoint file (JWT) the chain must still agree with.",
)
@FORMAT
@click.pass_obj
def verify(c: _Ctx, anchors: tuple[Path, ...], fmt: str) -> int:
    """Verify the hash chain: report edited, deleted, reordered and truncated events.

    Exits 1 if the chain is broken.
    """
    tokens = [p.read_text(encoding="utf-8").strip() for p in anchors]
    with c.open() as reg, c.ui.progress("verifying the consent chain") as bar:
        report = reg.verify(
            anchors=tokens,
            progress=lambda done, total: bar(f"verified {done:,} events", done, total),
        )
    if fmt == "json":
        _json(c.ui, report.model_dump(mode="json"))
    else:
        _verify_table(c.ui, report)
    return int(ExitCode.OK if report.ok else ExitCode.FINDINGS)


def _verify_table(ui: UI, report: VerifyReport) -> None:
    from rich.table import Table

    if report.ok:
        ui.print(
            f"OK: {report.events:,} events verified ({report.erased:,} erased), "
            f"head #{report.head_seq} {report.head_chain[:16]}…"
        )
        return
    table = Table(title="chain problems", title_justify="left")
    for col in ("#", "kind", "problem"):
        table.add_column(col)
    for p in report.problems:
        where = f"{p.seq}" if p.last_seq is None else f"{p.seq}..{p.last_seq}"
        table.add_row(where, p.kind.value, p.message)
    ui.print(table)
    more = " (more not shown)" if report.problems_truncated else ""
    ui.print(f"BROKEN: {len(report.problems)} problem(s){more} in {report.events:,} events")


@consent.command(name="import")
@click.argument("source")
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Column mapping YAML (default: the example shop's consent_events columns).",
)
@click.option("--batch", type=click.IntRange(1, 100_000), default=5000, show_default=True)
@click.option("--skip-invalid", is_flag=True, help="Skip rows that cannot be converted.")
@click.option("--dry-run", is_flag=True, help="Convert and check every row; record nothing.")
@FORMAT
@click.pass_obj
def import_(
    c: _Ctx,
    source: str,
    mapping: Path | None,
    batch: int,
    skip_invalid: bool,
    dry_run: bool,
    fmt: str,
) -> None:
    """Import consent events from SOURCE: a SQLite file, a database URL, a CSV or JSONL file.

    Resumable: a repeated run imports only rows after the last one imported.
    """
    from guardrail.consent.importer import import_events, load_mapping

    spec = load_mapping(mapping) if mapping else None
    with c.open(create=True) as reg, c.ui.progress("importing consent events") as bar:
        result = import_events(
            reg,
            source,
            spec,
            batch=batch,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            progress=lambda done, total: bar(f"imported {done:,} rows", done, total),
        )
    if fmt == "json":
        _json(c.ui, result.model_dump(mode="json"))
        return
    verb = "would record" if dry_run else "recorded"
    tail = f", skipped {result.skipped:,}" if result.skipped else ""
    seqs = f" (#{result.first_seq}..#{result.last_seq})" if result.first_seq else ""
    resumed = f"; resumed after key {result.resumed_after}" if result.resumed_after else ""
    c.ui.print(
        f"{result.source}: read {result.read:,} rows, {verb} {result.recorded:,} events{seqs}{tail}{resumed}"
    )


@consent.command()
@click.argument("subject", required=False)
@click.option("--all", "everything", is_flag=True, help="Export every event (JSONL).")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE."
)
@click.option("--at", "at", metavar="TIME", help="States as of this time (default: now).")
@click.pass_obj
def export(
    c: _Ctx, subject: str | None, everything: bool, output: Path | None, at: str | None
) -> None:
    """Export SUBJECT's full history and current states as JSON (access, portability), or
    with --all every event as JSONL (backup)."""
    if everything == (subject is not None):
        raise click.UsageError("give either SUBJECT or --all")
    with c.open() as reg:
        if everything:
            from guardrail.consent.events import row_to_event

            def lines() -> Iterator[str]:  # one chunk per batch of 10,000 events
                for _head, rows in reg.store.scan():
                    yield "".join(row_to_event(r).model_dump_json() + "\n" for r in rows)

            if output is None:
                for line in lines():
                    c.ui.raw(line)
                return
            write_text_atomic(output, lines())
            c.ui.info(f"wrote {output}")
            return
        assert subject is not None
        who = _subject(subject)
        events = reg.history(who)
        states = reg.statuses(who, at=_at(at))
        doc = {
            "format": "guardrail-consent-export",
            "version": 1,
            "subject": reg.pseudonym(who),
            "exported_at": (_at(at) or datetime.now(UTC)).isoformat(),
            "controller": reg.catalog.controller.model_dump(mode="json"),
            "events": [e.model_dump(mode="json") for e in events],
            "states": [s.model_dump(mode="json") for s in states],
        }
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        c.ui.raw(text)
    else:
        write_text_atomic(output, text)
        c.ui.info(f"wrote {output}")


@consent.command()
@click.argument("subject")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def erase(c: _Ctx, subject: str, yes: bool) -> None:
    """Erase SUBJECT's consent history behind a tombstone (the chain still verifies)."""
    who = _subject(subject)
    if not yes and not click.confirm("Erase this subject's consent history for good?", err=True):
        raise click.Abort()
    with c.open() as reg:
        done = reg.erase(who)
    if done.tombstone is None:
        c.ui.info("nothing to erase: the registry holds no events of this subject")
    else:
        c.ui.print(f"erased {done.erased} event(s); tombstone #{done.tombstone.seq}")


@consent.command()
@click.argument("ref")
@format_option("jwt", "kantara", help="The signed JWT, or its Kantara 1.1 JSON view.")
@click.pass_obj
def receipt(c: _Ctx, ref: str, fmt: str) -> None:
    """Print the receipt of event REF (event id or sequence number)."""
    with c.open(signing=fmt == "jwt") as reg:
        if fmt == "jwt":
            c.ui.raw(reg.receipt(ref) + "\n")
        else:
            _json(c.ui, reg.kantara(ref))


@consent.command()
@click.pass_obj
def jwks(c: _Ctx) -> None:
    """Print the public keys that verify receipts (JWKS)."""
    from guardrail.crypto import SigningKey
    from guardrail.crypto import jwks as make_jwks

    if c.signing_key is not None:
        key = SigningKey.load(c.signing_key)
    elif os.environ.get(SIGNING_ENV):
        key = SigningKey.from_env(SIGNING_ENV)
    else:
        from guardrail.errors import ConfigError

        raise ConfigError("no signing key", hint=f"pass --signing-key FILE or set {SIGNING_ENV}")
    _json(c.ui, make_jwks([key]))


@consent.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@ALG_OPTION
@KID_OPTION
@click.pass_obj
def keygen(c: _Ctx, path: Path, alg: str, kid: str | None) -> None:
    """Create a receipt signing key at PATH (private JWK, mode 0600).

    The same as 'guardrail keys signing-key PATH', which also writes the public JWKS."""
    key = new_signing_key(path, alg, kid)
    c.ui.print(f"wrote {alg} signing key {key.kid} to {path}")


@consent.command()
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def checkpoint(c: _Ctx, output: Path | None) -> None:
    """Sign the current head of the chain; keep it elsewhere and pass it to verify --anchor."""
    with c.open(signing=True) as reg:
        token = reg.checkpoint()
    if output is None:
        c.ui.raw(token + "\n")
    else:
        write_text_atomic(output, token + "\n")
        c.ui.info(f"wrote {output}")


@consent.command()
@click.option("--at", "at", metavar="TIME", help="Facts as of this time (default: now).")
@click.option(
    "--processing",
    "processing",
    multiple=True,
    metavar="PURPOSE=FILE",
    help="Subjects processed for PURPOSE, one id per line (repeatable).",
)
@click.option("--verify/--no-verify", "check", default=False, help="Also verify the chain.")
@FORMAT
@click.pass_obj
def facts(c: _Ctx, at: str | None, processing: tuple[str, ...], check: bool, fmt: str) -> None:
    """Counts for the audit: consent coverage and gaps per purpose."""
    from guardrail.consent.facts import consent_facts

    sets: dict[str, list[str]] = {}
    for item in processing:
        purpose, sep, file = item.partition("=")
        if not sep or not purpose or not file:
            raise click.BadParameter("write PURPOSE=FILE", param_hint="--processing")
        path = Path(file)
        if not path.is_file():
            raise InputError(f"processing file not found: {path}", hint="check the path")
        sets[purpose] = [
            ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()
        ]
    with c.open() as reg:
        result = consent_facts(
            reg, at=_at(at) or datetime.now(UTC), processing=sets or None, verify=check
        )
    if fmt == "json":
        _json(c.ui, result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table(title=f"consent facts at {_time(result.at)} UTC", title_justify="left")
    for col in (
        "purpose",
        "subjects",
        "valid",
        "processed",
        "coverage",
        "separate gaps",
        "withdrawals not propagated",
        "minors w/o guardian",
        "GPC not honoured",
    ):
        table.add_column(col)
    for p in result.purposes:
        table.add_row(
            p.purpose,
            f"{p.subjects:,}",
            f"{p.valid:,}",
            "—" if p.processed is None else f"{p.processed:,}",
            "—" if p.coverage is None else f"{p.coverage:.1%}",
            f"{p.separate_consent_gaps:,}",
            "—" if p.withdrawals_not_propagated is None else f"{p.withdrawals_not_propagated:,}",
            f"{p.minors_without_guardian:,}",
            "—" if p.gpc_not_honoured is None else f"{p.gpc_not_honoured:,}",
        )
    c.ui.print(table)


@consent.command()
@click.argument("what", type=click.Choice(["catalog", "mapping"]))
@click.pass_obj
def schema(c: _Ctx, what: str) -> None:
    """Print the JSON Schema of the purposes catalog or of an import mapping."""
    from guardrail.model.consent import ConsentCatalog, ImportMapping

    model = ConsentCatalog if what == "catalog" else ImportMapping
    doc = model.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = f"guardrail consent {what}"
    _json(c.ui, doc)


@consent.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help=f"Bearer tokens, one per line (default: ${TOKENS_ENV}, comma-separated).",
)
@click.option(
    "--max-body", type=click.IntRange(256, 16 * 1024 * 1024), default=64 * 1024, show_default=True
)
@click.option(
    "--warm/--no-warm",
    default=True,
    show_default=True,
    help="Load the look-up index into memory before listening.",
)
@click.pass_obj
def serve(
    c: _Ctx, host: str, port: int, token_file: Path | None, max_body: int, warm: bool
) -> None:
    """Serve the registry over HTTP (record, withdraw, status, receipts, GPC).

    Prints the URL on stderr once listening (--port 0 picks a free port).
    """
    from guardrail.consent.service import serve as run_service

    if token_file is not None:
        text = token_file.read_text(encoding="utf-8")
        tokens = [t.strip() for t in text.splitlines() if t.strip()]
    else:
        tokens = [t.strip() for t in os.environ.get(TOKENS_ENV, "").split(",") if t.strip()]
    with c.open(create=True) as reg:
        if warm:
            entries = reg.warm()
            c.ui.info(f"look-up index loaded ({entries:,} entries)")
        run_service(
            reg,
            host=host,
            port=port,
            tokens=tokens,
            max_body=max_body,
            on_ready=lambda url: c.ui.info(f"guardrail consent service listening on {url}"),
        )
