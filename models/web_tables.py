"""Tables of the web app: users, API tokens, and the portal links sent in emails. Never imported by workflows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from models.tables import UTCDateTime


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    agency = "agency"
    supervisor = "supervisor"


def _time(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    full_name: str = ""
    role: str = Field(max_length=20)
    unit: str | None = Field(default=None, max_length=64)  # the unit code an agency user speaks for
    password_hash: str
    active: bool = True
    created_at: datetime | None = _time(nullable=False)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)  # SHA-256 of the token; the token itself is shown once
    created_at: datetime | None = _time(nullable=False)
    revoked_at: datetime | None = _time()


class PortalLink(SQLModel, table=True):
    """A signed link scoped to one conclusion and one unit; revoking it makes every copy of it useless."""

    __tablename__ = "portal_links"

    id: str = Field(primary_key=True, max_length=32)
    workflow_id: str = Field(index=True, max_length=120)
    unit: str = Field(max_length=64)
    created_at: datetime | None = _time(nullable=False)
    expires_at: datetime | None = _time(nullable=False)
    revoked_at: datetime | None = _time()
    view_only: bool = False  # mailed to supervisors and heads: may look, never act for the unit


class MailPreference(SQLModel, table=True):
    """What informational emails an account receives (formal letters cannot be switched off); no row: the defaults."""

    __tablename__ = "mail_preferences"

    email: str = Field(primary_key=True, max_length=254)
    review_queue: bool = True  # officers: the daily list of what awaits their review
    digest: bool = True  # supervisors and heads: the daily overview of overdue items
    immediate_review: bool = False  # officers: one email as soon as something arrives for review
    updated_at: datetime | None = _time(nullable=False)
