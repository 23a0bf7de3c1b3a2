"""Conclusion states built with the pure rules, as the workflow would hold them (no Temporal).

`history()` replays a realistic follow-up of KL 312/KL-Ttra (Quảng Ngãi) and keeps every intermediate state, so
tests can project any version, in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from activities.calendar import WorkingCalendar
from activities.planning import Planner
from dondoc.spec_loader import load_spec
from models import commands as c
from models.mail import MailRequest
from models.planning import conclusion_plan_request
from models.policy import DEFAULT_POLICY, Step
from models.spec import ActionKind, ActionSpec, ConclusionSpec
from models.state import ConclusionState, FileRef, NotificationStatus
from workflows.rules import ladder, notices, transitions

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STAFF = "canbo.theodoi@mic.example.vn"
LY_SON = "vanphong@lyson.example.vn"
PLANNER = Planner(WorkingCalendar())

RECOVER_ID = "ly-son-thu-hoi-kinh-phi"
RECOVER_AMOUNT = 150_000_000


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


START = at(2018, 6, 4)
OVERDUE_AT = at(2018, 10, 5, 10)  # four days after Lý Sơn's eOffice action fell due


def pdf(name: str) -> FileRef:
    return FileRef(name=name, sha256=name.encode().hex().ljust(64, "0")[:64], size=2048, content_type="application/pdf")


def quang_ngai_spec() -> ConclusionSpec:
    return load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")


def started(
    now: datetime = START, *, spec: ConclusionSpec | None = None, workflow_id: str | None = None
) -> ConclusionState:
    spec = spec or quang_ngai_spec()
    plan = PLANNER.plan(conclusion_plan_request(spec, now), DEFAULT_POLICY)
    return transitions.new_conclusion(spec, plan, now, STAFF, workflow_id)


def apply(state: ConclusionState, command: c.Command, now: datetime) -> ConclusionState:
    """Apply a command with the deadline planning it needs, as the workflow shell does."""
    request = transitions.plan_needed(state, command, now)
    schedule = None
    if request is not None:
        (schedule,) = PLANNER.plan(request, DEFAULT_POLICY).schedules.values()
    return transitions.apply(state, command, now, schedule=schedule)


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


def history() -> History:
    """Start, add a recovery action, evidence rejected then accepted, reports, extensions, waive, transfer..."""
    states = [started()]

    def step(command: c.Command, now: datetime) -> None:
        states.append(apply(states[-1], command, now))

    recover = ActionSpec(
        id=RECOVER_ID,
        unit="ly-son",
        kind=ActionKind.recover,
        text="Thu hồi kinh phí thuê đường truyền chi sai quy định nộp ngân sách nhà nước.",
        due=date(2018, 9, 30),
        amount_vnd=RECOVER_AMOUNT,
    )
    step(c.AddAction(actor=STAFF, action=recover), at(2018, 6, 20))
    step(
        c.SubmitEvidence(actor=LY_SON, action_id=RECOVER_ID, files=[pdf("gnt-1.pdf")], recovered_vnd=60_000_000),
        at(2018, 7, 2),
    )
    step(
        c.ReviewEvidence(
            actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason="Thiếu giấy nộp tiền vào ngân sách"
        ),
        at(2018, 7, 5),
    )
    step(
        c.SubmitEvidence(
            actor=LY_SON,
            action_id=RECOVER_ID,
            files=[pdf("gnt-2.pdf"), pdf("bang-ke.pdf")],
            note="Đã nộp đủ",
            recovered_vnd=100_000_000,
        ),
        at(2018, 7, 10),
    )
    step(c.ReviewEvidence(actor=STAFF, evidence_id="ev-2", decision=c.Decision.accept), at(2018, 7, 12))
    step(
        c.SubmitEvidence(actor=LY_SON, action_id="ly-son-eoffice", files=[pdf("eoffice.pdf")], recovered_vnd=5_000_000),
        at(2018, 7, 13),
    )
    step(c.SubmitReport(actor=LY_SON, unit="ly-son", files=[pdf("bc-ly-son.pdf")]), at(2018, 7, 16))
    step(c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.accept), at(2018, 7, 17))
    step(
        c.SubmitReport(actor="vanphong@nghiahanh.example.vn", unit="nghia-hanh", files=[pdf("bc-nh.pdf")]),
        at(2018, 7, 18),
    )
    step(
        c.ReviewReport(
            actor=STAFF, report_id="rp-2", decision=c.Decision.reject, reason="Chưa nêu kết quả từng kiến nghị"
        ),
        at(2018, 7, 19),
    )
    # the unit reports fell due on 19/07: record the overdue notice of Nghĩa Hành's returned report
    notice_time = at(2018, 7, 20, 8)
    (notice,) = [n for n in ladder.due_notifications(states[-1], notice_time) if n.target == "report.nghia-hanh"]
    states.append(transitions.record_notification(states[-1], notice, NotificationStatus.sent, "250 OK", notice_time))
    step(
        c.RequestExtension(
            actor=LY_SON,
            action_id="ly-son-thu-cong-vu",
            requested_due=date(2018, 12, 28),
            reason="Chờ tỉnh cấp bổ sung tài khoản thư công vụ",
        ),
        at(2018, 8, 1),
    )
    step(c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True), at(2018, 8, 3))
    step(
        c.RequestExtension(
            actor="vanphong@ducpho.example.vn",
            action_id="duc-pho-eoffice",
            requested_due=date(2018, 11, 30),
            reason="Đang nâng cấp phần mềm",
        ),
        at(2018, 8, 6),
    )
    step(
        c.WaiveAction(actor=STAFF, action_id="tra-bong-thu-cong-vu", reason="Nội dung trùng kiến nghị khác"),
        at(2018, 8, 8),
    )
    step(
        c.TransferAction(actor=STAFF, action_id="so-xd-dvctt", reason="Chuyển Cơ quan CSĐT, CV số 12/TTr"),
        at(2018, 8, 9),
    )
    step(
        c.ChangeUnitContacts(
            actor=STAFF, unit="tra-bong", contacts=["vanthu@trabong.example.vn"], head="pct@trabong.example.vn"
        ),
        at(2018, 8, 10),
    )
    return History(states)


def notice_request(state: ConclusionState, target: str, now: datetime) -> MailRequest:
    """The MailRequest the workflow would send for `target` at `now` (exactly one notice is expected)."""
    (notice,) = [n for n in ladder.due_notifications(state, now) if n.target == target]
    return notices.mail_request(state, notice, now)


def overdue_request(now: datetime = OVERDUE_AT) -> MailRequest:
    """'Quá hạn' for Lý Sơn's eOffice action (due end of 01/10/2018, the 30/09 Sunday rolled forward)."""
    request = notice_request(started(), "ly-son-eoffice", now)
    assert request.step == Step.overdue
    return request
