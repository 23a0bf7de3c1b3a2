"""Driving a ConclusionFollowUp on the time-skipping server: a recording mail fake and time helpers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.mail_batch import mail_together
from activities.planning import plan_deadlines
from activities.projection import project_state
from dondoc.spec_loader import load_spec
from models.mail import LetterRequest, MailOutcome, MailStatus, NoticeRequest
from models.spec import ConclusionSpec, PriorStatus
from models.state import ConclusionState, FileRef, NotificationStatus
from models.workflow_io import FollowUpInput, FollowUpOptions, UpdateResult
from worker import build_worker
from workflows.conclusion import ConclusionFollowUp
from workflows.rules import ladder

T = TypeVar("T")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PDF = FileRef(name="minh-chung.pdf", sha256="a" * 64, size=1024, content_type="application/pdf")


@dataclass
class MailRecorder:
    """Stands in for the mail activity under its registered name and keeps every letter, once per key (as the
    outbox would). `answers` scripts what the relay says for a unit: an exception class to raise (retried by
    Temporal) for the first N attempts, or a permanent refusal."""

    sent: list[LetterRequest] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    temporary_failures: dict[str, int] = field(default_factory=dict)  # unit -> attempts that answer 4xx first
    refused_units: set[str] = field(default_factory=set)  # units whose relay answers 550
    notices: list[NoticeRequest] = field(default_factory=list)  # notices of decisions and arrivals, once per key

    def activity(self) -> Callable[[LetterRequest], Any]:
        @activity.defn(name="send_letter")
        async def send_letter(request: LetterRequest) -> MailOutcome:
            self.attempts[request.key] = self.attempts.get(request.key, 0) + 1
            if self.attempts[request.key] <= self.temporary_failures.get(request.unit_code, 0):
                raise RuntimeError("451 4.3.0 mailbox busy, try again later")
            if request.unit_code in self.refused_units:
                return MailOutcome(status=MailStatus.failed, detail="550 5.1.1 mailbox unavailable")
            if all(m.key != request.key for m in self.sent):
                self.sent.append(request)
            return MailOutcome(status=MailStatus.sent, detail="250 OK")

        return send_letter

    def notice_activity(self) -> Callable[[NoticeRequest], Any]:
        @activity.defn(name="send_notice")
        async def send_notice(request: NoticeRequest) -> MailOutcome:
            if request.unit_code in self.refused_units:
                return MailOutcome(status=MailStatus.failed, detail="550 5.1.1 mailbox unavailable")
            if all(n.key != request.key for n in self.notices):
                self.notices.append(request)
            return MailOutcome(status=MailStatus.sent, detail="250 OK")

        return send_notice

    def activities(self) -> list[Callable[..., Any]]:
        """The mail activities (a letter, the letters of a pass, a notice), recorded."""
        letter, notice = self.activity(), self.notice_activity()
        return [letter, mail_together(letter, notice), notice]

    def for_target(self, target: str) -> list[LetterRequest]:
        """Every letter that listed `target`, in order."""
        return [m for m in self.sent if any(line.target == target for line in m.items) and m.step != "closing"]

    def for_unit(self, unit: str) -> list[LetterRequest]:
        return [m for m in self.sent if m.unit_code == unit]


def redated(spec: ConclusionSpec, start: date, due_in_days: dict[str, int], default_days: int) -> ConclusionSpec:
    """The spec as if received on `start`, each action due `due_in_days[id]` (or `default_days`) days later, and
    nothing done yet."""
    fresh = {"status": PriorStatus.open, "as_of": None, "source": None, "due_assumed": False, "due_in": None}
    actions = [
        a.model_copy(update={**fresh, "due": start + timedelta(days=due_in_days.get(a.id, default_days))})
        for a in spec.actions
    ]
    units = [u.model_copy(update={"report_received": None}) for u in spec.units]
    return spec.model_copy(update={"issued_on": start, "received_on": start, "actions": actions, "units": units})


def quang_ngai() -> ConclusionSpec:
    return load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")


# How long one step of a test (an update, a skip of at most six hours, the workflow's result) may take in real time
# before the test fails saying where the workflow stands, instead of hanging the suite.
STEP_LIMIT = timedelta(minutes=2)


class Drive:
    """A running follow-up and the clock of its test server."""

    def __init__(self, env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> None:
        self.env = env
        self.handle = handle

    async def _within_limit(self, what: str, awaitable: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(STEP_LIMIT.total_seconds()):
                return await awaitable
        except TimeoutError:
            raise AssertionError(f"{what}: no answer within {STEP_LIMIT}; {await self.where_it_stands()}") from None

    async def where_it_stands(self) -> str:
        """The workflow's last events and task failures, for a test's failure message."""
        try:
            async with asyncio.timeout(10):
                history = await self.handle.fetch_history()
        except (RPCError, TimeoutError) as error:
            return f"its history could not be read ({error!r})"
        events = history.events
        failures = [
            e.workflow_task_failed_event_attributes.failure.message
            for e in events
            if e.HasField("workflow_task_failed_event_attributes")
        ]
        last = [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events[-12:]]
        return f"{len(events)} events, the last {last}, workflow task failures {failures[-3:] or 'none'}"

    async def result(self) -> Any:
        """The workflow's result once it completes."""
        return await self._within_limit("the workflow's result", self.handle.result())

    async def state(self) -> ConclusionState:
        timeouts = 0
        for _ in range(200):
            try:
                state = await self.handle.query(ConclusionFollowUp.snapshot)
            except RPCError as error:  # a loaded test server may let a query time out; asking again is harmless
                timeouts += 1
                if "Timeout" not in str(error) or timeouts > 3:
                    raise
                continue
            if state is not None:
                return state
            await asyncio.sleep(0.05)
        raise AssertionError("workflow never produced a state")

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def advance_to(self, moment: datetime) -> ConclusionState:
        """Skip time to `moment` and wait until every notice due by then is recorded."""
        # In steps of at most a day: one long skip spans many activities. On a busy machine the test server's sleep
        # RPC can still time out after skipping part of the way; the loop then goes on from wherever the clock is.
        timeouts = 0
        while (delta := moment - await self.now()) > timedelta(0):
            try:
                await self._within_limit(f"skipping time to {moment}", self.env.sleep(min(delta, timedelta(hours=6))))
            except RPCError as error:
                timeouts += 1
                if "Timeout" not in str(error) or timeouts > 20:
                    raise
        for _ in range(400):
            state = await self.state()
            pending = any(letter.status == NotificationStatus.pending for letter in state.letters)
            if not pending and not ladder.due_letters(state, moment):
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"letters due at {moment} were not sent; {await self.where_it_stands()}")

    async def advance_to_next_letter(self, target_id: str) -> ConclusionState:
        """Skip to the moment the next letter listing `target_id` goes (its step's time, its gap, office hours)."""
        state = await self.state()
        found = ladder.target(state, target_id)
        assert found is not None, target_id
        step = ladder.next_step(state, found, await self.now())
        assert step is not None, f"{target_id} is at the top of the ladder"
        return await self.advance_to(step.at)

    async def advance(self, delta: timedelta) -> ConclusionState:
        return await self.advance_to(await self.now() + delta)

    async def update(self, name: str, command: Any, update_id: str | None = None) -> ConclusionState:
        """Run an update and answer the state after it."""
        await self._within_limit(
            f"update {name}",
            self.handle.execute_update(name, command, id=update_id or str(uuid.uuid4()), result_type=UpdateResult),
        )
        return await self.state()


@asynccontextmanager
async def running(
    env: WorkflowEnvironment,
    spec: ConclusionSpec,
    recorder: MailRecorder,
    options: FollowUpOptions | None = None,
) -> AsyncIterator[Drive]:
    task_queue = f"tq-{uuid.uuid4()}"
    workflow_id = f"{spec.workflow_id}-{uuid.uuid4().hex[:6]}"
    async with build_worker(env.client, task_queue, [plan_deadlines, project_state, *recorder.activities()]):
        handle = await env.client.start_workflow(
            ConclusionFollowUp.run,
            FollowUpInput(spec=spec, actor="staff@thanhtra.example.vn", options=options or FollowUpOptions()),
            id=workflow_id,
            task_queue=task_queue,
        )
        try:
            yield Drive(env, handle)
        finally:
            # A follow-up left running with no worker would hold back the time skips of the next test.
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")
