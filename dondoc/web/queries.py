"""Read-model queries for the API and the pages, each limited to what the asking principal may see."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dondoc.refs import ref_order
from dondoc.web.security import Principal
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.web_tables import Role

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def visible_workflow_ids(session: Session, who: Principal) -> set[str] | None:
    """The conclusions `who` may see; None means all of them."""
    if who.is_staff:
        return None
    if who.via == "link":
        return {who.workflow_id} if who.workflow_id else set()
    if who.role == Role.agency:
        rows = session.exec(select(UnitRow.workflow_id).where(UnitRow.code == who.unit)).all()
        return set(rows)
    by_unit = session.exec(
        select(UnitRow.workflow_id).where(or_(col(UnitRow.supervisor) == who.email, col(UnitRow.head) == who.email))
    ).all()
    by_conclusion = session.exec(
        select(ConclusionRow.workflow_id).where(
            or_(col(ConclusionRow.agency_head) == who.email, col(ConclusionRow.inspectorate_head) == who.email)
        )
    ).all()
    return set(by_unit) | set(by_conclusion)


def unit_filter(who: Principal) -> str | None:
    """Agency users and link visitors see only their own unit's rows."""
    return who.unit if who.role == Role.agency else None


def list_conclusions(
    engine: Engine,
    who: Principal,
    status: str | None = None,
    unit: str | None = None,
    overdue: bool | None = None,
    text: str | None = None,
) -> list[ConclusionRow]:
    with Session(engine) as session:
        query = select(ConclusionRow).order_by(col(ConclusionRow.issued_on).desc(), col(ConclusionRow.number))
        visible = visible_workflow_ids(session, who)
        if visible is not None:
            query = query.where(col(ConclusionRow.workflow_id).in_(visible))
        if status:
            query = query.where(ConclusionRow.status == status)
        if overdue is True:
            query = query.where(ConclusionRow.overdue_actions > 0)
        elif overdue is False:
            query = query.where(ConclusionRow.overdue_actions == 0)
        if unit:
            with_unit = select(UnitRow.workflow_id).where(UnitRow.code == unit)
            query = query.where(col(ConclusionRow.workflow_id).in_(with_unit))
        if text:
            like = f"%{text.strip()}%"
            query = query.where(
                or_(
                    col(ConclusionRow.number).ilike(like),
                    col(ConclusionRow.title).ilike(like),
                    col(ConclusionRow.issuer).ilike(like),
                )
            )
        return list(session.exec(query).all())


@dataclass
class ConclusionDetail:
    conclusion: ConclusionRow
    units: list[UnitRow]
    actions: list[ActionRow]
    evidence: list[EvidenceRow]
    reports: list[ReportRow]
    extension_requests: list[ExtensionRequestRow]
    notifications: list[NotificationRow]

    def actions_of(self, unit: str) -> list[ActionRow]:
        return [a for a in self.actions if a.unit == unit]

    def evidence_of(self, action_id: str) -> list[EvidenceRow]:
        return [e for e in self.evidence if e.action_id == action_id]

    def reports_of(self, unit: str) -> list[ReportRow]:
        return [r for r in self.reports if r.unit == unit]

    def requests_of(self, action_id: str) -> list[ExtensionRequestRow]:
        return [r for r in self.extension_requests if r.action_id == action_id]

    def notifications_of(self, unit: str) -> list[NotificationRow]:
        return [n for n in self.notifications if n.unit == unit]


def may_see(engine: Engine, who: Principal, workflow_id: str) -> bool:
    with Session(engine) as session:
        visible = visible_workflow_ids(session, who)
        exists = session.get(ConclusionRow, workflow_id) is not None
    return exists and (visible is None or workflow_id in visible)


