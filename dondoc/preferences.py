"""What informational emails each account receives: the daily review queue, the daily digest of overdue items and
the immediate notice when something arrives for review. Formal letters of the ladder are not preferences: they
always go. An account without a stored choice has the defaults (daily emails on, immediate notices off)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.tables import ConclusionRow
from models.web_tables import MailPreference, Role, User

STAFF_ROLES = (Role.staff.value, Role.admin.value)


class Kind(StrEnum):
    """An informational email an account may switch on or off (a MailPreference column of the same name)."""

    review_queue = "review_queue"
    digest = "digest"
    immediate_review = "immediate_review"


def defaults(email: str) -> MailPreference:
    return MailPreference(email=email)


def preference(engine: Engine, email: str) -> MailPreference:
    with Session(engine) as session:
        return session.get(MailPreference, email.lower()) or defaults(email.lower())


def save(engine: Engine, email: str, choices: dict[Kind, bool]) -> MailPreference:
    with Session(engine) as session:
        row = session.get(MailPreference, email.lower()) or defaults(email.lower())
        for kind, wanted in choices.items():
            setattr(row, kind.value, wanted)
        row.updated_at = datetime.now(UTC)
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def wanting(session: Session, emails: Iterable[str], kind: Kind) -> set[str]:
    """Those of `emails` (lower-case) who receive `kind`: their stored choice, else the default."""
    wanted = {e.lower() for e in emails}
    if not wanted:
        return set()
    stored = session.exec(select(MailPreference).where(col(MailPreference.email).in_(wanted))).all()
    choice = {row.email: bool(getattr(row, kind.value)) for row in stored}
    default = bool(getattr(defaults(""), kind.value))
    return {e for e in wanted if choice.get(e, default)}


def active_staff(session: Session, emails: Iterable[str]) -> set[str]:
    """Those of `emails` that are active staff or admin accounts (officers must be)."""
    wanted = {e.lower() for e in emails}
    if not wanted:
        return set()
    rows = session.exec(
        select(User.email).where(col(User.email).in_(wanted), col(User.role).in_(STAFF_ROLES), User.active == True)  # noqa: E712
    ).all()
    return set(rows)


def immediate_review_recipients(session: Session, workflow_id: str) -> list[str]:
    """The officers of a conclusion who chose to be told at once when evidence, a report or an extension request
    arrives for their review (active staff accounts only), sorted."""
    row = session.get(ConclusionRow, workflow_id)
    if row is None or not row.officers:
        return []
    officers = active_staff(session, row.officers)
    return sorted(wanting(session, officers, Kind.immediate_review))
