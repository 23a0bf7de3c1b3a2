"""Builders for rules-level tests: a small conclusion, its plan, its state, and a simulated follow-up loop.

Everything goes through the real code paths: the spec through `parse_spec`, deadlines and office days through
`Planner` with the real Vietnamese calendar, state changes through `transitions.apply` (which mutates the state in
place: take `model_copy(deep=True)` first to compare before and after), letters through `ladder.due_letters`,
`transitions.plan_letters` and `transitions.settle_letter`, the way the workflow shell does it.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from activities.calendar import VN_TZ, WorkingCalendar
from activities.planning import Planner
from dondoc.spec_loader import parse_spec
from models import commands as c
from models.office import OfficeCalendar
from models.planning import PlanResult, conclusion_plan_request
from models.policy import DEFAULT_POLICY, Policy
from models.spec import ConclusionSpec
from models.state import ConclusionState, FileRef, LetterRecord, NotificationStatus, Schedule
from workflows.rules import ladder, transitions

VN = VN_TZ
CALENDAR = WorkingCalendar()
PLANNER = Planner(CALENDAR)
OFFICE = OfficeCalendar()  # production default: letters go 07:30–17:00 on working days, grouped per working day
ANY_TIME = OfficeCalendar(enabled=False)  # end-to-end style: letters go at the exact time

STAFF = "thanhtravien@thanhtra.example.vn"
UNIT_A = "vanthu.a@a.example.vn"
UNIT_A2 = "pho.a@a.example.vn"
HEAD_A = "truong.a@a.example.vn"
UNIT_B = "vanthu.b@b.example.vn"
HEAD_B = "truong.b@b.example.vn"
SUPERVISOR = "giamdoc@so.example.vn"
INSPECTORATE_HEAD = "chanh@thanhtra.example.vn"
AGENCY_HEAD = "chutich@ubnd.example.vn"

# The standard conclusion: issued Monday 02/06/2025, actions a-1 and b-1 due Monday 30/06/2025, a-2 due 31/07/2025,
# follow-up reports due 30/09/2025 (so that their ladder stays out of the way of June-July action tests).
ISSUED = date(2025, 6, 2)
WORKFLOW_ID = "kl-15-kl-ttr-2025"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment in Vietnam time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=VN)


def end_of(year: int, month: int, day: int) -> datetime:
    return at(year, month, day, 23, 59, 59)


NOW = at(2025, 6, 3, 9)  # the day after the conclusion is issued, when staff register it


def unit_dict(code: str, contacts: list[str], head: str | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"code": code, "name": f"Phòng {code.upper()}", "contacts": contacts}
    if head is not None:
        data["head"] = head
    data.update(extra)
    return data


def action_dict(action_id: str, unit: str, due: Any = "2025-06-30", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": action_id, "unit": unit, "text": f"Khắc phục tồn tại {action_id}."}
    if due is not None:
        data["due"] = due
    data.update(extra)
    return data


def spec_dict(**overrides: Any) -> dict[str, Any]:
    """A valid spec as the YAML loader would hand it over (dates as text)."""
    data: dict[str, Any] = {
        "number": "15/KL-TTr",
        "issued_on": ISSUED.isoformat(),
        "issuer": "Thanh tra tỉnh Nam Định",
        "title": "Thanh tra việc chấp hành pháp luật về ứng dụng công nghệ thông tin",
        "tracking_body": "Thanh tra tỉnh Nam Định",
        "inspectorate_head": INSPECTORATE_HEAD,
        "agency_head": AGENCY_HEAD,
        "units": [
            unit_dict("phong-a", [UNIT_A, UNIT_A2], HEAD_A, supervisor=SUPERVISOR, report_due="2025-09-30"),
            unit_dict("phong-b", [UNIT_B], HEAD_B, supervisor=SUPERVISOR, report_due="2025-09-30"),
        ],
        "actions": [
            action_dict("a-1", "phong-a", "2025-06-30"),
            action_dict("a-2", "phong-a", "2025-07-31"),
            action_dict("b-1", "phong-b", "2025-06-30"),
        ],
    }
    data.update(copy.deepcopy(overrides))
    return data


def make_spec(**overrides: Any) -> ConclusionSpec:
    return parse_spec(spec_dict(**overrides))


def plan(
    spec: ConclusionSpec,
    now: datetime = NOW,
    default_policy: Policy = DEFAULT_POLICY,
    office: OfficeCalendar = OFFICE,
) -> PlanResult:
    return PLANNER.plan(conclusion_plan_request(spec, now), default_policy, office)


def make_state(
    spec: ConclusionSpec | None = None,
    now: datetime = NOW,
    default_policy: Policy = DEFAULT_POLICY,
    office: OfficeCalendar = OFFICE,
) -> ConclusionState:
    spec = spec or make_spec()
    return transitions.new_conclusion(spec, plan(spec, now, default_policy, office), now, "staff")


def files(name: str = "bien-ban-khac-phuc.pdf") -> list[FileRef]:
    return [FileRef(name=name, sha256="ab" * 32, size=1234, content_type="application/pdf")]


def schedule_for(state: ConclusionState, command: c.Command, now: datetime) -> Schedule | None:
    """What the workflow shell does before applying: plan the deadline the command needs, if any."""
    request = transitions.plan_needed(state, command, now)
    if request is None:
        return None
    return next(iter(PLANNER.plan(request, DEFAULT_POLICY, state.calendar).schedules.values()))


def do(state: ConclusionState, command: c.Command, now: datetime, update_id: str | None = None) -> ConclusionState:
    """Apply a command the way the workflow does (planning included); the state changes in place."""
    return transitions.apply(state, command, now, update_id, schedule_for(state, command, now))


# ---------------------------------------------------------------- command shortcuts


def submit(state: ConclusionState, action_id: str, now: datetime) -> ConclusionState:
    return do(state, c.SubmitEvidence(actor=UNIT_A, action_id=action_id, files=files()), now)


def last_evidence_id(state: ConclusionState, action_id: str) -> str:
    return [e.id for e in state.evidence if e.action_id == action_id][-1]


def accept(state: ConclusionState, action_id: str, now: datetime) -> ConclusionState:
    evidence_id = last_evidence_id(state, action_id)
    return do(state, c.ReviewEvidence(actor=STAFF, evidence_id=evidence_id, decision=c.Decision.accept), now)


def reject(state: ConclusionState, action_id: str, now: datetime, reason: str = "Thiếu biên bản") -> ConclusionState:
    evidence_id = last_evidence_id(state, action_id)
    command = c.ReviewEvidence(actor=STAFF, evidence_id=evidence_id, decision=c.Decision.reject, reason=reason)
    return do(state, command, now)


def finish_action(state: ConclusionState, action_id: str, now: datetime) -> ConclusionState:
    return accept(submit(state, action_id, now), action_id, now)


def finish_report(state: ConclusionState, unit: str, now: datetime) -> ConclusionState:
    state = do(state, c.SubmitReport(actor=UNIT_A, unit=unit, files=files("bao-cao.pdf")), now)
    report_id = [r.id for r in state.reports if r.unit == unit][-1]
    return do(state, c.ReviewReport(actor=STAFF, report_id=report_id, decision=c.Decision.accept), now)


def extend(state: ConclusionState, action_id: str, new_due: date | datetime, now: datetime) -> ConclusionState:
    state = do(
        state, c.RequestExtension(actor=UNIT_A, action_id=action_id, requested_due=new_due, reason="Chờ vốn"), now
    )
    request_id = state.extension_requests[-1].id
    return do(state, c.DecideExtension(actor=STAFF, request_id=request_id, approve=True), now)


# ---------------------------------------------------------------- letters and the ladder loop


def targets_of(letter: LetterRecord | ladder.DueLetter) -> list[str]:
    return [i.target for i in letter.items]


def for_target(letters: list[LetterRecord], target: str) -> list[LetterRecord]:
    return [letter for letter in letters if target in targets_of(letter)]


def plan_due(state: ConclusionState, now: datetime) -> list[LetterRecord]:
    """Plan (record as pending) every letter due now, without settling them."""
    return transitions.plan_letters(state, ladder.due_letters(state, now), now)


def settle(
    state: ConclusionState,
    letters: list[LetterRecord],
    now: datetime,
    status: NotificationStatus = NotificationStatus.sent,
    detail: str = "250 OK",
) -> None:
    for letter in letters:
        transitions.settle_letter(state, letter.key, status, detail, now)


def send_due(
    state: ConclusionState, now: datetime, status: NotificationStatus = NotificationStatus.sent
) -> tuple[ConclusionState, list[LetterRecord]]:
    """One turn of the workflow loop: every letter due now is planned and settled (sent, by default) at once."""
    planned = plan_due(state, now)
    settle(state, planned, now, status, "250 OK" if status == NotificationStatus.sent else "550 no such user")
    return state, planned


def run_until(state: ConclusionState, start: datetime, end: datetime) -> tuple[ConclusionState, list[LetterRecord]]:
    """Wake up at every `next_wakeup` from `start` to `end` (inclusive), sending what is due each time."""
    sent: list[LetterRecord] = []
    now: datetime | None = start
    while now is not None and now <= end:
        state, due = send_due(state, now)
        sent += due
        now = ladder.next_wakeup(state, now)
    return state, sent


def gathered_at(state: ConclusionState, now: datetime) -> list[ladder.DueLetter]:
    """The letters a workflow pass plans at `now`: those due, with other units' letters about to fall due."""
    return ladder.gather_letters(state, now, ladder.due_letters(state, now))
