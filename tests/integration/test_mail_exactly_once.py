"""A letter activity that crashes after sending, then retries, delivers each copy exactly once (real dev server)."""

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
from activities.smtp import pool_for
from dondoc.letters.compose import letter_text
from dondoc.letters.docx import letter_docx
from dondoc.mail_render import render
from dondoc.settings import Settings, get_settings
from dondoc.smtp_sink import read_messages
from dondoc.spec_loader import parse_spec
from models.mail import LetterRequest, MailOutcome
from models.state import ConclusionState, NotificationStatus
from models.tables import NotificationRow
from models.web_tables import PortalLink
from models.workflow_io import FollowUpInput
from tests.integration.test_end_to_end import short_spec
from worker import build_worker
from workflows.conclusion import ConclusionFollowUp

pytestmark = pytest.mark.integration

# One step, one second after the due time: the unit's people act on it, the chief inspector gets a view. The action
# (due at T) and the report (due at T+2 s) reach it within the letter window, so one letter lists both.
ONE_STEP = {"steps": [{"step": "overdue", "offset": "PT1S", "to": ["contacts", "head"], "cc": ["inspectorate_head"]}]}
UNIT_PEOPLE = ["vanphong@lyson.example.vn", "chutich@lyson.example.vn"]
INSPECTORATE_HEAD = "chanhthanhtra@quangngai.example.vn"


async def crash_after_send(request: LetterRequest, settings: Settings) -> MailOutcome:
    """The whole send completes (every copy's outbox row marked sent), then the worker dies before reporting back."""
    outcome = await mail.send(get_engine(settings.sqlalchemy_url), settings, request)
    if activity.info().attempt == 1:
        raise RuntimeError("worker crashed after the letter was sent")
    return outcome


async def crash_before_recording(request: LetterRequest, settings: Settings) -> MailOutcome:
    """SMTP accepted every copy but the worker died before the outbox rows were marked sent (each row is left
    handed over, as a worker killed during DATA leaves it)."""
    engine = get_engine(settings.sqlalchemy_url)
    if activity.info().attempt == 1:
        attachment = letter_docx(letter_text(request)) if request.step in mail.FORMAL_STEPS else None
        for copy in request.copies:
            url, link = mail.copy_link(settings, request, copy)
            rendered = render(request, copy, url)
            row = mail.copy_row(request, copy, rendered)
            message = mail.build_message(settings, request, copy, rendered, attachment)

            async def claim_and_hand_over(row: NotificationRow = row, link: PortalLink | None = link) -> None:
                await asyncio.to_thread(mail.claim, engine, row, False, link)

            await mail.deliver(pool_for(settings), message, claim_and_hand_over)
        raise RuntimeError("worker crashed between the SMTP answers and the outbox update")
    return await mail.send(engine, settings, request)


@pytest.mark.parametrize(
    ("crash", "smtp_attempts"),
    [
        (crash_after_send, 1),  # the retry finds every copy's outbox row sent and sends nothing
        (crash_before_recording, 2),  # the retry sends each copy again; the receiver keeps one per Message-ID
    ],
    ids=["crash_after_send", "crash_before_recording"],
)
async def test_a_crash_around_the_send_still_delivers_each_copy_exactly_once(
    crash: Callable[[LetterRequest, Settings], Awaitable[MailOutcome]],
    smtp_attempts: int,
    dev_server_env: WorkflowEnvironment,
    settings: Settings,
    sink: tuple[Path, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DONDOC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DONDOC_SMTP_PORT", str(sink[1]))
    monkeypatch.setenv("DONDOC_OFFICE_HOURS_ENABLED", "false")  # a ladder of seconds, at whatever time the test runs
    monkeypatch.setenv("DONDOC_LETTER_WINDOW_SECONDS", "60")
    get_settings.cache_clear()
    current = get_settings()
    attempts: list[int] = []

    @activity.defn(name="send_letter")
    async def send_letter(request: LetterRequest) -> MailOutcome:
        attempts.append(activity.info().attempt)
        return await crash(request, current)

    spec = parse_spec(short_spec(f"{uuid.uuid4().int % 10**6}/KL", datetime.now(UTC) + timedelta(seconds=1), ONE_STEP))
    client, task_queue = dev_server_env.client, f"crash-{uuid.uuid4().hex[:8]}"
    state: ConclusionState | None = None
    async with build_worker(client, task_queue, [plan_deadlines, project_state, send_letter]):
        handle = await client.start_workflow(
            ConclusionFollowUp.run, FollowUpInput(spec=spec), id=spec.workflow_id, task_queue=task_queue
        )
        for _ in range(300):  # the retry comes after the 5 s initial backoff
            state = await handle.query(ConclusionFollowUp.snapshot)
            if (
                state is not None
                and state.letters
                and all(n.status != NotificationStatus.pending for n in state.letters)
            ):
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test done")

    assert state is not None
    assert [(n.step.value, n.status.value) for n in state.letters] == [("overdue", "sent")]
    (letter,) = state.letters
    assert [i.target for i in letter.items] == ["ly-son-email", "report.ly-son"]
    assert attempts == [1, 2]
    messages = read_messages(sink[0])
    assert sorted(str(m["Message-ID"]) for m in messages) == [
        f"<{letter.key}/oversight@dondoc>",
        f"<{letter.key}/unit@dondoc>",
    ], "one letter, one message per copy, each exactly once"
    with Session(get_engine(current.sqlalchemy_url)) as session:
        rows = session.exec(select(NotificationRow)).all()
    assert {r.audience: (r.recipients, r.cc) for r in rows} == {
        "unit": (UNIT_PEOPLE, []),
        "oversight": ([INSPECTORATE_HEAD], []),
    }
    assert [r.attempts for r in rows] == [smtp_attempts] * 2 and {r.status for r in rows} == {"sent"}
    assert [r.unconfirmed_handovers for r in rows] == [smtp_attempts - 1] * 2, "each second copy is accounted for"
    assert {r.letter_key for r in rows} == {letter.key}
    assert all(r.items == ["ly-son-email", "report.ly-son"] for r in rows)
