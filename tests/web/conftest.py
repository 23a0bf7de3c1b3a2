"""The web app against a real Temporal test environment: a worker (letters recorded, and written to the outbox as
the mail activity would), users of every role."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio import activity
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from activities.mail import claim, copy_key, copy_row, settle
from activities.mail_batch import mail_together
from activities.planning import plan_deadlines
from activities.projection import project_state
from dondoc import users
from dondoc.gateway import Gateway
from dondoc.mail_render import render
from dondoc.settings import Settings, get_settings
from dondoc.storage import open_store
from dondoc.web.app import create_app
from dondoc.web.context import AppContext
from models.labels import VN
from models.mail import LetterRequest, MailOutcome
from models.spec import ConclusionSpec
from models.tables import AuditEventRow, ConclusionRow
from tests.workflow.harness import MailRecorder, quang_ngai, redated
from worker import build_worker

PASSWORD = "mat-khau-thu-nghiem"
STAFF = "canbo@thanhtra.example.vn"
ADMIN = "quantri@thanhtra.example.vn"
AGENCY = "vanthu@lyson.example.vn"  # agency user of unit ly-son
OTHER_AGENCY = "vanthu@trabong.example.vn"  # agency user of unit tra-bong
SUPERVISOR = "ubnd@quangngai.example.vn"  # the units' supervisor in the Quảng Ngãi example
OUTSIDER = "ngoai@khac.example.vn"  # a supervisor of nothing here


@dataclass
class Web:
    """The app, its context and helpers to act as each kind of user."""

    app: object
    ctx: AppContext
    env: WorkflowEnvironment
    mail: MailRecorder

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False)

    async def login(self, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
        """A browser-like client logged in as `email`, sending the session's CSRF token on every request."""
        client = self.client()
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the login form carries a CSRF token"
        response = await client.post(
            "/login", data={"email": email, "password": password, "next": "/", "csrf_token": token.group(1)}
        )
        assert response.status_code == 303, response.text[-600:]
        fresh = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/login")).text)
        assert fresh, "a new session has a new CSRF token"
        client.headers["X-CSRF-Token"] = fresh.group(1)
        return client

    def bearer(self, email: str) -> httpx.AsyncClient:
        client = self.client()
        client.headers["Authorization"] = f"Bearer {users.issue_token(self.ctx.engine, email)}"
        return client

    async def start_quang_ngai(self, due_in_days: int = 30) -> ConclusionSpec:
        """The Quảng Ngãi example received today (test server time), every action due in `due_in_days`."""
        today = (await self.env.get_current_time()).astimezone(VN).date()
        spec = redated(quang_ngai(), today, {}, default_days=due_in_days)
        spec = spec.model_copy(update={"number": f"{uuid.uuid4().int % 10**6}/KL-Ttra"})
        await self.ctx.gateway.start(spec, STAFF)
        await self.wait_projected(spec.workflow_id)
        return spec

    async def start_overdue(self, units: tuple[str, ...] = ("ly-son",), days_ago: int = 30) -> ConclusionSpec:
        """The Quảng Ngãi example (only `units`) received `days_ago` days ago, every action due 4 days after it:
        overdue at once, so the first letters go as the follow-up starts."""
        today = (await self.env.get_current_time()).astimezone(VN).date()
        spec = redated(quang_ngai(), today - timedelta(days=days_ago), {}, default_days=4)
        spec = spec.model_copy(
            update={
                "number": f"{uuid.uuid4().int % 10**6}/KL-Ttra",
                "units": [u for u in spec.units if u.code in units],
                "actions": [a for a in spec.actions if a.unit in units],
            }
        )
        await self.ctx.gateway.start(spec, STAFF)
        await self.wait_projected(spec.workflow_id)
        return spec

    async def letters_sent(self, workflow_id: str, count: int = 1) -> list[LetterRequest]:
        """The letters of the conclusion the mail activity got, once `count` of them went out and SQL shows them."""
        for _ in range(1200):
            sent = [m for m in self.mail.sent if m.workflow_id == workflow_id]
            if len(sent) >= count:
                with Session(self.ctx.engine) as session:
                    settled = session.exec(
                        select(AuditEventRow).where(
                            AuditEventRow.workflow_id == workflow_id, AuditEventRow.kind == "notification_sent"
                        )
                    ).all()
                if len(settled) >= count:
                    return sent
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} letter(s) of {workflow_id} never went out")

    async def wait_projected(self, workflow_id: str) -> None:
        """Until the workflow's first projection is in SQL (starting returns before it)."""
        for _ in range(1200):  # a minute: generous for a busy CI machine
            with Session(self.ctx.engine) as session:
                if session.get(ConclusionRow, workflow_id) is not None:
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{workflow_id} never projected")


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Letters go at any time of day here: the test server's clock only moves when a test moves it, so a letter
    waiting for office hours would wait for ever when the suite runs at night."""
    monkeypatch.setenv("DONDOC_OFFICE_HOURS_ENABLED", "false")
    get_settings.cache_clear()
    return get_settings()


def write_outbox(engine: Engine, request: LetterRequest, outcome: MailOutcome) -> None:
    """The outbox rows of every copy of a letter, as the mail activity writes them (its own functions)."""
    for copy in request.copies:
        mail = render(request, copy, "http://testserver/portal/lien-ket")
        if claim(engine, copy_row(request, copy, mail)) is None:
            settle(engine, copy_key(request.key, copy.audience), outcome)


def outbox_activity(recorder: MailRecorder, engine: Engine) -> Callable[[LetterRequest], Awaitable[MailOutcome]]:
    """The recorder under the mail activity's name, also writing the outbox (what the pages read)."""
    record = recorder.activity()

    @activity.defn(name="send_letter")
    async def send_letter(request: LetterRequest) -> MailOutcome:
        outcome: MailOutcome = await record(request)
        await asyncio.to_thread(write_outbox, engine, request, outcome)
        return outcome

    return send_letter


@pytest.fixture
async def web(
    time_skipping_env: WorkflowEnvironment, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Web]:
    """The app on a fresh database with one user of each role. Argon2 runs at its cheapest cost here (its real cost
    takes ~0.4 s per hash; production is unchanged). The follow-ups a test started are terminated afterwards, so that
    nothing left running slows down the time skips of later tests."""
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine = get_engine(settings.sqlalchemy_url)
    for email, role, unit in (
        (ADMIN, "admin", None),
        (STAFF, "staff", None),
        (AGENCY, "agency", "ly-son"),
        (OTHER_AGENCY, "agency", "tra-bong"),
        (SUPERVISOR, "supervisor", None),
        (OUTSIDER, "supervisor", None),
    ):
        users.add_user(engine, email, role, PASSWORD, unit)
    task_queue = f"web-{uuid.uuid4().hex[:8]}"
    recorder = MailRecorder()
    ctx = AppContext(
        settings=settings,
        engine=engine,
        gateway=Gateway(time_skipping_env.client, task_queue),
        files=open_store(settings),
    )
    mail = outbox_activity(recorder, engine)
    notice = recorder.notice_activity()
    activities = [plan_deadlines, project_state, mail, mail_together(mail, notice), notice]
    async with build_worker(time_skipping_env.client, task_queue, activities):
        yield Web(create_app(ctx), ctx, time_skipping_env, recorder)
        with Session(engine) as session:
            workflow_ids = list(session.exec(select(ConclusionRow.workflow_id)).all())
        for workflow_id in workflow_ids:
            with contextlib.suppress(RPCError):
                await time_skipping_env.client.get_workflow_handle(workflow_id).terminate("end of test")
