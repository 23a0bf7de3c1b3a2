"""The account page (what one receives, the informational emails switched on or off), officers at registration,
the review queue filtered to one's own conclusions, and the schedules on the admin page."""

from __future__ import annotations

import html
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc import preferences, schedules, users
from dondoc.gateway import Gateway
from dondoc.settings import Settings
from dondoc.storage import open_store
from dondoc.web.app import create_app
from dondoc.web.context import AppContext
from models.tables import ConclusionRow
from tests.support import read_model as rm
from tests.web.api.test_api import env_today, small_spec, start
from tests.web.conftest import ADMIN, AGENCY, PASSWORD, STAFF, SUPERVISOR, Web
from tests.web.pages.confirming import confirm, confirmation
from tests.web.pages.test_pages import new_form
from tests.workflow.harness import MailRecorder

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
COLLEAGUE = "dongnghiep@thanhtra.example.vn"


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def seed_queue(web: Web) -> None:
    """Two conclusions with evidence waiting: one followed by STAFF, the other by a colleague."""
    users.add_user(web.ctx.engine, COLLEAGUE, "staff", PASSWORD)
    rm.store(
        web.ctx.engine,
        rm.conclusion("kl-mine", "11/KL-TTr", officers=[STAFF]),
        rm.conclusion("kl-theirs", "22/KL-TTr", officers=[COLLEAGUE]),
        rm.unit("kl-mine", "ly-son", "UBND huyện Lý Sơn", NOW + 30 * DAY, supervisor=SUPERVISOR),
        rm.unit("kl-theirs", "tra-bong", "UBND huyện Trà Bồng", NOW + 30 * DAY),
        rm.action("kl-mine", "a1", "ly-son", "Việc của kết luận tôi phụ trách", NOW + 5 * DAY),
        rm.action("kl-theirs", "b1", "tra-bong", "Việc của kết luận đồng nghiệp phụ trách", NOW + 5 * DAY),
        rm.evidence("kl-mine", "ev-1", "a1", NOW - DAY),
        rm.evidence("kl-theirs", "ev-1", "b1", NOW - 2 * DAY),
    )


async def test_an_officer_sees_their_own_queue_by_default_and_everything_on_request(web: Web) -> None:
    seed_queue(web)
    staff = await web.login(STAFF)
    mine = text_of(await staff.get("/review"))
    assert "Việc của kết luận tôi phụ trách" in mine and "Việc của kết luận đồng nghiệp phụ trách" not in mine
    assert "Kết luận tôi phụ trách (1)" in mine and 'href="/review?mine=0"' in mine and "Tất cả (2)" in mine
    everything = text_of(await staff.get("/review?mine=0"))
    assert "Việc của kết luận tôi phụ trách" in everything and "Việc của kết luận đồng nghiệp phụ trách" in everything


async def test_someone_in_charge_of_nothing_sees_the_whole_queue(web: Web) -> None:
    seed_queue(web)
    admin = await web.login(ADMIN)
    page = text_of(await admin.get("/review"))
    assert "Việc của kết luận tôi phụ trách" in page and "Việc của kết luận đồng nghiệp phụ trách" in page
    assert "Bạn chưa là cán bộ phụ trách kết luận nào đang theo dõi." in page
    assert "Việc của kết luận đồng nghiệp phụ trách" not in text_of(await admin.get("/review?mine=1"))


async def test_the_account_page_says_what_one_receives_and_saves_the_choices(web: Web) -> None:
    seed_queue(web)
    supervisor = await web.login(SUPERVISOR)
    page = text_of(await supervisor.get("/account"))
    assert "Bạn là cơ quan cấp trên của UBND huyện Lý Sơn (kết luận 11/KL-TTr)" in page
    assert "không thể tắt" in page
    assert 'id="pref-digest" name="digest" checked' in page
    assert 'id="pref-immediate_review" name="immediate_review">' in page  # off unless chosen
    saved = await supervisor.post("/account/preferences", data={"review_queue": "on"})
    assert saved.status_code == 303 and saved.headers["location"] == "/account"
    stored = preferences.preference(web.ctx.engine, SUPERVISOR)
    assert (stored.digest, stored.review_queue, stored.immediate_review) == (False, True, False)
    assert 'id="pref-digest" name="digest">' in text_of(await supervisor.get("/account"))


