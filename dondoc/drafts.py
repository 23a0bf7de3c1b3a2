"""Conclusion drafts in SQL: created from the form or from an imported document, edited by several staff in turn
(a save names the version it was made from, so nobody silently overwrites another's edit), started once."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dondoc.importer import ConclusionDraft, Paragraph, WarningCode
from dondoc.importer.units import normalize
from models.draft_tables import ConclusionDraftRow
from models.state import FileRef

_PLACEHOLDER = re.compile(r"^\D*/|…|\.\.\.|_{2,}|\bx{1,3}/", re.IGNORECASE)


class DraftConflict(RuntimeError):
    """Someone saved the draft since the version this edit was made from."""

    def __init__(self, current: ConclusionDraftRow) -> None:
        super().__init__(f"draft {current.id} is at version {current.version}")
        self.current = current


class DraftStarted(RuntimeError):
    """The draft's follow-up has started: it is kept as it was and no longer edited."""

    def __init__(self, current: ConclusionDraftRow) -> None:
        super().__init__(f"draft {current.id} started as {current.workflow_id}")
        self.current = current


def placeholder_number(number: str) -> bool:
    """'/KL-STTTT', '…/KL-TTr', '01/KL-…': a number an unsigned copy carries, never the one to follow up."""
    return not number.strip() or _PLACEHOLDER.search(number.strip()) is not None


def placeholder_problem(number: str) -> str | None:
    """Why `number` cannot be followed up (Vietnamese), or None: every way of starting refuses a placeholder."""
    if placeholder_number(number):
        return f"Số kết luận “{number or '(trống)'}” là số tạm của bản chưa ban hành: nhập số chính thức của kết luận đã ký."
    return None


def start_blockers(row: ConclusionDraftRow, number: str) -> list[str]:
    """Why this draft cannot be started with `number` (Vietnamese, for staff); empty when it can."""
    problems = []
    if (placeholder := placeholder_problem(number)) is not None:
        problems.append(placeholder)
    imported_number = str(row.imported.get("number") or "")
    if row.imported.get("draft_copy") and number.strip() == imported_number.strip():
        problems.append("Văn bản gốc ghi “DỰ THẢO”: chỉ bắt đầu theo dõi khi đã có số của kết luận đã ký ban hành.")
    return problems


def _now() -> datetime:
    return datetime.now(UTC)


