"""The web app's probes and metrics: /healthz answers while the process lives, /readyz only while the database,
Temporal and the file store answer (503 naming what does not); /metrics carries request counts, latencies, upload
sizes and the follow-up's state read from the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc.metrics import MetricsMiddleware
from dondoc.ops import ops_app
from dondoc.settings import Settings, get_settings
from dondoc.web.app import create_app
from dondoc.web.context import AppContext
from dondoc.web.server import build_context
from tests.conftest import fresh_postgres
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this module alone: the test stops it, which the shared one must never see."""
    with fresh_postgres() as server:
        yield server


@pytest.fixture
async def ctx(
    own_postgres: PostgresServer, dev_server_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AppContext]:
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DONDOC_DATABASE_URL", own_postgres.create_database())
    monkeypatch.setenv("DONDOC_TEMPORAL_ADDRESS", dev_server_env.client.service_client.config.target_host)
    get_settings.cache_clear()
    yield await build_context(get_settings())
    get_settings.cache_clear()


def samples(name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of one metric now in the process registry, by its sorted labels."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_readyz_answers_503_while_postgresql_is_stopped_and_200_after(
    ctx: AppContext, own_postgres: PostgresServer
) -> None:
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://dondoc") as web:
        ready = await web.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "temporal": "ok", "storage": "ok"}}

        own_postgres.halt()
        try:
            down = await web.get("/readyz")
            assert down.status_code == 503
            checks = down.json()["checks"]
            assert checks["database"] != "ok" and "OperationalError" in checks["database"]
            assert checks["temporal"] == "ok" and checks["storage"] == "ok"
            alive = await web.get("/healthz")
            assert alive.status_code == 200, "liveness asks nothing outside the process: an outage restarts nothing"
        finally:
            own_postgres.resume()

        again = await web.get("/readyz")
        assert again.status_code == 200, again.text


async def test_metrics_count_requests_by_route_template_and_read_the_follow_up_state(ctx: AppContext) -> None:
    before = samples("dondoc_http_requests_total").get(
        (("method", "GET"), ("route", "/readyz"), ("status", "200")), 0.0
    )
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://dondoc") as web:
        for _ in range(3):
            assert (await web.get("/readyz")).status_code == 200
        assert (await web.get("/no/such/page")).status_code == 404
        assert (await web.get("/api/conclusions/kl-1")).status_code == 401

    requests = samples("dondoc_http_requests_total")
    assert requests[(("method", "GET"), ("route", "/readyz"), ("status", "200"))] == before + 3
    assert requests[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] >= 1
    assert requests[(("method", "GET"), ("route", "/api/conclusions/{workflow_id}"), ("status", "401"))] >= 1, requests
    latency = samples("dondoc_http_request_duration_seconds_count")
    assert latency[(("method", "GET"), ("route", "/readyz"))] >= 3

    assert samples("dondoc_read_model_up") == {(): 1.0}
    assert samples("dondoc_actions") == {(("state", "open"),): 0.0, (("state", "overdue"),): 0.0}
    assert samples("dondoc_letters") == {(("status", s),): 0.0 for s in ("failed", "pending", "sent")}


async def test_upload_sizes_are_the_multipart_bodies_the_app_read() -> None:
    async def upload(request: Request) -> PlainTextResponse:
        form = await request.form()
        return PlainTextResponse(str(len(form)))

    app = MetricsMiddleware(Starlette(routes=[Route("/upload/{what}", upload, methods=["POST"])]))
    key = (("route", "/upload/{what}"),)
    before = samples("dondoc_http_upload_request_bytes_sum").get(key, 0.0)
    count_before = samples("dondoc_http_upload_request_bytes_count").get(key, 0.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/upload/evidence", files={"file": ("a.pdf", b"%PDF-" + b"x" * 50_000)})
        assert response.status_code == 200
        sent = int(response.request.headers["content-length"])
        assert (await client.post("/upload/evidence", json={"not": "multipart"})).status_code == 200
    assert samples("dondoc_http_upload_request_bytes_sum")[key] - before == sent > 50_000
    assert samples("dondoc_http_upload_request_bytes_count")[key] == count_before + 1, "only the multipart one"


async def test_the_operations_port_serves_metrics_and_the_worker_probes(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'ops.sqlite3'}")
    running = True

    async def database() -> None:
        with engine.connect():
            pass

    app = ops_app(lambda: running, {"database": database})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ops") as ops:
        metrics = await ops.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "# TYPE dondoc_http_requests_total counter" in metrics.text
        assert (await ops.get("/healthz")).status_code == 200
        assert (await ops.get("/readyz")).json() == {"status": "ok", "checks": {"database": "ok"}}
        running = False  # the worker stopped polling (a fatal error): both probes fail, Kubernetes restarts it
        assert (await ops.get("/healthz")).status_code == 503
        assert (await ops.get("/readyz")).status_code == 503


def test_settings_default_to_no_metrics_ports(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.metrics_port is None and settings.temporal_metrics_port is None
