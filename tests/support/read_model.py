"""Read-model rows for tests of what is built from SQL (digests, review queue, pages), with plain defaults."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)

INSPECTORATE_HEAD = "chanhthanhtra@quangngai.example.vn"
AGENCY_HEAD = "chutich@quangngai.example.vn"


def conclusion(workflow_id: str, number: str, **fields: Any) -> ConclusionRow:
    values: dict[str, Any] = {
        "issued_on": date(2026, 3, 1),
        "received_on": date(2026, 3, 1),
        "issuer": "Thanh tra tỉnh Quảng Ngãi",
        "title": f"Kết luận thanh tra {number}",
        "tracking_body": "Thanh tra tỉnh",
        "inspectorate_head": INSPECTORATE_HEAD,
        "agency_head": AGENCY_HEAD,
        "status": "active",
        "officers": [],
        **fields,
    }
    return ConclusionRow(workflow_id=workflow_id, number=number, **values)


def unit(workflow_id: str, code: str, name: str, due: datetime, **fields: Any) -> UnitRow:
    values: dict[str, Any] = {"contacts": [f"vanphong@{code}.example.vn"], "report_status": "awaited", **fields}
    return UnitRow(workflow_id=workflow_id, code=code, name=name, report_due=due, **values)


def action(workflow_id: str, action_id: str, unit_code: str, text: str, due: datetime, **fields: Any) -> ActionRow:
    values: dict[str, Any] = {"kind": "remedy", "status": "open", "original_due": due, **fields}
    return ActionRow(workflow_id=workflow_id, action_id=action_id, unit=unit_code, text=text, due=due, **values)


def letter(workflow_id: str, unit_code: str, step: str, sent_at: datetime, audience: str = "unit") -> NotificationRow:
    key = f"{workflow_id}/{unit_code}/{step}"
    return NotificationRow(
        key=f"{key}/{audience}",
        message_id=f"<{key}/{audience}@dondoc>",
        letter_key=key,
        audience=audience,
        workflow_id=workflow_id,
        target="x",
        unit=unit_code,
        step=step,
        recipients=["x@example.vn"],
        subject="s",
        status="sent",
        created_at=sent_at,
        sent_at=sent_at,
    )


def evidence(workflow_id: str, evidence_id: str, action_id: str, at: datetime, **fields: Any) -> EvidenceRow:
    values: dict[str, Any] = {"status": "submitted", "submitted_by": "vanphong@ly-son.example.vn", **fields}
    return EvidenceRow(workflow_id=workflow_id, evidence_id=evidence_id, action_id=action_id, submitted_at=at, **values)


def report(workflow_id: str, report_id: str, unit_code: str, at: datetime, **fields: Any) -> ReportRow:
    values: dict[str, Any] = {"status": "submitted", "submitted_by": "vanphong@ly-son.example.vn", **fields}
    return ReportRow(workflow_id=workflow_id, report_id=report_id, unit=unit_code, submitted_at=at, **values)


def extension(workflow_id: str, request_id: str, action_id: str, at: datetime, **fields: Any) -> ExtensionRequestRow:
    values: dict[str, Any] = {
        "requested_due": "2026-12-31",
        "reason": "Chờ ý kiến của Sở Tài chính",
        "status": "requested",
        "requested_by": "vanphong@ly-son.example.vn",
        **fields,
    }
    return ExtensionRequestRow(
        workflow_id=workflow_id, request_id=request_id, action_id=action_id, requested_at=at, **values
    )


def store(engine: Engine, *rows: SQLModel) -> None:
    with Session(engine) as session:
        for row in rows:
            session.merge(row)
        session.commit()
