"""Staff can ask for a letter that failed for good (SMTP 5xx) to be sent again: the same letter, once at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import commands as c
from models.policy import Step
from models.state import ConclusionState, LetterRecord, NotificationStatus
from tests.rules.factories import STAFF, at, do, make_state, send_due, targets_of
from workflows.rules import ladder, transitions
from workflows.rules.notices import letter_request
from workflows.rules.transitions import RuleViolation

FIRST_REMINDER = at(2025, 6, 19, 8)  # 7 working days before the 30/06 deadline
OVERDUE = at(2025, 7, 1, 8)


def failed_reminder() -> tuple[ConclusionState, LetterRecord]:
    state = make_state()
    _, planned = send_due(state, FIRST_REMINDER, NotificationStatus.failed)
    letter = next(p for p in planned if p.unit == "phong-a")
    return state, letter


def test_a_failed_letter_is_not_sent_again_by_itself() -> None:
    state, letter = failed_reminder()
    assert letter.status == NotificationStatus.failed
    assert letter.detail == "550 no such user"
    assert ladder.due_letters(state, FIRST_REMINDER + timedelta(hours=1)) == []


def test_resend_puts_the_same_letter_back_to_pending() -> None:
    state, letter = failed_reminder()
    items, to, cc = list(letter.items), list(letter.to), list(letter.cc)
    later = at(2025, 6, 24, 10)
    do(state, c.ResendNotification(actor=STAFF, key=letter.key), later)
    assert (state.events[-1].kind, state.events[-1].actor) == ("notification_resend_requested", STAFF)
    assert state.events[-1].data == {"key": letter.key}
    (again,) = [p for p in state.letters if p.key == letter.key]
    assert (again.status, again.resend) == (NotificationStatus.pending, True)
    assert (again.items, again.to, again.cc, again.step) == (items, to, cc, Step.reminder)
    assert letter_request(state, again, later).resend is True
    assert all("a-1" not in targets_of(d) for d in ladder.due_letters(state, later)), "not planned a second time"
    transitions.settle_letter(state, again.key, NotificationStatus.sent, "250 OK", later)
    assert [p.status for p in state.letters if p.key == letter.key] == [NotificationStatus.sent]
    assert again.resend is False
    assert [ref.key for ref in state.units["phong-a"].letters] == [letter.key]  # now it went: later letters cite it


def test_the_next_step_counts_from_when_the_resent_letter_really_went() -> None:
    state = make_state()
    send_due(state, at(2025, 6, 27, 8))
    _, planned = send_due(state, OVERDUE, NotificationStatus.failed)
    letter = next(p for p in planned if p.unit == "phong-a")
    resent_at = at(2025, 7, 4, 10)  # the address was fixed three days later
    do(state, c.ResendNotification(actor=STAFF, key=letter.key), resent_at)
    transitions.settle_letter(state, letter.key, NotificationStatus.sent, "250 OK", resent_at)
    assert state.actions["a-1"].last_letter_at == resent_at
    # the urging comes 4 days after the overdue notice really went, not 4 days after the failure
    assert all(d.unit != "phong-a" for d in ladder.due_letters(state, at(2025, 7, 8, 10) - timedelta(seconds=1)))
    assert [d.step for d in ladder.due_letters(state, at(2025, 7, 8, 10)) if d.unit == "phong-a"] == [Step.urging]


def test_only_a_failed_letter_can_be_resent_and_only_once_at_a_time() -> None:
    state, letter = failed_reminder()
    with pytest.raises(RuleViolation, match="Không tìm thấy văn bản 'khong-co'"):
        transitions.check(state, c.ResendNotification(actor=STAFF, key="khong-co"))
    do(state, c.ResendNotification(actor=STAFF, key=letter.key), FIRST_REMINDER)
    with pytest.raises(RuleViolation, match="đang chờ gửi lại"):
        transitions.check(state, c.ResendNotification(actor=STAFF, key=letter.key))
    transitions.settle_letter(state, letter.key, NotificationStatus.sent, "250 OK", FIRST_REMINDER)
    with pytest.raises(RuleViolation, match="Chỉ gửi lại được văn bản đã gửi thất bại"):
        transitions.check(state, c.ResendNotification(actor=STAFF, key=letter.key))


def test_a_resent_letter_that_fails_again_stays_failed_and_can_be_resent() -> None:
    state, letter = failed_reminder()
    do(state, c.ResendNotification(actor=STAFF, key=letter.key), FIRST_REMINDER)
    transitions.settle_letter(state, letter.key, NotificationStatus.failed, "550 still no", FIRST_REMINDER)
    assert state.units["phong-a"].letters == []
    transitions.check(state, c.ResendNotification(actor=STAFF, key=letter.key))
