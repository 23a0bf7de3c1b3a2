"""What a notice says: the data the mail activity renders, taken from the state at sending time."""

from __future__ import annotations

from datetime import datetime

from models.labels import KIND, VN
from models.mail import MailRequest
from models.planning import is_report_target
from models.state import ConclusionState, ReviewStatus
from workflows.rules.ladder import Notification


def days_overdue(due: datetime | None, now: datetime) -> int:
    """Whole calendar days past the due day, counted on Vietnamese dates (0 when not yet due)."""
    if due is None or now <= due:
        return 0
    return max((now.astimezone(VN).date() - due.astimezone(VN).date()).days, 1)


def mail_request(state: ConclusionState, notice: Notification, now: datetime) -> MailRequest:
    unit = state.units.get(notice.unit)
    action = state.actions.get(notice.action_id) if notice.action_id else None
    rejected = [e for e in state.evidence if action and e.action_id == action.id and e.status == ReviewStatus.rejected]
    if not action and unit:
        rejected_reports = [r for r in state.reports if r.unit == unit.code and r.status == ReviewStatus.rejected]
        last_reason = rejected_reports[-1].reason if rejected_reports else None
    else:
        last_reason = rejected[-1].reason if rejected else None
    return MailRequest(
        key=notice.key,
        workflow_id=state.workflow_id,
        step=notice.step,
        to=notice.to,
        cc=notice.cc,
        number=state.number,
        title=state.title,
        issuer=state.issuer,
        tracking_body=state.tracking_body,
        unit_code=unit.code if unit else "",
        unit_name=unit.name if unit else "",
        action_id=action.id if action else None,
        action_text=action.text if action else None,
        action_kind=KIND[action.kind] if action else None,
        is_report=is_report_target(notice.target),
        due=notice.due,
        days_overdue=days_overdue(notice.due, now),
        last_reason=last_reason,
        now=now,
        resend=notice.key in state.resend_keys,
    )
