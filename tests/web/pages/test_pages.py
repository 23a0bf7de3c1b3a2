"""The staff pages: dashboard, list, new conclusion (form, preview, spec upload), conclusion page and its forms, review
queue, overdue overview, notifications — each for the roles allowed, refused for the others."""

from __future__ import annotations

import asyncio
import html
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import itsdangerous.timed
import pytest
from sqlmodel import Session, select
from temporalio import activity

from activities.mail_batch import mail_together
from activities.notices import send_notice
from activities.planning import plan_deadlines
from activities.projection import project_state
from dondoc.gateway import Gateway
from dondoc.web import clock as web_clock
from dondoc.web.pages import spec_upload
from models import commands as c
from models.labels import VN
from models.mail import LetterRequest, MailOutcome, MailStatus
from models.policy import Policy, PolicyStep, Step
from models.spec import ConclusionSpec
from models.tables import ActionRow, AuditEventRow, ConclusionRow, NotificationRow, UnitRow
from tests.conftest import EXAMPLES
from tests.web.api.test_api import env_today, small_spec
from tests.web.conftest import AGENCY, OUTSIDER, STAFF, SUPERVISOR, Web, write_outbox
from tests.web.pages.confirming import confirm, confirmation, offers_to_confirm
from tests.workflow.harness import PDF, quang_ngai, redated
from worker import build_worker

LY_SON_ACTION = "ly-son-eoffice"


