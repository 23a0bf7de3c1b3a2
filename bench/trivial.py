"""The baseline: a workflow that runs one activity doing nothing, so its time is Temporal's own round trips."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop(value: int) -> int:
    return value


@workflow.defn(name="BenchTrivial")
class Trivial:
    @workflow.run
    async def run(self, value: int) -> int:
        result: int = await workflow.execute_activity(noop, value, start_to_close_timeout=timedelta(seconds=30))
        return result
