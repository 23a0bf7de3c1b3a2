"""Starting a conclusion's follow-up from the pages, however it was prepared (a draft typed in the form or imported
from its document, or a spec file): always after one confirmation page that shows what starting does at once — the
letters that go out now, per recipient, and every deadline — or why it cannot start, and only when the person
confirms. The API starts directly (docs/api.md)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from dondoc import officers
from dondoc.settings import Settings
from dondoc.web.context import AppContext
from dondoc.web.pages.common import redirect, show
from dondoc.web.pages.preview import StartPreview, preview_start
from dondoc.web.rendering import flash
from dondoc.web.security import Principal
from models.spec import ConclusionSpec
from models.tables import ConclusionRow


@dataclass
class Confirmation:
    """The page before a start. `hidden` are the fields the confirmation posts back to `action`, naming exactly what
    was shown (a draft's version, a spec file's signed content)."""

    number: str
    action: str
    hidden: dict[str, str]
    back_url: str
    back_label: str
    kept: str  # what becomes of what it was prepared from, once started
    source: str = ""  # the file it was prepared from, if one
    spec: ConclusionSpec | None = None
    problems: list[str] = field(default_factory=list)  # fields still wrong (a draft)
    blockers: list[str] = field(default_factory=list)  # why it cannot start as it is
    start: StartPreview | None = None

    @property
    def ready(self) -> bool:
        return self.spec is not None and self.start is not None and not self.problems and not self.blockers


def blockers(engine: Engine, spec: ConclusionSpec, registrar: str) -> list[str]:
    """Why `spec` cannot start now, beyond its own fields: followed up already, or officers who are no staff."""
    found = []
    if _exists(engine, spec.workflow_id):
        found.append(
            f"Kết luận {spec.number} ngày {spec.issued_on:%d/%m/%Y} đã được đăng ký theo dõi (mã {spec.workflow_id}); "
            "không bắt đầu lần hai."
        )
    try:
        officers.assign(engine, spec, registrar)
    except officers.OfficerError as error:
        found.append(str(error).removeprefix("officers: "))
    return found


def assess(
    engine: Engine, settings: Settings, page: Confirmation, spec: ConclusionSpec | None, registrar: str
) -> Confirmation:
    """`page` completed: the spec's blockers added to those already found, and, when nothing blocks it, what
    starting does at once (computed with the workflow's own rules; nothing is started)."""
    page.spec = spec
    if spec is not None:
        page.blockers += blockers(engine, spec, registrar)
        if not page.blockers and not page.problems:
            page.start = preview_start(engine, settings, spec, registrar)
    return page


def confirmation_page(request: Request, who: Principal, page: Confirmation) -> Response:
    code = status.HTTP_200_OK if page.ready else status.HTTP_422_UNPROCESSABLE_CONTENT
    deadlines = page.start.deadlines if page.start else None
    return show(
        request, "pages/start_confirm.html", who, status_code=code, page=page, start=page.start, preview=deadlines
    )


async def start_follow_up(ctx: AppContext, spec: ConclusionSpec, who: Principal) -> str:
    """Start the confirmed spec's follow-up (its officers checked again); its workflow id. Raises AlreadyStarted or
    OfficerError when that changed since the confirmation page."""
    spec = await run_in_threadpool(officers.assign, ctx.engine, spec, who.email)
    return await ctx.gateway.start(spec, who.email)


async def projected(ctx: AppContext, workflow_id: str, seconds: float = 10.0) -> bool:
    """Wait until the new conclusion's first projection is readable (starting returns before it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await run_in_threadpool(_exists, ctx.engine, workflow_id):
            return True
        await asyncio.sleep(0.1)
    return False


def _exists(engine: Engine, workflow_id: str) -> bool:
    with Session(engine) as session:
        return session.get(ConclusionRow, workflow_id) is not None


async def started(ctx: AppContext, request: Request, spec: ConclusionSpec, workflow_id: str) -> Response:
    """The new conclusion's page, once it can show it, with the news."""
    if await projected(ctx, workflow_id):
        flash(request, f"Đã đăng ký và bắt đầu theo dõi kết luận {spec.number}.")
    else:
        flash(request, f"Đã bắt đầu theo dõi kết luận {spec.number}; trang sẽ đầy đủ sau giây lát.")
    return redirect(f"/conclusions/{workflow_id}")
