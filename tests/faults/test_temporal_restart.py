"""The Temporal server stopped and restarted (a dev server keeping its state in a file, as a process the test
controls): the worker rides it out and the ladder resumes — the step that fell due during the outage goes once it is
back, the step sent before it never again. Real worker process, PostgreSQL and relay."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.service import RPCError

from dondoc.devserver import DevServer
from dondoc.settings import Settings
from tests.faults.harness import Relay, WorkerProcess, fan_out_spec, now, outbox, start, wait_until_async, worker_env
from tests.support.ports import free_port
from workflows.conclusion import ConclusionFollowUp

pytestmark = [pytest.mark.integration, pytest.mark.faults]

URGING_AFTER = 25  # seconds after the due time: while the server is stopped
TWO_STEPS = {
    "steps": [
        {"step": "overdue", "offset": "PT1S", "to": ["contacts", "head"]},
        {"step": "urging", "offset": f"PT{URGING_AFTER}S", "to": ["head"]},
    ]
}


def steps_arrived(relay: Relay) -> Counter[str]:
    """Messages the relay took, by the ladder step in their Message-ID."""
    return Counter(message_id.split("/")[-3] for message_id in relay.handler.arrivals().elements())


async def test_the_ladder_resumes_after_the_temporal_server_is_stopped_and_restarted(
    engine: Engine, database_url: str, relay: Relay, folder: Path, settings: Settings
) -> None:
    server_settings = settings.model_copy(
        update={"data_dir": folder / "temporal", "temporal_port": free_port(), "temporal_ui_port": free_port()}
    )
    relay.start()
    env = worker_env(folder, database_url, server_settings.effective_temporal_address, relay.port)
    worker = WorkerProcess(env, folder)
    server = DevServer(server_settings)
    client: Client = await server.__aenter__()
    workflow_id = ""
    try:
        worker.start()
        due = now() + timedelta(seconds=3)
        spec = fan_out_spec(1, due, TWO_STEPS)
        workflow_id = (await start(client, spec, env["DONDOC_TASK_QUEUE"])).id
        await wait_until_async(functools.partial(asyncio.to_thread, lambda: steps_arrived(relay)["overdue"] >= 1), 90)

        await server.__aexit__(None, None, None)  # stopped: its state stays in its database file
        stopped_at = now()
        await asyncio.sleep(max(0.0, (due + timedelta(seconds=URGING_AFTER + 5) - stopped_at).total_seconds()))
        assert steps_arrived(relay) == Counter(overdue=1), "nothing moves while the server is down"

        server = DevServer(server_settings)
        client = await server.__aenter__()
        await wait_until_async(
            functools.partial(asyncio.to_thread, lambda: steps_arrived(relay)["urging"] >= 1), 120, worker.log_text
        )
        await asyncio.sleep(1.0)  # a moment for anything sent twice to show
        state = await client.get_workflow_handle(spec.workflow_id).query(ConclusionFollowUp.snapshot)
        survived = worker.process is not None and worker.process.poll() is None
    finally:
        worker.stop()
        with contextlib.suppress(RPCError, RuntimeError):
            await client.get_workflow_handle(workflow_id).terminate("test done")
        await server.__aexit__(None, None, None)

    assert survived, "the worker reconnects by itself"
    assert stopped_at < due + timedelta(seconds=URGING_AFTER), "the urging fell due while the server was stopped"
    assert steps_arrived(relay) == Counter(overdue=1, urging=1)
    assert state is not None
    assert [(n.step.value, n.status.value) for n in state.letters] == [("overdue", "sent"), ("urging", "sent")]
    assert {(r.step, r.status) for r in outbox(engine, [spec.workflow_id]).values()} == {
        ("overdue", "sent"),
        ("urging", "sent"),
    }
