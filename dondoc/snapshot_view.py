"""A conclusion's snapshot as plain JSON and as Vietnamese text for a terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.labels import ACTION_STATUS, CONCLUSION_STATUS, REPORT_STATUS, STEP, VN
from models.state import ConclusionState, NotificationStatus
from workflows.rules.ladder import next_deadline, overdue_actions
from workflows.rules.notices import days_overdue


def snapshot_json(state: ConclusionState, now: datetime) -> dict[str, Any]:
    overdue = {a.id for a in overdue_actions(state, now)}
    deadline = next_deadline(state, now)
    return {
        "workflow_id": state.workflow_id,
        "number": state.number,
        "title": state.title,
        "status": state.status.value,
        "status_reason": state.status_reason,
        "version": state.version,
        "next_deadline": deadline.isoformat() if deadline else None,
        "overdue_actions": len(overdue),
        "actions": [
            {
                "id": a.id,
                "unit": a.unit,
                "kind": a.kind.value,
                "status": a.status.value,
                "due": a.due.isoformat(),
                "due_version": a.due_version,
                "overdue": a.id in overdue,
                "last_step": a.last_step.value if a.last_step else None,
            }
            for a in state.actions.values()
        ],
        "units": [
            {
                "code": u.code,
                "name": u.name,
                "report_status": u.report_status.value,
                "report_due": u.due.isoformat(),
                "last_step": u.last_step.value if u.last_step else None,
            }
            for u in state.units.values()
        ],
        "letters": [
            {
                "key": n.key,
                "unit": n.unit,
                "step": n.step.value,
                "items": [i.target for i in n.items],
                "to": n.to,
                "cc": n.cc,
                "status": n.status.value,
                "at": n.at.isoformat() if n.at else None,
            }
            for n in state.letters
        ],
    }


def _when(value: datetime) -> str:
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M")


def snapshot_text(state: ConclusionState, now: datetime) -> str:
    overdue = {a.id for a in overdue_actions(state, now)}
    sent = sum(1 for n in state.letters if n.status == NotificationStatus.sent)
    lines = [
        f"Kết luận {state.number} — {state.title}",
        f"Mã theo dõi: {state.workflow_id} · Trạng thái: {CONCLUSION_STATUS[state.status]}"
        + (f" ({state.status_reason})" if state.status_reason else ""),
        f"Kiến nghị: {len(state.actions)} · Quá hạn: {len(overdue)} · Văn bản đã gửi: {sent}",
        "",
    ]
    for unit in state.units.values():
        lines.append(
            f"■ {unit.name} [{unit.code}] — {REPORT_STATUS[unit.report_status]}, hạn báo cáo {_when(unit.due)}"
        )
        for action in (a for a in state.actions.values() if a.unit == unit.code):
            late = f" — QUÁ HẠN {days_overdue(action.due, now)} ngày" if action.id in overdue else ""
            step = f" · đã gửi: {STEP[action.last_step]}" if action.last_step else ""
            ref = f"{action.ref} " if action.ref else ""
            lines.append(
                f"   - {ref}[{action.id}]: {ACTION_STATUS[action.status]}, hạn {_when(action.due)}{late}{step}\n"
                f"     {action.text}"
            )
    return "\n".join(lines)