def conclusion_detail(engine: Engine, who: Principal, workflow_id: str) -> ConclusionDetail | None:
    if not may_see(engine, who, workflow_id):
        return None
    own = unit_filter(who)
    with Session(engine) as session:
        conclusion = session.get(ConclusionRow, workflow_id)
        assert conclusion is not None

        def rows(table: Any, unit_column: str | None) -> list[Any]:
            """Rows of `table` for this conclusion; for agency principals only their unit's (by `unit_column`)."""
            query = select(table).where(table.workflow_id == workflow_id)
            if own is not None and unit_column is not None:
                query = query.where(getattr(table, unit_column) == own)
            return list(session.exec(query).all())

        units = rows(UnitRow, "code")
        actions = sorted(rows(ActionRow, "unit"), key=lambda a: (a.unit, a.due, a.action_id))
        action_ids = {a.action_id for a in actions}
        evidence = [e for e in rows(EvidenceRow, None) if e.action_id in action_ids]
        requests = [r for r in rows(ExtensionRequestRow, None) if r.action_id in action_ids]
        return ConclusionDetail(
            conclusion=conclusion,
            units=units,
            actions=actions,
            evidence=sorted(evidence, key=lambda e: e.submitted_at or _EPOCH),
            reports=sorted(rows(ReportRow, "unit"), key=lambda r: r.submitted_at or _EPOCH),
            extension_requests=sorted(requests, key=lambda r: r.requested_at or _EPOCH),
            notifications=sorted(rows(NotificationRow, "unit"), key=lambda n: n.created_at or _EPOCH),
        )


def timeline(engine: Engine, who: Principal, workflow_id: str) -> list[AuditEventRow]:
    detail = conclusion_detail(engine, who, workflow_id)
    if detail is None:
        return []
    with Session(engine) as session:
        events = list(
            session.exec(
                select(AuditEventRow).where(AuditEventRow.workflow_id == workflow_id).order_by(col(AuditEventRow.seq))
            ).all()
        )
    own = unit_filter(who)
    if own is None:
        return events
    mine = {a.action_id for a in detail.actions} | {f"report.{own}"}
    return [e for e in events if e.target in mine]


@dataclass(frozen=True)
class OverdueItem:
    conclusion: ConclusionRow
    action: ActionRow
    unit_name: str
    days: int


def overdue(engine: Engine, who: Principal, now: datetime) -> list[OverdueItem]:
    """Open actions past their due time, oldest first, across the conclusions `who` may see."""
    with Session(engine) as session:
        visible = visible_workflow_ids(session, who)
        query = (
            select(ActionRow, ConclusionRow, UnitRow)
            .join(ConclusionRow, col(ConclusionRow.workflow_id) == col(ActionRow.workflow_id))
            .join(
                UnitRow,
                (col(UnitRow.workflow_id) == col(ActionRow.workflow_id)) & (col(UnitRow.code) == col(ActionRow.unit)),
            )
            .where(col(ActionRow.status).in_(["open", "evidence_submitted"]), ConclusionRow.status == "active")
            .where(col(ActionRow.due) < now)
            .order_by(col(ActionRow.due))
        )
        if visible is not None:
            query = query.where(col(ActionRow.workflow_id).in_(visible))
        own = unit_filter(who)
        if own is not None:
            query = query.where(ActionRow.unit == own)
        items = []
        for action, conclusion, unit in session.exec(query).all():
            assert action.due is not None
            items.append(OverdueItem(conclusion, action, unit.name, max((now - action.due).days, 0) + 1))
        return items


@dataclass(frozen=True)
class LateItem:
    """An action or a unit's follow-up report past its due date, and whom it waits for: the unit (nothing sent, or
    sent back) or the inspectorate (sent, awaiting review)."""

    conclusion: ConclusionRow
    unit: UnitRow
    action: ActionRow | None  # None: the unit's follow-up report
    due: datetime
    days: int
    waits_for_review: bool

    @property
    def key(self) -> str:
        return f"action-{self.action.action_id}" if self.action else f"unit-{self.unit.code}"