@pytest.fixture(autouse=True)
async def aligned_clock(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages read the time of the Temporal test server, which may have skipped ahead of the wall clock."""
    offset = await web.env.get_current_time() - datetime.now(UTC)
    monkeypatch.setattr(web_clock, "NOW", lambda: datetime.now(UTC) + offset)


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def unit_row(web: Web, workflow_id: str, code: str) -> UnitRow:
    with Session(web.ctx.engine) as session:
        row = session.get(UnitRow, (workflow_id, code))
    assert row is not None
    return row


def action_row(web: Web, workflow_id: str, action_id: str) -> ActionRow:
    with Session(web.ctx.engine) as session:
        row = session.get(ActionRow, (workflow_id, action_id))
    assert row is not None
    return row


async def wait_for(check: Callable[[], bool], what: str) -> None:
    for _ in range(1200):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


# ---------------------------------------------------------------- access


async def test_anonymous_visitors_are_sent_to_login(web: Web) -> None:
    for path in ("/", "/conclusions", "/conclusions/new", "/review", "/overdue", "/notifications", "/admin"):
        response = await web.client().get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


async def test_agency_users_go_to_the_portal_and_are_refused_staff_pages(web: Web) -> None:
    spec = await web.start_quang_ngai()
    agency = await web.login(AGENCY)
    home = await agency.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/portal"
    wid = spec.workflow_id
    for path in ("/conclusions", "/conclusions/new", f"/conclusions/{wid}", "/review", "/overdue", "/notifications"):
        response = await agency.get(path)
        assert response.status_code == 403, path
        assert "Bạn không có quyền thực hiện thao tác này." in text_of(response)
    refused = await agency.post(f"/conclusions/{wid}/actions/{LY_SON_ACTION}/waive", data={"reason": "x"})
    assert refused.status_code == 403


async def test_supervisors_read_what_they_supervise_without_any_form(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    supervisor = await web.login(SUPERVISOR)
    listing = await supervisor.get("/conclusions")
    assert listing.status_code == 200 and spec.number in listing.text
    page = await supervisor.get(f"/conclusions/{wid}")
    assert page.status_code == 200
    body = text_of(page)
    assert "UBND huyện Lý Sơn" in body
    for form in ("/waive", "/transfer", "/withdraw", "/contacts", "/links", 'method="post" action="/conclusions'):
        assert form not in body, form
    assert (await supervisor.get("/overdue")).status_code == 200
    assert (await supervisor.get("/")).status_code == 200
    for path in ("/conclusions/new", "/review", "/notifications", "/admin"):
        assert (await supervisor.get(path)).status_code == 403, path
    posts = [
        f"/conclusions/{wid}/actions/{LY_SON_ACTION}/waive",
        f"/conclusions/{wid}/withdraw",
        f"/conclusions/{wid}/evidence/ev-1/review",
        "/conclusions",
        "/notifications/resend",
    ]
    for path in posts:
        assert (await supervisor.post(path, data={"reason": "x", "confirm": "1"})).status_code == 403, path
    outsider = await web.login(OUTSIDER)
    assert spec.number not in (await outsider.get("/conclusions")).text
    assert (await outsider.get(f"/conclusions/{wid}")).status_code == 404


# ---------------------------------------------------------------- dashboard and list


async def test_dashboard_shows_status_counts_upcoming_deadlines_and_recent_activity(web: Web) -> None:
    spec = await web.start_quang_ngai(due_in_days=10)
    staff = await web.login(STAFF)
    response = await staff.get("/")
    assert response.status_code == 200
    body = text_of(response)
    assert "Tổng quan theo dõi kết luận thanh tra" in body
    assert "Kết luận đang theo dõi" in body
    assert "Hạn trong 14 ngày tới" in body and spec.number in body and "UBND huyện Lý Sơn" in body
    due = action_row(web, spec.workflow_id, LY_SON_ACTION).due
    assert due is not None and f"{due.astimezone(VN):%d/%m/%Y}" in body
    recent = body.split("Hoạt động gần đây", 1)[1]
    assert f">{spec.number}</a> ·" in recent
    assert "Hồ sơ chờ xem xét" in body


async def test_the_list_filters_by_status_unit_overdue_and_text(web: Web) -> None:
    spec = await web.start_quang_ngai()
    staff = await web.login(STAFF)

    async def shows(**params: str) -> bool:
        """Whether the conclusion is among the results (its link, not the search box echoing the query)."""
        response = await staff.get("/conclusions", params=params)
        assert response.status_code == 200
        return f'href="/conclusions/{spec.workflow_id}"' in response.text

    assert await shows()
    assert await shows(q=spec.number) and await shows(q="Quảng Ngãi") and not await shows(q="không-có-kết-luận-này")
    assert await shows(status="active") and not await shows(status="closed")
    assert await shows(unit="ly-son") and not await shows(unit="khong-co")
    assert await shows(overdue="no") and not await shows(overdue="yes")
    page = text_of(await staff.get("/conclusions", params={"q": "không-có-kết-luận-này"}))
    assert "Không có kết luận nào" in page and "Bỏ lọc" in page
    assert 'hx-get="/conclusions"' in page and 'method="get" action="/conclusions"' in page  # works without htmx


# ---------------------------------------------------------------- the conclusion page


async def test_the_conclusion_page_shows_units_actions_due_dates_and_the_timeline(web: Web) -> None:
    spec = await web.start_quang_ngai()
    staff = await web.login(STAFF)
    response = await staff.get(f"/conclusions/{spec.workflow_id}")
    assert response.status_code == 200
    body = text_of(response)
    assert f"Kết luận số {spec.number}" in body and spec.title in body
    assert "UBND huyện Lý Sơn" in body and "Sở Giao thông vận tải" in body
    action = next(a for a in spec.actions if a.id == LY_SON_ACTION)
    assert action.text in body
    due = action_row(web, spec.workflow_id, LY_SON_ACTION).due
    assert due is not None and f"{due.astimezone(VN):%d/%m/%Y}" in body
    assert "Đang thực hiện" in body and "Chưa nộp báo cáo" in body
    assert "Diễn biến" in body and f"Bắt đầu theo dõi kết luận {spec.number}" in body and STAFF in body
    assert f'action="/conclusions/{spec.workflow_id}/units/ly-son/links"' in body
    assert f'action="/conclusions/{spec.workflow_id}/units/ly-son/links/revoke"' in body
    assert body.count('name="csrf_token"') >= 10
    assert (await staff.get("/conclusions/kl-khong-co-2020")).status_code == 404


async def test_staff_waive_transfer_and_refusals_show_on_the_page(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    staff = await web.login(STAFF)
    empty = await staff.post(f"/conclusions/{wid}/actions/{LY_SON_ACTION}/waive", data={"reason": ""})
    assert empty.status_code == 422 and "Nêu lý do miễn thực hiện." in text_of(empty)
    done = await staff.post(
        f"/conclusions/{wid}/actions/{LY_SON_ACTION}/waive", data={"reason": "Đã sáp nhập đơn vị, không còn đối tượng"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/conclusions/{wid}#action-{LY_SON_ACTION}"
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert f"Đã miễn thực hiện kiến nghị {LY_SON_ACTION}." in page  # the flash after the redirect
    assert "Miễn thực hiện" in page and "Đã sáp nhập đơn vị, không còn đối tượng" in page
    again = await staff.post(f"/conclusions/{wid}/actions/{LY_SON_ACTION}/transfer", data={"reason": "CQĐT số 12"})
    assert again.status_code == 409
    body = text_of(again)
    assert "đang ở trạng thái «Miễn thực hiện», không thể chuyển cơ quan điều tra" in body
    assert "Traceback" not in body and f"Kết luận số {spec.number}" in body  # the page itself, with the refusal
    moved = await staff.post(
        f"/conclusions/{wid}/actions/ly-son-dvctt/transfer", data={"reason": "Chuyển CQĐT Công an tỉnh, CV 45/TTr"}
    )
    assert moved.status_code == 303
    timeline = text_of(await staff.get(f"/conclusions/{wid}"))
    assert f"{STAFF}" in timeline and "Chuyển cơ quan điều tra: Chuyển CQĐT Công an tỉnh, CV 45/TTr" in timeline
    assert "Miễn thực hiện: Đã sáp nhập đơn vị, không còn đối tượng" in timeline


async def test_staff_add_an_action_change_contacts_and_withdraw(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    staff = await web.login(STAFF)
    duplicate = await staff.post(
        f"/conclusions/{wid}/actions",
        data={"id": LY_SON_ACTION, "unit": "ly-son", "kind": "remedy", "text": "Nội dung", "due_in": "20"},
    )
    assert duplicate.status_code == 409 and f"mã kiến nghị '{LY_SON_ACTION}' đã tồn tại." in text_of(duplicate)
    no_due = await staff.post(
        f"/conclusions/{wid}/actions", data={"id": "ly-son-moi", "unit": "ly-son", "kind": "remedy", "text": "X"}
    )
    assert no_due.status_code == 422 and "chỉ một trong hai" in text_of(no_due)
    added = await staff.post(
        f"/conclusions/{wid}/actions",
        data={
            "id": "ly-son-thu-hoi",
            "unit": "ly-son",
            "kind": "recover",
            "text": "Thu hồi kinh phí chi sai quy định",
            "due_in": "20",
            "due_in_working": "1",
            "amount_vnd": "15.000.000",
        },
    )
    assert added.status_code == 303
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Thu hồi kinh phí chi sai quy định" in page and "15.000.000 đ" in page
    assert action_row(web, wid, "ly-son-thu-hoi").amount_vnd == 15_000_000

    bad = await staff.post(f"/conclusions/{wid}/units/ly-son/contacts", data={"contacts": "khong-phai-email"})
    assert bad.status_code == 422 and "'khong-phai-email' không phải địa chỉ email hợp lệ" in text_of(bad)
    lyson = unit_row(web, wid, "ly-son")
    assert (lyson.head_title, lyson.supervisor_title) == ("Chủ tịch UBND huyện Lý Sơn", "Chủ tịch UBND tỉnh Quảng Ngãi")
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Cơ quan cấp trên: Chủ tịch UBND tỉnh Quảng Ngãi (ubnd@quangngai.example.vn)" in page
    assert '<input type="hidden" name="head_title_shown" value="Chủ tịch UBND huyện Lý Sơn">' in page

    async def contacts(**typed: str) -> httpx.Response:
        """The unit's contacts form as the page fills it in, with what staff typed over it."""
        row = unit_row(web, wid, "ly-son")
        shown = {"head": row.head, "head_title": row.head_title, "supervisor": row.supervisor}
        shown["supervisor_title"] = row.supervisor_title
        form = {"contacts": ", ".join(row.contacts)}
        for name, value in shown.items():
            form[name] = form[f"{name}_shown"] = value or ""
        return await staff.post(f"/conclusions/{wid}/units/ly-son/contacts", data={**form, **typed})

    good = await contacts(contacts="moi@lyson.example.vn, phong@lyson.example.vn", head="ct@lyson.example.vn")
    assert good.status_code == 303
    lyson = unit_row(web, wid, "ly-son")
    assert lyson.contacts == ["moi@lyson.example.vn", "phong@lyson.example.vn"] and lyson.head == "ct@lyson.example.vn"
    assert lyson.head_title == "Chủ tịch UBND huyện Lý Sơn", "a new chairman keeps the title the form shows"
    assert lyson.supervisor_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert (await contacts(head_title="")).status_code == 303
    assert unit_row(web, wid, "ly-son").head_title is None, "a title emptied is cleared"
    too_long = await contacts(supervisor_title="x" * 201)
    assert too_long.status_code == 422 and "quá dài (tối đa 200 ký tự)" in text_of(too_long)
    moved = await contacts(supervisor="gd@sotttt.example.vn", supervisor_title="Giám đốc Sở Thông tin và Truyền thông")
    assert moved.status_code == 303
    lyson = unit_row(web, wid, "ly-son")
    assert (lyson.supervisor, lyson.supervisor_title) == (
        "gd@sotttt.example.vn",
        "Giám đốc Sở Thông tin và Truyền thông",
    )
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Cơ quan cấp trên: Giám đốc Sở Thông tin và Truyền thông (gd@sotttt.example.vn)" in page

    unconfirmed = await staff.post(f"/conclusions/{wid}/withdraw", data={"reason": "Nhập trùng"})
    assert unconfirmed.status_code == 422 and "Đánh dấu xác nhận để rút kết luận." in text_of(unconfirmed)
    gone = await staff.post(f"/conclusions/{wid}/withdraw", data={"reason": "Nhập trùng", "confirm": "1"})
    assert gone.status_code == 303
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Đã rút" in page and "Nhập trùng" in page
    assert "/withdraw" not in page and "/waive" not in page  # no forms on a withdrawn conclusion


# ---------------------------------------------------------------- reviewing


async def test_evidence_is_reviewed_from_the_queue_and_the_next_load_shows_it(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    await web.ctx.gateway.update(
        wid, c.SubmitEvidence(actor=AGENCY, action_id=LY_SON_ACTION, files=[PDF], note="Đợt 1")
    )
    staff = await web.login(STAFF)
    queue = text_of(await staff.get("/review"))
    assert "Minh chứng chờ xem xét (1)" in queue and "ev-1" in queue and "UBND huyện Lý Sơn" in queue
    assert f'action="/conclusions/{wid}/evidence/ev-1/review"' in queue and "minh-chung.pdf" in queue

    url = f"/conclusions/{wid}/evidence/ev-1/review"
    missing = await staff.post(url, data={"decision": "reject", "reason": "", "next": "/review"})
    assert missing.status_code == 422
    assert "Nêu rõ cần bổ sung gì (lý do yêu cầu bổ sung)." in text_of(missing)
    assert "Hồ sơ chờ xem xét" in text_of(missing)  # shown again on the queue it came from
    rejected = await staff.post(
        url, data={"decision": "reject", "reason": "Thiếu quyết định phê duyệt", "next": "/review"}
    )
    assert rejected.status_code == 303 and rejected.headers["location"] == "/review"
    assert "Không có minh chứng nào chờ xem xét." in text_of(await staff.get("/review"))
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Yêu cầu bổ sung" in page and "Thiếu quyết định phê duyệt" in page and STAFF in page

    again = await staff.post(url, data={"decision": "accept"})
    assert again.status_code == 409 and "Minh chứng 'ev-1' đã được xem xét." in text_of(again)

    await web.ctx.gateway.update(wid, c.SubmitEvidence(actor=AGENCY, action_id=LY_SON_ACTION, files=[PDF]))
    accepted = await staff.post(f"/conclusions/{wid}/evidence/ev-2/review", data={"decision": "accept"})
    assert accepted.status_code == 303
    assert action_row(web, wid, LY_SON_ACTION).status == "done"
    assert "Hoàn thành" in text_of(await staff.get(f"/conclusions/{wid}"))


async def test_a_reason_too_long_is_refused_beside_its_field_and_control_characters_are_dropped(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    await web.ctx.gateway.update(wid, c.SubmitEvidence(actor=AGENCY, action_id=LY_SON_ACTION, files=[PDF]))
    staff = await web.login(STAFF)
    url = f"/conclusions/{wid}/evidence/ev-1/review"
    pasted = await staff.post(url, data={"decision": "reject", "reason": "x" * 5000, "next": "/review"})
    assert pasted.status_code == 422 and "quá dài (tối đa 4.000 ký tự)" in text_of(pasted)
    assert "Minh chứng chờ xem xét (1)" in text_of(await staff.get("/review")), "nothing was decided"
    word = await staff.post(url, data={"decision": "reject", "reason": "Thiếu\x00 biên bản\x0bký", "next": "/review"})
    assert word.status_code == 303
    (evidence,) = (await web.ctx.gateway.snapshot(wid)).evidence
    assert evidence.reason == "Thiếu biên bản\nký"


async def test_extension_requests_are_decided_inline(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    due = action_row(web, wid, LY_SON_ACTION).due
    assert due is not None
    wanted = due.astimezone(VN).date() + timedelta(days=30)
    request = c.RequestExtension(actor=AGENCY, action_id=LY_SON_ACTION, requested_due=wanted, reason="Chờ kinh phí")
    await web.ctx.gateway.update(wid, request)
    staff = await web.login(STAFF)
    queue = text_of(await staff.get("/review"))
    assert "Đề nghị gia hạn chờ quyết định (1)" in queue and f"{wanted:%d/%m/%Y}" in queue and "Chờ kinh phí" in queue
    url = f"/conclusions/{wid}/extensions/ext-1/decide"
    no_reason = await staff.post(url, data={"decision": "deny", "next": "/review"})
    assert no_reason.status_code == 422 and "Nêu lý do không chấp thuận gia hạn." in text_of(no_reason)
    bad_day = await staff.post(url, data={"decision": "approve", "granted_due": "31/02/2030", "next": "/review"})
    assert bad_day.status_code == 422 and "Ngày không hợp lệ" in text_of(bad_day)
    too_early = await staff.post(url, data={"decision": "approve", "granted_due": f"{due.astimezone(VN):%Y-%m-%d}"})
    assert too_early.status_code == 409 and "hạn mới phải sau hạn hiện tại" in text_of(too_early)
    approved = await staff.post(url, data={"decision": "approve", "next": "/review"})
    assert approved.status_code == 303
    row = action_row(web, wid, LY_SON_ACTION)
    assert row.due is not None and row.due.astimezone(VN).date() >= wanted and row.due_version == 2
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Đã gia hạn" in page and f"{row.due.astimezone(VN):%d/%m/%Y}" in page and "đã gia hạn" in page


async def test_a_unit_report_is_accepted_from_the_conclusion_page(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    await web.ctx.gateway.update(wid, c.SubmitReport(actor=AGENCY, unit="ly-son", files=[PDF], note="Báo cáo quý"))
    staff = await web.login(STAFF)
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Đã nộp báo cáo, chờ xem xét" in page and f'action="/conclusions/{wid}/reports/rp-1/review"' in page
    queue = text_of(await staff.get("/review"))
    assert "Báo cáo kết quả thực hiện chờ xem xét (1)" in queue
    refused = await staff.post(f"/conclusions/{wid}/reports/rp-1/review", data={"decision": "reject"})
    assert refused.status_code == 422 and "Nêu lý do trả lại báo cáo." in text_of(refused)
    accepted = await staff.post(f"/conclusions/{wid}/reports/rp-1/review", data={"decision": "accept"})
    assert accepted.status_code == 303
    assert "Báo cáo đã được chấp nhận" in text_of(await staff.get(f"/conclusions/{wid}"))


# ---------------------------------------------------------------- overdue


async def test_overdue_actions_are_grouped_by_unit_and_age(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    now = web_clock.clock()
    ages = {"ly-son-eoffice": 3, "ly-son-dvctt": 20, "tra-bong-dvctt": 45}
    with Session(web.ctx.engine) as session:  # the read model as if these deadlines had passed
        for action_id, days in ages.items():
            row = session.get(ActionRow, (wid, action_id))
            assert row is not None
            row.due = now - timedelta(days=days, hours=1)
            session.add(row)
        session.commit()
    staff = await web.login(STAFF)
    body = text_of(await staff.get("/overdue"))
    assert "Kiến nghị, báo cáo quá hạn" in body and "Chờ đơn vị thực hiện (3)" in body
    assert "UBND huyện Lý Sơn" in body and "UBND huyện Trà Bồng" in body
    assert body.index("46 ngày") < body.index("21 ngày") < body.index("4 ngày")  # most days overdue first
    cells = r'<td class="num" data-label="[^"]+">(\d+)</td>'
    assert re.search(rf"UBND huyện Lý Sơn</td>{cells}{cells}{cells}", body).groups() == ("1", "1", "0")  # type: ignore[union-attr]
    supervisor = text_of(await (await web.login(SUPERVISOR)).get("/overdue"))
    assert "UBND huyện Trà Bồng" in supervisor and "46 ngày" in supervisor
    dashboard = text_of(await staff.get("/"))
    assert "Kiến nghị quá hạn theo đơn vị" in dashboard and "UBND huyện Lý Sơn" in dashboard
    conclusion = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Quá hạn 46 ngày" in conclusion


# ---------------------------------------------------------------- notifications


def outbox_row(
    workflow_id: str,
    letter_key: str,
    audience: str,
    state: str,
    answer: str,
    items: list[str],
    step: str = "reminder",
    recipients: tuple[str, ...] = ("vanphong@lyson.example.vn",),
) -> NotificationRow:
    """One copy of a letter to Lý Sơn, as the mail activity writes it."""
    key = f"{letter_key}/{audience}"
    return NotificationRow(
        key=key,
        message_id=f"<{key}@dondoc>",
        letter_key=letter_key,
        audience=audience,
        workflow_id=workflow_id,
        target=items[0] if len(items) == 1 else "report.ly-son",
        items=items,
        unit="ly-son",
        step=step,
        recipients=list(recipients),
        subject="[Nhắc nhở] KL – UBND huyện Lý Sơn",
        status=state,
        attempts=1,
        smtp_answer=answer,
        created_at=datetime.now(UTC),
    )


async def test_notifications_list_each_copy_with_its_audience_items_and_outcome(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    failed_key, sent_key = f"{wid}/ly-son/urging/1", f"{wid}/ly-son/reminder/2"
    two = [LY_SON_ACTION, "report.ly-son"]
    three = [LY_SON_ACTION, "ly-son-dvctt", "report.ly-son"]
    with Session(web.ctx.engine) as session:
        session.add(outbox_row(wid, failed_key, "unit", "sent", "250 OK", two, "urging", ("chutich@lyson.vn",)))
        session.add(
            outbox_row(wid, failed_key, "oversight", "failed", "550 5.1.1 Mailbox does not exist", two, "urging")
        )
        session.add(outbox_row(wid, sent_key, "unit", "sent", "250 OK", three))
        session.commit()
    staff = await web.login(STAFF)
    body = text_of(await staff.get("/notifications"))
    assert (
        "Gửi lỗi: địa chỉ người nhận không tồn tại hoặc bị máy chủ thư từ chối" in body
        and "Mailbox does not exist" not in body
        and body.count("Đã gửi") >= 2
    )
    assert "250 OK" not in body, "staff read what happened, not the mail server's protocol"
    assert "Bản gửi đơn vị" in body and "Bản để biết, theo dõi" in body
    assert "2 nội dung" in body and "3 nội dung" in body
    assert "Đôn đốc" in body and "Nhắc nhở" in body and "UBND huyện Lý Sơn" in body and "chutich@lyson.vn" in body
    assert body.count('action="/notifications/resend"') == 1, "one form per failed letter, on its failed copy"
    assert f'name="key" value="{failed_key}"' in body, "the form posts the letter's key, not a copy's"
    only_sent = text_of(await staff.get("/notifications", params={"status": "sent"}))
    assert "3 nội dung" in only_sent and "550 5.1.1" not in only_sent
    refused = await staff.post("/notifications/resend", data={"key": sent_key})
    assert refused.status_code == 409
    assert f"Không tìm thấy văn bản '{sent_key}'" in text_of(refused) and "Traceback" not in refused.text
    unknown = await staff.post("/notifications/resend", data={"key": "khong-co"})
    assert unknown.status_code == 404
    agency = await web.login(AGENCY)
    assert (await agency.post("/notifications/resend", data={"key": failed_key})).status_code == 403


@pytest.fixture
async def failing_mail(web: Web) -> AsyncIterator[tuple[Gateway, list[LetterRequest]]]:
    """A second worker whose mail server refuses every letter for good (5xx), and a gateway starting on it."""
    refused: list[LetterRequest] = []

    @activity.defn(name="send_letter")
    async def send_letter(request: LetterRequest) -> MailOutcome:
        refused.append(request)
        outcome = MailOutcome(status=MailStatus.failed, detail="550 5.1.1 Không có hộp thư này")
        await asyncio.to_thread(write_outbox, web.ctx.engine, request, outcome)
        return outcome

    task_queue = f"web-failing-{uuid.uuid4().hex[:8]}"
    activities = [plan_deadlines, project_state, send_letter, mail_together(send_letter, send_notice), send_notice]
    async with build_worker(web.env.client, task_queue, activities):
        yield Gateway(web.env.client, task_queue), refused


async def test_a_failed_letter_is_sent_again_by_its_key(
    web: Web, failing_mail: tuple[Gateway, list[LetterRequest]]
) -> None:
    gateway, refused = failing_mail
    today = (await web.env.get_current_time()).astimezone(VN).date()
    spec: ConclusionSpec = redated(quang_ngai(), today, {}, default_days=30)
    long_ago = PolicyStep(step=Step.reminder, offset=timedelta(days=-60), to=["contacts"])
    spec = spec.model_copy(
        update={
            "number": f"{uuid.uuid4().int % 10**6}/KL-Ttra",
            "actions": [a for a in spec.actions if a.id == LY_SON_ACTION],
            "units": [u for u in spec.units if u.code == "ly-son"],
            "policy": Policy(steps=[long_ago]),
        }
    )
    wid = await gateway.start(spec, STAFF)
    await web.wait_projected(wid)
    await wait_for(lambda: len(refused) >= 1, "the reminder was refused")
    [letter] = refused
    assert [line.target for line in letter.items] == [LY_SON_ACTION, "report.ly-son"], "one letter, both items"

    def failed_recorded() -> bool:
        with Session(web.ctx.engine) as session:
            return bool(
                session.exec(
                    select(AuditEventRow).where(
                        AuditEventRow.workflow_id == wid, AuditEventRow.kind == "notification_failed"
                    )
                ).all()
            )

    await wait_for(failed_recorded, "the failure was recorded")
    staff = await web.login(STAFF)
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    section = page.split('id="letters-ly-son"', 1)[1].split('<details class="card unit"', 1)[0]
    assert "Văn bản đôn đốc" in page and "Nhắc nhở" in section and "2 nội dung" in section
    assert "Gửi lỗi: địa chỉ người nhận không tồn tại hoặc bị máy chủ thư từ chối" in section and "Gửi lại" in section
    assert f'name="key" value="{letter.key}"' in section
    listed = text_of(await staff.get("/notifications"))
    assert f'name="key" value="{letter.key}"' in listed
    resent = await staff.post(
        "/notifications/resend", data={"key": letter.key, "next": f"/conclusions/{wid}#letters-ly-son"}
    )
    assert resent.status_code == 303 and resent.headers["location"] == f"/conclusions/{wid}#letters-ly-son"
    await wait_for(lambda: sum(r.key == letter.key for r in refused) >= 2, "the letter was sent again")
    assert refused[-1].key == letter.key and refused[-1].resend
    await wait_for(lambda: "Yêu cầu gửi lại văn bản «Nhắc nhở»" in text_of_sync(web, wid), "the timeline shows it")

    unknown = f"{wid}/ly-son/urging/77"
    again = await staff.post("/notifications/resend", data={"key": unknown, "workflow_id": wid})
    assert again.status_code == 409 and "Không gửi lại được văn bản" in text_of(again)


def text_of_sync(web: Web, workflow_id: str) -> str:
    """The conclusion's audit trail as text (without going through a page)."""
    with Session(web.ctx.engine) as session:
        events = session.exec(select(AuditEventRow).where(AuditEventRow.workflow_id == workflow_id)).all()
    return "\n".join(e.message for e in events)


# ---------------------------------------------------------------- registering a conclusion


def new_form(**changes: str) -> dict[str, str]:
    number = f"{uuid.uuid4().int % 10**8}/KL-TTr"  # digits first: "abcd/KL-TTr" would read as a placeholder
    data = {
        "number": number,
        "issued_on": "2026-04-10",
        "received_on": "2026-04-20",
        "issuer": "Thanh tra tỉnh Quảng Ngãi",
        "title": "Thanh tra việc quản lý, sử dụng kinh phí chuyển đổi số",
        "tracking_body": "Thanh tra tỉnh Quảng Ngãi",
        "inspectorate_head": "chanhthanhtra@quangngai.example.vn",
        "agency_head": "chutich@quangngai.example.vn",
        "report_due_in": "45",
        "units[0].code": "ly-son",
        "units[0].name": "UBND huyện Lý Sơn",
        "units[0].contacts": "vanphong@lyson.example.vn, vanthu@lyson.example.vn",
        "units[0].head": "chutich@lyson.example.vn",
        "units[1].code": "",
        "actions[0].id": "ly-son-chu-ky-so",
        "actions[0].unit": "ly-son",
        "actions[0].kind": "remedy",
        "actions[0].text": "Triển khai chữ ký số cho văn bản đi của huyện",
        "actions[0].due_in": "10",
        "actions[0].due_in_working": "1",
        "actions[1].id": "ly-son-thu-hoi",
        "actions[1].unit": "",
        "actions[1].kind": "recover",
        "actions[1].text": "Thu hồi kinh phí thanh toán sai",
        "actions[1].due": "2026-09-02",
        "actions[1].amount_vnd": "12.500.000",
        "actions[2].id": "",
    }
    data.update(changes)
    return data


async def test_the_new_conclusion_form_has_rows_labels_and_adds_a_row_without_javascript(web: Web) -> None:
    staff = await web.login(STAFF)
    page = text_of(await staff.get("/conclusions/new"))
    assert "Đăng ký kết luận thanh tra để theo dõi" in page
    assert 'id="unit-row-2"' in page and 'id="action-row-2"' in page and 'id="action-row-3"' not in page
    assert '<label for="number">Số kết luận' in page and 'name="actions[0].due_in_working"' in page
    assert 'formaction="/conclusions/new?add=actions"' in page and 'hx-post="/conclusions/new?add=actions"' in page
    assert 'enctype="multipart/form-data"' in page and 'name="spec_file"' in page
    more = await staff.post("/conclusions/new?add=actions", data=new_form())
    assert more.status_code == 200
    body = text_of(more)
    assert 'id="action-row-3"' in body and 'value="Thu hồi kinh phí thanh toán sai"' not in body  # a textarea
    assert "Thu hồi kinh phí thanh toán sai</textarea>" in body and 'value="ly-son-chu-ky-so"' in body


async def test_the_deadline_preview_counts_working_days_and_names_the_holidays(web: Web) -> None:
    staff = await web.login(STAFF)
    response = await staff.post("/conclusions/preview", data=new_form())
    assert response.status_code == 200
    body = text_of(response)
    assert "Xem trước hạn" in body and "(tính từ ngày 20/04/2026)" in body
    # 10 working days from Monday 20/04/2026: Giỗ Tổ (Sun 26/4, observed Mon 27/4), 30/4 and 1/5 are days off
    assert "10 ngày làm việc kể từ ngày 20/04/2026" in body
    assert "07/05/2026" in body and "Thứ Năm" in body
    assert "Ngày Giỗ Tổ Hùng Vương" in body and "Ngày Chiến thắng" in body and "Ngày Quốc tế Lao động" in body
    assert re.search(r'<td class="num">17</td>\s*<td class="num">10</td>', body)
    # a due day on a public holiday moves to the next working day
    assert "dời từ 02/09/2026 vì là ngày nghỉ" in body and "03/09/2026" in body and "Quốc khánh" in body
    assert "Báo cáo kết quả thực hiện" in body and "Lịch nhắc nhở, đôn đốc" in body
    htmx = await staff.post("/conclusions/preview", data=new_form(), headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'id="preview"' in htmx.text


async def test_the_form_starts_only_after_its_confirmation_page_shows_what_starting_does(web: Web) -> None:
    staff = await web.login(STAFF)
    data = new_form()
    response = await staff.post("/conclusions", data=data)
    assert response.status_code == 303, text_of(response)[-2000:]
    draft = re.fullmatch(r"/drafts/([0-9a-f]+)/start", response.headers["location"])
    assert draft, "the form is kept as a draft and its confirmation page shown"
    page = await confirmation(staff, response)
    body = text_of(page)
    assert page.status_code == 200, body[-1500:]
    assert "Đã lưu thành bản nháp" in body and f"Bắt đầu theo dõi kết luận {data['number']}?" in body
    assert "Văn bản gửi đi ngay khi bắt đầu" in body and "07/05/2026" in body and "03/09/2026" in body
    assert (await staff.get(f"/drafts/{draft.group(1)}")).status_code == 200  # nothing has started yet
    started = await confirm(staff, page)
    assert started.status_code == 303, text_of(started)[-1500:]
    location = started.headers["location"]
    assert location.startswith("/conclusions/kl-")
    page = await staff.get(location)
    body = text_of(page)
    assert f"Đã đăng ký và bắt đầu theo dõi kết luận {data['number']}." in body
    assert "UBND huyện Lý Sơn" in body and "Triển khai chữ ký số cho văn bản đi của huyện" in body
    assert "07/05/2026" in body and "03/09/2026" in body and "12.500.000 đ" in body
    again = await confirmation(staff, await staff.post("/conclusions", data=data))
    assert again.status_code == 422 and "đã được đăng ký theo dõi" in text_of(again)
    assert not offers_to_confirm(again)


async def test_a_form_with_a_placeholder_number_is_kept_as_a_draft_but_cannot_be_confirmed(web: Web) -> None:
    staff = await web.login(STAFF)
    page = await confirmation(staff, await staff.post("/conclusions", data=new_form(number="…/KL-TTr")))
    assert page.status_code == 422
    assert "là số tạm của bản chưa ban hành" in text_of(page) and not offers_to_confirm(page)
    assert "Quay lại sửa bản nháp" in text_of(page)


async def test_form_errors_are_shown_beside_their_fields_in_vietnamese(web: Web) -> None:
    staff = await web.login(STAFF)
    data = new_form(
        issuer="",
        inspectorate_head="khong-phai-email",
        **{
            "units[0].contacts": "",
            "actions[0].unit": "khong-co",
            "actions[1].due": "",
            "actions[2].id": "ly-son-phat",
            "actions[2].text": "Thu hồi tiền phạt",
            "actions[2].kind": "recover",
            "actions[2].due_in": "30",
            "actions[2].amount_vnd": "mười triệu",
        },
    )
    response = await staff.post("/conclusions", data=data)
    assert response.status_code == 422
    body = text_of(response)
    assert "Cần sửa" in body
    assert re.search(r'id="issuer-error">thiếu trường bắt buộc<', body)
    assert re.search(r"id=\"inspectorate_head-error\">'khong-phai-email' không phải địa chỉ email hợp lệ<", body)
    assert re.search(r'id="u0-contacts-error">cần ít nhất một email đầu mối<', body)
    assert re.search(r'id="a2-amount-error">Số tiền phải là số nguyên đồng, ví dụ 15.000.000 \(', body)
    assert (
        "Kiến nghị dòng 2: Nhập hạn (một ngày) hoặc thời hạn" in body and "Số tiền phải thu hồi (đồng): Số tiền" in body
    )
    assert 'value="Thu hồi kinh phí thanh toán sai"' not in body and 'value="ly-son-chu-ky-so"' in body  # kept
    unknown_unit = await staff.post("/conclusions", data=new_form(**{"actions[0].unit": "khong-co"}))
    assert unknown_unit.status_code == 422
    assert re.search(r"id=\"a0-unit-error\">đơn vị 'khong-co' không có trong danh sách units", text_of(unknown_unit))


def conclusions_numbered(web: Web, number: str) -> list[ConclusionRow]:
    with Session(web.ctx.engine) as session:
        return list(session.exec(select(ConclusionRow).where(ConclusionRow.number == number)).all())


async def test_a_spec_file_starts_only_after_its_confirmation_page_shows_what_starting_does(web: Web) -> None:
    staff = await web.login(STAFF)
    source = (EXAMPLES / "quang-ngai-312-KL-Ttra.yaml").read_text(encoding="utf-8")
    number = f"{uuid.uuid4().int % 10**8}/KL-Ttra"
    source = source.replace('number: "312/KL-Ttra"', f'number: "{number}"')
    files = {"spec_file": ("quang-ngai.yaml", source.encode(), "application/yaml")}
    checked = await staff.post("/conclusions/upload", files=files)
    assert checked.status_code == 200
    body = text_of(checked)
    assert f"Bắt đầu theo dõi kết luận {number}?" in body and "Từ tệp <strong>quang-ngai.yaml</strong>" in body
    assert "9 đơn vị" in body and "30/09/2018" in body and "Kính gửi: Chủ tịch UBND huyện Lý Sơn" in body
    assert offers_to_confirm(checked)
    assert not conclusions_numbered(web, number)  # nothing has started yet
    started = await confirm(staff, checked)
    assert started.status_code == 303, text_of(started)[-1500:]
    page = text_of(await staff.get(started.headers["location"]))
    # due 30/09/2018 was a Sunday: the deadline is the next working day
    assert f"Kết luận số {number}" in page and "UBND huyện Lý Sơn" in page and "01/10/2018" in page
    twice = await confirm(staff, checked)
    assert twice.status_code == 422 and "không bắt đầu lần hai" in text_of(twice)
    uploaded_again = await staff.post("/conclusions/upload", files=files)
    assert uploaded_again.status_code == 422 and "đã được đăng ký theo dõi" in text_of(uploaded_again)
    assert not offers_to_confirm(uploaded_again)


async def test_a_spec_file_with_a_placeholder_number_cannot_be_confirmed(web: Web) -> None:
    staff = await web.login(STAFF)
    source = (EXAMPLES / "quang-ngai-312-KL-Ttra.yaml").read_text(encoding="utf-8")
    source = source.replace('number: "312/KL-Ttra"', 'number: "…/KL-Ttra"')
    checked = await staff.post("/conclusions/upload", files={"spec_file": ("kl.yaml", source.encode(), "text/yaml")})
    assert checked.status_code == 422
    assert "là số tạm của bản chưa ban hành" in text_of(checked) and not offers_to_confirm(checked)


async def test_a_confirmation_that_was_altered_or_left_open_too_long_starts_nothing(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = await web.login(STAFF)
    spec = ConclusionSpec.model_validate(small_spec(await env_today(web)))
    sealed = spec_upload.seal(web.ctx.settings, "kl.yaml", spec)
    altered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    refused = await staff.post("/conclusions/upload/start", data={"sealed": altered})
    assert refused.status_code == 422 and "Không đọc được nội dung cần xác nhận" in text_of(refused)
    now = time.time()
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: now - 9 * 3600))
    stale = spec_upload.seal(web.ctx.settings, "kl.yaml", spec)
    monkeypatch.undo()
    expired = await staff.post("/conclusions/upload/start", data={"sealed": stale})
    assert expired.status_code == 422 and "Trang xác nhận đã mở quá 8 giờ" in text_of(expired)
    assert not conclusions_numbered(web, spec.number)


async def test_an_invalid_spec_file_lists_every_problem_by_field(web: Web) -> None:
    staff = await web.login(STAFF)
    bad = (
        "number: '77/KL-TTr'\nissued_on: 2026-13-01\nissuer: Thanh tra tỉnh\ntitle: Thử\ntracking_body: Thanh tra tỉnh\n"
        "inspectorate_head: chanh@example.vn\nagency_head: khong-phai-email\n"
        "units:\n  - {code: Ly Son, name: Lý Sơn, contacts: [x]}\n"
        "actions:\n  - {id: a, unit: ly-son, text: Làm, due: 2026-02-30}\n"
    )
    response = await staff.post("/conclusions/upload", files={"spec_file": ("ke-luan.yaml", bad.encode(), "text/yaml")})
    assert response.status_code == 422
    body = text_of(response)
    assert "Tệp ke-luan.yaml chưa hợp lệ" in body
    for problem in (
        "issued_on: không đọc được ngày",
        "agency_head: 'khong-phai-email' không phải địa chỉ email hợp lệ",
        "units[0].code: chỉ gồm chữ thường không dấu",
        "units[0].contacts[0]: 'x' không phải địa chỉ email hợp lệ",
        "actions[0].due:",
    ):
        assert problem in body, problem
    syntax = await staff.post("/conclusions/upload", files={"spec_file": ("x.json", b"{not json", "application/json")})
    assert syntax.status_code == 422 and "tệp sai cú pháp JSON ở dòng 1, cột 2" in text_of(syntax)
    nothing = await staff.post("/conclusions/upload", files={"spec_file": ("", b"", "text/yaml")})
    assert nothing.status_code == 422 and "Chọn một tệp hồ sơ kết luận" in text_of(nothing)


async def test_pages_without_javascript_post_the_csrf_token_in_every_form(web: Web) -> None:
    spec = await web.start_quang_ngai()
    staff = await web.login(STAFF)
    for path in ("/conclusions/new", f"/conclusions/{spec.workflow_id}", "/review", "/notifications"):
        body = (await staff.get(path)).text
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", body, re.DOTALL)
        assert forms, path
        for form in forms:
            assert 'name="csrf_token"' in form, (path, form[:200])
    token = staff.headers.pop("X-CSRF-Token")
    refused = await staff.post(f"/conclusions/{spec.workflow_id}/withdraw", data={"reason": "x", "confirm": "1"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    ok = await staff.post(
        f"/conclusions/{spec.workflow_id}/withdraw", data={"reason": "Thử", "confirm": "1", "csrf_token": token}
    )
    assert ok.status_code == 303


async def test_absurd_numbers_and_dates_are_field_errors_never_a_crash(web: Web) -> None:
    staff = await web.login(STAFF)
    absurd = {
        "actions[0].due": "",
        "actions[0].due_in": "99999999",
        "actions[1].due": "31/12/9999",
        "actions[2].kind": "recover",
        "actions[2].amount_vnd": "9" * 5000,
    }
    preview = await staff.post("/conclusions/preview", data=new_form(**absurd))
    assert preview.status_code == 200 and "Số ngày phải là số nguyên từ 1 đến 3650." in text_of(preview)
    created = await staff.post("/conclusions", data=new_form(**absurd))
    assert created.status_code == 422
    body = text_of(created)
    assert re.search(r'id="a0-due_in-error">Số ngày phải là số nguyên từ 1 đến 3650.<', body)
    assert re.search(r'id="a1-due-error">Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 31/12/2026', body)
    assert re.search(r'id="a2-amount-error">Số tiền quá lớn: tối đa 1.000.000.000.000.000 đồng.<', body)


async def test_errors_outside_the_forms_speak_vietnamese(web: Web) -> None:
    staff = await web.login(STAFF)
    bad_query = await staff.get("/api/notifications", params={"limit": 0})
    assert bad_query.status_code == 422
    assert bad_query.json()["errors"] == [{"field": "limit", "message": "không được nhỏ hơn 1"}]
    missing = await staff.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and "Không tìm thấy trang hoặc tài nguyên này." in text_of(missing)
    assert (await staff.put("/api/conclusions")).json()["detail"].startswith("Thao tác này không được hỗ trợ")
    anonymous = await web.client().get("/conclusions", params={"status": "active"})
    assert anonymous.headers["location"] == "/login?next=/conclusions%3Fstatus%3Dactive", "the filters come back"


# ---------------------------------------------------------------- the new conclusion form: letter fields, ref, assumed due


def letter_form(**changes: str) -> dict[str, str]:
    """The standard form with what the urging letters need, item numbers and an assumed due date."""
    data = new_form(
        agency_head_title="Chủ tịch UBND tỉnh Quảng Ngãi",
        signer_title="Chánh Thanh tra",
        signer_name="Nguyễn Văn An",
        place="Quảng Ngãi",
        letter_symbol="TTr-NV",
        inspectorate_parent="UBND TỈNH QUẢNG NGÃI",
        **{
            "units[0].head_title": "Chủ tịch UBND huyện Lý Sơn",
            "units[0].supervisor_title": "Chủ tịch UBND tỉnh Quảng Ngãi",
            "report_due_assumed": "1",
            "actions[0].ref": "2.1.a",
            "actions[1].ref": "III.2",
            "actions[1].due_assumed": "1",
        },
    )
    data.update(changes)
    return data


async def test_the_form_shows_the_letter_fields_and_keeps_them_when_a_row_is_added(web: Web) -> None:
    staff = await web.login(STAFF)
    page = text_of(await staff.get("/conclusions/new"))
    assert "Thông tin ghi trên văn bản đôn đốc" in page
    for label in (
        '<label for="agency_head_title">Chức danh thủ trưởng cơ quan quản lý nhà nước',
        '<label for="signer_title">Chức danh người ký văn bản đôn đốc',
        '<label for="signer_name">Họ và tên người ký',
        '<label for="place">Địa danh ghi ở dòng ngày, tháng',
        '<label for="letter_symbol">Ký hiệu văn bản đôn đốc',
        '<label for="inspectorate_parent">Cơ quan chủ quản của cơ quan thanh tra',
        '<label for="u0-head_title">Chức danh thủ trưởng',
        '<label for="u0-supervisor_title">Chức danh cơ quan cấp trên',
        '<label for="a0-ref">Số mục trong kết luận',
    ):
        assert label in page, label
    assert 'name="actions[0].due_assumed"' in page and "hạn giả định (kết luận không nêu hạn)" in page
    again = text_of(await staff.post("/conclusions/new?add=units", data=letter_form()))
    for value in ("Chủ tịch UBND tỉnh Quảng Ngãi", "Nguyễn Văn An", "TTr-NV", "UBND TỈNH QUẢNG NGÃI", "2.1.a", "III.2"):
        assert f'value="{value}"' in again, value
    assert 'value="Chủ tịch UBND huyện Lý Sơn"' in again and 'id="unit-row-2"' in again
    assert re.search(r'name="actions\[1\]\.due_assumed" value="1" checked', again)
    assert not re.search(r'name="actions\[0\]\.due_assumed" value="1" checked', again)


def test_the_form_parser_puts_the_letter_fields_into_the_spec() -> None:
    from starlette.datastructures import FormData

    from dondoc.web.pages.new import read_form, validate

    form = read_form(FormData(list(letter_form(place="  Quảng Ngãi ", letter_symbol="/TTr-NV").items())))
    spec = validate(form)
    assert spec is not None, form.problems
    assert spec.agency_head_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert spec.signer is not None and (spec.signer.title, spec.signer.name) == ("Chánh Thanh tra", "Nguyễn Văn An")
    assert (spec.place, spec.letter_symbol, spec.inspectorate_parent) == (
        "Quảng Ngãi",
        "TTr-NV",
        "UBND TỈNH QUẢNG NGÃI",
    )
    assert spec.units[0].head_title == "Chủ tịch UBND huyện Lý Sơn"
    assert spec.units[0].supervisor_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert spec.report_due_assumed
    assert [(a.ref, a.due_assumed) for a in spec.actions] == [("2.1.a", False), ("III.2", True)]
    bare = validate(read_form(FormData(list(new_form().items()))))
    assert bare is not None and bare.signer is None and bare.place is None and bare.units[0].head_title is None
    assert not bare.report_due_assumed


async def test_staff_register_a_conclusion_with_the_letter_fields(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[ConclusionSpec] = []
    original = web.ctx.gateway.start

    async def recording(spec: ConclusionSpec, actor: str) -> str:
        started.append(spec)
        return await original(spec, actor)

    monkeypatch.setattr(web.ctx.gateway, "start", recording)
    staff = await web.login(STAFF)
    response = await staff.post("/conclusions", data=letter_form())
    assert response.status_code == 303, text_of(response)[-2000:]
    assert not started  # the form shows its confirmation page first
    confirmed = await confirm(staff, await confirmation(staff, response))
    assert confirmed.status_code == 303, text_of(confirmed)[-2000:]
    (spec,) = started
    assert spec.signer is not None and spec.signer.title == "Chánh Thanh tra" and spec.place == "Quảng Ngãi"
    assert spec.letter_symbol == "TTr-NV" and spec.inspectorate_parent == "UBND TỈNH QUẢNG NGÃI"
    assert spec.agency_head_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert spec.units[0].head_title == "Chủ tịch UBND huyện Lý Sơn"
    assert spec.units[0].supervisor_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert spec.report_due_assumed
    assert [(a.ref, a.due_assumed) for a in spec.actions] == [("2.1.a", False), ("III.2", True)]


async def test_letter_field_errors_are_shown_beside_their_fields(web: Web) -> None:
    staff = await web.login(STAFF)
    data = letter_form(
        letter_symbol="TTr NV",
        signer_title="",
        **{"actions[0].ref": "2.1." + "a" * 40, "units[0].head_title": "Chủ tịch " * 30},
    )
    response = await staff.post("/conclusions", data=data)
    assert response.status_code == 422
    body = text_of(response)
    assert re.search(r"id=\"letter_symbol-error\">ký hiệu văn bản là phần sau dấu '/'", body)
    assert re.search(r'id="signer_title-error">Nhập chức danh người ký \(ví dụ Chánh Thanh tra\)', body)
    assert re.search(r'id="a0-ref-error">quá dài \(tối đa 32 ký tự\)<', body)
    assert re.search(r'id="u0-head_title-error">quá dài \(tối đa 200 ký tự\)<', body)
    assert "Kiến nghị dòng 1 – Số mục trong kết luận: quá dài" in body
    assert 'value="Nguyễn Văn An"' in body  # what was typed is kept
