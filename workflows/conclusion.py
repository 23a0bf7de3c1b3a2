"""The ConclusionFollowUp workflow: a thin shell that feeds the pure rules commands and timers.

One workflow per conclusion. It sleeps until the earliest next event, sends the notices due then, projects every
change to SQL, and takes changes only through updates whose validators ask the rules first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import commands as c
    from models.mail import BatchOutcome, LetterBatch, LetterRequest, MailOutcome, MailStatus, NoticeRequest
    from models.planning import PlanRequest, PlanResult, conclusion_plan_request
    from models.policy import Step
    from models.state import ConclusionState, ConclusionStatus, NotificationStatus, Schedule
    from models.workflow_io import WORKFLOW_NAME, FollowUpInput, FollowUpResult, ProjectionInput, UpdateResult
    from workflows.rules import decisions, ladder, notices, projection, transitions
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
CALENDAR_AHEAD = timedelta(days=180)
DECISION_NOTICES = "decision-notices"
# The loop projects once no letter or notice is being sent (their ending wakes it), not before and after each:
# one write per pass. Within this long at most, whatever happens to the sends.
PROJECT_AFTER_SENDING = "project-after-sending"
PROJECTION_PATIENCE = timedelta(seconds=60)
# The loop's projections of up to this many actions run as local activities too (a marker, no task round trip);
# a larger one (the first, or a letter listing many items) is a regular activity, never holding the task open.
LOCAL_PROJECTION_ACTIONS = 100
# The letters one pass starts go in one activity (`send_letters`), up to this many and about this much text each
# (far below Temporal's 2 MB payload limit); a letter whose first attempt meets a temporary refusal is retried alone.
LETTERS_TOGETHER = "letters-together"
LETTERS_PER_BATCH = 50
BYTES_PER_BATCH = 512 * 1024
# Where a pass splits into batches is decided from the data the letters carry (items' texts, reasons, file names),
# not from their rendered payload: a later release that words a letter differently must not move the split, and with
# it the activities a replayed history scheduled.
STABLE_BATCH_WEIGHT = "stable-batch-weight"
# Fewer wake-ups: notices about to fall due go with one that is due (decisions.due_notices, `gather`), and the loop's
# timer stands while the next moment stays the same (a send that ends wakes the loop without cancelling it).
QUIET_WAKEUPS = "quiet-wakeups"
# The notices one pass starts go in the activity of its letters (`send_letters`), not one activity each.
NOTICES_TOGETHER = "notices-together"
# Letters falling due within seconds of one that is due go in the same pass (ladder.gather_letters).
GATHER_LETTERS = "gather-letters"
# The patches above, all at once: a run that starts with this code records one marker (and one search-attribute
# upsert) standing for all of them, instead of two events for each where it is first met (none now at the instant
# its letters fall due). A run started before replays with each patch where its history has it. A later patch is
# never in this set: it gets its own `workflow.patched`, since runs with this marker went the old way.
PATCHES_OF_2026_12 = "patches-2026-12"
COVERED_BY_2026_12 = frozenset(
    {
        DECISION_NOTICES,
        PROJECT_AFTER_SENDING,
        LETTERS_TOGETHER,
        STABLE_BATCH_WEIGHT,
        QUIET_WAKEUPS,
        NOTICES_TOGETHER,
        GATHER_LETTERS,
    }
)
# How a letter or notice that ended is recorded in the state (transitions.settle_letter, decisions.settle_notice).
Settle = Callable[
    [ConclusionState, str, NotificationStatus, str, datetime], object
]  # workflow.patched: notices of decisions and the ladder after a return


@workflow.defn(name=WORKFLOW_NAME)
class ConclusionFollowUp:
    def __init__(self) -> None:
        self._state: ConclusionState | None = None
        self._lock = asyncio.Lock()
        self._changed = False
        self._projected: tuple[int, int] | None = None
        self._projected_seq = 0  # the last audit event SQL holds
        self._sending: set[str] = set()  # letters and notices whose activity is running
        self._sleeping_until: datetime | None = None  # the loop's timer, while it sleeps
        self._timer: asyncio.Task[None] | None = None  # the standing timer (QUIET_WAKEUPS) and when it fires
        self._timer_at: datetime | None = None
        self._project_by: datetime | None = None  # a projection put off while sends run, due by then
        self._search: list[Any] | None = None
        self._all_patched = False  # the run records PATCHES_OF_2026_12: every earlier patch is on

    # ------------------------------------------------------------ main loop

    @workflow.run
    async def run(self, data: FollowUpInput) -> FollowUpResult:
        # First of all, before any command: a run of this code records one marker for every patch up to it.
        self._all_patched = workflow.patched(PATCHES_OF_2026_12)
        # Runs started before notices of decisions existed replay without them (until their next continue-as-new).
        decision_notices = self._patched(DECISION_NOTICES)
        if data.state is not None:
            self._state = data.state
            self._projected_seq = data.projected_seq
        elif data.spec is not None:
            request = conclusion_plan_request(data.spec, workflow.now())
            plan = await self._plan(request)
            self._state = transitions.new_conclusion(
                data.spec, plan, workflow.now(), data.actor, workflow.info().workflow_id
            )
        else:
            raise ApplicationError("Thiếu hồ sơ kết luận để bắt đầu theo dõi.", non_retryable=True)
        self._state.notice_delay_seconds = data.options.notice_delay_seconds
        self._state.decision_notices = decision_notices
        workflow.logger.info("follow-up running", extra={"conclusion": self._state.number})
        while True:
            async with self._lock:
                await self._keep_calendar_current()
                self._send_due_mail()
                await self._project_when_quiet()
            self._publish(data)
            if self._finished():
                break
            if self._history_full(data):
                await workflow.wait_condition(lambda: not self._sending and workflow.all_handlers_finished())
                async with self._lock:
                    await self._project()  # what the last letters changed
                workflow.continue_as_new(
                    FollowUpInput(state=self.state, options=data.options, projected_seq=self._projected_seq)
                )
            await self._sleep_until_next_event(data)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return FollowUpResult(status=self.state.status.value, version=self.state.version)

    def _patched(self, patch: str) -> bool:
        """Whether this run takes `patch`'s path: always in a run that recorded PATCHES_OF_2026_12; otherwise as its
        own marker says (a run started before, replayed or going on)."""
        assert patch in COVERED_BY_2026_12, f"{patch} is later than {PATCHES_OF_2026_12}: use workflow.patched"
        return self._all_patched or workflow.patched(patch)

    @property
    def state(self) -> ConclusionState:
        assert self._state is not None
        return self._state

    def _finished(self) -> bool:
        state = self.state
        pending = any(letter.status == NotificationStatus.pending for letter in state.letters)
        return (
            state.status != ConclusionStatus.active
            and not pending
            and not decisions.pending(state)
            and not self._sending
            and not ladder.due_letters(state, workflow.now())
        )

    def _history_full(self, data: FollowUpInput) -> bool:
        info = workflow.info()
        limit = data.options.history_limit
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() > limit)

    async def _sleep_until_next_event(self, data: FollowUpInput) -> None:
        now = workflow.now()
        wake = self._next_wakeup(now)
        if wake is not None and wake <= now:
            return  # something is due already: go round again
        self._changed = False
        self._sleeping_until = wake
        if self._patched(QUIET_WAKEUPS):
            timer = self._standing_timer(now, wake)
            await workflow.wait_condition(
                lambda: self._changed or self._history_full(data) or (timer is not None and timer.done())
            )
        else:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._changed or self._history_full(data),
                    timeout=(wake - now) if wake else None,
                    timeout_summary="next letter or deadline",
                )
        self._sleeping_until = None

    def _standing_timer(self, now: datetime, wake: datetime | None) -> asyncio.Task[None] | None:
        """The timer for `wake`: the one already running when it is for the same moment, otherwise a new one (the
        old one cancelled)."""
        if self._timer is not None and (self._timer.done() or self._timer_at != wake):
            self._timer.cancel()
            self._timer = self._timer_at = None
        if self._timer is None and wake is not None:
            self._timer = asyncio.create_task(workflow.sleep(wake - now, summary="next letter or deadline"))
            self._timer_at = wake
        return self._timer

    async def _project_when_quiet(self) -> None:
        """Project what changed, once no letter or notice is being sent (their ending wakes the loop): one write for
        a pass and the sends it started, not one before and one after each. A send retried for long holds it back
        PROJECTION_PATIENCE at most."""
        now = workflow.now()
        figures = ladder.figures(self.state, now)
        if self._projection_mark(figures) == self._projected:
            self._project_by = None
            return
        waiting = self._project_by is None or now < self._project_by
        if self._sending and waiting and self._patched(PROJECT_AFTER_SENDING):
            self._project_by = self._project_by or now + PROJECTION_PATIENCE
            return
        await self._project(figures=figures)
        self._project_by = None

    def _next_wakeup(self, now: datetime, units: set[str] | None = None) -> datetime | None:
        """The next letter or deadline (of `units` only, when given), or the next notice to go (those being sent wake
        the loop when they end), or a projection put off while sends run."""
        moments = [
            ladder.next_wakeup(self.state, now, units),
            decisions.next_send(self.state, exclude=self._sending),
            self._project_by,
        ]
        return min((m for m in moments if m is not None), default=None)

    def _loop_needed(self, changed_units: set[str]) -> bool:
        """Whether an update must wake the loop: it ended the follow-up, asked for a letter again, or brought the
        next letter or deadline forward. Otherwise the timer stands (no cancelled timer in history per update).
        Only the units whose items it changed can bring their moments forward, so only theirs are computed: the
        cost of an update does not grow with the size of the conclusion."""
        state = self.state
        if state.status != ConclusionStatus.active:
            return True
        if any(n.status == NotificationStatus.pending and n.key not in self._sending for n in state.letters):
            return True
        wake = self._next_wakeup(workflow.now(), changed_units)
        return wake is not None and (self._sleeping_until is None or wake < self._sleeping_until)

    async def _keep_calendar_current(self) -> None:
        """Office days are known for the years planned; a follow-up that runs on fetches the next years."""
        calendar = self.state.calendar
        if calendar.enabled and not calendar.covers(workflow.now() + CALENDAR_AHEAD):
            # Planning nothing gives the office days of this year and the next two.
            plan = await self._plan(PlanRequest(now=workflow.now(), policy=self.state.policy, targets={}))
            self.state.calendar = plan.calendar

    def _send_due_mail(self) -> None:
        """Start every letter and notice due now: those of one pass in one activity (`send_letters`); each is still
        on its own (one unit's mailbox never holds back another's letter) and is retried alone when it must be."""
        letters = self._due_letter_requests()
        notices = self._due_notice_requests()
        if notices and len(letters) + len(notices) > 1 and self._patched(NOTICES_TOGETHER):
            self._send_together([*letters, *notices])
            return
        if len(letters) > 1 and self._patched(LETTERS_TOGETHER):
            self._send_together(list(letters))
        else:
            for letter in letters:
                self._start_sending(letter)
        for notice in notices:
            self._start_sending(notice)

    def _due_letter_requests(self) -> list[LetterRequest]:
        """Plan the letters due now; every pending letter not being sent yet."""
        now = workflow.now()
        due = ladder.due_letters(self.state, now)
        if due and self._patched(GATHER_LETTERS):  # with those about to fall due
            due = ladder.gather_letters(self.state, now, due)
        transitions.plan_letters(self.state, due, now)
        return [
            notices.letter_request(self.state, letter, now)
            for letter in self.state.letters
            if letter.status == NotificationStatus.pending and letter.key not in self._sending
        ]

    def _due_notice_requests(self) -> list[NoticeRequest]:
        """Every notice whose collecting time is over and that is not being sent yet."""
        now = workflow.now()
        due = decisions.due_notices(self.state, now)
        if due and self._patched(QUIET_WAKEUPS):  # with those about to fall due
            due = decisions.due_notices(self.state, now, gather=True)
        return [decisions.notice_request(self.state, record, now) for record in due if record.key not in self._sending]

    def _send_together(self, requests: list[LetterRequest | NoticeRequest]) -> None:
        weigh = _weight if self._patched(STABLE_BATCH_WEIGHT) else _payload_bytes
        for batch in _batches(requests, weigh):
            self._sending.update(r.key for r in batch.requests())
            asyncio.create_task(self._deliver_together(batch))  # noqa: RUF006 - tracked in self._sending

    def _start_sending(self, request: LetterRequest | NoticeRequest) -> None:
        self._sending.add(request.key)
        asyncio.create_task(self._deliver(request))  # noqa: RUF006 - tracked in self._sending

    async def _deliver_together(self, batch: LetterBatch) -> None:
        """Send the letters and notices of `batch` through one activity (`send_letters`) and record those that
        ended; one that met a temporary refusal, or the whole batch failing (its worker died), goes on alone."""
        requests = batch.requests()
        try:
            result: BatchOutcome = await workflow.execute_activity(
                "send_letters",
                batch,
                result_type=BatchOutcome,
                summary=_batch_summary(batch),
                start_to_close_timeout=timedelta(seconds=120),
                heartbeat_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1),  # retries are each letter's own
            )
            outcomes = result.outcomes
        except ActivityError:
            workflow.logger.warning(
                "letters of a batch not confirmed: each retried alone", extra={"letters": len(requests)}
            )
            outcomes = {}
        for request in requests:
            outcome = outcomes.get(request.key)
            if outcome is None:
                asyncio.create_task(self._deliver(request))  # noqa: RUF006 - tracked in self._sending
            else:
                await self._record(request, outcome)

    async def _deliver(self, request: LetterRequest | NoticeRequest) -> None:
        """Send one letter or notice through its activity (`send_letter`, `send_notice`) and record how it ended."""
        what = "letter" if isinstance(request, LetterRequest) else "notice"
        try:
            outcome: MailOutcome = await workflow.execute_activity(
                f"send_{what}",
                request,
                result_type=MailOutcome,
                summary=request.key,
                start_to_close_timeout=timedelta(seconds=120),
                heartbeat_timeout=timedelta(seconds=30),  # a worker that died mid-send is noticed in 30 s
                schedule_to_close_timeout=timedelta(days=2),
                retry_policy=_MAIL_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning(f"{what} not delivered", extra=_mail_log(request))
            outcome = MailOutcome(status=MailStatus.failed, detail=f"Không gửi được sau nhiều lần thử: {error.cause}")
        await self._record(request, outcome)

    async def _record(self, request: LetterRequest | NoticeRequest, outcome: MailOutcome) -> None:
        """Record how a letter or notice ended, and wake the loop."""
        letter = isinstance(request, LetterRequest)
        workflow.logger.info(f"{'letter' if letter else 'notice'} {outcome.status.value}", extra=_mail_log(request))
        settle: Settle = transitions.settle_letter if letter else decisions.settle_notice
        async with self._lock:
            status = NotificationStatus.sent if outcome.status == MailStatus.sent else NotificationStatus.failed
            settle(self.state, request.key, status, outcome.detail, workflow.now())
            self._sending.discard(request.key)
            self._changed = True

    async def _plan(self, request: PlanRequest) -> PlanResult:
        result: PlanResult = await workflow.execute_activity(
            "plan_deadlines",
            request,
            result_type=PlanResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_QUICK_RETRY,
        )
        return result

    def _projection_mark(self, figures: ladder.Figures) -> tuple[int, int]:
        """What SQL must reflect: the state's version and, as time passes, how many actions are overdue (at one
        version that number only grows with time, so it tells which flags SQL must show)."""
        return self.state.version, figures.overdue_actions

    async def _project(self, local: bool = False, figures: ladder.Figures | None = None) -> None:
        """Write what changed since the last projection (and, as time passes, the overdue flags) to SQL; `figures`
        when the caller has them for this moment already."""
        now = workflow.now()
        figures = figures or ladder.figures(self.state, now)  # one pass over the actions, for the mark and the header
        mark = self._projection_mark(figures)
        if mark == self._projected:
            return
        payloads = projection.changes(self.state, self._projected_seq, now, figures)
        small = len(payloads) == 1 and len(payloads[0].actions) <= LOCAL_PROJECTION_ACTIONS
        local = local or (small and self._projected is not None and self._patched(PROJECT_AFTER_SENDING))
        for payload in payloads:
            await _write_projection(payload, local)
        self._projected = mark
        if self.state.events:
            self._projected_seq = self.state.events[-1].seq
            transitions.forget_projected(self.state, self._projected_seq)

    def _publish(self, data: FollowUpInput) -> None:
        """Keep the search attributes current, writing them only when they change."""
        if not data.options.search_attributes:
            return
        figures = ladder.figures(self.state, workflow.now())
        deadline = figures.next_deadline
        pairs: list[Any] = [
            NUMBER.value_set(self.state.number),
            STATUS.value_set(self.state.status.value),
            OVERDUE.value_set(figures.overdue_actions),
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
            raise refusal(error) from None

    async def _handle(self, command: c.Command) -> UpdateResult:
        info = workflow.current_update_info()
        update_id = info.id if info else None
        await workflow.wait_condition(lambda: self._state is not None)
        async with self._lock:
            if update_id is not None and transitions.already_applied(self.state, update_id):
                return self._result(update_id, replayed=True)
            self._validate(command)
            request = transitions.plan_needed(self.state, command, workflow.now())
            schedule: Schedule | None = None
            if request is not None:
                schedule = next(iter((await self._plan(request)).schedules.values()))
            seq = self.state.events[-1].seq if self.state.events else 0
            try:
                transitions.apply(self.state, command, workflow.now(), update_id, schedule)
            except RuleViolation as error:
                raise refusal(error) from None
            changed_units = projection.units_changed(self.state, seq)
            await self._project(local=True)
            self._changed = self._changed or self._loop_needed(changed_units)
            return self._result(update_id)

    def _result(self, update_id: str | None, replayed: bool = False) -> UpdateResult:
        """What an applied update answers: the version and the ids of what it recorded, nothing more."""
        created = transitions.created_by(self.state, update_id) if update_id else []
        return UpdateResult(
            version=self.state.version, created=next(iter(created), None), also_created=created[1:], replayed=replayed
        )

    @workflow.update
    async def submit_evidence(self, command: c.SubmitEvidence) -> UpdateResult:
        return await self._handle(command)

    @submit_evidence.validator
    def _check_submit_evidence(self, command: c.SubmitEvidence) -> None:
        self._validate(command)

    @workflow.update
    async def review_evidence(self, command: c.ReviewEvidence) -> UpdateResult:
        return await self._handle(command)

    @review_evidence.validator
    def _check_review_evidence(self, command: c.ReviewEvidence) -> None:
        self._validate(command)

    @workflow.update
    async def request_extension(self, command: c.RequestExtension) -> UpdateResult:
        return await self._handle(command)

    @request_extension.validator
    def _check_request_extension(self, command: c.RequestExtension) -> None:
        self._validate(command)

    @workflow.update
    async def decide_extension(self, command: c.DecideExtension) -> UpdateResult:
        return await self._handle(command)

    @decide_extension.validator
    def _check_decide_extension(self, command: c.DecideExtension) -> None:
        self._validate(command)

    @workflow.update
    async def submit_report(self, command: c.SubmitReport) -> UpdateResult:
        return await self._handle(command)

    @submit_report.validator
    def _check_submit_report(self, command: c.SubmitReport) -> None:
        self._validate(command)

    @workflow.update
    async def review_report(self, command: c.ReviewReport) -> UpdateResult:
        return await self._handle(command)

    @review_report.validator
    def _check_review_report(self, command: c.ReviewReport) -> None:
        self._validate(command)

    @workflow.update
    async def waive_action(self, command: c.WaiveAction) -> UpdateResult:
        return await self._handle(command)

    @waive_action.validator
    def _check_waive_action(self, command: c.WaiveAction) -> None:
        self._validate(command)

    @workflow.update
    async def transfer_action(self, command: c.TransferAction) -> UpdateResult:
        return await self._handle(command)

    @transfer_action.validator
    def _check_transfer_action(self, command: c.TransferAction) -> None:
        self._validate(command)

    @workflow.update
    async def add_action(self, command: c.AddAction) -> UpdateResult:
        return await self._handle(command)

    @add_action.validator
    def _check_add_action(self, command: c.AddAction) -> None:
        self._validate(command)

    @workflow.update
    async def change_unit_contacts(self, command: c.ChangeUnitContacts) -> UpdateResult:
        return await self._handle(command)

    @change_unit_contacts.validator
    def _check_change_unit_contacts(self, command: c.ChangeUnitContacts) -> None:
        self._validate(command)

    @workflow.update
    async def resend_notification(self, command: c.ResendNotification) -> UpdateResult:
        return await self._handle(command)

    @resend_notification.validator
    def _check_resend_notification(self, command: c.ResendNotification) -> None:
        self._validate(command)

    @workflow.update
    async def record_letter_number(self, command: c.RecordLetterNumber) -> UpdateResult:
        return await self._handle(command)

    @record_letter_number.validator
    def _check_record_letter_number(self, command: c.RecordLetterNumber) -> None:
        self._validate(command)

    @workflow.update
    async def withdraw(self, command: c.Withdraw) -> UpdateResult:
        return await self._handle(command)

    @withdraw.validator
    def _check_withdraw(self, command: c.Withdraw) -> None:
        self._validate(command)

    @workflow.update
    async def reproject(self) -> int:
        """Write every unit, action, evidence, report and extension request to SQL again, from the state (`dondoc
        reproject`, after a migration added a column); how many projections that took. Changes nothing."""
        await workflow.wait_condition(lambda: self._state is not None)
        async with self._lock:
            payloads = projection.whole(self.state, workflow.now())
            for payload in payloads:
                await _write_projection(payload, local=False)
        return len(payloads)

    # ------------------------------------------------------------ queries

    @workflow.query
    def snapshot(self) -> ConclusionState | None:
        return self._state

    @workflow.query
    def letter(self, unit: str, step: str, now: datetime | None = None) -> LetterRequest | None:
        """The letter this unit would get at `now` (default: the workflow's time) at `step`, listing everything it
        still owes (for the DOCX download); None for an unknown unit or step."""
        if self._state is None or unit not in self._state.units or step not in Step.__members__:
            return None
        return notices.draft_letter(self._state, unit, Step(step), now or workflow.now())

    @workflow.query
    def files(self) -> list[str]:
        """The content hashes every recorded submission uses (applied, maybe not projected yet)."""
        if self._state is None:
            return []
        submissions = [*(e.files for e in self._state.evidence), *(r.files for r in self._state.reports)]
        return sorted({f.sha256 for files in submissions for f in files})

    @workflow.query
    def applied(self, update_id: str) -> UpdateResult | None:
        """What an update that was applied answered (for a retry after the follow-up ended), else None."""
        if self._state is None or not transitions.already_applied(self._state, update_id):
            return None
        return self._result(update_id, replayed=True)


async def _write_projection(payload: ProjectionInput, local: bool) -> None:
    """One projection to SQL: `local` (an update's or a small change) as one marker in history instead of a
    scheduled activity; otherwise an activity, so a large or slow write never holds the workflow task open."""
    run = workflow.execute_local_activity if local else workflow.execute_activity
    await run(
        "project_state",
        payload,
        result_type=bool,
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=_QUICK_RETRY,
    )


def refusal(violation: RuleViolation) -> ApplicationError:
    """The update's failure for a refused command: the message, and the item it is about as its detail."""
    about = [violation.about] if violation.about is not None else []
    return ApplicationError(str(violation), *about, type="RuleViolation", non_retryable=True)


def _mail_log(request: LetterRequest | NoticeRequest) -> dict[str, Any]:
    if isinstance(request, LetterRequest):
        return {"unit": request.unit_code, "step": request.step.value, "letter": request.key}
    return {"unit": request.unit_code, "notice": request.key, "items": len(request.items)}


def _batch_summary(batch: LetterBatch) -> str:
    counts = ((len(batch.letters), "letters"), (len(batch.notices), "notices"))
    return ", ".join(f"{count} {what}" for count, what in counts if count)


def _weight(request: LetterRequest | NoticeRequest) -> int:
    """About what `request` weighs as a payload, from the data it carries and a generous constant for the rest."""
    if isinstance(request, LetterRequest):
        lines = request.items
        return 4096 + sum(1024 + _bytes(x.text, x.last_reason, x.progress) for x in lines)
    return 2048 + sum(1024 + _bytes(x.text, x.reason, *x.files) for x in request.items)


def _bytes(*texts: str | None) -> int:
    return sum(len(t.encode()) for t in texts if t)


def _payload_bytes(request: LetterRequest | NoticeRequest) -> int:
    """The rendered payload's size: how runs before STABLE_BATCH_WEIGHT split a pass (kept for their replay). Fields
    added to the requests since are left out, so they do not move those runs' splits."""
    return len(request.model_dump_json(exclude=_ADDED_SINCE_PAYLOAD_WEIGHT.get(type(request), set())))


# Request fields added after STABLE_BATCH_WEIGHT: not part of the payload the older runs weighed.
_ADDED_SINCE_PAYLOAD_WEIGHT: dict[type, set[str]] = {LetterRequest: {"urgings_before"}}


def _batches(
    requests: list[LetterRequest | NoticeRequest], weigh: Callable[[LetterRequest | NoticeRequest], int]
) -> list[LetterBatch]:
    """`requests` in batches of at most LETTERS_PER_BATCH letters and notices and about BYTES_PER_BATCH each, as
    `weigh` tells."""
    parts: list[LetterBatch] = [LetterBatch(letters=[])]
    size = 0
    for request in requests:
        weight = weigh(request)
        count = len(parts[-1].letters) + len(parts[-1].notices)
        if count and (count == LETTERS_PER_BATCH or size + weight > BYTES_PER_BATCH):
            parts.append(LetterBatch(letters=[]))
            size = 0
        if isinstance(request, LetterRequest):
            parts[-1].letters.append(request)
        else:
            parts[-1].notices.append(request)
        size += weight
    return parts
