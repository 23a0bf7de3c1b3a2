"""Tables administrators edit in the web app: the global ladder and holiday overrides (as YAML documents) and the
directory of units that new conclusions can draw their contacts from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.tables import UTCDateTime


class ConfigDocument(SQLModel, table=True):
    """A YAML document replacing the configured file of the same role (see activities.configuration)."""

    __tablename__ = "config_documents"

    name: str = Field(primary_key=True, max_length=32)
    text: str
    updated_by: str = Field(max_length=254)
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))


class DirectoryUnit(SQLModel, table=True):
    """A unit as inspectorates usually address it; a conclusion's unit with the same code and no contacts of its own
    takes them from here when it is registered."""

    __tablename__ = "unit_directory"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    contacts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    head: str | None = Field(default=None, max_length=254)
    supervisor: str | None = Field(default=None, max_length=254)
    updated_by: str = Field(max_length=254)
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))

    def defaults(self) -> dict[str, Any]:
        """The fields a conclusion spec's unit may leave out and take from here."""
        return {"name": self.name, "contacts": list(self.contacts), "head": self.head, "supervisor": self.supervisor}
