"""The ConclusionFollowUp workflow: a thin shell that feeds the pure rules commands and timers.

One workflow per conclusion. It sleeps until the earliest next event, sends the notices due then, projects every
change to SQL, and takes changes only through updates whose validators ask the rules first.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import commands as c
    from models.mail import MailOutcome, MailRequest, MailStatus
    from models.planning import PlanRequest, PlanResult, conclusion_plan_request
    from models.state import ConclusionState, ConclusionStatus, NotificationStatus, Schedule
    from models.workflow_io import WORKFLOW_NAME, FollowUpInput, ProjectionInput
    from workflows.rules import ladder, notices, transitions
    from workflows.rules.transitions import RuleViolation

# Workflow id and run travel as structured `extra` (bound by dondoc.logs), not appended to each message.
workflow.logger.workflow_info_on_message = False

NUMBER = SearchAttributeKey.for_keyword("ConclusionNumber")
STATUS = SearchAttributeKey.for_keyword("FollowUpStatus")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
OVERDUE = SearchAttributeKey.for_int("OverdueActions")

_QUICK_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=60))
# SMTP 4xx and connection errors: retried with backoff for up to two days, then recorded as failed.
_MAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=30)
)


@workflow.defn(name=WORKFLOW_NAME)
class ConclusionFollowUp:
    def __init__(self) -> None:
        self._state: ConclusionState | None = None
        self._lock = asyncio.Lock()
        self._changed = False
        self._projected: tuple[int, frozenset[str]] | None = None
        self._search: list[Any] | None = None

    # ------------------------------------------------------------ main loop

    @workflow.run
    async def run(self, data: FollowUpInput) -> ConclusionState:
        if data.state is not None:
            self._state = data.state
        elif data.spec is not None:
            request = conclusion_plan_request(data.spec, workflow.now())
            plan = await self._plan(request)
            self._state = transitions.new_conclusion(
                data.spec, plan, workflow.now(), data.actor, workflow.info().workflow_id
            )
        else:
            raise ApplicationError("Thiếu hồ sơ kết luận để bắt đầu theo dõi.", non_retryable=True)
        workflow.logger.info("follow-up running", extra={"conclusion": self._state.number})
        while True:
            await self._send_due_notices()
            async with self._lock:
                await self._project()
            self._publish(data)
            state = self.state
            if state.status != ConclusionStatus.active and not ladder.due_notifications(state, workflow.now()):
                break
            if self._history_full(data):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(FollowUpInput(state=self.state, options=data.options))
            await self._sleep_until_next_event(data)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    @property
    def state(self) -> ConclusionState:
        assert self._state is not None
        return self._state

    def _history_full(self, data: FollowUpInput) -> bool:
        info = workflow.info()
        limit = data.options.history_limit
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() > limit)

    async def _sleep_until_next_event(self, data: FollowUpInput) -> None:
        now = workflow.now()
        wake = ladder.next_wakeup(self.state, now)
        if wake is not None and wake <= now:
            return  # something is due already: go round again
        self._changed = False
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._changed or self._history_full(data),
                timeout=(wake - now) if wake else None,
                timeout_summary="next ladder step or deadline",
            )

    async def _send_due_notices(self) -> None:
        now = workflow.now()
        due = ladder.due_notifications(self.state, now)
        if not due:
            return
        requests = [notices.mail_request(self.state, n, now) for n in due]
        outcomes = await asyncio.gather(*(self._send(r) for r in requests))
        async with self._lock:
            for notice, outcome in zip(due, outcomes, strict=True):
                status = NotificationStatus.sent if outcome.status == MailStatus.sent else NotificationStatus.failed
                self._state = transitions.record_notification(
                    self.state, notice, status, outcome.detail, workflow.now()
                )

    async def _send(self, request: MailRequest) -> MailOutcome:
        log = {"unit": request.unit_code, "action": request.action_id, "step": request.step.value}
        try:
            outcome: MailOutcome = await workflow.execute_activity(
                "send_notification",
                request,
                result_type=MailOutcome,
                summary=request.key,
                start_to_close_timeout=timedelta(seconds=90),
                schedule_to_close_timeout=timedelta(days=2),
                retry_policy=_MAIL_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning("notice not delivered", extra=log)
            return MailOutcome(status=MailStatus.failed, detail=f"Không gửi được sau nhiều lần thử: {error.cause}")
        workflow.logger.info("notice " + outcome.status.value, extra=log)
        return outcome

    async def _plan(self, request: PlanRequest) -> PlanResult:
        result: PlanResult = await workflow.execute_activity(
            "plan_deadlines",
            request,
            result_type=PlanResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_QUICK_RETRY,
        )
        return result

    async def _project(self) -> None:
        now = workflow.now()
        mark = (self.state.version, frozenset(a.id for a in ladder.overdue_actions(self.state, now)))
        if mark == self._projected:
            return
        payload = ProjectionInput(state=self.state, now=now)
        await workflow.execute_activity(
            "project_state",
            payload,
            result_type=bool,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=_QUICK_RETRY,
        )
        self._projected = mark

    def _publish(self, data: FollowUpInput) -> None:
        """Keep the search attributes current, writing them only when they change."""
        if not data.options.search_attributes:
            return
        now = workflow.now()
        deadline = ladder.next_deadline(self.state, now)
        pairs: list[Any] = [
            NUMBER.value_set(self.state.number),
            STATUS.value_set(self.state.status.value),
            OVERDUE.value_set(len(ladder.overdue_actions(self.state, now))),
            NEXT_DEADLINE.value_set(deadline) if deadline else NEXT_DEADLINE.value_unset(),
        ]
        comparable = [(p.key.name, getattr(p, "value", None)) for p in pairs]
        if comparable != self._search:
            workflow.upsert_search_attributes(pairs)
            self._search = comparable

    # ------------------------------------------------------------ updates

    def _validate(self, command: c.Command) -> None:
        if self._state is None:
            return  # still starting: the handler waits for the state and checks again
        try:
            transitions.check(self._state, command, workflow.current_update_info().id)  # type: ignore[union-attr]
        except RuleViolation as error:
            raise ApplicationError(str(error), type="RuleViolation", non_retryable=True) from None

    async def _handle(self, command: c.Command) -> ConclusionState:
        info = workflow.current_update_info()
        update_id = info.id if info else None
        await workflow.wait_condition(lambda: self._state is not None)
        async with self._lock:
            if transitions.already_applied(self.state, update_id):
                return self.state
            self._validate(command)
            request = transitions.plan_needed(self.state, command, workflow.now())
            schedule: Schedule | None = None
            if request is not None:
                schedule = next(iter((await self._plan(request)).schedules.values()))
            try:
                self._state = transitions.apply(self.state, command, workflow.now(), update_id, schedule)
            except RuleViolation as error:
                raise ApplicationError(str(error), type="RuleViolation", non_retryable=True) from None
            await self._project()
            self._changed = True
            return self.state

    @workflow.update
    async def submit_evidence(self, command: c.SubmitEvidence) -> ConclusionState:
        return await self._handle(command)

    @submit_evidence.validator
    def _check_submit_evidence(self, command: c.SubmitEvidence) -> None:
        self._validate(command)

    @workflow.update
    async def review_evidence(self, command: c.ReviewEvidence) -> ConclusionState:
        return await self._handle(command)

    @review_evidence.validator
    def _check_review_evidence(self, command: c.ReviewEvidence) -> None:
        self._validate(command)

    @workflow.update
    async def request_extension(self, command: c.RequestExtension) -> ConclusionState:
        return await self._handle(command)

    @request_extension.validator
    def _check_request_extension(self, command: c.RequestExtension) -> None:
        self._validate(command)

    @workflow.update
    async def decide_extension(self, command: c.DecideExtension) -> ConclusionState:
        return await self._handle(command)

    @decide_extension.validator
    def _check_decide_extension(self, command: c.DecideExtension) -> None:
        self._validate(command)

    @workflow.update
    async def submit_report(self, command: c.SubmitReport) -> ConclusionState:
        return await self._handle(command)

    @submit_report.validator
    def _check_submit_report(self, command: c.SubmitReport) -> None:
        self._validate(command)

    @workflow.update
    async def review_report(self, command: c.ReviewReport) -> ConclusionState:
        return await self._handle(command)

    @review_report.validator
    def _check_review_report(self, command: c.ReviewReport) -> None:
        self._validate(command)

    @workflow.update
    async def waive_action(self, command: c.WaiveAction) -> ConclusionState:
        return await self._handle(command)

    @waive_action.validator
    def _check_waive_action(self, command: c.WaiveAction) -> None:
        self._validate(command)

    @workflow.update
    async def transfer_action(self, command: c.TransferAction) -> ConclusionState:
        return await self._handle(command)

    @transfer_action.validator
    def _check_transfer_action(self, command: c.TransferAction) -> None:
        self._validate(command)

    @workflow.update
    async def add_action(self, command: c.AddAction) -> ConclusionState:
        return await self._handle(command)

    @add_action.validator
    def _check_add_action(self, command: c.AddAction) -> None:
        self._validate(command)

    @workflow.update
    async def change_unit_contacts(self, command: c.ChangeUnitContacts) -> ConclusionState:
        return await self._handle(command)

    @change_unit_contacts.validator
    def _check_change_unit_contacts(self, command: c.ChangeUnitContacts) -> None:
        self._validate(command)

    @workflow.update
    async def resend_notification(self, command: c.ResendNotification) -> ConclusionState:
        return await self._handle(command)

    @resend_notification.validator
    def _check_resend_notification(self, command: c.ResendNotification) -> None:
        self._validate(command)

    @workflow.update
    async def withdraw(self, command: c.Withdraw) -> ConclusionState:
        return await self._handle(command)

    @withdraw.validator
    def _check_withdraw(self, command: c.Withdraw) -> None:
        self._validate(command)

    # ------------------------------------------------------------ queries

    @workflow.query
    def snapshot(self) -> ConclusionState | None:
        return self._state
