"""Probes of the web app: `/healthz` (the process answers) and `/readyz` (database, Temporal and file storage
reachable; 503 naming what is not). Installed with the request metrics by `install`."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, status
from fastapi.responses import JSONResponse

from dondoc import health
from dondoc.metrics import MetricsMiddleware, watch_read_model
from dondoc.web.context import AppContext, get_context

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def alive() -> dict[str, str]:
    """Liveness: the event loop answers. Nothing outside the process is asked, so an outage restarts nothing."""
    return {"status": "ok"}


@router.get("/readyz")
async def ready(ctx: Annotated[AppContext, Depends(get_context)]) -> JSONResponse:
    checks = await health.run_checks(
        {
            "database": health.database(ctx.engine),
            "temporal": health.temporal(ctx.gateway.client),
            "storage": storage(ctx),
        }
    )
    ok = all(result == "ok" for result in checks.values())
    code = status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=code)


def storage(ctx: AppContext) -> health.Check:
    """The file store answers (a write to the local folder, the bucket's HEAD on S3)."""

    async def check() -> None:
        await asyncio.to_thread(ctx.files.check)

    return check


def install(app: FastAPI, ctx: AppContext) -> None:
    """The probes, request metrics and read-model gauges of one web app."""
    app.include_router(router)
    app.add_middleware(MetricsMiddleware)
    watch_read_model(ctx.engine)
