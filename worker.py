"""The Temporal worker: registers the ConclusionFollowUp workflow and its activities."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.database import get_engine
from activities.digest import plan_digest, send_digest
from activities.file_sweep import sweep_files
from activities.mail import send_letter
from activities.mail_batch import send_letters
from activities.notices import send_notice
from activities.planning import plan_deadlines
from activities.projection import project_state
from activities.smtp import close_pools
from dondoc import health
from dondoc.logs import get_logger
from dondoc.schedules import ensure_schedules
from dondoc.settings import Settings, get_settings
from dondoc.temporal_client import connect
from workflows.conclusion import ConclusionFollowUp
from workflows.digest import DailyDigest, FileSweep

# Loaded lazily by pydantic's EmailStr; deterministic, so shared with the sandbox rather than re-imported there.
_PASSTHROUGH = ("email_validator", "idna", "models", "workflows.rules")

ACTIVITIES: list[Callable[..., Any]] = [
    plan_deadlines,
    project_state,
    send_letter,
    send_letters,
    send_notice,
    plan_digest,
    send_digest,
    sweep_files,
]


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*_PASSTHROUGH))


def build_worker(
    client: Client,
    task_queue: str,
    activities: Sequence[Callable[..., Any]] = ACTIVITIES,
    workflow_tasks: int | None = None,
) -> Worker:
    """A worker of every workflow and `activities`; `workflow_tasks` at once (default: the setting)."""
    settings = get_settings()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ConclusionFollowUp, DailyDigest, FileSweep],
        activities=list(activities),
        graceful_shutdown_timeout=timedelta(seconds=10),
        workflow_runner=workflow_runner(),
        max_concurrent_workflow_tasks=workflow_tasks or settings.worker_workflow_tasks,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.worker_sticky_seconds),
    )


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then finish in-flight activities and shut down.

    Refuses to start on a database at another schema revision (dondoc.schema). The process's operations port
    (DONDOC_METRICS_PORT, when set) serves /metrics, /healthz (the worker still polls) and /readyz (database and
    Temporal reachable too).
    """
    engine = get_engine(settings.sqlalchemy_url)
    client = await connect(settings)
    worker = build_worker(client, settings.task_queue, workflow_tasks=settings.worker_workflow_tasks)
    log = get_logger(task_queue=settings.task_queue)
    await ensure_schedules(client, settings.task_queue)  # digests and the file sweep, once per cluster
    from dondoc.ops import serve_ops  # the HTTP stack loads only in the processes that serve

    checks = {"database": health.database(engine), "temporal": health.temporal(client)}
    async with worker:
        log.info("worker_started", temporal=settings.effective_temporal_address)
        await asyncio.gather(stop.wait(), serve_ops(settings, stop, alive=lambda: worker.is_running, checks=checks))
        log.info("worker_stopping")
    close_pools()
