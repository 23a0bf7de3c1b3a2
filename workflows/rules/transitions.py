"""State transitions of a conclusion's follow-up: who may do what, when, and what it changes.

`check` refuses a command with a Vietnamese reason; `apply` returns the new state (the input is never mutated).
Pure: the caller supplies the time, the update id and any schedule computed outside (deadline planning).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, TypeVar

from models import commands as c
from models.labels import ACTION_STATUS, KIND, REPORT_STATUS, STEP, VN, item_name
from models.planning import DueRule, PlanRequest, PlanResult, action_rule, report_target
from models.policy import URGING_STEPS, Step
from models.spec import MAX_ACTIONS, ActionKind, ActionSpec, ConclusionSpec, PriorStatus
from models.state import (
    RESOLVED_ACTION,
    ActionState,
    ActionStatus,
    AuditEvent,
    ConclusionState,
    ConclusionStatus,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    LetterRecord,
    LetterRef,
    NoticeAudience,
    NoticeKind,
    NoticeLine,
    NoticeRecord,
    NotificationStatus,
    ReportStatus,
    ReportSubmission,
    ReviewStatus,
    Schedule,
    Signature,
    Tracked,
    UnitState,
)
from workflows.rules import decisions
from workflows.rules.ladder import DueLetter, closing_key, letter_key, target

SYSTEM = "hệ thống"
KEEP_UPDATE_IDS = 1000
KEEP_FAILED_LETTERS = 200  # the full record of letters is the outbox in SQL
KEEP_SENT_LETTERS = 20
KEEP_UNIT_LETTERS = 12  # the latest letters a unit's next letter may cite
KEEP_EVENTS = 100  # once projected; the full trail is in SQL


class RuleViolation(ValueError):
    """A command the rules refuse; the message is shown to the user as is. `about`: the item it is about, when one
    is (a form with several items ticked marks that one)."""

    def __init__(self, message: str, about: str | None = None) -> None:
        super().__init__(message)
        self.about = about


C = TypeVar("C", bound=c.Command)


# ---------------------------------------------------------------- creation


def new_conclusion(
    spec: ConclusionSpec, plan: PlanResult, now: datetime, actor: str, workflow_id: str | None = None
) -> ConclusionState:
    """The initial state; `workflow_id` defaults to the spec's `kl-<slug>`. What the spec says was done before
    registration is taken as it stands: done items do not climb the ladder, a received report awaits review."""
    units = {
        u.code: UnitState(
            code=u.code,
            name=u.name,
            contacts=list(u.contacts),
            head=u.head,
            head_title=u.head_title,
            supervisor=u.supervisor,
            supervisor_title=u.supervisor_title,
            schedule=plan.schedules[report_target(u.code)],
            due_assumed=spec.report_due_assumed and u.report_due is None,  # a unit's own deadline is stated
        )
        for u in spec.units
    }
    actions = {a.id: _action_state(a, plan.schedules[a.id]) for a in spec.actions}
    signer = spec.signer
    state = ConclusionState(
        workflow_id=workflow_id or spec.workflow_id,
        number=spec.number,
        issued_on=spec.issued_on,
        received_on=spec.start_day,
        issuer=spec.issuer,
        title=spec.title,
        tracking_body=spec.tracking_body,
        inspectorate_head=spec.inspectorate_head,
        agency_head=spec.agency_head,
        officers=list(dict.fromkeys(spec.officers)),
        agency_head_title=spec.agency_head_title,
        signature=Signature(
            title=signer.title if signer else Signature().title,
            name=signer.name if signer else "",
            acting_for=signer.acting_for if signer else None,
            place=spec.place,
            letter_symbol=spec.letter_symbol,
            parent=spec.inspectorate_parent,
        ),
        policy=plan.policy,
        calendar=plan.calendar,
        units=units,
        actions=actions,
    )
    message = f"Bắt đầu theo dõi kết luận {spec.number}: {len(units)} đơn vị, {len(actions)} kiến nghị"
    _event(state, now, actor, "started", None, message)
    for u in spec.units:
        if u.report_received is not None:
            received = u.report_received
            unit = state.units[u.code]
            report = ReportSubmission(
                id=f"rp-{len(state.reports) + 1}",
                unit=u.code,
                files=[],
                note=received.document,
                submitted_by=actor,
                submitted_at=datetime.combine(received.on, time(12, 0), VN),
            )
            state.reports.append(report)
            unit.report_status = ReportStatus.submitted
            _event(
                state,
                now,
                actor,
                "report_submitted",
                report_target(u.code),
                f"Đã nhận báo cáo của {unit.name} trước khi đăng ký: {received.document}",
            )
    return state


def _action_state(spec: ActionSpec, schedule: Schedule) -> ActionState:
    action = ActionState(
        id=spec.id,
        unit=spec.unit,
        ref=spec.ref,
        kind=spec.kind,
        text=spec.text,
        amount_vnd=spec.amount_vnd,
        original_due=schedule.due,
        schedule=schedule,
        due_assumed=spec.due_assumed,
    )
    if spec.status != PriorStatus.open and spec.as_of is not None:
        known = f"theo {spec.source}" if spec.source else f"tình trạng ngày {spec.as_of:%d/%m/%Y}"
        if spec.status == PriorStatus.done:
            action.status, action.status_reason = ActionStatus.done, f"Đã thực hiện trước khi đăng ký ({known})"
            action.resolved_at = datetime.combine(spec.as_of, time(12, 0), VN)
            action.progress = f"Đã thực hiện ({known})"
        else:
            action.progress = f"Đã thực hiện một phần ({known})"
    return action


# ---------------------------------------------------------------- helpers


def _event(
    state: ConclusionState,
    now: datetime,
    actor: str,
    kind: str,
    target: str | None,
    message: str,
    **data: Any,
) -> None:
    state.version += 1
    seq = state.events[-1].seq + 1 if state.events else 1
    state.events.append(AuditEvent(seq=seq, at=now, actor=actor, kind=kind, target=target, message=message, data=data))


def _tell_unit(
    state: ConclusionState,
    unit: str,
    kind: NoticeKind,
    cmd: c.Command,
    now: datetime,
    target_id: str | None = None,
    subject: str | None = None,
    reason: str | None = None,
    new_due: datetime | None = None,
) -> None:
    if not state.decision_notices:
        return
    line = NoticeLine(
        kind=kind, target=target_id, subject=subject, reason=reason, new_due=new_due, by=cmd.actor, at=now
    )
    decisions.notify(state, unit, NoticeAudience.unit, line, now)


def _tell_officers(
    state: ConclusionState, cmd: c.Command, now: datetime, target_id: str, subject: str, reason: str | None = None
) -> None:
    """Something arrived for review: the officers who asked to know at once are told (their choice lives in SQL)."""
    if not state.decision_notices:
        return
    line = NoticeLine(kind=NoticeKind.arrived, target=target_id, subject=subject, reason=reason, by=cmd.actor, at=now)
    decisions.notify(state, "", NoticeAudience.officers, line, now)


def _replan(tracked: Tracked, schedule: Schedule) -> None:
    """A new deadline: a new due version that climbs the ladder from its start."""
    tracked.schedule, tracked.due_version = schedule, tracked.due_version + 1
    tracked.last_step, tracked.last_step_index, tracked.last_letter_at, tracked.resume_at = None, None, None, None


def _active(state: ConclusionState) -> None:
    if state.status == ConclusionStatus.closed:
        raise RuleViolation(f"Kết luận {state.number} đã kết thúc theo dõi; không thể thay đổi.")
    if state.status == ConclusionStatus.withdrawn:
        raise RuleViolation(f"Kết luận {state.number} đã bị rút; không thể thay đổi.")


def _action(state: ConclusionState, action_id: str) -> ActionState:
    action = state.actions.get(action_id)
    if action is None:
        raise RuleViolation(f"Không tìm thấy kiến nghị '{action_id}' trong kết luận {state.number}.")
    return action


def _unit(state: ConclusionState, code: str) -> UnitState:
    unit = state.units.get(code)
    if unit is None:
        raise RuleViolation(f"Không tìm thấy đơn vị '{code}' trong kết luận {state.number}.")
    return unit


def _by_id(items: list[Any], item_id: str, label: str) -> Any:
    for item in items:
        if item.id == item_id:
            return item
    raise RuleViolation(f"Không tìm thấy {label} '{item_id}'.")


def _need_reason(reason: str | None, what: str) -> str:
    if reason is None or not reason.strip():
        raise RuleViolation(f"Cần nêu lý do khi {what}.")
    return reason.strip()


def _status_is(action: ActionState, allowed: set[ActionStatus], doing: str) -> None:
    if action.status not in allowed:
        raise RuleViolation(
            f"Kiến nghị {item_name(action.ref, action.text)} đang ở trạng thái «{ACTION_STATUS[action.status]}», không thể {doing}.",
            about=action.id,
        )


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _close_if_complete(state: ConclusionState, now: datetime) -> None:
    if state.status == ConclusionStatus.active and is_complete(state):
        state.status = ConclusionStatus.closed
        state.closed_at = now
        _event(state, now, SYSTEM, "closed", None, f"Kết thúc theo dõi kết luận {state.number}")


def is_complete(state: ConclusionState) -> bool:
    """Every action done, waived or transferred, and every unit's follow-up report accepted."""
    return all(a.status in RESOLVED_ACTION for a in state.actions.values()) and all(
        u.report_status == ReportStatus.accepted for u in state.units.values()
    )