def late_items(
    engine: Engine,
    who: Principal,
    now: datetime,
    workflow_id: str | None = None,
    unit: str | None = None,
    issuer: str | None = None,
) -> list[LateItem]:
    """Unresolved actions and awaited reports past their due time on active conclusions `who` may see, most days
    overdue first; `unit` is a unit's name (one name across conclusions), `issuer` as the conclusions write it."""
    with Session(engine) as session:
        visible = visible_workflow_ids(session, who)
        conclusions = select(ConclusionRow).where(ConclusionRow.status == "active")
        if visible is not None:
            conclusions = conclusions.where(col(ConclusionRow.workflow_id).in_(visible))
        if workflow_id:
            conclusions = conclusions.where(ConclusionRow.workflow_id == workflow_id)
        if issuer:
            conclusions = conclusions.where(ConclusionRow.issuer == issuer)
        by_id = {c.workflow_id: c for c in session.exec(conclusions)}
        if not by_id:
            return []
        units_query = select(UnitRow).where(col(UnitRow.workflow_id).in_(by_id))
        own = unit_filter(who)
        if own is not None:
            units_query = units_query.where(UnitRow.code == own)
        if unit:
            units_query = units_query.where(UnitRow.name == unit)
        units = {(u.workflow_id, u.code): u for u in session.exec(units_query)}
        actions = session.exec(
            select(ActionRow)
            .where(col(ActionRow.workflow_id).in_(by_id), col(ActionRow.status).in_(["open", "evidence_submitted"]))
            .where(col(ActionRow.due) < now)
        ).all()
    items: list[LateItem] = []
    for action in actions:
        found = units.get((action.workflow_id, action.unit))
        if found is None or action.due is None:
            continue
        days = max((now - action.due).days, 0) + 1
        waiting = action.status == "evidence_submitted"
        items.append(LateItem(by_id[action.workflow_id], found, action, action.due, days, waiting))
    for found in units.values():
        due = found.report_due
        if found.report_status in ("accepted",) or due is None or due >= now:
            continue
        waiting = found.report_status == "submitted"
        items.append(LateItem(by_id[found.workflow_id], found, None, due, max((now - due).days, 0) + 1, waiting))
    items.sort(key=lambda i: (-i.days, i.conclusion.number, i.unit.name, ref_order(i.action.ref if i.action else None)))
    return items


def ordered_units(units: list[UnitRow], actions: list[ActionRow]) -> list[UnitRow]:
    """Units in the conclusion's order: by the first item each is given as the conclusion numbers them; units
    without numbered items after, by name."""
    first: dict[str, tuple[bool, list[tuple[int, int, str]]]] = {}
    for action in actions:
        order = ref_order(action.ref)
        if action.unit not in first or order < first[action.unit]:
            first[action.unit] = order
    return sorted(units, key=lambda u: (first.get(u.code, (True, [])), u.name))


def notifications_page(
    engine: Engine, who: Principal, status: str | None, workflow_id: str | None, page: int, per_page: int
) -> tuple[list[NotificationRow], int, Counter[str]]:
    """One page of the outbox, newest first, with the number of rows matching and the count per status."""
    with Session(engine) as session:
        query = select(NotificationRow)
        visible = visible_workflow_ids(session, who)
        if visible is not None:
            query = query.where(col(NotificationRow.workflow_id).in_(visible))
        own = unit_filter(who)
        if own is not None:
            query = query.where(NotificationRow.unit == own)
        if workflow_id:
            query = query.where(NotificationRow.workflow_id == workflow_id)
        matching = query.subquery()
        counted = select(matching.c.status, func.count()).group_by(matching.c.status)
        counts: Counter[str] = Counter({str(status_): int(n) for status_, n in session.exec(counted)})
        if status:
            query = query.where(NotificationRow.status == status)
        total = counts.get(status, 0) if status else sum(counts.values())
        rows = session.exec(
            query.order_by(col(NotificationRow.created_at).desc(), col(NotificationRow.key))
            .offset(max(page - 1, 0) * per_page)
            .limit(per_page)
        ).all()
        return list(rows), total, counts


def notifications(
    engine: Engine, who: Principal, status: str | None = None, workflow_id: str | None = None, limit: int = 500
) -> list[NotificationRow]:
    with Session(engine) as session:
        query = select(NotificationRow).order_by(col(NotificationRow.created_at).desc()).limit(limit)
        visible = visible_workflow_ids(session, who)
        if visible is not None:
            query = query.where(col(NotificationRow.workflow_id).in_(visible))
        own = unit_filter(who)
        if own is not None:
            query = query.where(NotificationRow.unit == own)
        if status:
            query = query.where(NotificationRow.status == status)
        if workflow_id:
            query = query.where(NotificationRow.workflow_id == workflow_id)
        return list(session.exec(query).all())


@dataclass
class ReviewQueue:
    evidence: list[tuple[EvidenceRow, ConclusionRow, ActionRow]] = field(default_factory=list)
    reports: list[tuple[ReportRow, ConclusionRow, UnitRow]] = field(default_factory=list)
    extension_requests: list[tuple[ExtensionRequestRow, ConclusionRow, ActionRow]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.evidence) + len(self.reports) + len(self.extension_requests)


