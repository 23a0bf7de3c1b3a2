"""The daily emails on Temporal Schedules, on the real dev server (the time-skipping server has no schedules): the
worker creates the schedules once however often it starts; a triggered run sends one email per person with their
items, nothing to people with nothing due, nothing twice the same day, and nothing at all on a holiday."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, ScheduleActionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.calendar import VN_TZ
from activities.database import get_engine
from dondoc import preferences, schedules, users
from dondoc.settings import Settings, get_settings
from dondoc.smtp_sink import read_messages
from models.digest import DigestResult
from tests.support import read_model as rm
from worker import run_worker

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
SUPERVISOR = "so-tai-chinh@quangngai.example.vn"
QUIET_SUPERVISOR = "so-noi-vu@quangngai.example.vn"  # supervises a unit with nothing overdue
OPTED_OUT = "chutich@lyson.example.vn"  # a unit head who switched the digest off
OFFICER = "canbo@thanhtra.example.vn"


def working_day(settings: Settings, holiday: bool) -> None:
    """Today (in Vietnam) as a working day or a holiday, whatever day the test runs on (the holidays file)."""
    today = datetime.now(UTC).astimezone(VN_TZ).date().isoformat()
    text = f"holidays:\n  {today}: Ngày nghỉ thử\n" if holiday else f"working_days: [{today}]\n"
    assert settings.holidays_file is not None
    settings.holidays_file.parent.mkdir(parents=True, exist_ok=True)
    settings.holidays_file.write_text(text, encoding="utf-8")


@pytest.fixture
def worker_settings(
    settings: Settings, sink: tuple[Path, int], dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("DONDOC_TEMPORAL_ADDRESS", dev_server_env.client.service_client.config.target_host)
    monkeypatch.setenv("DONDOC_TASK_QUEUE", f"digest-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("DONDOC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DONDOC_SMTP_PORT", str(sink[1]))
    monkeypatch.setenv("DONDOC_PUBLIC_URL", "https://dondoc.example.vn")
    monkeypatch.setenv("DONDOC_HOLIDAYS_FILE", str(settings.data_dir / "holidays.yaml"))
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
async def worker(worker_settings: Settings, dev_server_env: WorkflowEnvironment) -> AsyncIterator[Settings]:
    """The worker, once it has pointed every schedule at its own task queue."""
    client = dev_server_env.client
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(worker_settings, stop))
    await schedules_on(client, worker_settings.task_queue)
    yield worker_settings
    stop.set()
    await task


async def schedules_on(client: Client, task_queue: str) -> None:
    for _ in range(200):
        try:
            found = [await client.get_schedule_handle(d.id).describe() for d in schedules.DEFINITIONS]
        except RPCError:
            found = []
        actions = [f.schedule.action for f in found]
        if actions and all(isinstance(a, ScheduleActionStartWorkflow) and a.task_queue == task_queue for a in actions):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the worker did not set up the schedules")


def seed(settings: Settings) -> None:
    engine = get_engine(settings.sqlalchemy_url)
    late = NOW - 3 * DAY
    rm.store(
        engine,
        rm.conclusion("kl-312-digest", "312/KL-Ttra", officers=[OFFICER]),
        rm.unit("kl-312-digest", "ly-son", "UBND huyện Lý Sơn", NOW + 30 * DAY, head=OPTED_OUT, supervisor=SUPERVISOR),
        rm.unit("kl-312-digest", "so-xd", "Sở Xây dựng", NOW + 30 * DAY, supervisor=QUIET_SUPERVISOR),
        rm.action("kl-312-digest", "a1", "ly-son", "Thu hồi tiền sai phạm tại dự án cảng cá", late, ref="2.1"),
        rm.action("kl-312-digest", "a2", "so-xd", "Hoàn thiện quy chế", NOW + 10 * DAY),
        rm.letter("kl-312-digest", "ly-son", "overdue", late + DAY),
        rm.evidence("kl-312-digest", "ev-1", "a2", NOW - 2 * DAY),
    )
    users.add_user(engine, OFFICER, "staff", "mat-khau-dai-du")
    users.add_user(engine, OPTED_OUT, "supervisor", "mat-khau-dai-du")
    preferences.save(engine, OPTED_OUT, {preferences.Kind.digest: False})


async def run_now(client: Client, schedule_id: str) -> DigestResult:
    """Trigger the schedule and wait for the run it starts."""
    handle = client.get_schedule_handle(schedule_id)
    before = (await handle.describe()).info.num_actions
    await schedules.run_now(client, schedule_id)
    for _ in range(300):
        info = (await handle.describe()).info
        if info.num_actions > before and info.recent_actions:
            started = info.recent_actions[-1].action
            assert isinstance(started, ScheduleActionExecutionStartWorkflow)
            run = client.get_workflow_handle(started.workflow_id, result_type=DigestResult)
            result: DigestResult = await asyncio.wait_for(run.result(), timeout=60)
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"{schedule_id} did not run")


def by_recipient(folder: Path) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in read_messages(folder):
        found.setdefault(str(message["To"]), []).append(message)
    return found


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_the_worker_creates_each_schedule_once_however_often_it_starts(
    worker_settings: Settings, dev_server_env: WorkflowEnvironment
) -> None:
    for _ in range(2):
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(worker_settings, stop))
        await asyncio.sleep(1)
        stop.set()
        await task
    client = dev_server_env.client
    listed = [s.id async for s in await client.list_schedules() if s.id.startswith("dondoc-")]
    assert sorted(listed) == sorted(d.id for d in schedules.DEFINITIONS)
    described = await client.get_schedule_handle("dondoc-overdue-digest").describe()
    assert described.schedule.spec.time_zone_name == "Asia/Ho_Chi_Minh"
    next_run = described.info.next_action_times[0].astimezone(VN_TZ)
    assert (next_run.hour, next_run.minute) == (7, 30)
    views = {v.id: v for v in await schedules.describe(client)}
    assert all(v.exists and v.next_run is not None for v in views.values())


async def test_a_digest_run_sends_one_email_per_person_once_a_day(
    worker: Settings, sink: tuple[Path, int], dev_server_env: WorkflowEnvironment
) -> None:
    seed(worker)
    working_day(worker, holiday=False)
    result = await run_now(dev_server_env.client, "dondoc-overdue-digest")
    assert (result.working, result.sent, result.failed) == (True, 3, 0)
    mail = by_recipient(sink[0])
    assert sorted(mail) == sorted([SUPERVISOR, rm.INSPECTORATE_HEAD, rm.AGENCY_HEAD]), (
        "one email each to the heads and the supervisor of the late unit; none to the supervisor of a unit with "
        "nothing overdue, none to the unit head who switched the digest off"
    )
    assert all(len(messages) == 1 for messages in mail.values())
    head_text = body(mail[rm.INSPECTORATE_HEAD][0])
    assert "Thu hồi tiền sai phạm" in head_text and "Sở Xây dựng" not in head_text, "only units with late items"
    (message,) = mail[SUPERVISOR]
    text = body(message)
    assert "Kết luận 312/KL-Ttra" in text and "UBND huyện Lý Sơn" in text
    assert "2.1. Thu hồi tiền sai phạm tại dự án cảng cá" in text and "quá hạn 3 ngày" in text
    assert "Văn bản đã gửi: Quá hạn" in text and "Hoàn thiện quy chế" not in text
    assert "Bạn nhận thư này vì là cơ quan cấp trên của UBND huyện Lý Sơn" in text

    again = await run_now(dev_server_env.client, "dondoc-overdue-digest")
    assert (again.sent, again.skipped) == (0, result.skipped + 3)
    assert len(read_messages(sink[0])) == 3, "a second run the same day sends nothing"


async def test_the_review_queue_goes_to_the_officer_with_what_waits(
    worker: Settings, sink: tuple[Path, int], dev_server_env: WorkflowEnvironment
) -> None:
    seed(worker)
    working_day(worker, holiday=False)
    result = await run_now(dev_server_env.client, "dondoc-review-queue")
    assert result.sent == 1
    (message,) = by_recipient(sink[0])[OFFICER]
    assert str(message["Subject"]).startswith("[Chờ xem xét]")
    text = body(message)
    assert "Minh chứng ev-1 – kết luận 312/KL-Ttra – Sở Xây dựng" in text and "đã chờ 2 ngày" in text
    assert "cán bộ phụ trách theo dõi kết luận 312/KL-Ttra" in text


async def test_a_run_on_a_holiday_sends_nothing(
    worker: Settings, sink: tuple[Path, int], dev_server_env: WorkflowEnvironment
) -> None:
    seed(worker)
    working_day(worker, holiday=True)
    for schedule_id in ("dondoc-overdue-digest", "dondoc-review-queue"):
        result = await run_now(dev_server_env.client, schedule_id)
        assert (result.working, result.sent) == (False, 0)
        assert "Ngày nghỉ thử" in result.note
    assert read_messages(sink[0]) == []
