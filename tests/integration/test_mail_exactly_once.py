"""A mail activity that crashes after sending, then retries, delivers exactly one message (real dev server)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities import mail
from activities.database import get_engine
from activities.planning import plan_deadlines
from activities.projection import project_state
from dondoc.mail_render import render
from dondoc.settings import Settings, get_settings
from dondoc.smtp_sink import read_messages
from dondoc.spec_loader import parse_spec
from models.mail import MailOutcome, MailRequest
from models.state import ConclusionState
from models.tables import NotificationRow
from models.workflow_io import FollowUpInput
from tests.integration.test_end_to_end import short_spec
from worker import build_worker
from workflows.conclusion import ConclusionFollowUp

pytestmark = pytest.mark.integration

ONE_STEP = {"steps": [{"step": "overdue", "offset": "PT1S", "to": ["contacts", "head"]}]}


async def crash_after_send(request: MailRequest, settings: Settings) -> MailOutcome:
    """The whole send completes (outbox marked sent), then the worker dies before reporting back."""
    outcome = await mail.send(get_engine(settings.sqlalchemy_url), settings, request)
    if activity.info().attempt == 1:
        raise RuntimeError("worker crashed after the message was sent")
    return outcome


async def crash_before_recording(request: MailRequest, settings: Settings) -> MailOutcome:
    """SMTP accepted the message but the worker died before the outbox row was marked sent."""
    engine = get_engine(settings.sqlalchemy_url)
    if activity.info().attempt == 1:
        rendered = render(request, mail.notice_link(engine, settings, request))
        await asyncio.to_thread(mail.claim, engine, request, rendered)
        await mail.deliver(settings, mail.build_message(settings, request, rendered))
        raise RuntimeError("worker crashed between the SMTP answer and the outbox update")
    return await mail.send(engine, settings, request)


@pytest.mark.parametrize(
    ("crash", "smtp_attempts"),
    [
        (crash_after_send, 1),  # the retry finds the outbox row sent and sends nothing
        (crash_before_recording, 2),  # the retry sends again; the receiver keeps one per Message-ID
    ],
    ids=["crash_after_send", "crash_before_recording"],
)
async def test_a_crash_around_the_send_still_delivers_exactly_one_message(
    crash: Callable[[MailRequest, Settings], Awaitable[MailOutcome]],
    smtp_attempts: int,
    dev_server_env: WorkflowEnvironment,
    settings: Settings,
    sink: tuple[Path, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DONDOC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DONDOC_SMTP_PORT", str(sink[1]))
    get_settings.cache_clear()
    current = get_settings()

    @activity.defn(name="send_notification")
    async def send_notification(request: MailRequest) -> MailOutcome:
        return await crash(request, current)

    spec = parse_spec(short_spec(f"{uuid.uuid4().hex[:4]}/KL", datetime.now(UTC) + timedelta(seconds=1), ONE_STEP))
    client, task_queue = dev_server_env.client, f"crash-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, task_queue, [plan_deadlines, project_state, send_notification]):
        handle = await client.start_workflow(
            ConclusionFollowUp.run, FollowUpInput(spec=spec), id=spec.workflow_id, task_queue=task_queue
        )
        for _ in range(300):  # the retry comes after the 5 s initial backoff
            state: ConclusionState | None = await handle.query(ConclusionFollowUp.snapshot)
            if state is not None and len(state.notifications) >= 2:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test done")

    assert state is not None
    assert [(n.step.value, n.status.value) for n in state.notifications] == [("overdue", "sent"), ("overdue", "sent")]
    messages = read_messages(sink[0])
    assert len(messages) == 2, "one overdue notice for the action and one for the report, each exactly once"
    with Session(get_engine(current.sqlalchemy_url)) as session:
        rows = session.exec(select(NotificationRow)).all()
    assert [r.attempts for r in rows] == [smtp_attempts] * 2 and {r.status for r in rows} == {"sent"}
