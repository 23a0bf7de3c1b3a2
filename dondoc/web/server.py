"""Serving the web app with uvicorn inside an existing event loop (`dondoc up`, `dondoc api`)."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from activities.database import get_engine
from dondoc.gateway import Gateway
from dondoc.logs import get_logger
from dondoc.settings import Settings
from dondoc.storage import open_store
from dondoc.temporal_client import connect
from dondoc.web import uploads
from dondoc.web.app import create_app
from dondoc.web.context import AppContext


async def build_context(settings: Settings) -> AppContext:
    client = await connect(settings)
    return AppContext(
        settings=settings,
        engine=get_engine(settings.sqlalchemy_url),
        gateway=Gateway(client, settings.task_queue),
        files=open_store(settings),
    )


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, sweeping files nothing uses now and then."""
    ctx = await build_context(settings)
    app = create_app(ctx)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    sweeping = asyncio.create_task(_sweep_now_and_then(ctx, stop))
    await stop.wait()
    server.should_exit = True
    await task
    await sweeping


async def _sweep_now_and_then(ctx: AppContext, stop: asyncio.Event) -> None:
    log = get_logger(component="files")
    while not stop.is_set():
        try:
            removed = await asyncio.to_thread(uploads.sweep, ctx)
        except Exception as error:  # a database hiccup must not stop the web app; the next round tries again
            log.warning("files_sweep_failed", error=str(error))
        else:
            if removed:
                log.info("files_swept", count=len(removed))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=uploads.SWEEP_EVERY.total_seconds())
