"""The baselines: a workflow that runs one activity doing nothing, and one that answers updates doing nothing, so
their times are Temporal's own round trips."""

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


@workflow.defn(name="BenchEcho")
class Echo:
    """Waits for ever and answers each update with its argument: the bare update a conclusion's are compared with."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def echo(self, value: str) -> str:
        return value

    @echo.validator
    def _check_echo(self, value: str) -> None:
        if not value:
            raise ValueError("empty")