async def test_the_officers_who_opted_in_are_told_at_once(web: Web) -> None:
    seed_queue(web)
    staff = await web.login(STAFF)
    await staff.post("/account/preferences", data={"review_queue": "on", "immediate_review": "on"})
    with Session(web.ctx.engine) as session:
        assert preferences.immediate_review_recipients(session, "kl-mine") == [STAFF]
        assert preferences.immediate_review_recipients(session, "kl-theirs") == []  # the colleague did not opt in


async def test_agency_accounts_have_an_account_page_and_anonymous_visitors_none(web: Web) -> None:
    agency = await web.login(AGENCY)
    assert (await agency.get("/account")).status_code == 200
    assert (await web.client().get("/account")).status_code in (303, 401)


async def test_the_registering_account_is_the_officer_unless_the_form_names_staff_accounts(web: Web) -> None:
    staff = await web.login(STAFF)
    data = new_form()
    response = await confirm(staff, await confirmation(staff, await staff.post("/conclusions", data=data)))
    assert response.status_code == 303, text_of(response)[-1500:]
    with Session(web.ctx.engine) as session:
        row = session.get(ConclusionRow, response.headers["location"].removeprefix("/conclusions/"))
        assert row is not None and row.officers == [STAFF]
    refused = await staff.post("/conclusions", data=new_form(officers=f"{ADMIN}, {AGENCY}"))
    assert refused.status_code == 422
    assert f"{AGENCY} không phải tài khoản cán bộ thanh tra đang hoạt động" in text_of(refused)
    named_form = new_form(officers=f"{ADMIN.upper()}; {STAFF}")
    named = await confirm(staff, await confirmation(staff, await staff.post("/conclusions", data=named_form)))
    assert named.status_code == 303
    with Session(web.ctx.engine) as session:
        row = session.get(ConclusionRow, named.headers["location"].removeprefix("/conclusions/"))
        assert row is not None and row.officers == [ADMIN, STAFF]
    page = text_of(await staff.get(named.headers["location"]))
    assert f"Cán bộ phụ trách</dt><dd>{ADMIN}, {STAFF}</dd>" in page


@pytest.fixture
async def dev_web(dev_server_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Web]:
    """The app against the dev server, which has schedules (the time-skipping server has none)."""
    engine = get_engine(settings.sqlalchemy_url)
    users.add_user(engine, ADMIN, "admin", PASSWORD)
    task_queue = f"web-{uuid.uuid4().hex[:8]}"
    gateway = Gateway(dev_server_env.client, task_queue)
    ctx = AppContext(settings=settings, engine=engine, gateway=gateway, files=open_store(settings))
    await schedules.ensure_schedules(dev_server_env.client, task_queue)
    yield Web(create_app(ctx), ctx, dev_server_env, MailRecorder())


async def test_the_admin_page_lists_the_schedules_and_runs_one_now(dev_web: Web) -> None:
    admin = await dev_web.login(ADMIN)
    page = text_of(await admin.get("/admin"))
    for definition in schedules.DEFINITIONS:
        assert f'id="schedule-{definition.id}"' in page and definition.label in page
    assert "07:30 mỗi ngày làm việc" in page and "Chạy ngay" in page
    handle = dev_web.env.client.get_schedule_handle("dondoc-file-sweep")
    before = (await handle.describe()).info.num_actions
    response = await admin.post("/admin/schedules/dondoc-file-sweep/run")
    assert response.status_code == 303 and response.headers["location"] == "/admin#schedules"
    assert (await handle.describe()).info.num_actions == before + 1
    assert (await admin.post("/admin/schedules/khong-co/run")).status_code == 404


async def test_the_api_names_the_token_holder_as_officer_and_refuses_officers_without_a_staff_account(
    web: Web,
) -> None:
    client = web.bearer(STAFF)
    today = await env_today(web)
    workflow_id = await start(client, small_spec(today), web)
    with Session(web.ctx.engine) as session:
        row = session.get(ConclusionRow, workflow_id)
        assert row is not None and row.officers == [STAFF]
    refused = await client.post(
        "/api/conclusions", json={**small_spec(today), "number": "77/KL-TTr", "officers": [AGENCY]}
    )
    assert refused.status_code == 422
    assert f"{AGENCY} không phải tài khoản cán bộ thanh tra đang hoạt động" in refused.json()["detail"]
