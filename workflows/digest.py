"""The daily emails and the file sweep, each started by a Temporal Schedule (dondoc.schedules).

A digest run asks which office day it is for and who receives what (nothing on a non-working day: the schedule
fires every day at 07:30, the VN calendar decides), then sends one email per person, a few at a time. Each send is
keyed by (kind, day, person) in the outbox, so a rerun or a retried activity sends nothing twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.digest import plan_digest, send_digest
    from activities.file_sweep import sweep_files
    from models.digest import DigestPlan, DigestResult, DigestRun, DigestSend, SweepResult
    from models.vn import VN

BATCH = 10  # emails in flight at once
PLAN_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))  # e.g. a broken holidays file, until an admin fixes it
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=20,
)


@workflow.defn(name="DailyDigest")
class DailyDigest:
    @workflow.run
    async def run(self, run: DigestRun) -> DigestResult:
        if run.day is None:  # the day the schedule fired, fixed once in history
            run = run.model_copy(update={"day": workflow.now().astimezone(VN).date()})
        plan: DigestPlan = await workflow.execute_activity(
            plan_digest, run, start_to_close_timeout=timedelta(minutes=2), retry_policy=PLAN_RETRY
        )
        result = DigestResult(kind=run.kind, day=plan.day, working=plan.working, note=plan.note)
        for start in range(0, len(plan.recipients), BATCH):
            batch = plan.recipients[start : start + BATCH]
            outcomes = await asyncio.gather(
                *(
                    workflow.execute_activity(
                        send_digest,
                        DigestSend(kind=run.kind, day=plan.day, email=email),
                        start_to_close_timeout=timedelta(minutes=2),
                        retry_policy=SEND_RETRY,
                    )
                    for email in batch
                ),
                return_exceptions=True,  # one person's relay trouble never keeps the others' emails back
            )
            for email, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    workflow.logger.warning("digest_not_sent", extra={"to": email, "error": str(outcome)})
                    result.failed += 1
                elif outcome.status == "sent":
                    result.sent += 1
                elif outcome.status == "failed":
                    result.failed += 1
                else:
                    result.skipped += 1
        return result


@workflow.defn(name="FileSweep")
class FileSweep:
    @workflow.run
    async def run(self) -> SweepResult:
        result: SweepResult = await workflow.execute_activity(
            sweep_files, start_to_close_timeout=timedelta(hours=1), retry_policy=RetryPolicy(maximum_attempts=3)
        )
        return result