# ---------------------------------------------------------------- checks


def _check_submit_evidence(state: ConclusionState, cmd: c.SubmitEvidence) -> None:
    for action_id in cmd.action_ids:
        _status_is(_action(state, action_id), {ActionStatus.open}, "nộp minh chứng")


def _check_review_evidence(state: ConclusionState, cmd: c.ReviewEvidence) -> None:
    for evidence_id in cmd.evidence_ids:
        evidence: Evidence = _by_id(state.evidence, evidence_id, "minh chứng")
        if evidence.status != ReviewStatus.submitted:
            raise RuleViolation(f"Minh chứng '{evidence.id}' đã được xem xét.")
    if cmd.decision == c.Decision.reject:
        _need_reason(cmd.reason, "yêu cầu bổ sung minh chứng")
    _check_new_due(state, cmd.decision, cmd.new_due)


def _check_request_extension(state: ConclusionState, cmd: c.RequestExtension) -> None:
    action = _action(state, cmd.action_id)
    _status_is(action, {ActionStatus.open, ActionStatus.evidence_submitted}, "xin gia hạn")
    if any(r.action_id == action.id and r.status == ExtensionStatus.requested for r in state.extension_requests):
        raise RuleViolation(
            f"Kiến nghị {item_name(action.ref, action.text)} đã có một đề nghị gia hạn đang chờ quyết định."
        )
    if _day(cmd.requested_due) <= _day(action.due.astimezone(VN)):
        raise RuleViolation(f"requested_due: hạn đề nghị phải sau hạn hiện tại ({action.due:%d/%m/%Y}).")


