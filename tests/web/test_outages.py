"""While the database or Temporal is down, the app answers 503 with Retry-After and a Vietnamese message (JSON for
the API, the error page for the pages), never 500; once it is back, the same requests succeed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc import users
from dondoc.devserver import find_binary
from dondoc.gateway import Gateway, Unavailable
from dondoc.web.app import create_app
from dondoc.web.outages import DATABASE_DOWN, RETRY_AFTER_SECONDS
from models import commands as c
from tests.support.postgres import PostgresServer
from tests.web.api.test_api import env_today, small_spec
from tests.web.conftest import PASSWORD, STAFF, SUPERVISOR, Web
from tests.web.pages.test_pages import text_of

TEMPORAL_DOWN = "Hệ thống theo dõi (Temporal) tạm thời không trả lời"


def assert_outage(response: httpx.Response, message: str) -> None:
    assert response.status_code == 503, response.text[-500:]
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["detail"].startswith(message)
    else:
        assert "Tạm thời gián đoạn" in text_of(response) and message in text_of(response)


# ---------------------------------------------------------------- the database


@pytest.fixture
def postgres_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    """A read model on a real PostgreSQL server (which the test stops and starts again), with a staff user."""
    engine = get_engine(postgres_server.create_database())
    users.add_user(engine, STAFF, "staff", PASSWORD)
    yield engine
    engine.dispose()


async def test_postgresql_stopped_answers_503_then_recovers(
    web: Web, postgres_server: PostgresServer, postgres_engine: Engine
) -> None:
    app = create_app(dataclasses.replace(web.ctx, engine=postgres_engine))
    token = users.issue_token(postgres_engine, STAFF)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as api,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser,
    ):
        api.headers["Authorization"] = f"Bearer {token}"
        login = await browser.get("/login")
        csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = await browser.post(
            "/login", data={"email": STAFF, "password": PASSWORD, "next": "/", "csrf_token": csrf}
        )
        assert signed_in.status_code == 303
        assert (await api.get("/api/conclusions")).status_code == 200

        postgres_server.halt()
        try:
            assert_outage(await api.get("/api/conclusions"), DATABASE_DOWN)  # the token lookup itself
            assert_outage(await api.get("/api/me"), DATABASE_DOWN)
            assert_outage(await browser.get("/"), DATABASE_DOWN)  # the session's user lookup, as a page
        finally:
            postgres_server.resume()

        assert (await api.get("/api/conclusions")).status_code == 200
        assert (await browser.get("/")).status_code == 200


async def test_an_unopenable_sqlite_file_answers_503(web: Web, tmp_path: Any) -> None:
    """The read model's file cannot be opened (its folder is gone): the token lookup answers 503."""
    token = users.issue_token(web.ctx.engine, SUPERVISOR)
    broken = get_engine(f"sqlite:///{tmp_path / 'gone' / 'read-model.sqlite3'}")
    (tmp_path / "gone" / "read-model.sqlite3").unlink()
    for path in (tmp_path / "gone").iterdir():
        path.unlink()
    (tmp_path / "gone").rmdir()
    broken.dispose()
    app = create_app(dataclasses.replace(web.ctx, engine=broken))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
        api.headers["Authorization"] = f"Bearer {token}"
        assert_outage(await api.get("/api/overdue"), DATABASE_DOWN)


# ---------------------------------------------------------------- Temporal


async def stopped_temporal() -> Client:
    """A client connected to a Temporal server that has stopped since (it retries briefly, as a test can wait)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(find_binary("temporal-test-server")), data_converter=pydantic_data_converter
    )
    client = await Client.connect(
        env.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        retry_config=RetryConfig(initial_interval_millis=50, max_retries=2, max_elapsed_time_millis=500),
    )
    await env.shutdown()
    return client


def use_gateway(web: Web, gateway: Gateway) -> None:
    web.app.state.ctx = dataclasses.replace(web.ctx, gateway=gateway)  # type: ignore[attr-defined]


async def test_temporal_unreachable_answers_503_for_starts_changes_and_queries(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    new_spec = small_spec(await env_today(web))
    browser = await web.login(STAFF)
    use_gateway(web, Gateway(await stopped_temporal(), web.ctx.gateway.task_queue))
    try:
        async with web.bearer(STAFF) as staff:
            assert_outage(await staff.post("/api/conclusions", json=new_spec), TEMPORAL_DOWN)
            assert_outage(await staff.post(f"/api/conclusions/{wid}/withdraw", json={"reason": "x"}), TEMPORAL_DOWN)
            assert_outage(await staff.get(f"/api/conclusions/{wid}/units/ly-son/letters/urging"), TEMPORAL_DOWN)
            assert (await staff.get(f"/api/conclusions/{wid}")).status_code == 200  # reads need only the database
        page = await browser.post(f"/conclusions/{wid}/actions/ly-son-eoffice/waive", data={"reason": "Đã xong"})
        assert_outage(page, TEMPORAL_DOWN)
    finally:
        use_gateway(web, web.ctx.gateway)
    async with web.bearer(STAFF) as staff:
        assert (await staff.post(f"/api/conclusions/{wid}/withdraw", json={"reason": "x"})).status_code == 200


# ---------------------------------------------------------------- a workflow that cannot answer


class _Handle:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def query(self, *_args: Any, **_kwargs: Any) -> Any:
        raise self.error

    async def execute_update(self, *_args: Any, **_kwargs: Any) -> Any:
        raise self.error


class _Client:
    """A Temporal client whose workflow handles fail every call with `error` (what a loaded worker answers)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def get_workflow_handle(self, _workflow_id: str) -> _Handle:
        return _Handle(self.error)


@pytest.mark.parametrize(
    "error",
    [
        WorkflowQueryFailedError("Potential deadlock detected: workflow didn't yield within 2 second(s)"),
        WorkflowUpdateRPCTimeoutOrCancelledError(),
    ],
    ids=["query-failed", "update-timed-out"],
)
async def test_a_workflow_that_cannot_answer_is_unavailable_not_an_error(error: BaseException) -> None:
    gateway = Gateway(_Client(error), "q")  # type: ignore[arg-type]
    with pytest.raises(Unavailable) as caught:
        if isinstance(error, WorkflowQueryFailedError):
            await gateway.applied("kl-x", "key")
        else:
            await gateway.update("kl-x", c.Withdraw(actor=STAFF, reason="x"))
    assert str(caught.value).startswith(TEMPORAL_DOWN)
    assert type(error).__name__ in caught.value.cause


async def test_a_failed_query_on_withdraw_answers_503(web: Web) -> None:
    """Withdrawing a conclusion that has ended asks the workflow whether this key was applied; a query failing on
    the worker answers 503 (it answered 500)."""
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    async with web.bearer(STAFF) as staff:
        first = await staff.post(f"/api/conclusions/{wid}/withdraw", json={"reason": "x"})
        assert first.status_code == 200
        use_gateway(web, Gateway(_Client(WorkflowQueryFailedError("Potential deadlock detected")), "q"))  # type: ignore[arg-type]
        try:
            again = await staff.post(
                f"/api/conclusions/{wid}/withdraw", json={"reason": "x"}, headers={"Idempotency-Key": "k-1"}
            )
        finally:
            use_gateway(web, web.ctx.gateway)
    assert_outage(again, TEMPORAL_DOWN)
