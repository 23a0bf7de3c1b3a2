"""Notices of decisions: what staff decided told to the unit that must act on it, and what arrived told to the
officers who asked to know at once.

A decision adds a line to its unit's collecting notice; the notice goes `notice_delay_seconds` after its first line,
so staff deciding several items of one unit at once send one email, not one per item. A line never waits longer
than that delay. Pure functions of a state and a time.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from models.mail import NoticeItem, NoticeRequest
from models.state import (
    ConclusionState,
    Evidence,
    NoticeAudience,
    NoticeLine,
    NoticeRecord,
    NotificationStatus,
    ReportSubmission,
    Tracked,
)
from workflows.rules.ladder import target
from workflows.rules.notices import REPORT_TEXT

KEEP_SENT_NOTICES = 20  # the outbox in SQL keeps them all
KEEP_FAILED_NOTICES = 100
NOTICE_SLACK = timedelta(seconds=5)  # how far ahead notices are gathered with one that is due (due_notices)


def notice_key(workflow_id: str, unit: str, audience: NoticeAudience, seq: int) -> str:
    return f"{workflow_id}/{unit or 'conclusion'}/notice-{audience.value}/{seq}"


def notify(
    state: ConclusionState, unit: str, audience: NoticeAudience, line: NoticeLine, now: datetime
) -> NoticeRecord:
    """Add `line` to the unit's notice still collecting, or start one that goes after the delay."""
    collecting = next(
        (
            n
            for n in state.notices
            if n.unit == unit and n.audience == audience and n.status == NotificationStatus.pending and n.send_at > now
        ),
        None,
    )
    if collecting is not None:
        collecting.lines.append(line)
        return collecting
    state.notice_seq += 1
    record = NoticeRecord(
        key=notice_key(state.workflow_id, unit, audience, state.notice_seq),
        unit=unit,
        audience=audience,
        lines=[line],
        planned_at=now,
        send_at=now + timedelta(seconds=max(0, state.notice_delay_seconds)),
    )
    state.notices.append(record)
    return record


def due_notices(state: ConclusionState, now: datetime, gather: bool = False) -> list[NoticeRecord]:
    """Notices whose collecting time is over and that have not been settled. `gather`: when one is due, those
    falling due within NOTICE_SLACK (a tenth of the collecting delay at most) go with it, so staff deciding on a row
    of units, notices seconds apart, wake the workflow once."""
    due = [n for n in state.notices if n.status == NotificationStatus.pending and n.send_at <= now]
    if due and gather:
        slack = min(NOTICE_SLACK, timedelta(seconds=state.notice_delay_seconds / 10))
        due = [n for n in state.notices if n.status == NotificationStatus.pending and n.send_at <= now + slack]
    return due


def next_send(state: ConclusionState, exclude: Collection[str] = ()) -> datetime | None:
    """When the next notice goes, leaving out those already being sent (`exclude`)."""
    waiting = [n.send_at for n in state.notices if n.status == NotificationStatus.pending and n.key not in exclude]
    return min(waiting, default=None)


def pending(state: ConclusionState) -> bool:
    return any(n.status == NotificationStatus.pending for n in state.notices)


def settle_notice(
    state: ConclusionState, key: str, status: NotificationStatus, detail: str, now: datetime
) -> NoticeRecord | None:
    """Record how a notice ended and forget the oldest settled ones (SQL keeps every one)."""
    record = next((n for n in state.notices if n.key == key), None)
    if record is None or record.status != NotificationStatus.pending:
        return None
    record.status, record.detail, record.at, record.resend = status, detail, now, False
    failed = [n.key for n in state.notices if n.status == NotificationStatus.failed][:-KEEP_FAILED_NOTICES]
    sent = [n.key for n in state.notices if n.status == NotificationStatus.sent][:-KEEP_SENT_NOTICES]
    dropped = {*failed, *sent}
    if dropped:
        state.notices = [n for n in state.notices if n.key not in dropped]
    return record


def resume_after_return(state: ConclusionState, tracked: Tracked, now: datetime) -> None:
    """A returned item past its deadline takes up the ladder again from the step it had reached, one gap after the
    return (the gap between that step and the one before it): a return at the top of the ladder is never followed
    by silence, and the unit has the step's time to send again before the next letter."""
    if tracked.last_step_index is None or now < tracked.due:
        return  # before the deadline the reminders still to come follow as planned
    indexes = [s.index for s in tracked.schedule.steps]
    position = indexes.index(tracked.last_step_index) if tracked.last_step_index in indexes else -1
    if position < 0:
        return
    steps = state.policy.steps
    reached = steps[tracked.last_step_index]
    previous = steps[indexes[position - 1]] if position > 0 else None
    gap = reached.offset - previous.offset if previous is not None else timedelta(0)
    tracked.resume_at = now + max(gap, timedelta(0))


def _item(state: ConclusionState, line: NoticeLine) -> NoticeItem:
    item = NoticeItem(
        kind=line.kind,
        target=line.target,
        subject=line.subject,
        reason=line.reason,
        new_due=line.new_due,
        by=line.by,
        at=line.at,
    )
    found = target(state, line.target) if line.target else None
    if found is not None:
        item.due, item.due_assumed = found.tracked.due, found.tracked.due_is_assumed
        if found.action is not None:
            item.ref, item.text = found.action.ref, found.action.text
        else:
            item.text, item.is_report = REPORT_TEXT, True
    submissions: list[Evidence | ReportSubmission] = [*state.evidence, *state.reports]
    decided = next((s for s in submissions if s.id == line.subject), None) if line.subject else None
    if decided is not None:
        item.files = [f.name for f in decided.files]
    return item


def notice_request(state: ConclusionState, record: NoticeRecord, now: datetime) -> NoticeRequest:
    unit = state.units.get(record.unit)
    return NoticeRequest(
        key=record.key,
        workflow_id=state.workflow_id,
        audience=record.audience,
        to=list(unit.contacts) if unit is not None and record.audience == NoticeAudience.unit else [],
        number=state.number,
        issued_on=state.issued_on,
        issuer=state.issuer,
        title=state.title,
        tracking_body=state.tracking_body,
        unit_code=record.unit,
        unit_name=unit.name if unit is not None else "",
        items=[_item(state, line) for line in record.lines],
        now=now,
        resend=record.resend,
    )
