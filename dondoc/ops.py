"""The operations port of a dondoc process (DONDOC_METRICS_PORT): `/metrics` for Prometheus, and `/healthz` and
`/readyz` for the worker, which has no web port of its own. Kept off the public port so no Ingress exposes it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import uvicorn
from fastapi import FastAPI, status
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from dondoc import health
from dondoc.settings import Settings


def ops_app(alive: Callable[[], bool], checks: Mapping[str, health.Check]) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    async def metrics() -> Response:
        body = await asyncio.to_thread(generate_latest, REGISTRY)  # the read-model gauges query the database
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        ok = alive()
        return JSONResponse(
            {"status": "ok" if ok else "stopped"},
            status_code=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE,
        )

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        results = await health.run_checks(checks)
        ok = alive() and all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": results},
            status_code=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE,
        )

    return app


async def serve_ops(
    settings: Settings,
    stop: asyncio.Event,
    alive: Callable[[], bool] = lambda: True,
    checks: Mapping[str, health.Check] | None = None,
) -> None:
    """Serve the operations port until `stop` is set; nothing when DONDOC_METRICS_PORT is unset."""
    if settings.metrics_port is None:
        return
    server = uvicorn.Server(
        uvicorn.Config(
            ops_app(alive, checks or {}),
            host=settings.metrics_host,
            port=settings.metrics_port,
            log_config=None,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():  # uvicorn gave up at start (the port is taken): say so rather than run blind
        stopping.cancel()
        raise RuntimeError(f"operations port {settings.metrics_host}:{settings.metrics_port} could not be served")
    server.should_exit = True
    await task
