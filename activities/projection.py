"""Projection of a conclusion's whole state into the SQL read model, guarded by its version."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities.database import get_engine
from dondoc.logs import get_logger
from dondoc.settings import get_settings
from models.state import ConclusionState
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    ReportRow,
    UnitRow,
)
from models.workflow_io import ProjectionInput
from workflows.rules.ladder import next_deadline, overdue_actions

_CHILDREN: tuple[type[UnitRow | ActionRow | EvidenceRow | ReportRow | ExtensionRequestRow], ...] = (
    UnitRow,
    ActionRow,
    EvidenceRow,
    ReportRow,
    ExtensionRequestRow,
)


def project(engine: Engine, state: ConclusionState, now: datetime) -> bool:
    """Write `state` unless the stored version is as new or newer. Returns whether it wrote."""
    overdue = {a.id for a in overdue_actions(state, now)}
    with Session(engine) as session:
        row = session.exec(
            select(ConclusionRow).where(ConclusionRow.workflow_id == state.workflow_id).with_for_update()
        ).first()
        if row is not None and _not_newer(row, state.version, now):
            return False
        fields: dict[str, Any] = {
            "number": state.number,
            "issued_on": state.issued_on,
            "received_on": state.received_on,
            "issuer": state.issuer,
            "title": state.title,
            "tracking_body": state.tracking_body,
            "inspectorate_head": state.inspectorate_head,
            "agency_head": state.agency_head,
            "status": state.status.value,
            "status_reason": state.status_reason,
            "closed_at": state.closed_at,
            "next_deadline": next_deadline(state, now),
            "unit_count": len(state.units),
            "action_count": len(state.actions),
            "open_actions": sum(1 for a in state.actions.values() if a.status in ("open", "evidence_submitted")),
            "overdue_actions": len(overdue),
            "version": state.version,
            "as_of": now,
            "projected_at": datetime.now(UTC),
        }
        if row is None:
            row = ConclusionRow(workflow_id=state.workflow_id, **fields)
        else:
            row.sqlmodel_update(fields)
        session.add(row)
        wid = state.workflow_id
        for table in _CHILDREN:
            session.exec(delete(table).where(col(table.workflow_id) == wid))
        for unit in state.units.values():
            session.add(
                UnitRow(
                    workflow_id=wid,
                    code=unit.code,
                    name=unit.name,
                    contacts=list(unit.contacts),
                    head=unit.head,
                    supervisor=unit.supervisor,
                    report_status=unit.report_status.value,
                    report_due=unit.due,
                    report_last_step=unit.last_step.value if unit.last_step else None,
                )
            )
        recovered: dict[str, int] = {}
        for ev in state.evidence:
            if ev.status == "accepted" and ev.recovered_vnd:
                recovered[ev.action_id] = recovered.get(ev.action_id, 0) + ev.recovered_vnd
            session.add(
                EvidenceRow(
                    workflow_id=wid,
                    evidence_id=ev.id,
                    action_id=ev.action_id,
                    files=[f.model_dump() for f in ev.files],
                    note=ev.note,
                    recovered_vnd=ev.recovered_vnd,
                    status=ev.status.value,
                    submitted_by=ev.submitted_by,
                    submitted_at=ev.submitted_at,
                    reviewed_by=ev.reviewed_by,
                    reviewed_at=ev.reviewed_at,
                    reason=ev.reason,
                )
            )
        for action in state.actions.values():
            session.add(
                ActionRow(
                    workflow_id=wid,
                    action_id=action.id,
                    unit=action.unit,
                    kind=action.kind.value,
                    text=action.text,
                    status=action.status.value,
                    status_reason=action.status_reason,
                    due=action.due,
                    original_due=action.original_due,
                    due_version=action.due_version,
                    last_step=action.last_step.value if action.last_step else None,
                    overdue=action.id in overdue,
                    amount_vnd=action.amount_vnd,
                    recovered_vnd=recovered.get(action.id, 0),
                    resolved_at=action.resolved_at,
                )
            )
        for rp in state.reports:
            session.add(
                ReportRow(
                    workflow_id=wid,
                    report_id=rp.id,
                    unit=rp.unit,
                    files=[f.model_dump() for f in rp.files],
                    note=rp.note,
                    status=rp.status.value,
                    submitted_by=rp.submitted_by,
                    submitted_at=rp.submitted_at,
                    reviewed_by=rp.reviewed_by,
                    reviewed_at=rp.reviewed_at,
                    reason=rp.reason,
                )
            )
        for rq in state.extension_requests:
            session.add(
                ExtensionRequestRow(
                    workflow_id=wid,
                    request_id=rq.id,
                    action_id=rq.action_id,
                    requested_due=rq.requested_due.isoformat(),
                    reason=rq.reason,
                    status=rq.status.value,
                    requested_by=rq.requested_by,
                    requested_at=rq.requested_at,
                    decided_by=rq.decided_by,
                    decided_at=rq.decided_at,
                    decision_reason=rq.decision_reason,
                    granted_due=rq.granted_due,
                )
            )
        known = set(session.exec(select(AuditEventRow.seq).where(AuditEventRow.workflow_id == wid)).all())
        for event in state.events:
            if event.seq not in known:
                session.add(
                    AuditEventRow(
                        workflow_id=wid,
                        seq=event.seq,
                        at=event.at,
                        actor=event.actor,
                        kind=event.kind,
                        target=event.target,
                        message=event.message,
                        data=event.data,
                    )
                )
        session.commit()
    return True


def _not_newer(row: ConclusionRow, version: int, now: datetime) -> bool:
    """A projection is stale when the stored one has a higher version, or the same version seen later.

    The same version is re-projected when only time passed, so overdue flags follow the clock.
    """
    if row.version != version:
        return row.version > version
    return row.as_of is not None and row.as_of >= now


@activity.defn(name="project_state")
async def project_state(data: ProjectionInput) -> bool:
    engine = get_engine(get_settings().sqlalchemy_url)
    wrote = await asyncio.to_thread(project, engine, data.state, data.now)
    get_logger().info("projected", version=data.state.version, wrote=wrote)
    return wrote
