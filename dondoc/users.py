"""User accounts and API tokens: argon2 password hashes, tokens stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.web_tables import ApiToken, Role, User

_HASHER = PasswordHasher()


class UserError(ValueError):
    """A refused account operation, in Vietnamese."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(user: User, password: str) -> bool:
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    engine: Engine, email: str, role: str, password: str, unit: str | None = None, full_name: str = ""
) -> User:
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()  # logins look up lower-case
    except EmailNotValidError:
        raise UserError(f"email: '{email}' không phải địa chỉ email hợp lệ") from None
    if role not in Role.__members__:
        raise UserError(f"role: vai trò '{role}' không tồn tại; chọn một trong: {', '.join(Role.__members__)}")
    if role == Role.agency and not unit:
        raise UserError("unit: người dùng vai trò đơn vị được thanh tra (agency) phải gắn với một mã đơn vị")
    if role != Role.agency and unit:
        raise UserError("unit: chỉ người dùng vai trò đơn vị được thanh tra (agency) mới gắn với mã đơn vị")
    if len(password) < 8:
        raise UserError("password: mật khẩu cần ít nhất 8 ký tự")
    with Session(engine) as session:
        if session.exec(select(User).where(User.email == email)).first() is not None:
            raise UserError(f"email: người dùng '{email}' đã tồn tại")
        user = User(
            email=email,
            full_name=full_name,
            role=role,
            unit=unit,
            password_hash=hash_password(password),
            created_at=datetime.now(UTC),
        )
        session.add(user)
        session.commit()
        session.refresh(user)
    return user


def find_user(engine: Engine, email: str) -> User | None:
    with Session(engine) as session:
        return session.exec(select(User).where(User.email == email.strip().lower())).first()


def authenticate(engine: Engine, email: str, password: str) -> User | None:
    user = find_user(engine, email)
    if user is None or not user.active or not password_matches(user, password):
        return None
    return user


def issue_token(engine: Engine, email: str) -> str:
    """A new bearer token for `email`; only its digest is stored, so it is shown once."""
    user = find_user(engine, email)
    if user is None or user.id is None:
        raise UserError(f"email: không có người dùng '{email}'")
    token = "dd_" + secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), created_at=datetime.now(UTC)))
        session.commit()
    return token


def user_for_token(engine: Engine, token: str) -> User | None:
    with Session(engine) as session:
        row = session.exec(
            select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at == None)  # noqa: E711
        ).first()
        if row is None:
            return None
        user = session.get(User, row.user_id)
    return user if user is not None and user.active else None
