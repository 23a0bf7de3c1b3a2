"""Conclusion states and letters built with the pure rules, as the workflow would hold them (no Temporal).

`history()` replays a realistic follow-up of KL 312/KL-Ttra (Quảng Ngãi), registered the day after the province's
Báo cáo 184/BC-UBND arrived, and keeps every intermediate state (each a deep copy: the rules change a state in
place), so tests can project any version, in any order.

Letters are planned and settled through the same rules the workflow uses (`ladder.due_letters`,
`transitions.plan_letters`, `notices.letter_request`, `transitions.settle_letter`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from activities.calendar import WorkingCalendar
from activities.planning import Planner
from dondoc.spec_loader import load_spec
from models import commands as c
from models.mail import LetterRequest
from models.office import OfficeCalendar
from models.planning import conclusion_plan_request
from models.policy import DEFAULT_POLICY, Step
from models.spec import ActionKind, ActionSpec, ConclusionSpec, Signer
from models.state import ConclusionState, FileRef, LetterRecord, NotificationStatus
from models.tables import NotificationRow
from workflows.rules import ladder, notices, transitions

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WID = "kl-312-kl-ttra-2018"
STAFF = "canbo.theodoi@mic.example.vn"
LY_SON = "vanphong@lyson.example.vn"
NGHIA_HANH = "vanphong@nghiahanh.example.vn"
PLANNER = Planner(WorkingCalendar())
OFFICE = OfficeCalendar()  # letters in office hours on working days, as configured by default

RECOVER_ID = "ly-son-thu-hoi-kinh-phi"
RECOVER_AMOUNT = 150_000_000
RECOVER_REF = "II.2.3"
SIGNER_NAME = "Nguyễn Văn Bình"


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


START = at(2018, 8, 8)  # registered the day after Báo cáo 184/BC-UBND (07/8/2018) arrived
OVERDUE_AT = at(2018, 10, 5, 10)  # four days after most items fell due (30/09 was a Sunday: end of 01/10)


def pdf(name: str) -> FileRef:
    return FileRef(name=name, sha256=name.encode().hex().ljust(64, "0")[:64], size=2048, content_type="application/pdf")


def quang_ngai_spec() -> ConclusionSpec:
    return load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")


def signed_spec() -> ConclusionSpec:
    """The example with the signer's name filled in (the example leaves it for staff to write)."""
    return quang_ngai_spec().model_copy(update={"signer": Signer(title="Chánh Thanh tra", name=SIGNER_NAME)})


def started(
    now: datetime = START, *, spec: ConclusionSpec | None = None, workflow_id: str | None = None
) -> ConclusionState:
    spec = spec or quang_ngai_spec()
    plan = PLANNER.plan(conclusion_plan_request(spec, now), DEFAULT_POLICY, OFFICE)
    return transitions.new_conclusion(spec, plan, now, STAFF, workflow_id)


def apply(state: ConclusionState, command: c.Command, now: datetime) -> ConclusionState:
    """Apply a command in place with the deadline planning it needs, as the workflow shell does; returns `state`."""
    request = transitions.plan_needed(state, command, now)
    schedule = None
    if request is not None:
        (schedule,) = PLANNER.plan(request, DEFAULT_POLICY, OFFICE).schedules.values()
    return transitions.apply(state, command, now, schedule=schedule)


def applied(state: ConclusionState, command: c.Command, now: datetime) -> ConclusionState:
    """A copy of `state` with `command` applied; `state` itself is left as it was."""
    return apply(state.model_copy(deep=True), command, now)


# ---------------------------------------------------------------- letters


def plan_letter(state: ConclusionState, unit: str, now: datetime) -> LetterRecord:
    """Plan (in place) the one letter due to `unit` at `now`; letters due to other units are left for later."""
    due = [d for d in ladder.due_letters(state, now) if d.unit == unit]
    assert len(due) == 1, f"expected one letter due to {unit or 'every unit'} at {now}, got {due}"
    (record,) = transitions.plan_letters(state, due, now)
    return record


def letter(state: ConclusionState, unit: str, now: datetime) -> LetterRequest:
    """The LetterRequest the workflow would send to `unit` at `now` (planned in `state`, in place)."""
    return notices.letter_request(state, plan_letter(state, unit, now), now)


def settle(
    state: ConclusionState, request: LetterRequest, now: datetime, status: NotificationStatus = NotificationStatus.sent
) -> None:
    assert transitions.settle_letter(state, request.key, status, "250 OK" if status == "sent" else "550", now)


def climb(state: ConclusionState, unit: str, moments: list[tuple[datetime, NotificationStatus]]) -> list[Step]:
    """Send `unit` its letter at each moment, settled as given (in place); the steps the letters carried."""
    steps = []
    for moment, status in moments:
        request = letter(state, unit, moment)
        settle(state, request, moment, status)
        steps.append(request.step)
    return steps


def overdue_letter(now: datetime = OVERDUE_AT) -> LetterRequest:
    """Nghĩa Hành's first letter, four days after its items fell due with no letter sent before (registered late,
    or the worker was down): the overdue letter, listing the four items still open (two with an assumed due date),
    to the unit's office and its chairman."""
    request = letter(started(), "nghia-hanh", now)
    assert request.step == Step.overdue
    return request


