"""The signed-in account's own page: what it receives by email and why, and its choice of the informational emails
(the daily review queue, the daily overdue digest, the immediate review notice). Formal letters of the ladder
always go to whom the conclusion names: they are listed, not switchable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dondoc import preferences
from dondoc.digests import concerned
from dondoc.preferences import Kind
from dondoc.web.pages.common import ROLE_LABELS, Ctx, redirect, show
from dondoc.web.rendering import flash
from dondoc.web.security import Principal, principal
from models.tables import ConclusionRow, UnitRow
from models.web_tables import MailPreference

router = APIRouter()

LABELS = {
    Kind.review_queue: "Thư hằng ngày (07:30, ngày làm việc) liệt kê hồ sơ chờ bạn xem xét",
    Kind.immediate_review: "Thư báo ngay khi có minh chứng, báo cáo hoặc đề nghị gia hạn mới chờ bạn xem xét",
    Kind.digest: "Thư tổng hợp hằng ngày (07:30, ngày làm việc) các nội dung quá hạn bạn theo dõi",
}


def signed_in(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """Accounts only: a visitor through a unit's emailed link has no account to set."""
    if who.via == "link":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Trang này dành cho người có tài khoản; hãy đăng nhập.")
    return who


Account = Annotated[Principal, Depends(signed_in)]


@dataclass
class Choice:
    kind: Kind
    label: str
    on: bool
    applies: bool  # the account is currently someone this email would go to


@dataclass
class AccountView:
    preference: MailPreference
    officer_of: list[str] = field(default_factory=list)  # conclusion numbers
    oversight: list[str] = field(default_factory=list)  # why the digest (and letters) would come
    letters: list[str] = field(default_factory=list)  # why formal letters come
    choices: list[Choice] = field(default_factory=list)


def account_view(engine: Engine, email: str) -> AccountView:
    view = AccountView(preferences.preference(engine, email))
    with Session(engine) as session:
        conclusions = session.exec(
            select(ConclusionRow).where(ConclusionRow.status == "active").order_by(col(ConclusionRow.number))
        ).all()
        units = session.exec(select(UnitRow)).all()
    by_conclusion: dict[str, list[UnitRow]] = {}
    for unit in units:
        by_conclusion.setdefault(unit.workflow_id, []).append(unit)
    for conclusion in conclusions:
        own = by_conclusion.get(conclusion.workflow_id, [])
        if email in conclusion.officers:
            view.officer_of.append(conclusion.number)
        view.oversight += concerned(email, conclusion, own)[2]
        view.letters += [f"đầu mối của {u.name} (kết luận {conclusion.number})" for u in own if email in u.contacts]
    view.letters = view.oversight + view.letters
    applies = {
        Kind.review_queue: bool(view.officer_of),
        Kind.immediate_review: bool(view.officer_of),
        Kind.digest: bool(view.oversight),
    }
    view.choices = [Choice(k, LABELS[k], bool(getattr(view.preference, k.value)), applies[k]) for k in Kind]
    return view


@router.get("/account", include_in_schema=False)
def account(request: Request, ctx: Ctx, who: Account) -> Response:
    view = account_view(ctx.engine, who.email)
    return show(request, "pages/account.html", who, view=view, roles=ROLE_LABELS)


@router.post("/account/preferences", include_in_schema=False)
async def save_preferences(request: Request, ctx: Ctx, who: Account) -> Response:
    """Each informational email on when its box is ticked (an unticked box is not sent by the browser: off)."""
    data = await request.form()
    choices = {kind: data.get(kind.value) == "on" for kind in Kind}
    await run_in_threadpool(preferences.save, ctx.engine, who.email, choices)
    flash(request, "Đã lưu lựa chọn nhận thư.")
    return redirect("/account")
