"""Conclusions being prepared: a draft (registered in SQL, not yet a workflow) that several staff edit in turn,
guarded by a version number so that nobody silently overwrites another's edit, and the document it was read from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.tables import UTCDateTime


class ConclusionDraftRow(SQLModel, table=True):
    """One draft. `form` is the registration form as last saved (header, units and actions rows); `imported` what
    the importer read (warnings, the document's paragraphs) when it came from a file; `source_*` the file itself in
    the file store. Once started, `workflow_id` names the conclusion's follow-up and the draft is kept read-only."""

    __tablename__ = "conclusion_drafts"

    id: str = Field(primary_key=True, max_length=32)
    version: int = Field(default=1)
    number: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=500)
    form: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    imported: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source_name: str | None = Field(default=None, max_length=255)
    source_sha256: str | None = Field(default=None, max_length=64, index=True)
    source_size: int | None = None
    source_media_type: str | None = Field(default=None, max_length=120)
    workflow_id: str | None = Field(default=None, max_length=120, index=True)
    created_by: str = Field(max_length=254)
    created_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
    updated_by: str = Field(max_length=254)
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
