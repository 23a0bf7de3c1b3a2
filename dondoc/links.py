"""Signed, expiring, revocable links that open one unit's portal for one conclusion without an account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.web_tables import PortalLink

_SALT = "dondoc-portal-link"


class LinkError(ValueError):
    """A link that cannot be used; the message is shown to the person who clicked it."""


@dataclass(frozen=True)
class LinkScope:
    link_id: str
    workflow_id: str
    unit: str
    view_only: bool = False  # a copy for supervisors and heads: sees the unit's follow-up, can change nothing


def _serializer(key: str) -> URLSafeSerializer:
    # Not timed: expiry lives in the link's record, so the same link id always yields the same token.
    return URLSafeSerializer(key, salt=_SALT)


def new_link(workflow_id: str, unit: str, days: int, link_id: str | None = None, view_only: bool = False) -> PortalLink:
    """The record of a link for (conclusion, unit), not saved yet (`keep` saves it)."""
    now = datetime.now(UTC)
    return PortalLink(
        id=link_id or secrets.token_hex(8),
        workflow_id=workflow_id,
        unit=unit,
        created_at=now,
        expires_at=now + timedelta(days=days),
        view_only=view_only,
    )


def keep(session: Session, link: PortalLink) -> None:
    """Save `link` in `session` unless a record with its id exists (a retried email carries the same link)."""
    if session.get(PortalLink, link.id) is None:
        session.add(link)


def token(key: str, link: PortalLink) -> str:
    """The signed token of `link`: the same link id always gives the same token."""
    return _serializer(key).dumps({"l": link.id, "w": link.workflow_id, "u": link.unit})


def issue(
    engine: Engine,
    key: str,
    workflow_id: str,
    unit: str,
    days: int,
    link_id: str | None = None,
    view_only: bool = False,
) -> str:
    """A token for (conclusion, unit), recorded so it can be revoked. The same `link_id` reuses its record
    (a retried email carries the same link). A `view_only` link shows the unit's follow-up and acts for nobody."""
    link = new_link(workflow_id, unit, days, link_id, view_only)
    signed = token(key, link)  # before the commit expires the record's attributes
    with Session(engine) as session:
        keep(session, link)
        session.commit()
    return signed


def verify(engine: Engine, key: str, token: str) -> LinkScope:
    try:
        data = _serializer(key).loads(token)
    except BadSignature:
        raise LinkError("Đường dẫn không hợp lệ (có thể đã bị sửa hoặc sao chép thiếu).") from None
    if not isinstance(data, dict):
        raise LinkError("Đường dẫn không hợp lệ (có thể đã bị sửa hoặc sao chép thiếu).")
    with Session(engine) as session:
        link = session.get(PortalLink, data.get("l"))
    if link is None or link.workflow_id != data.get("w") or link.unit != data.get("u"):
        raise LinkError("Đường dẫn không hợp lệ (có thể đã bị sửa hoặc sao chép thiếu).")
    if link.revoked_at is not None:
        raise LinkError("Đường dẫn đã bị thu hồi. Vui lòng liên hệ cơ quan thanh tra để nhận đường dẫn mới.")
    if link.expires_at is not None and link.expires_at < datetime.now(UTC):
        raise LinkError("Đường dẫn đã hết hạn. Vui lòng liên hệ cơ quan thanh tra để nhận đường dẫn mới.")
    return LinkScope(link.id, link.workflow_id, link.unit, link.view_only)


def revoke(engine: Engine, link_id: str) -> bool:
    with Session(engine) as session:
        link = session.get(PortalLink, link_id)
        if link is None:
            return False
        link.revoked_at = datetime.now(UTC)
        session.add(link)
        session.commit()
    return True
