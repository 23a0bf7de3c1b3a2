"""The directory of units administrators keep, so a conclusion can name a unit by its code alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dondoc.spec_loader import explain
from models.admin_tables import DirectoryUnit
from models.spec import UnitSpec

FIELDS = ("code", "name", "contacts", "head", "supervisor")


class DirectoryError(ValueError):
    """A refused entry: `problems` maps a field name (or 'form') to a Vietnamese message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def list_units(engine: Engine) -> list[DirectoryUnit]:
    with Session(engine) as session:
        return list(session.exec(select(DirectoryUnit).order_by(col(DirectoryUnit.code))).all())


def defaults(engine: Engine) -> dict[str, dict[str, Any]]:
    """Code → the fields a conclusion's unit may take from the directory."""
    return {unit.code: unit.defaults() for unit in list_units(engine)}


def save_unit(
    engine: Engine,
    actor: str,
    code: str,
    name: str,
    contacts: list[str],
    head: str | None = None,
    supervisor: str | None = None,
) -> DirectoryUnit:
    """Add the unit, or replace the entry with the same code. Checked as a conclusion's unit would be."""
    try:
        checked = UnitSpec(code=code, name=name, contacts=contacts, head=head or None, supervisor=supervisor or None)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for line in explain(error):
            where, _, message = line.partition(": ")
            field = where.split("[")[0] if where.split("[")[0] in FIELDS else "form"
            if (field, message) == ("contacts", "cần ít nhất một phần tử"):
                message = "cần ít nhất một email đầu mối"
            problems.setdefault(field, message or line)
        raise DirectoryError(problems) from None
    with Session(engine) as session:
        entry = session.get(DirectoryUnit, checked.code) or DirectoryUnit(
            code=checked.code, name=checked.name, updated_by=actor
        )
        entry.name, entry.contacts = checked.name, [str(e) for e in checked.contacts]
        entry.head, entry.supervisor = checked.head, checked.supervisor
        entry.updated_by, entry.updated_at = actor, datetime.now(UTC)
        session.add(entry)
        session.commit()
        session.refresh(entry)
        return entry


def delete_unit(engine: Engine, code: str) -> bool:
    with Session(engine) as session:
        entry = session.get(DirectoryUnit, code)
        if entry is None:
            return False
        session.delete(entry)
        session.commit()
        return True