def urging_letter(*, spec: ConclusionSpec | None = None) -> tuple[ConclusionState, LetterRequest]:
    """Lý Sơn's urging letter of 08/10/2018 after the letters really sent before it: the reminder of 20/09, the
    reminder of 28/09 (refused by the relay: never cited), the overdue letter of 02/10 (numbered 125/TTr-NV)."""
    state = started(spec=spec)
    steps = climb(
        state,
        "ly-son",
        [
            (at(2018, 9, 20, 8), NotificationStatus.sent),
            (at(2018, 9, 28, 8), NotificationStatus.failed),
            (at(2018, 10, 2, 8), NotificationStatus.sent),
        ],
    )
    assert steps == [Step.reminder, Step.reminder, Step.overdue]
    overdue_key = state.units["ly-son"].letters[-1].key
    number = c.RecordLetterNumber(actor=STAFF, key=overdue_key, number="125/TTr-NV", signed_on=date(2018, 10, 2))
    apply(state, number, at(2018, 10, 3))
    request = letter(state, "ly-son", at(2018, 10, 8, 8))
    assert request.step == Step.urging
    return state, request


# ---------------------------------------------------------------- a whole follow-up


@dataclass
class History:
    states: list[ConclusionState]

    @property
    def last(self) -> ConclusionState:
        return self.states[-1]

    def at_version(self, version: int) -> ConclusionState:
        for state in self.states:
            if state.version == version:
                return state
        raise KeyError(version)

    def before(self, state: ConclusionState) -> ConclusionState:
        return self.states[self.states.index(state) - 1]


def history() -> History:
    """Start, add a recovery action, evidence rejected then accepted, reports reviewed, a letter for a returned
    report, extensions, waive, transfer, new contacts..."""
    states = [started()]

    def step(command: c.Command, now: datetime) -> None:
        states.append(applied(states[-1], command, now))

    recover = ActionSpec(
        id=RECOVER_ID,
        unit="ly-son",
        ref=RECOVER_REF,
        kind=ActionKind.recover,
        text="Thu hồi kinh phí thuê đường truyền chi sai quy định nộp ngân sách nhà nước.",
        due=date(2018, 9, 30),
        amount_vnd=RECOVER_AMOUNT,
    )
    step(c.AddAction(actor=STAFF, action=recover), at(2018, 8, 10))
    step(
        c.SubmitEvidence(actor=LY_SON, action_id=RECOVER_ID, files=[pdf("gnt-1.pdf")], recovered_vnd=60_000_000),
        at(2018, 8, 13),
    )
    step(
        c.ReviewEvidence(
            actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason="Thiếu giấy nộp tiền vào ngân sách"
        ),
        at(2018, 8, 14),
    )
    step(
        c.SubmitEvidence(
            actor=LY_SON,
            action_id=RECOVER_ID,
            files=[pdf("gnt-2.pdf"), pdf("bang-ke.pdf")],
            note="Đã nộp đủ",
            recovered_vnd=100_000_000,
        ),
        at(2018, 8, 16),
    )
    step(c.ReviewEvidence(actor=STAFF, evidence_id="ev-2", decision=c.Decision.accept), at(2018, 8, 17))
    step(
        c.SubmitEvidence(actor=LY_SON, action_id="ly-son-eoffice", files=[pdf("eoffice.pdf")], recovered_vnd=5_000_000),
        at(2018, 8, 20),
    )
    step(c.ReviewReport(actor=STAFF, report_id="rp-2", decision=c.Decision.accept), at(2018, 8, 21))
    step(
        c.ReviewReport(
            actor=STAFF, report_id="rp-3", decision=c.Decision.reject, reason="Chưa nêu kết quả từng kiến nghị"
        ),
        at(2018, 8, 22),
    )
    # Nghĩa Hành's report (due 19/07) is returned, so it is overdue again: its letter goes out and is recorded
    state = states[-1].model_copy(deep=True)
    sent_at = at(2018, 8, 22, 10)
    settle(state, letter(state, "nghia-hanh", sent_at), sent_at)
    states.append(state)
    step(
        c.RequestExtension(
            actor=LY_SON,
            action_id="ly-son-thu-cong-vu",
            requested_due=date(2018, 12, 28),
            reason="Chờ tỉnh cấp bổ sung tài khoản thư công vụ",
        ),
        at(2018, 8, 27),
    )
    step(c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True), at(2018, 8, 29))
    step(
        c.RequestExtension(
            actor="vanphong@ducpho.example.vn",
            action_id="duc-pho-eoffice",
            requested_due=date(2018, 11, 30),
            reason="Đang nâng cấp phần mềm",
        ),
        at(2018, 8, 31),
    )
    step(
        c.WaiveAction(actor=STAFF, action_id="tra-bong-thu-cong-vu", reason="Nội dung trùng kiến nghị khác"),
        at(2018, 9, 4),
    )
    step(
        c.TransferAction(actor=STAFF, action_id="so-xd-dvctt", reason="Chuyển Cơ quan CSĐT, CV số 12/TTr"),
        at(2018, 9, 5),
    )
    step(
        c.ChangeUnitContacts(
            actor=STAFF, unit="tra-bong", contacts=["vanthu@trabong.example.vn"], head="pct@trabong.example.vn"
        ),
        at(2018, 9, 6),
    )
    return History(states)


def outbox_copy(letter_key: str, audience: str, status: str, answer: str | None, **fields: Any) -> NotificationRow:
    """The outbox row of one copy of the letter `letter_key` ('<workflow id>/<unit>/<step>/<n>'), keyed as the mail
    activity keys it; `fields` override the rest."""
    workflow_id, unit, step, _ = letter_key.split("/")
    key = f"{letter_key}/{audience}"
    row: dict[str, Any] = {
        "key": key,
        "message_id": f"<{key}@dondoc>",
        "letter_key": letter_key,
        "audience": audience,
        "workflow_id": workflow_id,
        "target": f"report.{unit}",
        "unit": unit,
        "step": step,
        "recipients": [LY_SON],
        "subject": "[Quá hạn] KL 312/KL-Ttra",
        "status": status,
        "attempts": 9,
        "smtp_answer": answer,
        "created_at": OVERDUE_AT,
    }
    return NotificationRow(**{**row, **fields})
