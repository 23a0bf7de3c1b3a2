"""The worker SIGKILLed five times during a fan-out of 500 notices (real dev server, PostgreSQL, a scripted relay):
none is lost, and a Message-ID arrives twice only where the outbox shows a handover a dead attempt left unanswered
— the one window SMTP leaves (docs/mail-delivery.md). Prints the measured figures."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.smtp import MAX_OPEN
from tests.faults.harness import (
    Relay,
    RelayHandler,
    WorkerProcess,
    fan_out_spec,
    letter_events,
    now,
    outbox,
    start,
    wait_until,
    wait_until_async,
    worker_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

CONCLUSIONS, UNITS = 2, 125  # one letter per unit, two copies each (the unit's, oversight's): 500 messages
KILLS = 5
OVERDUE_WITH_OVERSIGHT = {
    "steps": [{"step": "overdue", "offset": "PT1S", "to": ["contacts", "head"], "cc": ["inspectorate_head"]}]
}


def arrived(relay: Relay) -> int:
    return sum(relay.handler.arrivals().values())


def arrived_beyond(relay: Relay, floor: int) -> bool:
    return arrived(relay) >= floor


async def test_five_sigkills_during_a_fan_out_of_500_notices_lose_none_and_duplicate_only_in_the_window(
    dev_server_env: WorkflowEnvironment, engine: Engine, database_url: str, relay: Relay, folder: Path
) -> None:
    # A relay that spends 50 ms on each recipient's checks, then takes the message and answers 10 ms later.
    relay.handler = RelayHandler(rcpt_delay=0.05, data_delay=0.01)
    relay.start()
    address = dev_server_env.client.service_client.config.target_host
    env = worker_env(folder, database_url, address, relay.port)
    worker = WorkerProcess(env, folder)
    specs = [fan_out_spec(UNITS, now(), OVERDUE_WITH_OVERSIGHT) for _ in range(CONCLUSIONS)]
    ids = [s.workflow_id for s in specs]
    handles = []

    def settled() -> bool:
        rows = outbox(engine, ids)
        return (
            len(rows) == 2 * UNITS * CONCLUSIONS
            and all(r.status == "sent" for r in rows.values())
            and set(rows) <= set(relay.handler.arrivals())
            and letter_events(engine, ids) == Counter(notification_sent=UNITS * CONCLUSIONS)
        )

    try:
        worker.start()
        handles = [await start(dev_server_env.client, spec, env["DONDOC_TASK_QUEUE"]) for spec in specs]
        cut_while_sending = 0
        for _ in range(KILLS):
            # Kill once this worker has been sending for a moment (or after 8 s, if dead workers hold all work).
            before = arrived(relay)
            with contextlib.suppress(AssertionError):
                wait_until(functools.partial(arrived_beyond, relay, before + 20), 8)
            cut_while_sending += arrived(relay) > before
            worker.kill()
            worker.start()
        # Activities the killed workers held time out (after 120 s) and are retried by the last worker.
        await wait_until_async(
            functools.partial(asyncio.to_thread, settled),
            300,
            lambda: f"{len(relay.handler.arrivals())} Message-IDs arrived; worker log:\n{worker.log_text()[-3000:]}",
        )
    finally:
        worker.stop()
        for handle in handles:
            with contextlib.suppress(RPCError):
                await handle.terminate("test done")

    arrivals = relay.handler.arrivals()
    rows = outbox(engine, ids)
    copies = {(r.workflow_id, r.unit, r.audience) for r in rows.values()}
    assert copies == {(s.workflow_id, u.code, a) for s in specs for u in s.units for a in ("unit", "oversight")}
    assert set(arrivals) == set(rows), "every copy arrived, nothing else did"
    assert {r.status for r in rows.values()} == {"sent"}
    outside_window = {m: n for m, n in arrivals.items() if n > 1 + rows[m].unconfirmed_handovers}
    assert outside_window == {}, "every second copy comes from a handover a dead attempt left unanswered"
    assert cut_while_sending >= 3, "the kills fell while letters were going out"
    duplicates = sum(n - 1 for n in arrivals.values())
    unconfirmed = sum(r.unconfirmed_handovers for r in rows.values())
    assert duplicates <= unconfirmed <= KILLS * MAX_OPEN, "a crash leaves at most MAX_OPEN messages unconfirmed"
    print(  # the figure docs/mail-delivery.md reports
        f"\n{KILLS} SIGKILLs ({cut_while_sending} while sending), {len(rows)} messages: {duplicates} arrived twice, "
        f"{unconfirmed} unconfirmed handovers, attempts {sorted(Counter(r.attempts for r in rows.values()).items())}"
    )
