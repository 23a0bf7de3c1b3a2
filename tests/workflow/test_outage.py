"""A follow-up that wakes up long after its overdue letters went (a worker down for weeks) sends the next step only;
one whose letters went moments apart sends the next ones together.

Its own module, so its own time-skipping server: it starts from states dated days and weeks back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from activities.calendar import WorkingCalendar
from activities.planning import Planner, plan_deadlines
from activities.projection import project_state
from dondoc.settings import Settings
from models.office import OfficeCalendar
from models.planning import conclusion_plan_request
from models.policy import DEFAULT_POLICY, Step
from models.state import ConclusionState, LetterRecord, NotificationStatus
from models.workflow_io import FollowUpInput
from tests.workflow.harness import Drive, MailRecorder
from tests.workflow.test_letters import STAFF, local, two_units
from worker import build_worker
from workflows.conclusion import ConclusionFollowUp
from workflows.rules import ladder, transitions


def overdue_letters_planned(
    back: datetime, days: int, office: OfficeCalendar
) -> tuple[ConclusionState, list[LetterRecord], datetime]:
    """Lý Sơn and Trà Bồng registered at `back`, every action due `days` later (reports far away): the state with
    their overdue letters planned, not yet recorded as sent, and the moment they fell due."""
    spec = two_units(local(back).date(), days=days)
    spec = spec.model_copy(update={"report_due_in": spec.report_due_in.model_copy(update={"days": 400})})
    plan = Planner(WorkingCalendar()).plan(conclusion_plan_request(spec, back), DEFAULT_POLICY, office)
    state = transitions.new_conclusion(spec, plan, back, STAFF, f"{spec.workflow_id}-{uuid.uuid4().hex[:6]}")
    overdue_at = max(s.at for a in state.actions.values() for s in a.schedule.steps if s.step == Step.overdue)
    return state, transitions.plan_letters(state, ladder.due_letters(state, overdue_at), overdue_at), overdue_at


@asynccontextmanager
async def resumed(env: WorkflowEnvironment, state: ConclusionState, recorder: MailRecorder) -> AsyncIterator[Drive]:
    """The follow-up carried on from `state` (a worker that was down, or a state carried over), ended afterwards."""
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(env.client, task_queue, [plan_deadlines, project_state, *recorder.activities()]):
        handle = await env.client.start_workflow(
            ConclusionFollowUp.run, FollowUpInput(state=state), id=state.workflow_id, task_queue=task_queue
        )
        try:
            yield Drive(env, handle)
        finally:
            await handle.terminate()


async def test_after_a_worker_outage_only_the_next_step_goes_never_a_jump_to_the_top(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    """The follow-up wakes up 40 days after its overdue notices went (a worker down all that time, or a state carried
    over): every later step's time has passed, yet only the urging letter goes."""
    env = time_skipping_env
    now = await env.get_current_time()
    state, letters, overdue_at = overdue_letters_planned(now - timedelta(days=45), 3, settings.office_hours)
    for letter in letters:
        transitions.settle_letter(state, letter.key, NotificationStatus.sent, "250 OK", overdue_at)
    assert {a.last_step for a in state.actions.values()} == {Step.overdue}
    recorder = MailRecorder()
    async with resumed(env, state, recorder) as run:
        # The urging goes when the office next opens (the next minute, or after a night, a weekend or Tết).
        state = await run.advance_to_next_letter(next(iter(state.actions)))
        assert {m.step for m in recorder.sent} == {Step.urging}, "the outage ends with the urging, not the top"
        assert {m.unit_code for m in recorder.sent} == {"ly-son", "tra-bong"}
        assert all([e.step for e in m.earlier] == [Step.overdue] for m in recorder.sent), "citing what went"
        await run.advance(timedelta(days=3))
        assert {m.step for m in recorder.sent} == {Step.urging}, "the second urging waits its gap after the urging"


async def test_letters_falling_due_moments_apart_go_in_one_workflow_task_with_no_split_second_timer(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    """The overdue letters of two units went yesterday (late, after an outage), recorded 40 ms apart, so their
    urgings, each its gap after its unit's letter, fall due 40 ms apart:
    both go in one workflow task, and the workflow never sets a timer of a split second (on the time-skipping server,
    such a timer firing while the task that cancelled it was in flight stopped the follow-up for good)."""
    env = time_skipping_env
    now = await env.get_current_time()
    any_hour = settings.office_hours.model_copy(update={"enabled": False})  # moments to the millisecond
    state, (first, second), _ = overdue_letters_planned(now - timedelta(days=10), 1, any_hour)
    sent_at = now - timedelta(days=1)
    transitions.settle_letter(state, first.key, NotificationStatus.sent, "250 OK", sent_at)
    transitions.settle_letter(state, second.key, NotificationStatus.sent, "250 OK", sent_at + timedelta(seconds=0.04))
    moments = []
    for unit in (first.unit, second.unit):
        target = next(t for t in ladder.targets(state, [unit]) if t.action is not None)
        step = ladder.next_step(state, target, now)
        assert step is not None and step.step.step == Step.urging
        moments.append(step.at)
    assert now < moments[0] and moments[1] - moments[0] == timedelta(seconds=0.04), "the case this test is about"
    recorder = MailRecorder()
    async with resumed(env, state, recorder) as run:
        await run.advance_to(moments[1])
        history = await run.handle.fetch_history()
    assert sorted((m.unit_code, m.step) for m in recorder.sent) == [("ly-son", Step.urging), ("tra-bong", Step.urging)]
    sends = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name.startswith("send_letter")
    ]
    assert len({s.workflow_task_completed_event_id for s in sends}) == 1, "one workflow task sends both"
    timers = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in history.events
        if e.HasField("timer_started_event_attributes")
    ]
    assert min(timers) >= timedelta(seconds=1), timers