def create(
    engine: Engine,
    actor: str,
    form: dict[str, Any],
    imported: dict[str, Any] | None = None,
    source: FileRef | None = None,
) -> ConclusionDraftRow:
    now = _now()
    header = form.get("header", {})
    row = ConclusionDraftRow(
        id=secrets.token_hex(8),
        number=str(header.get("number", ""))[:64],
        title=str(header.get("title", ""))[:500],
        form=form,
        imported=imported or {},
        source_name=source.name if source else None,
        source_sha256=source.sha256 if source else None,
        source_size=source.size if source else None,
        source_media_type=source.content_type if source else None,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def get(engine: Engine, draft_id: str) -> ConclusionDraftRow | None:
    with Session(engine) as session:
        return session.get(ConclusionDraftRow, draft_id)


def of_conclusion(engine: Engine, workflow_id: str) -> ConclusionDraftRow | None:
    """The draft a conclusion was started from (with its original document), if it was."""
    with Session(engine) as session:
        query = select(ConclusionDraftRow).where(col(ConclusionDraftRow.workflow_id) == workflow_id)
        return session.exec(query).first()


def open_drafts(engine: Engine) -> list[ConclusionDraftRow]:
    with Session(engine) as session:
        query = (
            select(ConclusionDraftRow)
            .where(col(ConclusionDraftRow.workflow_id).is_(None))
            .order_by(col(ConclusionDraftRow.updated_at).desc())
        )
        return list(session.exec(query).all())


def save(engine: Engine, draft_id: str, actor: str, form: dict[str, Any], version: int) -> ConclusionDraftRow:
    """Replace the draft's form when it is still at `version` (the one the editor loaded); else DraftConflict. The
    check and the write are one conditional UPDATE, so two saves made from the same version cannot both succeed."""
    header = form.get("header", {})
    values = {
        "form": form,
        "number": str(header.get("number", ""))[:64],
        "title": str(header.get("title", ""))[:500],
        "version": version + 1,
        "updated_by": actor,
        "updated_at": _now(),
    }
    table = ConclusionDraftRow.__table__  # type: ignore[attr-defined]
    with Session(engine) as session:
        statement = (
            update(table)
            .where(table.c.id == draft_id, table.c.version == version, table.c.workflow_id.is_(None))
            .values(**values)
        )
        changed = session.connection().execute(statement).rowcount
        session.commit()
        row = session.get(ConclusionDraftRow, draft_id, populate_existing=True)
    if row is None:
        raise KeyError(draft_id)
    if changed != 1:
        raise DraftStarted(row) if row.workflow_id is not None else DraftConflict(row)
    return row


def mark_started(engine: Engine, draft_id: str, actor: str, workflow_id: str) -> None:
    with Session(engine) as session:
        row = session.get(ConclusionDraftRow, draft_id, with_for_update=True)
        if row is None:
            raise KeyError(draft_id)
        row.workflow_id = workflow_id
        row.started_at = _now()
        row.updated_by = actor
        row.updated_at = row.started_at
        row.version += 1
        session.add(row)
        session.commit()


def delete(engine: Engine, draft_id: str, version: int) -> None:
    with Session(engine) as session:
        row = session.get(ConclusionDraftRow, draft_id, with_for_update=True)
        if row is None:
            return
        if row.workflow_id is not None:
            raise DraftStarted(row)
        if row.version != version:
            raise DraftConflict(row)
        session.delete(row)
        session.commit()


def references(engine: Engine, sha256: str) -> bool:
    """Whether a draft (open or started) keeps this stored file as its original document."""
    with Session(engine) as session:
        query = select(ConclusionDraftRow.id).where(col(ConclusionDraftRow.source_sha256) == sha256)
        return session.exec(query).first() is not None


# ---------------------------------------------------------------- an imported conclusion as the form


@dataclass(frozen=True)
class DirectoryEntry:
    code: str
    name: str


def _day(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def form_of(draft: ConclusionDraft, directory: list[DirectoryEntry]) -> dict[str, Any]:
    """The registration form filled from an imported conclusion: a unit the directory knows by the same name (or a
    short name the document defines) takes the directory's code, so its contacts come from there."""
    known = {normalize(entry.name): entry.code for entry in directory}
    codes: dict[str, str] = {}
    units = []
    for unit in draft.units:
        code = next((known[n] for n in map(normalize, (unit.name, *unit.aliases)) if n in known), unit.code)
        codes[unit.code] = code
        units.append({"code": code, "name": unit.name, "inspected": "1" if unit.inspected else ""})
    actions = []
    for action in draft.actions:
        row = {
            "id": action.id,
            "ref": action.ref,
            "unit": codes.get(action.unit, action.unit),
            "kind": action.kind.value,
            "text": action.text,
            "due": _day(action.due),
            "due_in": str(action.due_in_days) if action.due_in_days else "",
            "due_in_working": "1" if action.due_working else "",
            "due_assumed": "1" if action.due_assumed else "",
            "amount_vnd": f"{action.amount_vnd:,}".replace(",", ".") if action.amount_vnd else "",
            "source": str(action.place.paragraph),
        }
        actions.append(row)
    header = {
        "number": draft.number.value if draft.number else "",
        "issued_on": _day(draft.issued_on.value if draft.issued_on else None),
        "issuer": draft.issuer.value if draft.issuer else "",
        "title": draft.title.value if draft.title else "",
        "tracking_body": draft.tracking_body.value if draft.tracking_body else "",
        "place": draft.place_name.value if draft.place_name else "",
        "signer_title": draft.signer_title.value if draft.signer_title else "",
        "signer_name": draft.signer_name.value if draft.signer_name else "",
        "report_due_in": "45",
    }
    return {"header": header, "units": units, "actions": actions}


def imported_of(draft: ConclusionDraft, paragraphs: list[Paragraph]) -> dict[str, Any]:
    """What to keep of an import beside the form: warnings, where each header field came from, the text."""
    sources = {
        name: found.place.paragraph
        for name, found in (
            ("number", draft.number),
            ("issued_on", draft.issued_on),
            ("place", draft.place_name),
            ("issuer", draft.issuer),
            ("title", draft.title),
            ("tracking_body", draft.tracking_body),
            ("signer_title", draft.signer_title),
            ("signer_name", draft.signer_name),
        )
        if found is not None
    }
    return {
        "number": draft.number.value if draft.number else "",
        "draft_copy": any("DỰ THẢO" in p.text.upper() for p in paragraphs[:25]),
        "decision": draft.decision.value if draft.decision else "",
        "recipients": [r.value for r in draft.recipients],
        "warnings": [
            {"code": w.code.value, "message": w.message, "paragraph": w.place.paragraph if w.place else None}
            for w in draft.warnings
        ],
        "sources": sources,
        "paragraphs": [[p.number, p.page, p.text] for p in paragraphs],
        "blank": [w.code.value for w in draft.warnings if w.code in (WarningCode.blank_number, WarningCode.blank_day)],
    }
