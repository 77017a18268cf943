"""A lead's lifecycle: its states, the moves allowed between them, and the one function that moves a lead.

No other code writes `Lead.status`. A lead is created `new` (or `held` when it arrives outside office or calling hours);
from then on `lead_transition` moves it with one compare-and-set UPDATE, so two workers racing for the same
lead cannot both move it. The README's state diagram is `lifecycle_mermaid()`, checked by a test.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from campaigns.models import Lead

Status = Lead.Status

INITIAL: frozenset[str] = frozenset({Status.NEW, Status.HELD})

# state -> the states it may move to. A state that may move to itself does so to update its reason.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.HELD, Status.WAITING, Status.OFFERED, Status.SELLING, Status.ASSIGNED, Status.LOST,
                           Status.POOL}),
    Status.HELD: frozenset({Status.NEW, Status.SELLING, Status.ASSIGNED, Status.LOST}),
    Status.WAITING: frozenset({Status.WAITING, Status.HELD, Status.OFFERED, Status.NEW, Status.SELLING,
                               Status.ASSIGNED, Status.LOST, Status.POOL}),
    Status.OFFERED: frozenset({Status.ASSIGNED, Status.NEW, Status.SELLING, Status.LOST}),
    Status.ASSIGNED: frozenset({Status.CONTACTED, Status.WON, Status.LOST, Status.NEW}),
    Status.CONTACTED: frozenset({Status.QUALIFIED, Status.NURTURE, Status.UNQUALIFIED, Status.WON, Status.LOST,
                                 Status.NEW}),
    Status.QUALIFIED: frozenset({Status.NURTURE, Status.UNQUALIFIED, Status.WON, Status.LOST, Status.NEW}),
    Status.NURTURE: frozenset({Status.QUALIFIED, Status.UNQUALIFIED, Status.WON, Status.LOST, Status.NEW}),
    Status.UNQUALIFIED: frozenset({Status.CONTACTED, Status.LOST}),
    Status.SELLING: frozenset({Status.SELLING, Status.SOLD, Status.NEW, Status.ASSIGNED, Status.LOST}),
    Status.WON: frozenset(),
    Status.LOST: frozenset({Status.CONTACTED, Status.NEW}),
    Status.SOLD: frozenset(),
    Status.POOL: frozenset({Status.ASSIGNED, Status.NEW, Status.LOST}),
}

# Why a move happens, for the diagram: (from, to) -> the event that causes it.
REASONS: dict[tuple[str, str], str] = {
    (Status.NEW, Status.HELD): "campaign closed, outside calling hours, or a delay rule",
    (Status.NEW, Status.WAITING): "no eligible rep",
    (Status.NEW, Status.OFFERED): "offered",
    (Status.NEW, Status.SELLING): "to buyers",
    (Status.NEW, Status.ASSIGNED): "assigned by a manager",
    (Status.HELD, Status.ASSIGNED): "assigned by a manager",
    (Status.WAITING, Status.ASSIGNED): "assigned by a manager",
    (Status.SELLING, Status.ASSIGNED): "assigned by a manager",
    (Status.HELD, Status.NEW): "campaign, calling window or delay opens",
    (Status.HELD, Status.SELLING): "to buyers",
    (Status.WAITING, Status.WAITING): "still no rep",
    (Status.WAITING, Status.HELD): "campaign closed, outside calling hours, or a delay rule",
    (Status.WAITING, Status.OFFERED): "a rep has room",
    (Status.WAITING, Status.NEW): "re-route",
    (Status.WAITING, Status.SELLING): "to buyers",
    (Status.OFFERED, Status.ASSIGNED): "accepted or assigned",
    (Status.OFFERED, Status.NEW): "declined, expired or re-routed",
    (Status.OFFERED, Status.SELLING): "to buyers",
    (Status.ASSIGNED, Status.CONTACTED): "first contact",
    (Status.ASSIGNED, Status.NEW): "taken back before a contact",
    (Status.ASSIGNED, Status.WON): "won",
    (Status.ASSIGNED, Status.LOST): "lost",
    (Status.CONTACTED, Status.QUALIFIED): "qualified",
    (Status.CONTACTED, Status.NURTURE): "not now",
    (Status.CONTACTED, Status.UNQUALIFIED): "unqualified (reason)",
    (Status.CONTACTED, Status.WON): "won",
    (Status.CONTACTED, Status.LOST): "lost (reason)",
    (Status.QUALIFIED, Status.NURTURE): "not now",
    (Status.QUALIFIED, Status.UNQUALIFIED): "unqualified (reason)",
    (Status.QUALIFIED, Status.WON): "won",
    (Status.QUALIFIED, Status.LOST): "lost (reason)",
    (Status.NURTURE, Status.QUALIFIED): "qualified",
    (Status.NURTURE, Status.UNQUALIFIED): "unqualified (reason)",
    (Status.NURTURE, Status.WON): "won",
    (Status.NURTURE, Status.LOST): "lost (reason)",
    (Status.UNQUALIFIED, Status.CONTACTED): "reopened",
    (Status.LOST, Status.CONTACTED): "reopened",
    (Status.SELLING, Status.SELLING): "sent to buyers again",
    (Status.SELLING, Status.SOLD): "a buyer accepted",
    (Status.SELLING, Status.NEW): "unsold, back to reps",
    (Status.NEW, Status.POOL): "to the open pool",
    (Status.WAITING, Status.POOL): "to the open pool (waited or offers ran out)",
    (Status.POOL, Status.ASSIGNED): "claimed, or assigned by a manager",
    (Status.POOL, Status.NEW): "re-route",
    **{(state, Status.NEW): "recycled" for state in (Status.CONTACTED, Status.QUALIFIED, Status.NURTURE, Status.LOST)},
    **{(state, Status.LOST): "person erased" for state in (Status.NEW, Status.HELD, Status.WAITING, Status.OFFERED,
                                                           Status.SELLING, Status.POOL)},
    (Status.UNQUALIFIED, Status.LOST): "person erased",
}

# Moves only an erasure makes (a person asked to be forgotten): never offered to reps or managers as a stage.
ERASURE_ONLY: frozenset[tuple[str, str]] = frozenset(
    (state, Status.LOST) for state in (Status.NEW, Status.HELD, Status.WAITING, Status.OFFERED, Status.UNQUALIFIED,
                                       Status.SELLING, Status.POOL))


def stage_allowed(*, current: str, to: str) -> bool:
    """Whether a person may move a lead from `current` to `to` as a stage (the table, less erasure-only moves)."""
    return to in TRANSITIONS.get(current, frozenset()) and (current, to) not in ERASURE_ONLY


OPEN_TO_FLOOR: frozenset[str] = frozenset({Status.NEW, Status.HELD, Status.WAITING, Status.OFFERED})
FINAL: frozenset[str] = frozenset(state for state, moves in TRANSITIONS.items() if not moves)
# Closed: nothing more happens to the lead unless its owner or a manager reopens it (lost only).
CLOSED: frozenset[str] = frozenset({Status.WON, Status.LOST, Status.SOLD})
# Worked by its owner after the first contact: the stages a person moves it through.
WORKED: frozenset[str] = frozenset({Status.CONTACTED, Status.QUALIFIED, Status.NURTURE, Status.UNQUALIFIED})


def sources_into(to: str) -> frozenset[str]:
    """Every state the table allows to move to `to`."""
    return frozenset(state for state, moves in TRANSITIONS.items() if to in moves)


def lead_transition(*, lead_id: int, to: str, sources: Collection[str] | None = None, **changes: Any) -> bool:
    """Move the lead to `to` if its status is now one of `sources` (default: every state allowed into `to`),
    writing `changes` (other Lead fields) in the same UPDATE; True when it moved.

    Precondition: each of `sources` may move to `to` by the table; anything else is a bug (ValueError).
    """
    if to not in TRANSITIONS:
        raise ValueError(f"unknown lead status {to!r}")
    if "status" in changes:
        raise ValueError("pass the new status as `to`")
    allowed = sources_into(to)
    if sources is None:
        sources = allowed
    forbidden = set(sources) - allowed
    if forbidden:
        raise ValueError(f"a lead may not move from {', '.join(sorted(forbidden))} to {to}")
    return bool(Lead.objects.filter(pk=lead_id, status__in=list(sources)).update(status=to, **changes))


def lifecycle_mermaid() -> str:
    """The state diagram as a Mermaid block body, in the table's order (the README shows it)."""
    lines = ["stateDiagram-v2"]
    lines += [f"    [*] --> {state}" for state in TRANSITIONS if state in INITIAL]
    for state, moves in TRANSITIONS.items():
        for target in (t for t in TRANSITIONS if t in moves):
            lines.append(f"    {state} --> {target}: {REASONS[(state, target)]}")
    lines += [f"    {state} --> [*]" for state in TRANSITIONS if state in FINAL]
    return "\n".join(lines)
