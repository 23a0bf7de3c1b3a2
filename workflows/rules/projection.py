"""What the read model needs after a change: the rows the change touched, found from the audit events it added.

Pure. Every change records an event naming its target (an action, or `report.<unit>` for a unit), and a letter's
event names its items, so the events since the last projection say exactly which rows to write.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import takewhile

from models.planning import is_report_target
from models.state import AuditEvent, ConclusionFacts, ConclusionState
from models.workflow_io import ConclusionHeader, ProjectionInput
from workflows.rules.ladder import Figures
from workflows.rules.ladder import figures as ladder_figures

ROWS_PER_PROJECTION = 250  # actions per payload
BYTES_PER_PROJECTION = 512 * 1024  # and about this much text: far below Temporal's 2 MB payload limit
ROW_OVERHEAD = 1024  # what an action's row carries besides its text (schedule, evidence), roughly


def header(state: ConclusionState, now: datetime, figures: Figures | None = None) -> ConclusionHeader:
    """The conclusion's row; `figures` when the caller has them for `now` already."""
    figures = figures or ladder_figures(state, now)
    return ConclusionHeader(
        **state.model_dump(include=set(ConclusionFacts.model_fields)),
        status=state.status.value,
        status_reason=state.status_reason,
        closed_at=state.closed_at,
        next_deadline=figures.next_deadline,
        unit_count=len(state.units),
        action_count=len(state.actions),
        open_actions=figures.open_actions,
        overdue_actions=figures.overdue_actions,
        version=state.version,
    )


def _chunks(state: ConclusionState, items: list[str]) -> Iterator[list[str]]:
    """Parts of at most ROWS_PER_PROJECTION actions and about BYTES_PER_PROJECTION of text each."""
    part: list[str] = []
    size = 0
    for action_id in items:
        weight = len(state.actions[action_id].text.encode()) + ROW_OVERHEAD
        if part and (len(part) == ROWS_PER_PROJECTION or size + weight > BYTES_PER_PROJECTION):
            yield part
            part, size = [], 0
        part.append(action_id)
        size += weight
    if part:
        yield part


def _targets(state: ConclusionState, events: list[AuditEvent]) -> tuple[list[str], set[str]]:
    """The actions and the units (for their reports) that `events` name."""
    targets = {e.target for e in events if e.target} | {i for e in events for i in e.data.get("items", [])}
    actions = [t for t in targets if t in state.actions]
    units = {t.removeprefix("report.") for t in targets if is_report_target(t)} & set(state.units)
    return actions, units


def units_changed(state: ConclusionState, since_seq: int) -> set[str]:
    """The units whose items (actions or report) changed after event `since_seq`."""
    events = list(takewhile(lambda e: e.seq > since_seq, reversed(state.events)))
    actions, units = _targets(state, events)
    return units | {state.actions[a].unit for a in actions}


def whole(state: ConclusionState, now: datetime) -> list[ProjectionInput]:
    """Every row of the conclusion again, from the state (after a migration added a column), without the audit
    trail: SQL holds it whole, and an event written again could undo what was done since (a letter given up, then
    sent again at staff's request)."""
    parts = changes(state, 0, now)
    parts[-1].events = []
    return parts


def changes(
    state: ConclusionState, since_seq: int, now: datetime, figures: Figures | None = None
) -> list[ProjectionInput]:
    """The projections that bring SQL from event `since_seq` to now (0: everything, the first time); `figures` when
    the caller has them for `now` already."""
    events = [e for e in state.events if e.seq > since_seq]
    if since_seq == 0:
        actions, units = list(state.actions), set(state.units)
    else:
        actions, units = _targets(state, events)
    top = header(state, now, figures)
    out: list[ProjectionInput] = []
    for part in _chunks(state, actions) if actions else iter([[]]):
        chosen = set(part)
        out.append(
            ProjectionInput(
                header=top,
                now=now,
                actions=[state.actions[a] for a in part],
                evidence=[e for e in state.evidence if e.action_id in chosen],
                extension_requests=[r for r in state.extension_requests if r.action_id in chosen],
            )
        )
    last = out[-1]
    last.units = [state.units[u] for u in units]
    last.reports = [r for r in state.reports if r.unit in units]
    last.events = events
    return out
