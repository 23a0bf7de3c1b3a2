"""Serving the web app with uvicorn inside an existing event loop (`dondoc up`, `dondoc api`)."""

from __future__ import annotations

import asyncio

import uvicorn

from activities.database import get_engine
from dondoc.gateway import Gateway
from dondoc.settings import Settings
from dondoc.storage import open_store
from dondoc.temporal_client import connect
from dondoc.web.app import create_app
from dondoc.web.context import AppContext


async def build_context(settings: Settings) -> AppContext:
    client = await connect(settings)
    return AppContext(
        settings=settings,
        engine=get_engine(settings.sqlalchemy_url),
        gateway=Gateway(client, settings.task_queue, settings.follow_up_options),
        files=open_store(settings),
    )


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Serve until `stop` is set (the orphan-file sweep runs as a Temporal Schedule, once per cluster)."""
    ctx = await build_context(settings)
    app = create_app(ctx)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
