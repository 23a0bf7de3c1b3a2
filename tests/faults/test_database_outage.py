"""PostgreSQL stopped for 30 s while a follow-up starts and its letters fall due: the API answers 503 with
Retry-After meanwhile, and once the database is back the read model catches up and each letter arrives once.
Real dev server, worker process, PostgreSQL cluster of its own (stopped and started by the test)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc.settings import Settings
from models.tables import ConclusionRow
from tests.conftest import fresh_postgres
from tests.faults.harness import (
    Relay,
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
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.integration, pytest.mark.faults]

OUTAGE_SECONDS = 30
TO_THE_UNIT = {"steps": [{"step": "overdue", "offset": "PT1S", "to": ["contacts", "head"]}]}


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A cluster of this test alone: stopping it stops no other test's database."""
    with fresh_postgres() as server:
        yield server


async def test_thirty_seconds_without_postgresql_answer_503_then_the_read_model_catches_up(
    dev_server_env: WorkflowEnvironment, own_postgres: PostgresServer, relay: Relay, folder: Path, settings: Settings
) -> None:
    database_url = own_postgres.create_database()
    engine: Engine = get_engine(database_url)
    relay.start()
    env = worker_env(folder, database_url, dev_server_env.client.service_client.config.target_host, relay.port)
    task_queue = env["DONDOC_TASK_QUEUE"]
    worker = WorkerProcess(env, folder)
    app = web(settings.model_copy(update={"database_url": database_url}), engine, dev_server_env.client, task_queue)
    api = app.bearer()
    spec = fan_out_spec(3, now(), TO_THE_UNIT)  # every action overdue at start: the letters go at once
    ids = [spec.workflow_id]
    handle = None

    def caught_up() -> bool:
        with Session(engine) as session:
            row = session.get(ConclusionRow, spec.workflow_id)
        return (
            row is not None
            and row.overdue_actions == 3
            and letter_events(engine, ids) == Counter(notification_sent=3)
            and len(relay.handler.arrivals()) == 3
        )

    try:
        worker.start()
        assert (await api.get("/api/conclusions")).status_code == 200
        own_postgres.halt()
        stopped = time.monotonic()
        engine.dispose()  # the web app's pooled connections died with the server, as they would in production
        handle = await start(dev_server_env.client, spec, task_queue)  # projection and letters need the database
        answers = []
        while time.monotonic() - stopped < OUTAGE_SECONDS:
            answer = await api.get("/api/conclusions")
            answers.append((answer.status_code, answer.headers.get("Retry-After")))
            await asyncio.sleep(2)
        arrived_while_stopped = len(relay.handler.arrivals())
        own_postgres.resume()
        await wait_until_async(functools.partial(asyncio.to_thread, caught_up), 150, worker.log_text)
        after = await api.get("/api/conclusions")
    finally:
        worker.stop()
        if handle is not None:
            with contextlib.suppress(RPCError):
                await handle.terminate("test done")
        engine.dispose()

    assert answers and set(answers) == {(503, "10")}, f"while the database was stopped: {Counter(answers)}"
    assert len(relay.handler.arrivals()) == 3 and set(relay.handler.arrivals().values()) == {1}
    rows = outbox(engine, ids)
    assert {r.status for r in rows.values()} == {"sent"} and [r.unconfirmed_handovers for r in rows.values()] == [0] * 3
    assert arrived_while_stopped == 0 and "OperationalError" in worker.log_text(), "sending waited for the database"
    assert after.status_code == 200
    listed = [c for c in after.json() if c["workflow_id"] == spec.workflow_id]
    assert [c["overdue_actions"] for c in listed] == [3]
