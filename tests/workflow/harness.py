"""Driving a ConclusionFollowUp on the time-skipping server: a recording mail fake and time helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.planning import plan_deadlines
from activities.projection import project_state
from dondoc.spec_loader import load_spec
from models.mail import MailOutcome, MailRequest, MailStatus
from models.spec import ConclusionSpec
from models.state import ConclusionState, FileRef
from models.workflow_io import FollowUpInput, FollowUpOptions
from worker import build_worker
from workflows.conclusion import ConclusionFollowUp
from workflows.rules import ladder

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PDF = FileRef(name="minh-chung.pdf", sha256="a" * 64, size=1024, content_type="application/pdf")


@dataclass
class MailRecorder:
    """Stands in for the mail activity under its registered name and keeps every request."""

    sent: list[MailRequest] = field(default_factory=list)

    def activity(self) -> Callable[[MailRequest], Any]:
        @activity.defn(name="send_notification")
        async def send_notification(request: MailRequest) -> MailOutcome:
            self.sent.append(request)
            return MailOutcome(status=MailStatus.sent, detail="250 OK")

        return send_notification

    def for_target(self, target: str) -> list[MailRequest]:
        return [m for m in self.sent if (m.action_id or f"report.{m.unit_code}") == target and m.step != "closing"]


def redated(spec: ConclusionSpec, start: date, due_in_days: dict[str, int], default_days: int) -> ConclusionSpec:
    """The spec as if received on `start`, each action due `due_in_days[id]` (or `default_days`) days later."""
    actions = [
        a.model_copy(update={"due": start + timedelta(days=due_in_days.get(a.id, default_days)), "due_in": None})
        for a in spec.actions
    ]
    return spec.model_copy(update={"issued_on": start, "received_on": start, "actions": actions})


def quang_ngai() -> ConclusionSpec:
    return load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")


class Drive:
    """A running follow-up and the clock of its test server."""

    def __init__(self, env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> None:
        self.env = env
        self.handle = handle

    async def state(self) -> ConclusionState:
        for _ in range(200):
            state = await self.handle.query(ConclusionFollowUp.snapshot)
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
                await self.env.sleep(min(delta, timedelta(hours=6)))
            except RPCError as error:
                timeouts += 1
                if "Timeout" not in str(error) or timeouts > 20:
                    raise
        for _ in range(400):
            state = await self.state()
            if not ladder.due_notifications(state, moment):
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"notices due at {moment} were not sent")

    async def advance(self, delta: timedelta) -> ConclusionState:
        return await self.advance_to(await self.now() + delta)

    async def update(self, name: str, command: Any, update_id: str | None = None) -> ConclusionState:
        result: ConclusionState = await self.handle.execute_update(
            name, command, id=update_id or str(uuid.uuid4()), result_type=ConclusionState
        )
        return result


@asynccontextmanager
async def running(
    env: WorkflowEnvironment,
    spec: ConclusionSpec,
    recorder: MailRecorder,
    options: FollowUpOptions | None = None,
) -> AsyncIterator[Drive]:
    task_queue = f"tq-{uuid.uuid4()}"
    workflow_id = f"{spec.workflow_id}-{uuid.uuid4().hex[:6]}"
    async with build_worker(env.client, task_queue, [plan_deadlines, project_state, recorder.activity()]):
        handle = await env.client.start_workflow(
            ConclusionFollowUp.run,
            FollowUpInput(spec=spec, actor="staff@thanhtra.example.vn", options=options or FollowUpOptions()),
            id=workflow_id,
            task_queue=task_queue,
        )
        yield Drive(env, handle)
