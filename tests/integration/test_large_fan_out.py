"""One conclusion of 1,000 actions over 10 units, all overdue at start, on the real dev server, worker and SMTP sink:
every unit gets its one overdue letter listing its 100 actions, and no workflow task fails or times out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from bench.specs import wide_spec
from dondoc.settings import Settings, get_settings
from dondoc.smtp_sink import MaildirHandler, read_messages
from dondoc.spec_loader import parse_spec
from models.workflow_io import FollowUpInput
from tests.support.ports import free_port
from worker import build_worker
from workflows.conclusion import ConclusionFollowUp

pytestmark = pytest.mark.integration

UNITS, ACTIONS_PER_UNIT = 10, 100
# One step, to the unit's own people only: one letter (one message, the unit copy) per unit.


class CountingHandler(MaildirHandler):
    """The built-in sink, also remembering every Message-ID it was handed (the sink itself drops duplicates)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.received: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = (envelope.original_content or b"").decode(errors="replace")
        ids = [line.split(":", 1)[1].strip() for line in raw.splitlines() if line.lower().startswith("message-id:")]
        self.received.extend(ids or ["<none>"])
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
async def counting_sink(tmp_path: Path) -> AsyncIterator[tuple[CountingHandler, int]]:
    handler, port = CountingHandler(tmp_path / "mail"), free_port()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="dondoc-sink"), host="127.0.0.1", port=port
    )
    yield handler, port
    server.close()


async def test_a_thousand_overdue_actions_send_one_letter_per_unit_without_a_failed_workflow_task(
    dev_server_env: WorkflowEnvironment,
    settings: Settings,
    counting_sink: tuple[CountingHandler, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, port = counting_sink
    monkeypatch.setenv("DONDOC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DONDOC_SMTP_PORT", str(port))
    monkeypatch.setenv("DONDOC_OFFICE_HOURS_ENABLED", "false")  # letters go at whatever hour the test runs
    get_settings.cache_clear()

    due = datetime.now(UTC) - timedelta(minutes=1)
    spec = parse_spec(wide_spec(f"{uuid.uuid4().int % 10**6}/KL-TAI", UNITS, ACTIONS_PER_UNIT, due))
    client, task_queue = dev_server_env.client, f"fan-out-{uuid.uuid4().hex[:8]}"
    messages: list[EmailMessage] = []
    async with build_worker(client, task_queue):
        handle = await client.start_workflow(
            ConclusionFollowUp.run, FollowUpInput(spec=spec), id=spec.workflow_id, task_queue=task_queue
        )
        try:
            for _ in range(1200):  # up to 120 s
                messages = await asyncio.to_thread(read_messages, handler.folder)
                if len(messages) >= UNITS:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # a moment for any extra message to show
            messages = await asyncio.to_thread(read_messages, handler.folder)
            history = await handle.fetch_history()
        finally:
            await handle.terminate("test done")

    failures = [
        (EventType.Name(e.event_type), str(e.workflow_task_failed_event_attributes.failure.message))
        for e in history.events
        if e.event_type in (EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
    ]
    assert failures == []
    assert len(messages) == UNITS, f"{len(messages)} letters at the sink, expected one per unit"
    assert sorted(m["To"].addresses[0].domain for m in messages) == [f"dv{u:03d}.example.vn" for u in range(UNITS)]
    assert all(str(m["Subject"]).startswith("[Quá hạn]") for m in messages)
    assert all(_text(m).count("Khắc phục tồn tại số") == ACTIONS_PER_UNIT for m in messages)
    assert len(set(handler.received)) == len(handler.received) == UNITS, "each Message-ID handed to SMTP once"
    assert len({m["Message-ID"] for m in messages}) == UNITS


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())
