"""Readiness checks shared by the web app (`/readyz`) and the worker's health port: each names what is unreachable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine
from temporalio.client import Client

from dondoc import schema

Check = Callable[[], Awaitable[None]]
TIMEOUT_SECONDS = 3.0


def database(engine: Engine) -> Check:
    """The database answers and holds the schema revision this code expects."""

    def probe() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema.check(engine)

    async def check() -> None:
        await asyncio.to_thread(probe)

    return check


def temporal(client: Client) -> Check:
    """The Temporal frontend answers its gRPC health check."""

    async def check() -> None:
        healthy = await client.service_client.check_health(timeout=timedelta(seconds=TIMEOUT_SECONDS))
        if not healthy:
            raise RuntimeError("Temporal frontend is not SERVING")

    return check


async def run_checks(checks: Mapping[str, Check]) -> dict[str, str]:
    """Every check at once, each bounded in time: name → "ok" or the reason it failed."""

    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), timeout=TIMEOUT_SECONDS)
        except TimeoutError:
            return f"no answer within {TIMEOUT_SECONDS:g} s"
        except Exception as error:
            return f"{type(error).__name__}: {error}".splitlines()[0][:300]
        return "ok"

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))
