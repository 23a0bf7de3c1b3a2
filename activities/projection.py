"""Projection into the SQL read model: the rows a change touched, upserted, guarded by the conclusion's version."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter
from sqlalchemy import and_, false, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities.database import get_engine, upsert
from dondoc.logs import get_logger
from dondoc.settings import get_settings
from models.state import ActionState, Evidence, ExtensionRequest, ReportSubmission, UnitState
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    FileRefRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.workflow_io import ProjectionInput

_UNRESOLVED = ("open", "evidence_submitted")
STUCK_AFTER_ATTEMPTS = 8  # about two minutes of retries (1 s doubling, at most 60 s apart)
PROJECTION_FAILURES = Counter(
    "dondoc_projection_failures",
    "Attempts to write a conclusion's change to the read model that failed (each is retried)",
    registry=REGISTRY,
)


def project(engine: Engine, data: ProjectionInput) -> bool:
    """Write `data` unless SQL already holds a newer version of the conclusion. Returns whether it wrote."""
    top = data.header
    now = data.now
    with Session(engine) as session:
        row = session.exec(
            select(ConclusionRow).where(ConclusionRow.workflow_id == top.workflow_id).with_for_update()
        ).first()
        if row is not None and _not_newer(row, top.version, now):
            return False
        fields = {**top.model_dump(exclude={"workflow_id"}), "as_of": now, "projected_at": datetime.now(UTC)}
        if row is None:
            row = ConclusionRow(workflow_id=top.workflow_id, **fields)
        else:
            row.sqlmodel_update(fields)
        session.add(row)
        session.flush()
        wid = top.workflow_id
        recovered = _recovered(data)
        owners = [*((ev.id, ev.files) for ev in data.evidence), *((rp.id, rp.files) for rp in data.reports)]
        for rows in (
            [_unit_row(wid, unit) for unit in data.units],
            [_action_row(wid, action, recovered.get(action.id, 0), now) for action in data.actions],
            [_evidence_row(wid, ev) for ev in data.evidence],
            [_report_row(wid, rp) for rp in data.reports],
            [  # the index the orphan-file sweep looks files up in
                FileRefRow(sha256=sha256, workflow_id=wid, owner=owner)
                for owner, files in owners
                for sha256 in sorted({f.sha256 for f in files})
            ],
            [_request_row(wid, rq) for rq in data.extension_requests],
        ):
            upsert(session, rows)
        if data.events:
            seqs = [e.seq for e in data.events]
            known = set(
                session.exec(
                    select(AuditEventRow.seq).where(
                        AuditEventRow.workflow_id == wid, col(AuditEventRow.seq).between(min(seqs), max(seqs))
                    )
                ).all()
            )
            for event in data.events:
                if event.seq not in known:
                    session.add(AuditEventRow(workflow_id=wid, **event.model_dump()))
            given_up = [
                str(e.data["key"])
                for e in data.events
                if e.seq not in known and e.kind == "notification_failed" and e.data.get("key")
            ]
            if given_up:  # the workflow stopped retrying: a copy still pending goes no further (its last answer stays)
                session.execute(
                    update(NotificationRow)
                    .where(col(NotificationRow.letter_key).in_(given_up), col(NotificationRow.status) == "pending")
                    .values(status="failed", handed_over_at=None)
                )
        session.flush()
        # Time passing makes actions overdue without any change: the flags follow the workflow's clock. Only the
        # rows whose flag changes are written, so a change to one action does not rewrite the conclusion's every row.
        overdue = and_(col(ActionRow.status).in_(_UNRESOLVED), col(ActionRow.due) < now)
        flag = overdue if top.status == "active" else false()
        session.execute(
            update(ActionRow)
            .where(col(ActionRow.workflow_id) == wid, col(ActionRow.overdue).is_distinct_from(flag))
            .values(overdue=flag)
        )
        session.commit()
    return True


def _recovered(data: ProjectionInput) -> dict[str, int]:
    """Money recovered per action, from its accepted evidence (all of it is in the payload with the action)."""
    total: dict[str, int] = {}
    for ev in data.evidence:
        if ev.status == "accepted" and ev.recovered_vnd:
            total[ev.action_id] = total.get(ev.action_id, 0) + ev.recovered_vnd
    return total


def _unit_row(wid: str, unit: UnitState) -> UnitRow:
    return UnitRow(
        workflow_id=wid,
        code=unit.code,
        name=unit.name,
        contacts=list(unit.contacts),
        head=unit.head,
        head_title=unit.head_title,
        supervisor=unit.supervisor,
        supervisor_title=unit.supervisor_title,
        report_status=unit.report_status.value,
        report_due=unit.due,
        report_due_assumed=unit.due_is_assumed,
        report_last_step=unit.last_step.value if unit.last_step else None,
    )


def _action_row(wid: str, action: ActionState, recovered: int, now: datetime) -> ActionRow:
    return ActionRow(
        workflow_id=wid,
        action_id=action.id,
        unit=action.unit,
        ref=action.ref,
        kind=action.kind.value,
        text=action.text,
        progress=action.progress,
        status=action.status.value,
        status_reason=action.status_reason,
        due=action.due,
        original_due=action.original_due,
        due_version=action.due_version,
        due_assumed=action.due_is_assumed,
        last_step=action.last_step.value if action.last_step else None,
        overdue=action.status in _UNRESOLVED and action.due < now,
        amount_vnd=action.amount_vnd,
        recovered_vnd=recovered,
        resolved_at=action.resolved_at,
    )


def _evidence_row(wid: str, ev: Evidence) -> EvidenceRow:
    return EvidenceRow(
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


def _report_row(wid: str, rp: ReportSubmission) -> ReportRow:
    return ReportRow(
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


def _request_row(wid: str, rq: ExtensionRequest) -> ExtensionRequestRow:
    return ExtensionRequestRow(
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


def _not_newer(row: ConclusionRow, version: int, now: datetime) -> bool:
    """A projection is stale when the stored one has a higher version, or the same version seen later.

    The same version is written again when only time passed (overdue flags) and for each part of a large first
    projection (same version, same time).
    """
    if row.version != version:
        return row.version > version
    return row.as_of is not None and row.as_of > now


@activity.defn(name="project_state")
async def project_state(data: ProjectionInput) -> bool:
    log = get_logger(version=data.header.version, actions=len(data.actions))
    try:
        engine = get_engine(get_settings().sqlalchemy_url)
        wrote = await asyncio.to_thread(project, engine, data)
    except Exception as error:
        # Retried without end (the pages must catch up): a few failures are a database restarting, more are a
        # conclusion whose pages stay behind until someone looks (docs/operations.md).
        PROJECTION_FAILURES.inc()
        attempt = activity.info().attempt
        stuck = attempt >= STUCK_AFTER_ATTEMPTS
        (log.error if stuck else log.warning)(
            "projection_stuck" if stuck else "projection_failed", error=f"{type(error).__name__}: {error}"
        )
        raise
    log.info("projected", wrote=wrote)
    return wrote
