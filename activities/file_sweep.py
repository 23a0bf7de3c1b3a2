"""The orphan-file sweep: stored content that no recorded evidence or report uses, once untouched for a week, is
removed. Each file is looked up by index (dondoc.file_refs), never by scanning the recorded submissions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.database import get_engine
from dondoc import file_refs
from dondoc.logs import get_logger
from dondoc.settings import get_settings
from dondoc.storage import Store, open_store
from models.digest import SweepResult

GRACE = timedelta(days=7)  # far beyond any update or projection still in flight


def sweep(engine: Engine, store: Store, older_than: timedelta = GRACE) -> list[str]:
    return store.sweep(lambda sha256: file_refs.referenced(engine, sha256), older_than)


@activity.defn(name="sweep_files")
async def sweep_files() -> SweepResult:
    settings = get_settings()
    removed = await asyncio.to_thread(sweep, get_engine(settings.sqlalchemy_url), open_store(settings))
    get_logger(component="files").info("files_swept", count=len(removed))
    return SweepResult(removed=len(removed))