def _check_decide_extension(state: ConclusionState, cmd: c.DecideExtension) -> None:
    request: ExtensionRequest = _by_id(state.extension_requests, cmd.request_id, "đề nghị gia hạn")
    if request.status != ExtensionStatus.requested:
        raise RuleViolation(f"Đề nghị gia hạn '{request.id}' đã được quyết định.")
    action = _action(state, request.action_id)
    if not cmd.approve:  # a request left pending on a resolved action can still be answered
        _need_reason(cmd.reason, "không chấp thuận gia hạn")
        return
    _status_is(action, {ActionStatus.open, ActionStatus.evidence_submitted}, "gia hạn")
    if cmd.granted_due is not None and _day(cmd.granted_due) <= _day(action.due.astimezone(VN)):
        raise RuleViolation(f"granted_due: hạn mới phải sau hạn hiện tại ({action.due:%d/%m/%Y}).")


def _check_submit_report(state: ConclusionState, cmd: c.SubmitReport) -> None:
    unit = _unit(state, cmd.unit)
    if unit.report_status not in (ReportStatus.awaited, ReportStatus.returned):
        raise RuleViolation(
            f"Báo cáo của {unit.name} đang ở trạng thái «{REPORT_STATUS[unit.report_status]}», không thể nộp."
        )


def _check_review_report(state: ConclusionState, cmd: c.ReviewReport) -> None:
    report: ReportSubmission = _by_id(state.reports, cmd.report_id, "báo cáo")
    if report.status != ReviewStatus.submitted:
        raise RuleViolation(f"Báo cáo '{report.id}' đã được xem xét.")
    if cmd.decision == c.Decision.reject:
        _need_reason(cmd.reason, "trả lại báo cáo")
    _check_new_due(state, cmd.decision, cmd.new_due)


def _check_new_due(state: ConclusionState, decision: c.Decision, new_due: date | datetime | None) -> None:
    if new_due is None:
        return
    if decision != c.Decision.reject:
        raise RuleViolation("new_due: chỉ đặt hạn mới khi trả lại để bổ sung.")
    if _day(new_due) < state.issued_on:
        raise RuleViolation("new_due: hạn mới không được trước ngày ban hành kết luận.")


def _check_waive(state: ConclusionState, cmd: c.WaiveAction) -> None:
    _status_is(_action(state, cmd.action_id), {ActionStatus.open, ActionStatus.evidence_submitted}, "miễn thực hiện")


def _check_transfer(state: ConclusionState, cmd: c.TransferAction) -> None:
    action = _action(state, cmd.action_id)
    _status_is(action, {ActionStatus.open, ActionStatus.evidence_submitted}, "chuyển cơ quan điều tra")


def _check_add_action(state: ConclusionState, cmd: c.AddAction) -> None:
    if len(state.actions) >= MAX_ACTIONS:
        raise RuleViolation(f"Kết luận {state.number} đã có {MAX_ACTIONS} kiến nghị, mức tối đa theo dõi được.")
    if cmd.action.id in state.actions:
        raise RuleViolation(f"action.id: mã kiến nghị '{cmd.action.id}' đã tồn tại.")
    _unit(state, cmd.action.unit)
    due = cmd.action.due
    if due is not None and _day(due) < state.issued_on:
        raise RuleViolation("action.due: hạn không được trước ngày ban hành kết luận.")
    if cmd.action.amount_vnd is not None and cmd.action.kind != ActionKind.recover:
        raise RuleViolation("action.amount_vnd: chỉ dùng cho kiến nghị loại recover (thu hồi).")


def _check_change_contacts(state: ConclusionState, cmd: c.ChangeUnitContacts) -> None:
    _unit(state, cmd.unit)


def _letter(state: ConclusionState, key: str) -> LetterRecord | NoticeRecord:
    """A letter of the ladder or a notice of decisions, by its key."""
    record: LetterRecord | NoticeRecord | None = next((n for n in state.letters if n.key == key), None)
    record = record or next((n for n in state.notices if n.key == key), None)
    if record is None:
        raise RuleViolation(f"Không tìm thấy văn bản '{key}' (hoặc văn bản đã quá cũ để gửi lại từ đây).")
    return record


def _check_resend(state: ConclusionState, cmd: c.ResendNotification) -> None:
    record = _letter(state, cmd.key)
    if record.status == NotificationStatus.pending:
        raise RuleViolation("Văn bản này đang chờ gửi lại.")
    if record.status != NotificationStatus.failed:
        raise RuleViolation("Chỉ gửi lại được văn bản đã gửi thất bại.")


def _check_record_letter_number(state: ConclusionState, cmd: c.RecordLetterNumber) -> None:
    if not any(ref.key == cmd.key for unit in state.units.values() for ref in unit.letters):
        raise RuleViolation(f"Không tìm thấy văn bản đã gửi '{cmd.key}' để ghi số.")


def _check_withdraw(state: ConclusionState, cmd: c.Withdraw) -> None:
    return None


# ---------------------------------------------------------------- applications


def _apply_submit_evidence(state: ConclusionState, cmd: c.SubmitEvidence, now: datetime, _: Schedule | None) -> None:
    names = ", ".join(f.name for f in cmd.files)
    for action_id in cmd.action_ids:
        action = state.actions[action_id]
        evidence = Evidence(
            id=f"ev-{len(state.evidence) + 1}",
            action_id=action.id,
            files=list(cmd.files),
            note=cmd.note,
            recovered_vnd=cmd.recovered_vnd,
            submitted_by=cmd.actor,
            submitted_at=now,
        )
        state.evidence.append(evidence)
        action.status = ActionStatus.evidence_submitted
        _event(state, now, cmd.actor, "evidence_submitted", action.id, f"Nộp minh chứng {evidence.id}: {names}")
        _tell_officers(state, cmd, now, action.id, evidence.id)


def _apply_review_evidence(
    state: ConclusionState, cmd: c.ReviewEvidence, now: datetime, schedule: Schedule | None
) -> None:
    for evidence_id in cmd.evidence_ids:
        evidence: Evidence = _by_id(state.evidence, evidence_id, "minh chứng")
        _review_one_evidence(state, cmd, evidence, now, schedule)


def _review_one_evidence(
    state: ConclusionState, cmd: c.ReviewEvidence, evidence: Evidence, now: datetime, schedule: Schedule | None
) -> None:
    action = state.actions[evidence.action_id]
    evidence.reviewed_by, evidence.reviewed_at, evidence.reason = cmd.actor, now, cmd.reason
    if cmd.decision == c.Decision.accept:
        evidence.status = ReviewStatus.accepted
        if action.status == ActionStatus.evidence_submitted:
            action.status, action.resolved_at = ActionStatus.done, now
        _event(state, now, cmd.actor, "evidence_accepted", action.id, f"Chấp nhận minh chứng {evidence.id}")
        _tell_unit(state, action.unit, NoticeKind.evidence_accepted, cmd, now, action.id, evidence.id)
        return
    evidence.status = ReviewStatus.rejected
    reopened = action.status == ActionStatus.evidence_submitted
    if reopened:
        action.status, action.status_reason = ActionStatus.open, cmd.reason
    new_due = _returned(state, action, schedule, now) if reopened else None
    message = f"Yêu cầu bổ sung minh chứng {evidence.id}: {cmd.reason}"
    if new_due is not None:
        message += f" (hạn mới {new_due.astimezone(VN):%d/%m/%Y})"
    _event(state, now, cmd.actor, "evidence_rejected", action.id, message)
    _tell_unit(state, action.unit, NoticeKind.evidence_returned, cmd, now, action.id, evidence.id, cmd.reason, new_due)


