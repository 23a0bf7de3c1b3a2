"""The DailyDigest workflow (time-skipping server): the day is the one the run starts on, nothing is sent on a
non-working day, and one person's undeliverable email never keeps the others' back."""

from __future__ import annotations

import uuid
from datetime import date

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.digest import DigestKind, DigestPlan, DigestResult, DigestRun, DigestSend, DigestSent
from models.vn import VN
from worker import build_worker
from workflows.digest import DailyDigest

PEOPLE = ["a@example.vn", "b@example.vn", "c@example.vn"]


async def run_digest(
    env: WorkflowEnvironment, working: bool, broken: str | None = None
) -> tuple[DigestResult, list[DigestSend], list[DigestRun]]:
    sends: list[DigestSend] = []
    plans: list[DigestRun] = []

    @activity.defn(name="plan_digest")
    async def plan_digest(run: DigestRun) -> DigestPlan:
        plans.append(run)
        assert run.day is not None
        return DigestPlan(
            day=run.day, working=working, recipients=PEOPLE if working else [], note="" if working else "nghỉ"
        )

    @activity.defn(name="send_digest")
    async def send_digest(request: DigestSend) -> DigestSent:
        sends.append(request)
        if request.email == broken:
            raise ApplicationError("relay refused", non_retryable=True)
        return DigestSent(email=request.email, status="empty" if request.email == PEOPLE[2] else "sent", items=1)

    task_queue = f"digest-{uuid.uuid4().hex[:8]}"
    async with build_worker(env.client, task_queue, [plan_digest, send_digest]):
        result = await env.client.execute_workflow(
            DailyDigest.run, DigestRun(kind=DigestKind.overdue), id=f"digest-{uuid.uuid4().hex}", task_queue=task_queue
        )
    return result, sends, plans


async def test_a_run_is_for_the_day_it_starts_and_counts_what_it_sent(time_skipping_env: WorkflowEnvironment) -> None:
    today: date = (await time_skipping_env.get_current_time()).astimezone(VN).date()
    result, sends, plans = await run_digest(time_skipping_env, working=True)
    assert [p.day for p in plans] == [today]
    assert sorted(s.email for s in sends) == PEOPLE and {s.day for s in sends} == {today}
    assert (result.sent, result.skipped, result.failed) == (2, 1, 0)


async def test_a_non_working_day_sends_nothing(time_skipping_env: WorkflowEnvironment) -> None:
    result, sends, _ = await run_digest(time_skipping_env, working=False)
    assert sends == [] and not result.working and result.note == "nghỉ"


async def test_one_undeliverable_email_does_not_keep_the_others_back(time_skipping_env: WorkflowEnvironment) -> None:
    result, sends, _ = await run_digest(time_skipping_env, working=True, broken=PEOPLE[0])
    assert sorted(s.email for s in sends) == PEOPLE
    assert (result.sent, result.skipped, result.failed) == (1, 1, 1)