def review_queue(engine: Engine) -> ReviewQueue:
    """What waits for staff, oldest first."""
    queue = ReviewQueue()
    with Session(engine) as session:
        active = ConclusionRow.status == "active"
        for ev, conclusion, action in session.exec(
            select(EvidenceRow, ConclusionRow, ActionRow)
            .join(ConclusionRow, col(ConclusionRow.workflow_id) == col(EvidenceRow.workflow_id))
            .join(
                ActionRow,
                (col(ActionRow.workflow_id) == col(EvidenceRow.workflow_id))
                & (col(ActionRow.action_id) == col(EvidenceRow.action_id)),
            )
            .where(EvidenceRow.status == "submitted", active)
            .order_by(col(EvidenceRow.submitted_at))
        ).all():
            queue.evidence.append((ev, conclusion, action))
        for report, conclusion, unit in session.exec(
            select(ReportRow, ConclusionRow, UnitRow)
            .join(ConclusionRow, col(ConclusionRow.workflow_id) == col(ReportRow.workflow_id))
            .join(
                UnitRow,
                (col(UnitRow.workflow_id) == col(ReportRow.workflow_id)) & (col(UnitRow.code) == col(ReportRow.unit)),
            )
            .where(ReportRow.status == "submitted", active)
            .order_by(col(ReportRow.submitted_at))
        ).all():
            queue.reports.append((report, conclusion, unit))
        for request, conclusion, action in session.exec(
            select(ExtensionRequestRow, ConclusionRow, ActionRow)
            .join(ConclusionRow, col(ConclusionRow.workflow_id) == col(ExtensionRequestRow.workflow_id))
            .join(
                ActionRow,
                (col(ActionRow.workflow_id) == col(ExtensionRequestRow.workflow_id))
                & (col(ActionRow.action_id) == col(ExtensionRequestRow.action_id)),
            )
            .where(ExtensionRequestRow.status == "requested", active)
            .order_by(col(ExtensionRequestRow.requested_at))
        ).all():
            queue.extension_requests.append((request, conclusion, action))
    return queue


RECENT_EVENTS = 300  # read for the dashboard's recent activity, where the system's own events are grouped


@dataclass
class Dashboard:
    by_status: Counter[str]
    overdue_by_unit: list[tuple[str, int]]
    upcoming: list[tuple[ConclusionRow, ActionRow]]
    recent: list[AuditEventRow]


def dashboard(engine: Engine, who: Principal, now: datetime, days: int = 14) -> Dashboard:
    conclusions = list_conclusions(engine, who)
    ids = [c.workflow_id for c in conclusions]
    by_id = {c.workflow_id: c for c in conclusions}
    late = late_items(engine, who, now)  # the unit's own delays: not what waits for the inspectorate's review
    per_unit = Counter(item.unit.name for item in late if item.action is not None and not item.waits_for_review)
    with Session(engine) as session:
        upcoming_rows = session.exec(
            select(ActionRow)
            .where(col(ActionRow.workflow_id).in_(ids), col(ActionRow.status).in_(["open", "evidence_submitted"]))
            .where(col(ActionRow.due) >= now, col(ActionRow.due) <= now + timedelta(days=days))
            .order_by(col(ActionRow.due))
        ).all()
        recent = session.exec(
            select(AuditEventRow)
            .where(col(AuditEventRow.workflow_id).in_(ids))
            .order_by(col(AuditEventRow.at).desc(), col(AuditEventRow.seq).desc())
            .limit(RECENT_EVENTS)
        ).all()
    own = unit_filter(who)
    upcoming = [(by_id[a.workflow_id], a) for a in upcoming_rows if own is None or a.unit == own]
    return Dashboard(
        by_status=Counter(c.status for c in conclusions),
        overdue_by_unit=per_unit.most_common(),
        upcoming=upcoming,
        recent=list(recent) if own is None else [],
    )


def evidence_row(engine: Engine, who: Principal, workflow_id: str, evidence_id: str) -> EvidenceRow | None:
    detail = conclusion_detail(engine, who, workflow_id)
    if detail is None:
        return None
    return next((e for e in detail.evidence if e.evidence_id == evidence_id), None)
