"""What the fault tests share: a relay the test scripts (in a thread of its own, so the test may block), the worker as
a separate process that can be SIGKILLed, the environment that process reads, and counts by Message-ID."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle

from bench.specs import wide_spec
from dondoc import users
from dondoc.gateway import Gateway
from dondoc.settings import Settings
from dondoc.spec_loader import parse_spec
from dondoc.storage import open_store
from dondoc.web.app import create_app
from dondoc.web.context import AppContext
from models.spec import ConclusionSpec
from models.tables import AuditEventRow, NotificationRow
from models.workflow_io import FollowUpInput
from tests.activities.smtp_server import ScriptedHandler
from workflows.conclusion import ConclusionFollowUp

DONDOC = str(Path(sys.executable).parent / "dondoc")


@dataclass
class RelayHandler(ScriptedHandler):
    """The scripted relay (answers per phase, as `ScriptedHandler`), also slow to check an envelope if asked: the
    time a real relay spends on its policy checks at RCPT, before it takes anything."""

    rcpt_delay: float = 0.0
    rcpt_seen: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_seen.append(address)
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        return await super().handle_RCPT(server, session, envelope, address, options)

    def arrivals(self) -> Counter[str]:
        """How many times each Message-ID was taken (a relay that took a message delivers it)."""
        return Counter(str(m["Message-ID"]) for m in list(self.messages))


class Relay:
    """The relay on a fixed loopback port, started and stopped by the test: while stopped, connections are refused."""

    def __init__(self, port: int, handler: RelayHandler | None = None) -> None:
        self.port = port
        self.handler = handler or RelayHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        handler = self.handler

        class Served(Controller):
            def factory(self) -> SMTP:
                return SMTP(handler, hostname="fault-relay", ident="dondoc fault relay")

        self._controller = Served(handler, hostname="127.0.0.1", port=self.port, ready_timeout=30)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class WorkerProcess:
    """`dondoc worker` as its own process; each start writes its own log file."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / f"worker-{self.runs}.log"

    def start(self) -> None:
        """Start and wait until it polls its task queue."""
        self.runs += 1
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([DONDOC, "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: "worker_started" in self.log_text(self.runs), 180, self._died)

    def _died(self) -> str:
        """Why it did not start: its exit code, or where it hangs (faulthandler dumps every thread on SIGABRT)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=30)
        return f"worker exited with {self.process.poll()}:\n{self.log_text(self.runs)[-6000:]}"

    def kill(self) -> None:
        """SIGKILL: no shutdown, in-flight activities and SMTP conversations cut where they are."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self, run: int | None = None) -> str:
        runs = [run] if run is not None else range(1, self.runs + 1)
        return "".join(
            (self.folder / f"worker-{n}.log").read_text(encoding="utf-8", errors="replace")
            for n in runs
            if (self.folder / f"worker-{n}.log").exists()
        )


def wait_until(condition: Callable[[], bool], seconds: float, explain: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s" + (f": {explain()}" if explain else ""))
        time.sleep(0.1)


async def wait_until_async(
    condition: Callable[[], Awaitable[bool]], seconds: float, explain: Callable[[], str] | None = None
) -> None:
    """As `wait_until`, for a condition that asks the Temporal client or the database (off the event loop)."""
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s" + (f": {explain()}" if explain else ""))
        await asyncio.sleep(0.2)


def worker_env(folder: Path, database_url: str, temporal_address: str, smtp_port: int) -> dict[str, str]:
    """What `dondoc worker` reads: its own task queue, letters at any hour, a short SMTP timeout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_DATA_DIR=str(folder / "data"),
        DONDOC_DATABASE_URL=database_url,
        DONDOC_TEMPORAL_ADDRESS=temporal_address,
        DONDOC_TASK_QUEUE=f"faults-{uuid.uuid4().hex[:8]}",
        DONDOC_SMTP_HOST="127.0.0.1",
        DONDOC_SMTP_PORT=str(smtp_port),
        DONDOC_SMTP_TIMEOUT_SECONDS="10",
        DONDOC_LOG_FORMAT="json",
        PYTHONFAULTHANDLER="1",
        DONDOC_OFFICE_HOURS_ENABLED="false",  # a ladder of seconds runs at any hour
        DONDOC_LETTER_WINDOW_SECONDS="1",
    )
    return env


def fan_out_spec(units: int, due: datetime, policy: dict[str, Any]) -> ConclusionSpec:
    """A conclusion of `units` units with one action each, all due at `due`, on the given ladder."""
    spec = wide_spec(f"{uuid.uuid4().int % 10**6}/KL-SC", units, 1, due)
    spec["policy"] = policy
    return parse_spec(spec)


async def start(client: Client, spec: ConclusionSpec, task_queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        ConclusionFollowUp.run, FollowUpInput(spec=spec), id=spec.workflow_id, task_queue=task_queue
    )


def letter_events(engine: Engine, workflow_ids: list[str]) -> Counter[str]:
    """The read model's letter events of these conclusions, by kind (notification_sent, notification_failed)."""
    with DbSession(engine) as session:
        kinds = session.exec(
            select(AuditEventRow.kind).where(
                col(AuditEventRow.workflow_id).in_(workflow_ids), col(AuditEventRow.kind).startswith("notification_")
            )
        ).all()
    return Counter(kinds)


def outbox(engine: Engine, workflow_ids: list[str]) -> dict[str, NotificationRow]:
    """The outbox rows of these conclusions, by Message-ID."""
    with DbSession(engine) as session:
        rows = session.exec(select(NotificationRow).where(col(NotificationRow.workflow_id).in_(workflow_ids))).all()
    return {row.message_id: row for row in rows}


STAFF, PASSWORD = "canbo@thanhtra.example.vn", "mat-khau-thu-nghiem"


@dataclass
class Web:
    """The web app on the same database and Temporal as the worker, in this process."""

    app: FastAPI
    engine: Engine

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)  # a crash answers 500, as served
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False)

    async def staff(self) -> httpx.AsyncClient:
        """A browser signed in as a staff member."""
        users.add_user(self.engine, STAFF, "staff", PASSWORD)
        client = self.client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/login")).text)
        assert token
        fields = {"email": STAFF, "password": PASSWORD, "next": "/", "csrf_token": token.group(1)}
        assert (await client.post("/login", data=fields)).status_code == 303
        return client

    def bearer(self) -> httpx.AsyncClient:
        """An API client with a staff member's token."""
        if users.find_user(self.engine, STAFF) is None:
            users.add_user(self.engine, STAFF, "staff", PASSWORD)
        client = self.client()
        client.headers["Authorization"] = f"Bearer {users.issue_token(self.engine, STAFF)}"
        return client


def web(settings: Settings, engine: Engine, client: Client, task_queue: str) -> Web:
    ctx = AppContext(settings=settings, engine=engine, gateway=Gateway(client, task_queue), files=open_store(settings))
    return Web(create_app(ctx), engine)


def now() -> datetime:
    return datetime.now(UTC)
