"""The officers in charge of a conclusion: staff accounts, checked when it is registered; by default whoever
registers it."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from dondoc.preferences import active_staff
from models.spec import ConclusionSpec


class OfficerError(ValueError):
    """An officer who is not an active staff account, in Vietnamese, prefixed by the field: `officers: …`."""


def assign(engine: Engine, spec: ConclusionSpec, registrar: str) -> ConclusionSpec:
    """`spec` with its officers checked against the staff accounts, or the registrar when it names none."""
    named = spec.officers or [registrar.lower()]
    with Session(engine) as session:
        known = active_staff(session, named)
    unknown = [email for email in named if email not in known]
    if unknown:
        raise OfficerError(
            "officers: " + ", ".join(unknown) + " không phải tài khoản cán bộ thanh tra đang hoạt động; cán bộ phụ "
            "trách phải là tài khoản cán bộ hoặc quản trị (thêm tài khoản ở trang Quản trị)"
        )
    return spec.model_copy(update={"officers": list(dict.fromkeys(named))})
