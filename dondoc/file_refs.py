"""Whether a stored file is in use, by indexed lookups: the read model's index of the files recorded evidence and
reports use (written by the projection), and the drafts keeping a file as their original document."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dondoc import drafts
from models.tables import FileRefRow


def referenced(engine: Engine, sha256: str) -> bool:
    with Session(engine) as session:
        hit = session.exec(select(FileRefRow.sha256).where(FileRefRow.sha256 == sha256).limit(1)).first()
    return hit is not None or drafts.references(engine, sha256)
