"""The review queue: evidence, follow-up reports and extension requests waiting for staff, oldest first, each with
its decision form inline (posting to the conclusion's routes, then coming back here).

An officer of any active conclusion sees by default only the conclusions they are in charge of ("mine");
`?mine=0` shows everything waiting, `?mine=1` asks for one's own.

Evidence is grouped per conclusion and unit: staff tick several items (or «Chọn tất cả của đơn vị») and decide on
them at once, one update; the page they come back to lists what each one became."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dondoc.web import queries
from dondoc.web.clock import clock
from dondoc.web.context import AppContext
from dondoc.web.pages.common import Ctx, FormState, Staff, late_days, show, unit_names
from dondoc.web.security import Principal
from models.tables import ActionRow, ConclusionRow, EvidenceRow

router = APIRouter()


SESSION_REVIEWED = "reviewed"  # the evidence of the last decision on several, for the page after the redirect
MAX_REMEMBERED = 200


@dataclass
class EvidenceGroup:
    """The evidence of one unit in one conclusion waiting for review, oldest first: one batch form."""

    conclusion: ConclusionRow
    unit: str
    items: list[tuple[EvidenceRow, ActionRow]]

    @property
    def key(self) -> str:
        return f"{self.conclusion.workflow_id}--evbatch--{self.unit}"


@dataclass
class Reviewed:
    """One evidence of the last decision on several, as it stands now."""

    evidence: EvidenceRow
    action: ActionRow


@dataclass
class ReviewView:
    queue: queries.ReviewQueue
    units: dict[tuple[str, str], str]
    late: dict[tuple[str, str], int | None]  # (workflow id, action id) → days overdue
    mine: bool = False  # only the conclusions the signed-in account is an officer of
    officer: bool = False  # the account is an officer of some active conclusion
    total: int = 0  # everything waiting, whoever is in charge
    reviewed: list[Reviewed] = field(default_factory=list)

    @property
    def evidence_groups(self) -> list[EvidenceGroup]:
        groups: dict[tuple[str, str], EvidenceGroup] = {}
        for ev, conclusion, action in self.queue.evidence:
            group = groups.setdefault((conclusion.workflow_id, action.unit), EvidenceGroup(conclusion, action.unit, []))
            group.items.append((ev, action))
        return list(groups.values())


def remember_reviewed(request: Request, workflow_id: str, evidence_ids: list[str]) -> None:
    """The evidence one decision covered, for the review page to list after the redirect (ids only: a cookie)."""
    request.session[SESSION_REVIEWED] = [workflow_id, evidence_ids[:MAX_REMEMBERED]]


def _reviewed(engine: Engine, remembered: object) -> list[Reviewed]:
    if not (isinstance(remembered, list) and len(remembered) == 2 and isinstance(remembered[1], list)):
        return []
    workflow_id, ids = str(remembered[0]), [str(i) for i in remembered[1]]
    with Session(engine) as session:
        rows = session.exec(
            select(EvidenceRow, ActionRow)
            .join(
                ActionRow,
                (col(ActionRow.workflow_id) == col(EvidenceRow.workflow_id))
                & (col(ActionRow.action_id) == col(EvidenceRow.action_id)),
            )
            .where(col(EvidenceRow.workflow_id) == workflow_id, col(EvidenceRow.evidence_id).in_(ids))
        ).all()
    found = {ev.evidence_id: Reviewed(ev, action) for ev, action in rows}
    return [found[i] for i in ids if i in found]


def officer_of(engine: Engine, email: str) -> set[str]:
    """The active conclusions `email` is an officer of."""
    with Session(engine) as session:
        rows = session.exec(select(ConclusionRow).where(ConclusionRow.status == "active")).all()
    return {c.workflow_id for c in rows if email in c.officers}


def only(queue: queries.ReviewQueue, workflow_ids: set[str]) -> queries.ReviewQueue:
    return queries.ReviewQueue(
        evidence=[item for item in queue.evidence if item[1].workflow_id in workflow_ids],
        reports=[item for item in queue.reports if item[1].workflow_id in workflow_ids],
        extension_requests=[item for item in queue.extension_requests if item[1].workflow_id in workflow_ids],
    )


def review_view(engine: Engine, email: str | None = None, mine: bool | None = None) -> ReviewView:
    """The queue for `email`: theirs by default when they are an officer (or when `mine`), else all of it."""
    queue = queries.review_queue(engine)
    total = queue.size
    own = officer_of(engine, email) if email else set()
    filtered = bool(own) if mine is None else mine
    if filtered:
        queue = only(queue, own)
    ids = {c.workflow_id for _, c, _ in queue.evidence} | {c.workflow_id for _, c, _ in queue.extension_requests}
    now = clock()
    late = {
        (a.workflow_id, a.action_id): late_days(a.due, True, a.overdue, now)
        for _, _, a in [*queue.evidence, *queue.extension_requests]
    }
    return ReviewView(queue, unit_names(engine, ids), late, filtered, bool(own), total)


def _page(
    request: Request,
    engine: Engine,
    who: Principal,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
    mine: bool | None = None,
) -> Response:
    extra = {"flash": message, "flash_kind": "error"} if message else {}
    view = review_view(engine, who.email, mine)
    view.reviewed = _reviewed(engine, request.session.pop(SESSION_REVIEWED, None))
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
def review(
    request: Request, ctx: Ctx, who: Staff, mine: Annotated[bool | None, Query(description="only mine")] = None
) -> Response:
    return _page(request, ctx.engine, who, mine=mine)