def _returned(state: ConclusionState, tracked: Tracked, schedule: Schedule | None, now: datetime) -> datetime | None:
    """After a return: the new deadline staff set (a new due version), or the ladder taken up again from the step it
    had reached; never silence. Returns the new deadline, if any."""
    if schedule is not None:
        _replan(tracked, schedule.model_copy(deep=True))  # one decision may set the same deadline for several items
        return schedule.due
    if state.decision_notices:
        decisions.resume_after_return(state, tracked, now)
    return None


def _apply_request_extension(
    state: ConclusionState, cmd: c.RequestExtension, now: datetime, _: Schedule | None
) -> None:
    request = ExtensionRequest(
        id=f"ext-{len(state.extension_requests) + 1}",
        action_id=cmd.action_id,
        requested_due=cmd.requested_due,
        reason=cmd.reason,
        requested_by=cmd.actor,
        requested_at=now,
    )
    state.extension_requests.append(request)
    _tell_officers(
        state,
        cmd,
        now,
        cmd.action_id,
        request.id,
        f"Xin gia hạn đến ngày {_day(cmd.requested_due):%d/%m/%Y}. Lý do: {cmd.reason}",
    )
    _event(
        state,
        now,
        cmd.actor,
        "extension_requested",
        cmd.action_id,
        f"Đề nghị gia hạn {request.id} đến {_day(cmd.requested_due):%d/%m/%Y}: {cmd.reason}",
    )


def _apply_decide_extension(
    state: ConclusionState, cmd: c.DecideExtension, now: datetime, schedule: Schedule | None
) -> None:
    request: ExtensionRequest = _by_id(state.extension_requests, cmd.request_id, "đề nghị gia hạn")
    action = state.actions[request.action_id]
    request.decided_by, request.decided_at, request.decision_reason = cmd.actor, now, cmd.reason
    if not cmd.approve:
        request.status = ExtensionStatus.denied
        _event(
            state,
            now,
            cmd.actor,
            "extension_denied",
            action.id,
            f"Không chấp thuận gia hạn {request.id}: {cmd.reason}",
        )
        _tell_unit(state, action.unit, NoticeKind.extension_denied, cmd, now, action.id, request.id, cmd.reason)
        return
    if schedule is None:
        raise RuleViolation("Chưa tính được lịch mới cho hạn gia hạn.")
    request.status, request.granted_due = ExtensionStatus.approved, schedule.due
    _replan(action, schedule)
    _tell_unit(
        state, action.unit, NoticeKind.extension_approved, cmd, now, action.id, request.id, cmd.reason, schedule.due
    )
    _event(
        state,
        now,
        cmd.actor,
        "extension_approved",
        action.id,
        f"Gia hạn {request.id}: hạn mới {schedule.due:%d/%m/%Y %H:%M}",
        due=schedule.due.isoformat(),
    )


def _apply_submit_report(state: ConclusionState, cmd: c.SubmitReport, now: datetime, _: Schedule | None) -> None:
    unit = state.units[cmd.unit]
    report = ReportSubmission(
        id=f"rp-{len(state.reports) + 1}",
        unit=unit.code,
        files=list(cmd.files),
        note=cmd.note,
        submitted_by=cmd.actor,
        submitted_at=now,
    )
    state.reports.append(report)
    unit.report_status = ReportStatus.submitted
    _event(
        state,
        now,
        cmd.actor,
        "report_submitted",
        report_target(unit.code),
        f"{unit.name} nộp báo cáo {report.id}",
    )
    _tell_officers(state, cmd, now, report_target(unit.code), report.id)


def _apply_review_report(state: ConclusionState, cmd: c.ReviewReport, now: datetime, schedule: Schedule | None) -> None:
    report: ReportSubmission = _by_id(state.reports, cmd.report_id, "báo cáo")
    unit = state.units[report.unit]
    report.reviewed_by, report.reviewed_at, report.reason = cmd.actor, now, cmd.reason
    target = report_target(unit.code)
    if cmd.decision == c.Decision.accept:
        report.status, unit.report_status = ReviewStatus.accepted, ReportStatus.accepted
        _event(state, now, cmd.actor, "report_accepted", target, f"Chấp nhận báo cáo {report.id} của {unit.name}")
        _tell_unit(state, unit.code, NoticeKind.report_accepted, cmd, now, target, report.id)
        return
    report.status, unit.report_status = ReviewStatus.rejected, ReportStatus.returned
    new_due = _returned(state, unit, schedule, now)
    message = f"Trả lại báo cáo {report.id} của {unit.name}: {cmd.reason}"
    if new_due is not None:
        message += f" (hạn mới {new_due.astimezone(VN):%d/%m/%Y})"
    _event(state, now, cmd.actor, "report_returned", target, message)
    _tell_unit(state, unit.code, NoticeKind.report_returned, cmd, now, target, report.id, cmd.reason, new_due)


