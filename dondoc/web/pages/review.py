"""The review queue: evidence, follow-up reports and extension requests waiting for staff, oldest first, each with
its decision form inline (posting to the conclusion's routes, then coming back here)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from dondoc.web import queries
from dondoc.web.clock import clock
from dondoc.web.context import AppContext
from dondoc.web.pages.common import Ctx, FormState, Staff, late_days, show, unit_names
from dondoc.web.security import Principal

router = APIRouter()


@dataclass
class ReviewView:
    queue: queries.ReviewQueue
    units: dict[tuple[str, str], str]
    late: dict[tuple[str, str], int | None]  # (workflow id, action id) → days overdue


def review_view(engine: Engine) -> ReviewView:
    queue = queries.review_queue(engine)
    ids = {c.workflow_id for _, c, _ in queue.evidence} | {c.workflow_id for _, c, _ in queue.extension_requests}
    now = clock()
    late = {
        (a.workflow_id, a.action_id): late_days(a.due, True, a.overdue, now)
        for _, _, a in [*queue.evidence, *queue.extension_requests]
    }
    return ReviewView(queue, unit_names(engine, ids), late)


def _page(
    request: Request,
    engine: Engine,
    who: Principal,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
) -> Response:
    extra = {"flash": message, "flash_kind": "error"} if message else {}
    view = review_view(engine)
    return show(request, "pages/review.html", who, status_code=code, view=view, form=form or FormState(), **extra)


async def render_review(
    request: Request,
    ctx: AppContext,
    who: Principal,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
) -> Response:
    return await run_in_threadpool(_page, request, ctx.engine, who, code, form, message)


@router.get("/review", include_in_schema=False)
def review(request: Request, ctx: Ctx, who: Staff) -> Response:
    return _page(request, ctx.engine, who)
