"""The orphan-file sweep: stored content that no recorded evidence or report uses, once untouched for a week, is
removed. Each file is looked up in the read model's index of referenced files (the projection writes it)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio import activity

from activities.database import get_engine
from dondoc.logs import get_logger
from dondoc.settings import get_settings
from dondoc.storage import Store, open_store
from models.digest import SweepResult
from models.tables import FileRefRow

GRACE = timedelta(days=7)  # far beyond any update or projection still in flight


def sweep(engine: Engine, store: Store, older_than: timedelta = GRACE) -> list[str]:
    with Session(engine) as session:

        def referenced(sha256: str) -> bool:
            return (
                session.exec(select(FileRefRow.sha256).where(FileRefRow.sha256 == sha256).limit(1)).first() is not None
            )

        return store.sweep(referenced, older_than)


@activity.defn(name="sweep_files")
async def sweep_files() -> SweepResult:
    settings = get_settings()
    removed = await asyncio.to_thread(sweep, get_engine(settings.sqlalchemy_url), open_store(settings))
    get_logger(component="files").info("files_swept", count=len(removed))
    return SweepResult(removed=len(removed))