def _apply_waive(state: ConclusionState, cmd: c.WaiveAction, now: datetime, _: Schedule | None) -> None:
    action = state.actions[cmd.action_id]
    action.status, action.status_reason, action.resolved_at = ActionStatus.waived, cmd.reason, now
    _event(state, now, cmd.actor, "action_waived", action.id, f"Miễn thực hiện: {cmd.reason}")
    _tell_unit(state, action.unit, NoticeKind.action_waived, cmd, now, action.id, reason=cmd.reason)


def _apply_transfer(state: ConclusionState, cmd: c.TransferAction, now: datetime, _: Schedule | None) -> None:
    action = state.actions[cmd.action_id]
    action.status, action.status_reason, action.resolved_at = ActionStatus.transferred, cmd.reason, now
    _event(state, now, cmd.actor, "action_transferred", action.id, f"Chuyển cơ quan điều tra: {cmd.reason}")
    _tell_unit(state, action.unit, NoticeKind.action_transferred, cmd, now, action.id, reason=cmd.reason)


def _apply_add_action(state: ConclusionState, cmd: c.AddAction, now: datetime, schedule: Schedule | None) -> None:
    if schedule is None:
        raise RuleViolation("Chưa tính được hạn cho kiến nghị mới.")
    spec = cmd.action
    state.actions[spec.id] = _action_state(spec, schedule)  # its number (ref), assumed due, prior status too
    _event(
        state,
        now,
        cmd.actor,
        "action_added",
        spec.id,
        f"Bổ sung kiến nghị ({KIND[spec.kind]}) cho {state.units[spec.unit].name}, hạn {schedule.due:%d/%m/%Y}",
    )


def _apply_change_contacts(
    state: ConclusionState, cmd: c.ChangeUnitContacts, now: datetime, _: Schedule | None
) -> None:
    unit = state.units[cmd.unit]
    if "head_title" in cmd.model_fields_set:  # a change recorded before the titles were part of it kept them
        unit.head_title = _title_after(cmd.head_title, unit.head_title, _same(unit.head, cmd.head))
        unit.supervisor_title = _title_after(
            cmd.supervisor_title, unit.supervisor_title, _same(unit.supervisor, cmd.supervisor)
        )
    unit.contacts, unit.head, unit.supervisor = list(cmd.contacts), cmd.head, cmd.supervisor
    people = [", ".join(unit.contacts)]
    if unit.head:
        people.append(f"thủ trưởng {_person(unit.head_title, unit.head)}")
    if unit.supervisor:
        people.append(f"cơ quan cấp trên {_person(unit.supervisor_title, unit.supervisor)}")
    message = f"Cập nhật đầu mối của {unit.name}: {'; '.join(people)}"
    _event(state, now, cmd.actor, "contacts_changed", report_target(unit.code), message)


def _person(title: str | None, address: str) -> str:
    return f"{title} ({address})" if title else address


def _same(address: str | None, other: str | None) -> bool:
    return (address or "").lower() == (other or "").lower()


def _title_after(given: str | None, current: str | None, same_person: bool) -> str | None:
    """A title given is taken ("" clears it); none given keeps the title only for the same person."""
    if given is not None:
        return given or None
    return current if same_person else None


def _apply_resend(state: ConclusionState, cmd: c.ResendNotification, now: datetime, _: Schedule | None) -> None:
    record = _letter(state, cmd.key)
    record.status, record.resend = NotificationStatus.pending, True
    if isinstance(record, NoticeRecord):
        record.send_at = now
        unit = state.units.get(record.unit)
        _event(
            state,
            now,
            cmd.actor,
            "notice_resend_requested",
            report_target(record.unit) if unit else None,
            f"Yêu cầu gửi lại thông báo tới {unit.name if unit else 'cán bộ theo dõi'}",
            key=cmd.key,
        )
        return
    _event(
        state,
        now,
        cmd.actor,
        "notification_resend_requested",
        report_target(record.unit) if record.unit else None,
        f"Yêu cầu gửi lại văn bản «{STEP[record.step]}» tới {', '.join(record.to)}",
        key=cmd.key,
    )


def _apply_record_letter_number(
    state: ConclusionState, cmd: c.RecordLetterNumber, now: datetime, _: Schedule | None
) -> None:
    for unit in state.units.values():
        for ref in unit.letters:
            if ref.key == cmd.key:
                ref.number, ref.signed_on = cmd.number, cmd.signed_on
                _event(
                    state,
                    now,
                    cmd.actor,
                    "letter_numbered",
                    report_target(unit.code),
                    f"Ghi số văn bản «{STEP[ref.step]}» gửi {unit.name}: số {cmd.number}",
                    key=cmd.key,
                    number=cmd.number,
                    signed_on=cmd.signed_on.isoformat() if cmd.signed_on else None,
                )


def _apply_withdraw(state: ConclusionState, cmd: c.Withdraw, now: datetime, _: Schedule | None) -> None:
    state.status, state.status_reason, state.closed_at = ConclusionStatus.withdrawn, cmd.reason, now
    _event(state, now, cmd.actor, "withdrawn", None, f"Rút kết luận khỏi theo dõi: {cmd.reason}")
    for unit in state.units.values():
        _tell_unit(state, unit.code, NoticeKind.withdrawn, cmd, now, reason=cmd.reason)


_Check = Callable[[ConclusionState, Any], None]
_Apply = Callable[[ConclusionState, Any, datetime, Schedule | None], None]

_RULES: dict[type[c.Command], tuple[_Check, _Apply]] = {
    c.SubmitEvidence: (_check_submit_evidence, _apply_submit_evidence),
    c.ReviewEvidence: (_check_review_evidence, _apply_review_evidence),
    c.RequestExtension: (_check_request_extension, _apply_request_extension),
    c.DecideExtension: (_check_decide_extension, _apply_decide_extension),
    c.SubmitReport: (_check_submit_report, _apply_submit_report),
    c.ReviewReport: (_check_review_report, _apply_review_report),
    c.WaiveAction: (_check_waive, _apply_waive),
    c.TransferAction: (_check_transfer, _apply_transfer),
    c.AddAction: (_check_add_action, _apply_add_action),
    c.ChangeUnitContacts: (_check_change_contacts, _apply_change_contacts),
    c.ResendNotification: (_check_resend, _apply_resend),
    c.RecordLetterNumber: (_check_record_letter_number, _apply_record_letter_number),
    c.Withdraw: (_check_withdraw, _apply_withdraw),
}


# ---------------------------------------------------------------- public API


def _counts(state: ConclusionState) -> tuple[int, int, int]:
    return len(state.evidence), len(state.extension_requests), len(state.reports)


def _created_since(state: ConclusionState, before: tuple[int, int, int]) -> str:
    """The ids of the submissions a change recorded, space-separated ("" for none)."""
    created: list[Any] = [
        *state.evidence[before[0] :],
        *state.extension_requests[before[1] :],
        *state.reports[before[2] :],
    ]
    return " ".join(item.id for item in created)


def already_applied(state: ConclusionState, update_id: str | None) -> bool:
    return update_id is not None and update_id in state.applied_updates


def check(state: ConclusionState, command: c.Command, update_id: str | None = None) -> None:
    """Raise RuleViolation when `command` is not allowed now. An update id seen before always passes."""
    if already_applied(state, update_id):
        return
    _active(state)
    _RULES[type(command)][0](state, command)


def plan_needed(state: ConclusionState, command: c.Command, now: datetime) -> PlanRequest | None:
    """The deadline planning a command needs before it can apply (computed outside workflow code)."""
    if isinstance(command, c.DecideExtension) and command.approve:
        request: ExtensionRequest = _by_id(state.extension_requests, command.request_id, "đề nghị gia hạn")
        rule = action_rule_for_date(state, command.granted_due or request.requested_due)
        return PlanRequest(now=now, policy=state.policy, targets={request.action_id: rule})
    if isinstance(command, c.ReviewEvidence) and command.decision == c.Decision.reject and command.new_due:
        # One new deadline for every item the decision returns: one rule, so one schedule serves them all.
        evidence: Evidence = _by_id(state.evidence, command.evidence_id, "minh chứng")
        rule = action_rule_for_date(state, command.new_due)
        return PlanRequest(now=now, policy=state.policy, targets={evidence.action_id: rule})
    if isinstance(command, c.ReviewReport) and command.decision == c.Decision.reject and command.new_due:
        report: ReportSubmission = _by_id(state.reports, command.report_id, "báo cáo")
        rule = action_rule_for_date(state, command.new_due)
        return PlanRequest(now=now, policy=state.policy, targets={report_target(report.unit): rule})
    if isinstance(command, c.AddAction):
        rule = action_rule(command.action, state.received_on)
        return PlanRequest(now=now, policy=state.policy, targets={command.action.id: rule})
    return None


def action_rule_for_date(state: ConclusionState, due: date | datetime) -> DueRule:
    return DueRule(start_day=state.received_on, due=due)


