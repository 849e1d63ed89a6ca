"""Verifying the hash chain: which events were edited, deleted, moved or cut off, by number.

One streaming pass over the events (sequence order, one snapshot) recomputes every digest and
link. Link failures are then diagnosed from a window around them: an intact event whose link
matches another event's chain value was *moved* (reordered); a gap in the numbers is a
*deletion*; a head that records more events than exist is a *truncation*.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from guardrail.consent.events import (
    GENESIS,
    Row,
    content_digest,
    erased_set_digest,
    link,
    parse_tombstone_ref,
)
from guardrail.consent.store import ConsentStore
from guardrail.model.consent import ChainProblem, ChainProblemKind, VerifyReport

__all__ = ["MAX_PROBLEMS", "verify_chain"]

MAX_PROBLEMS = 100
_WINDOW = 64


def verify_chain(
    store: ConsentStore, *, progress: Callable[[int, int], None] | None = None
) -> VerifyReport:
    problems: list[ChainProblem] = []
    broken: list[int] = []  # positions whose link fails without a gap explaining it
    expected = 1
    previous = GENESIS
    count = erased = 0
    head_seq, head_chain = 0, GENESIS
    tombstones: dict[int, tuple[int, str] | None] = {}
    groups: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
    edited: set[int] = set()
    last_seq = 0

    def add(kind: ChainProblemKind, seq: int, message: str, last: int | None = None) -> None:
        problems.append(ChainProblem(kind=kind, seq=seq, last_seq=last, message=message))

    for head, rows in store.scan():
        head_seq, head_chain = head
        for row in rows:
            count += 1
            gap = row.seq != expected
            if gap:
                last = row.seq - 1
                add(
                    ChainProblemKind.MISSING,
                    expected,
                    f"events #{expected}..#{last} are missing (deleted)"
                    if last > expected
                    else f"event #{expected} is missing (deleted)",
                    last,
                )
            if row.erased_by is None:
                if content_digest(row.content()) != row.digest:
                    edited.add(row.seq)
                    add(
                        ChainProblemKind.EDITED,
                        row.seq,
                        f"event #{row.seq} was edited (its content no longer matches its digest)",
                    )
            else:
                erased += 1
                groups[row.erased_by].append((row.seq, row.digest))
            if row.action == "erased":
                tombstones[row.seq] = parse_tombstone_ref(row.evidence_ref)
            if link(previous, row.digest) != row.chain and not gap:
                broken.append(row.seq)
            previous = row.chain
            expected = row.seq + 1
            last_seq = row.seq
        if progress is not None:
            progress(count, head_seq)

    if broken:
        problems.extend(_diagnose(store, broken, edited))
    problems.extend(_check_tombstones(tombstones, groups))

    if head_seq > last_seq:
        add(
            ChainProblemKind.TRUNCATED,
            last_seq + 1,
            f"events #{last_seq + 1}..#{head_seq} at the end are missing (truncated); "
            f"the head records {head_seq} events",
            head_seq,
        )
    elif head_seq < last_seq:
        add(
            ChainProblemKind.HEAD_MISMATCH,
            head_seq + 1,
            f"events #{head_seq + 1}..#{last_seq} were added outside the registry "
            "(the head does not cover them)",
            last_seq,
        )
    elif head_chain != previous:
        add(
            ChainProblemKind.HEAD_MISMATCH,
            last_seq,
            f"the head's chain value does not match event #{last_seq} (the tail was rewritten)",
        )

    problems.sort(key=lambda p: (p.seq, p.kind.value))
    return VerifyReport(
        ok=not problems,
        events=count,
        erased=erased,
        head_seq=head_seq,
        head_chain=head_chain.hex(),
        problems=tuple(problems[:MAX_PROBLEMS]),
        problems_truncated=len(problems) > MAX_PROBLEMS,
    )


def _diagnose(store: ConsentStore, broken: list[int], edited: set[int]) -> list[ChainProblem]:
    """Classify link failures. Within a window, each event's *original* position is its true
    predecessor's plus one (events before the first failure are in place). An intact event
    whose original position differs from where it sits was moved (reordered); an event whose
    predecessor cannot be found follows an inserted, replaced or deleted-and-renumbered event.
    """
    out: list[ChainProblem] = []
    reordered: list[int] = []
    first_broken = broken[0]
    for seq in broken[:MAX_PROBLEMS]:
        if seq in edited:
            continue  # already reported: the digest itself is wrong
        window = store.window(max(1, seq - _WINDOW), seq + _WINDOW)
        by_seq = {r.seq: r for r in window}
        here = by_seq.get(seq)
        if here is None:
            continue
        origin = _original_position(here, window, first_broken, {})
        if origin is None:
            out.append(
                ChainProblem(
                    kind=ChainProblemKind.BROKEN_LINK,
                    seq=seq,
                    message=f"event #{seq} does not follow event #{seq - 1}: an event was "
                    "inserted or replaced here, or one before it was deleted and the rest "
                    "renumbered",
                )
            )
        elif origin != seq:
            reordered.append(seq)
    for first, last in _ranges(reordered):
        out.append(
            ChainProblem(
                kind=ChainProblemKind.REORDERED,
                seq=first,
                last_seq=last if last != first else None,
                message=(
                    f"events #{first}..#{last} are out of order (moved)"
                    if last != first
                    else f"event #{first} is out of order (moved)"
                ),
            )
        )
    return out


def _original_position(
    row: Row, window: list[Row], first_broken: int, memo: dict[int, int | None]
) -> int | None:
    """Where ``row`` was appended, judged by which event its chain value follows."""
    if row.seq < first_broken:
        return row.seq
    if row.seq in memo:
        return memo[row.seq]
    memo[row.seq] = None  # guards against cycles
    if link(GENESIS, row.digest) == row.chain:
        memo[row.seq] = 1
        return 1
    for other in window:
        if other.seq != row.seq and link(other.chain, row.digest) == row.chain:
            before = _original_position(other, window, first_broken, memo)
            memo[row.seq] = None if before is None else before + 1
            return memo[row.seq]
    return None


def _ranges(seqs: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s in sorted(seqs):
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


def _check_tombstones(
    tombstones: dict[int, tuple[int, str] | None],
    groups: dict[int, list[tuple[int, bytes]]],
) -> list[ChainProblem]:
    out: list[ChainProblem] = []
    for seq, spec in sorted(tombstones.items()):
        members = groups.get(seq, [])
        if spec is None or spec != (len(members), erased_set_digest(members)):
            out.append(
                ChainProblem(
                    kind=ChainProblemKind.TOMBSTONE,
                    seq=seq,
                    message=f"the events erased by tombstone #{seq} are not the ones it "
                    "recorded (events were hidden as erased, or un-erased)",
                )
            )
    for seq in sorted(set(groups) - set(tombstones)):
        first = min(s for s, _ in groups[seq])
        out.append(
            ChainProblem(
                kind=ChainProblemKind.TOMBSTONE,
                seq=first,
                message=f"event #{first} is marked erased by #{seq}, which is not a tombstone",
            )
        )
    return out
