"""The relay refusing connections, then answering 421, then accepting — with one recipient it always refuses (550):
every other letter arrives exactly once, the refused one is recorded as failed (outbox, read model, workflow) and
shown on the notifications page. Real dev server, worker process and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy.engine import Engine
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from dondoc.settings import Settings
from dondoc.web.letters import status_text
from tests.faults.harness import (
    Relay,
    RelayHandler,
    WorkerProcess,
    fan_out_spec,
    letter_events,
    now,
    outbox,
    start,
    wait_until_async,
    web,
    worker_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

TO_THE_HEAD = {"steps": [{"step": "overdue", "offset": "PT1S", "to": ["head"]}]}  # one recipient per letter
REFUSED = "chutich@dv002.example.vn"
UNKNOWN_USER = f"550 5.1.1 <{REFUSED}>: Recipient address rejected: User unknown"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"


async def test_refused_then_421_then_accepted_delivers_each_letter_once_and_shows_the_permanent_refusal(
    dev_server_env: WorkflowEnvironment,
    engine: Engine,
    database_url: str,
    relay: Relay,
    folder: Path,
    settings: Settings,
) -> None:
    relay.handler = RelayHandler(rcpt_answers={REFUSED: UNKNOWN_USER})
    env = worker_env(folder, database_url, dev_server_env.client.service_client.config.target_host, relay.port)
    worker = WorkerProcess(env, folder)
    spec = fan_out_spec(3, now(), TO_THE_HEAD)
    ids = [spec.workflow_id]
    handle = None

    def tried(times: int) -> bool:
        rows = outbox(engine, ids)
        return len(rows) == 3 and all(r.attempts >= times for r in rows.values())

    def settled() -> bool:
        return letter_events(engine, ids) == Counter(notification_sent=2, notification_failed=1)

    try:
        worker.start()
        handle = await start(dev_server_env.client, spec, env["DONDOC_TASK_QUEUE"])
        # Nothing listens: every letter's first attempt is refused at connect (retried 5 s later).
        await wait_until_async(functools.partial(asyncio.to_thread, tried, 1), 90)
        # The relay comes up, answering 421 to the next three transactions; then it accepts.
        relay.handler.mail_answers.extend([SHUTTING_DOWN] * 3)
        relay.start()
        await wait_until_async(functools.partial(asyncio.to_thread, settled), 120, worker.log_text)
        page = await (await web(settings, engine, dev_server_env.client, env["DONDOC_TASK_QUEUE"]).staff()).get(
            "/notifications", params={"status": "failed"}
        )
    finally:
        worker.stop()
        if handle is not None:
            with contextlib.suppress(RPCError):
                await handle.terminate("test done")

    assert "SMTPConnectError" in worker.log_text() or "Connection refused" in worker.log_text()
    assert not relay.handler.mail_answers and relay.handler.transactions >= 6, "three 421s, then three transactions"
    rows = {r.unit: r for r in outbox(engine, ids).values()}
    assert {u: r.status for u, r in rows.items()} == {"dv-000": "sent", "dv-001": "sent", "dv-002": "failed"}
    assert all(r.attempts >= 3 for r in rows.values()), "refused, 421, then answered"
    assert rows["dv-002"].smtp_answer is not None and rows["dv-002"].smtp_answer.startswith(f"{REFUSED}: 550")
    assert [r.unconfirmed_handovers for r in rows.values()] == [0, 0, 0]
    arrivals = relay.handler.arrivals()
    assert arrivals == Counter({rows["dv-000"].message_id: 1, rows["dv-001"].message_id: 1})
    assert REFUSED not in {a for accepted in relay.handler.accepted for a in accepted.rcpt_tos}

    assert page.status_code == 200
    shown = str(escape(status_text("failed", rows["dv-002"].smtp_answer)))
    assert shown.startswith("Gửi lỗi: chutich@dv002.example.vn") and shown in page.text
    assert "Đơn vị số 2" in page.text and "Đơn vị số 0" not in page.text  # the failed filter shows only it
