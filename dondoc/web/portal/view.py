"""What the portal shows a unit: its conclusions, items, deadlines, letters received and what it sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dondoc.web import queries
from dondoc.web.context import AppContext
from dondoc.web.pages.common import day_text, ref_order
from dondoc.web.portal.access import ACCEPT, MAX_FILES, TYPES, UNRESOLVED
from dondoc.web.rendering import PRIVATE, page
from dondoc.web.security import Principal
from models.labels import VN
from models.planning import report_target
from models.policy import Step
from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.web_tables import PortalLink

router = APIRouter()

MAX_TICKS = 15  # an action's form lists the unit's other open actions up to this many; beyond, only the form for
# several items at the top of the conclusion does (a page stays linear in the number of actions)

# ---------------------------------------------------------------- what the portal shows


@dataclass
class SentStep:
    step: str
    at: datetime | None


@dataclass
class ActionView:
    row: ActionRow
    key: str
    late_days: int | None
    steps: list[SentStep]
    evidence: list[EvidenceRow]
    requests: list[ExtensionRequestRow]
    may_upload: bool
    may_request: bool
    min_day: str  # the earliest day an extension may ask for (ISO, for the date input)
    also: list[ActionRow] = field(default_factory=list)  # the unit's other open actions the same files may prove
    together: dict[str, list[ActionRow]] = field(default_factory=dict)  # evidence id → the others sent with it


@dataclass
class ReportView:
    unit: UnitRow
    key: str
    late_days: int | None
    steps: list[SentStep]
    reports: list[ReportRow]
    may_submit: bool


@dataclass
class ConclusionView:
    conclusion: ConclusionRow
    active: bool
    actions: list[ActionView]
    report: ReportView

    @property
    def open_actions(self) -> list[ActionRow]:
        """What one document may be evidence for, on the conclusion's form for several items."""
        return [item.row for item in self.actions if item.may_upload]


@dataclass
class PortalView:
    unit_code: str
    unit_name: str
    conclusions: list[ConclusionView]
    link_expires: datetime | None = None


@dataclass
class FormState:
    """A submitted form to show again: which one, the errors beside its fields, the values typed."""

    key: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)  # the actions ticked on an evidence form
    conflicts: set[str] = field(default_factory=set)  # fields whose error is the conclusion's state, not the typing

    @property
    def code(self) -> int:
        """409 when only the state of the conclusion refuses, 422 when something typed is wrong."""
        only_state = set(self.errors) <= {"form", *self.conflicts}
        return status.HTTP_409_CONFLICT if only_state else status.HTTP_422_UNPROCESSABLE_CONTENT


def _late_days(due: datetime | None, unresolved: bool, flagged: bool, now: datetime) -> int | None:
    """Days past due, counted like the overdue list (a part of a day is a day); None when not late."""
    if not unresolved or due is None:
        return None
    if due < now:
        return max((now - due).days, 0) + 1
    return 1 if flagged else None


def _sent_steps(session: Session, workflow_id: str, unit: str, targets: Iterable[str]) -> dict[str, list[SentStep]]:
    """The letters that went out so far, per item they listed (a letter lists every item of the unit that reached
    its step): from the outbox, one entry per letter however many copies it had."""
    wanted = set(targets)
    rows = session.exec(
        select(NotificationRow)
        .where(NotificationRow.workflow_id == workflow_id, NotificationRow.unit == unit)
        .where(NotificationRow.status == "sent")
        .order_by(col(NotificationRow.sent_at), col(NotificationRow.created_at))
    ).all()
    seen: set[str] = set()
    steps: dict[str, list[SentStep]] = {}
    for row in rows:
        letter = row.letter_key or row.key
        if letter in seen or row.step not in Step.__members__:
            continue
        seen.add(letter)
        for item in row.items:
            if item in wanted:
                steps.setdefault(item, []).append(SentStep(row.step, row.sent_at or row.created_at))
    return steps


def _link_siblings(actions: list[ActionView], evidence: list[EvidenceRow]) -> None:
    """What each evidence form may tick (the unit's other open actions, when few), and which evidence went in one submission
    with others (the same sender, moment and files: one dispatch for several items)."""
    uploadable = [view.row for view in actions if view.may_upload]
    for view in actions:
        if view.may_upload and len(uploadable) - 1 <= MAX_TICKS:
            view.also = [row for row in uploadable if row.action_id != view.row.action_id]
    by_action = {view.row.action_id: view for view in actions}
    for batch in submitted_together(evidence):
        for ev in batch:
            owner = by_action.get(ev.action_id)
            if owner is not None:
                owner.together[ev.evidence_id] = [
                    by_action[o.action_id].row for o in batch if o is not ev and o.action_id in by_action
                ]


