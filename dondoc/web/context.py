"""What every request handler needs, built once per app: settings, read-model engine, gateway, file store."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.engine import Engine

from dondoc.gateway import Gateway
from dondoc.settings import Settings
from dondoc.storage import Store


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    engine: Engine
    gateway: Gateway
    files: Store


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx
