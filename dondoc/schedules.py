"""The Temporal Schedules of dondoc, one per cluster: the daily review queue and overdue digest at 07:30
Asia/Ho_Chi_Minh, and the nightly orphan-file sweep. Created or brought up to date idempotently at every worker
start (and so by `dondoc up`); a schedule an administrator paused stays paused.

Schedules fire every day: they cannot express the Vietnamese calendar (holidays, make-up Saturdays), so each digest
run checks the calendar itself and sends nothing on a non-working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from dondoc.logs import get_logger
from models.digest import DigestKind, DigestRun

TIME_ZONE = "Asia/Ho_Chi_Minh"
CATCHUP = timedelta(hours=4)
RUN_LIMIT = timedelta(hours=12)  # a server down at 07:30 still sends the morning's emails when it is back


@dataclass(frozen=True)
class Definition:
    id: str
    label: str  # what it does, in Vietnamese, for the admin page
    when: str
    workflow: str
    args: tuple[object, ...]
    hour: int
    minute: int


DEFINITIONS = (
    Definition(
        "dondoc-review-queue",
        "Thư hằng ngày gửi cán bộ phụ trách: hồ sơ chờ xem xét",
        "07:30 mỗi ngày làm việc",
        "DailyDigest",
        (DigestRun(kind=DigestKind.review_queue),),
        7,
        30,
    ),
    Definition(
        "dondoc-overdue-digest",
        "Thư tổng hợp quá hạn gửi cơ quan cấp trên, thủ trưởng đơn vị, thủ trưởng cơ quan, Chánh Thanh tra",
        "07:30 mỗi ngày làm việc",
        "DailyDigest",
        (DigestRun(kind=DigestKind.overdue),),
        7,
        30,
    ),
    Definition(
        "dondoc-file-sweep",
        "Dọn tệp tải lên không còn hồ sơ nào dùng (sau 7 ngày)",
        "02:00 hằng ngày",
        "FileSweep",
        (),
        2,
        0,
    ),
)
BY_ID = {d.id: d for d in DEFINITIONS}


def schedule_of(definition: Definition, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            definition.workflow,
            args=list(definition.args),
            id=definition.id,
            task_queue=task_queue,
            execution_timeout=RUN_LIMIT,  # a stuck run never blocks the next day's (overlapping runs are skipped)
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(definition.hour)],
                    minute=[ScheduleRange(definition.minute)],
                    comment=definition.when,
                )
            ],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP),
    )


async def ensure_schedules(client: Client, task_queue: str) -> list[str]:
    """Create the missing schedules and bring the others to this code's definition. Returns the ids created."""
    created = []
    log = get_logger(component="schedules")
    for definition in DEFINITIONS:
        wanted = schedule_of(definition, task_queue)
        try:
            await client.create_schedule(definition.id, wanted)
        except ScheduleAlreadyRunningError:

            def keep_state(current: ScheduleUpdateInput, wanted: Schedule = wanted) -> ScheduleUpdate:
                wanted.state = current.description.schedule.state  # paused stays paused
                return ScheduleUpdate(schedule=wanted)

            await client.get_schedule_handle(definition.id).update(keep_state)
        else:
            created.append(definition.id)
    log.info("schedules_ready", created=created, total=len(DEFINITIONS))
    return created


@dataclass(frozen=True)
class ScheduleView:
    id: str
    label: str
    when: str
    exists: bool
    paused: bool = False
    next_run: datetime | None = None
    last_run: datetime | None = None
    runs: int = 0


async def describe(client: Client) -> list[ScheduleView]:
    """Each schedule as the server has it (or missing, when no worker has started yet)."""
    views = []
    for definition in DEFINITIONS:
        try:
            found = await client.get_schedule_handle(definition.id).describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            views.append(ScheduleView(definition.id, definition.label, definition.when, exists=False))
            continue
        info = found.info
        recent = info.recent_actions
        views.append(
            ScheduleView(
                definition.id,
                definition.label,
                definition.when,
                exists=True,
                paused=found.schedule.state.paused,
                next_run=info.next_action_times[0] if info.next_action_times else None,
                last_run=recent[-1].started_at if recent else None,
                runs=info.num_actions,
            )
        )
    return views


async def run_now(client: Client, schedule_id: str) -> None:
    """Start the schedule's action at once (a digest sends nothing twice the same day)."""
    if schedule_id not in BY_ID:
        raise KeyError(schedule_id)
    await client.get_schedule_handle(schedule_id).trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