def submitted_together(evidence: Iterable[EvidenceRow]) -> list[list[EvidenceRow]]:
    """The evidence sent in one submission for several actions (the same sender, moment and files), each batch in
    the order it was recorded; evidence sent alone is left out."""
    batches: dict[tuple[object, ...], list[EvidenceRow]] = {}
    for ev in evidence:
        hashes = tuple(str(f.get("sha256", "")) for f in ev.files)
        batches.setdefault((ev.workflow_id, ev.submitted_by, ev.submitted_at, hashes), []).append(ev)
    return [batch for batch in batches.values() if len(batch) > 1]


def portal_view(engine: Engine, who: Principal, now: datetime | None = None) -> PortalView:
    """The unit's actions grouped by conclusion (a link visitor: only the link's conclusion)."""
    assert who.unit is not None
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        visible = queries.visible_workflow_ids(session, who) or set()
        link_expires = None
        if who.via == "link":
            link = session.get(PortalLink, who.email.removeprefix("link:"))
            link_expires = link.expires_at if link is not None else None
    views: list[ConclusionView] = []
    unit_name = who.unit
    acting = not who.view_only
    for workflow_id in sorted(visible):
        detail = queries.conclusion_detail(engine, who, workflow_id)
        unit = next((u for u in detail.units if u.code == who.unit), None) if detail else None
        if detail is None or unit is None:
            continue
        unit_name = unit.name
        active = detail.conclusion.status == "active"
        # the workflow's clock, when its last projection is ahead of ours (a skewed or simulated clock)
        as_of = max(now, detail.conclusion.as_of or now)
        target = report_target(unit.code)
        with Session(engine) as session:
            steps = _sent_steps(session, workflow_id, unit.code, [*(a.action_id for a in detail.actions), target])
        actions = []
        for action in sorted(detail.actions, key=lambda a: ref_order(a.ref)):
            requests = detail.requests_of(action.action_id)
            unresolved = active and action.status in UNRESOLVED
            actions.append(
                ActionView(
                    row=action,
                    key=f"{workflow_id}--{action.action_id}",
                    late_days=_late_days(action.due, unresolved, action.overdue, as_of),
                    steps=steps.get(action.action_id, []),
                    evidence=detail.evidence_of(action.action_id),
                    requests=requests,
                    may_upload=acting and active and action.status == "open",
                    may_request=acting and unresolved and not any(r.status == "requested" for r in requests),
                    min_day=(action.due.astimezone(VN).date() + timedelta(days=1)).isoformat() if action.due else "",
                )
            )
        awaited = active and unit.report_status in ("awaited", "returned")
        report = ReportView(
            unit=unit,
            key=f"{workflow_id}--report",
            late_days=_late_days(unit.report_due, awaited, False, as_of),
            steps=steps.get(target, []),
            reports=detail.reports_of(unit.code),
            may_submit=acting and awaited,
        )
        _link_siblings(actions, detail.evidence)
        views.append(ConclusionView(detail.conclusion, active, actions, report))
    views.sort(key=lambda v: (not v.active, -v.conclusion.issued_on.toordinal(), v.conclusion.number))
    return PortalView(who.unit, unit_name, views, link_expires)


def _max_label(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{max_bytes // 1024} KB"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


async def render_portal(
    request: Request,
    ctx: AppContext,
    who: Principal,
    status_code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    flash: str | None = None,
    flash_kind: str = "ok",
) -> Response:
    view = await run_in_threadpool(portal_view, ctx.engine, who)
    response = page(
        request,
        "portal.html",
        who,
        status_code=status_code,
        view=view,
        form=form or FormState(),
        flash=flash,
        flash_kind=flash_kind,
        accept=ACCEPT,
        types=TYPES,
        max_label=_max_label(ctx.files.max_bytes),
        max_files=MAX_FILES,
        human_size=human_size,
        day_text=day_text,
    )
    response.headers.update(PRIVATE)
    return response
