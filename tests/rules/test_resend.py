"""Staff can ask for a notice that failed for good (SMTP 5xx) to be sent again, once."""

from __future__ import annotations

import pytest

from models import commands as c
from models.state import NotificationStatus
from tests.rules.factories import STAFF, at, do, make_state
from workflows.rules import ladder, transitions
from workflows.rules.notices import mail_request
from workflows.rules.transitions import RuleViolation

FIRST_REMINDER = at(2025, 6, 23, 8)  # 7 working days before the 30/06 deadline


def failed_reminder() -> tuple[transitions.ConclusionState, str]:
    state = make_state()
    notice = next(n for n in ladder.due_notifications(state, FIRST_REMINDER) if n.target == "a-1")
    state = transitions.record_notification(
        state, notice, NotificationStatus.failed, "550 no such user", FIRST_REMINDER
    )
    return state, notice.key


def test_a_failed_notice_is_not_sent_again_by_itself() -> None:
    state, key = failed_reminder()
    assert key not in {n.key for n in ladder.due_notifications(state, FIRST_REMINDER)}


def test_resend_makes_the_failed_notice_due_again_and_replaces_its_record() -> None:
    state, key = failed_reminder()
    later = at(2025, 6, 24, 10)
    state = do(state, c.ResendNotification(actor=STAFF, key=key), later)
    assert state.events[-1].kind == "notification_resend_requested" and state.events[-1].actor == STAFF
    again = [n for n in ladder.due_notifications(state, later) if n.key == key]
    assert len(again) == 1 and again[0].step == "reminder"
    assert ladder.next_wakeup(state, later) == later
    assert mail_request(state, again[0], later).resend is True
    state = transitions.record_notification(state, again[0], NotificationStatus.sent, "250 OK", later)
    records = [n for n in state.notifications if n.key == key]
    assert [r.status for r in records] == [NotificationStatus.sent]
    assert state.resend_keys == [] and key not in {n.key for n in ladder.due_notifications(state, later)}


def test_only_a_failed_notice_can_be_resent_and_only_once_at_a_time() -> None:
    state, key = failed_reminder()
    with pytest.raises(RuleViolation, match="Không tìm thấy thông báo"):
        transitions.check(state, c.ResendNotification(actor=STAFF, key="khong-co"))
    state = do(state, c.ResendNotification(actor=STAFF, key=key), FIRST_REMINDER)
    with pytest.raises(RuleViolation, match="đang chờ gửi lại"):
        transitions.check(state, c.ResendNotification(actor=STAFF, key=key))
    notice = next(n for n in ladder.due_notifications(state, FIRST_REMINDER) if n.key == key)
    state = transitions.record_notification(state, notice, NotificationStatus.sent, "250 OK", FIRST_REMINDER)
    with pytest.raises(RuleViolation, match="Chỉ gửi lại được thông báo đã gửi thất bại"):
        transitions.check(state, c.ResendNotification(actor=STAFF, key=key))