def apply(
    state: ConclusionState,
    command: c.Command,
    now: datetime,
    update_id: str | None = None,
    schedule: Schedule | None = None,
) -> ConclusionState:
    """Apply `command` to `state` in place and return it; nothing changes when this update id was applied before,
    or when the command is refused (everything is checked before anything changes).

    In place, because the cost of one change must not grow with the conclusion: a copy of the whole state per
    change is what made large conclusions fail their workflow tasks.
    """
    if already_applied(state, update_id):
        return state
    check(state, command)
    if schedule is None and plan_needed(state, command, now) is not None:
        raise RuleViolation("Chưa tính được thời hạn cho thay đổi này.")
    before = _counts(state)
    _RULES[type(command)][1](state, command, now, schedule)
    if update_id is not None:
        state.applied_updates[update_id] = _created_since(state, before)
        for old in list(state.applied_updates)[: max(0, len(state.applied_updates) - KEEP_UPDATE_IDS)]:
            del state.applied_updates[old]
    _close_if_complete(state, now)
    return state


def created_by(state: ConclusionState, update_id: str) -> list[str]:
    """The ids of the submissions an applied update recorded (evidence, extension request, report), in order."""
    return state.applied_updates.get(update_id, "").split()


# ---------------------------------------------------------------- letters


def plan_letters(state: ConclusionState, due: list[DueLetter], now: datetime) -> list[LetterRecord]:
    """Record `due` letters as pending (each with a stable key, so a retry sends nothing twice) and return them."""
    planned: list[LetterRecord] = []
    for letter in due:
        if letter.step == Step.closing:
            key = closing_key(state.workflow_id)
        else:
            state.letter_seq += 1
            key = letter_key(state.workflow_id, letter.unit, letter.step, state.letter_seq)
        record = LetterRecord(
            key=key,
            unit=letter.unit,
            step=letter.step,
            items=letter.items,
            to=letter.to,
            cc=letter.cc,
            planned_at=now,
        )
        state.letters.append(record)
        planned.append(record)
    if planned:
        state.version += 1
    return planned


def settle_letter(
    state: ConclusionState, key: str, status: NotificationStatus, detail: str, now: datetime
) -> LetterRecord | None:
    """Record how a letter ended. Its items climb to the step it carried (also when it failed for good: staff may
    send it again, and the ladder never loops on a dead address); only a letter that went out is cited later."""
    record = next((n for n in state.letters if n.key == key), None)
    if record is None or record.status != NotificationStatus.pending:
        return None
    record.status, record.detail, record.at, record.resend = status, detail, now, False
    for item in record.items:
        found = target(state, item.target)
        if found is None or found.tracked.due_version != item.due_version:
            continue  # re-planned meanwhile (an extension): the new due version climbs from the start
        tracked = found.tracked
        positions = {s.index: i for i, s in enumerate(tracked.schedule.steps)}
        current = positions.get(tracked.last_step_index, -1) if tracked.last_step_index is not None else -1
        reached = positions.get(item.step_index, -1)
        if reached > current:
            tracked.last_step_index, tracked.last_step = item.step_index, state.policy.steps[item.step_index].step
            tracked.last_letter_at = now
        elif reached == current and status == NotificationStatus.sent:
            tracked.last_letter_at = now  # sent again (after a failure or a return): the next step counts from now
        tracked.resume_at = None  # the letter after a return went: the ladder runs on as usual
    unit = state.units.get(record.unit)
    if status == NotificationStatus.sent and unit is not None:
        # Counted before the kept letters move on (a state from before counts its kept urgings here, once).
        unit.urgings_sent = unit.urgings() + (record.step in URGING_STEPS)
        unit.letters = [*unit.letters, LetterRef(key=key, step=record.step, sent_at=now)][-KEEP_UNIT_LETTERS:]
    _forget_settled(state)
    verb = "Đã gửi" if status == NotificationStatus.sent else "Gửi thất bại"
    what = f"văn bản «{STEP[record.step]}»" + (f" ({len(record.items)} nội dung)" if record.items else "")
    _event(
        state,
        now,
        SYSTEM,
        f"notification_{status.value}",
        report_target(record.unit) if record.unit else None,
        f"{verb} {what} tới {', '.join(record.to)}" + (f": {detail}" if detail else ""),
        key=key,
        items=[i.target for i in record.items],
    )
    return record


def _forget_settled(state: ConclusionState) -> None:
    """Keep pending letters, the latest failed ones (staff may send them again) and a few sent ones; the outbox in
    SQL keeps them all."""
    failed = [n.key for n in state.letters if n.status == NotificationStatus.failed][:-KEEP_FAILED_LETTERS]
    sent = [n.key for n in state.letters if n.status == NotificationStatus.sent and n.step != Step.closing]
    dropped = {*failed, *sent[:-KEEP_SENT_LETTERS]}
    if dropped:
        state.letters = [n for n in state.letters if n.key not in dropped]


def forget_projected(state: ConclusionState, projected_seq: int) -> None:
    """Drop audit events SQL already holds, keeping the latest few; the state stays bounded."""
    keep = [e for e in state.events if e.seq > projected_seq]
    state.events = [*[e for e in state.events if e.seq <= projected_seq][-KEEP_EVENTS:], *keep]
