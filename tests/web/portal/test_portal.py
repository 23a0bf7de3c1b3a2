"""The agency portal: what a unit sees, and the whole cycle of evidence, extension and report through its forms."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from dondoc import links
from models import commands as c
from models.labels import VN
from models.spec import PriorStatus
from models.tables import ActionRow, NotificationRow
from tests.web.conftest import AGENCY, OTHER_AGENCY, STAFF, SUPERVISOR, Web
from tests.workflow.harness import quang_ngai, redated

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
ACTION = "ly-son-eoffice"  # an action of unit ly-son in the Quảng Ngãi example
OTHER_UNIT_ACTION = "tra-bong-"  # the prefix of unit tra-bong's actions


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


async def open_link(web: Web, workflow_id: str, unit: str = "ly-son", days: int = 60) -> httpx.AsyncClient:
    """A browser that opened a freshly issued link of (conclusion, unit), sending the CSRF token as a header."""
    token = links.issue(web.ctx.engine, web.ctx.settings.signing_key, workflow_id, unit, days)
    client = web.client()
    opened = await client.get(f"/portal/{token}")
    assert opened.status_code == 303 and opened.headers["location"] == "/portal"
    assert "/portal/" not in opened.headers["location"], "the token leaves the address bar at once"
    portal = await client.get("/portal")
    assert portal.status_code == 200, portal.text[-500:]
    client.headers["X-CSRF-Token"] = csrf_of(portal.text)
    client.follow_redirects = True  # a change answers with a redirect back to the portal, like a browser follows
    return client


def evidence_url(workflow_id: str, action_id: str = ACTION) -> str:
    return f"/portal/conclusions/{workflow_id}/actions/{action_id}/evidence"


def pdf(name: str = "minh-chung.pdf", content: bytes = PDF) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, content, "application/pdf"))]


def main_of(html: str) -> str:
    """The page without its layout (the forms' CSRF tokens and nav are not content)."""
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


async def test_an_agency_account_sees_only_its_units_actions(web: Web) -> None:
    spec = await web.start_quang_ngai()
    mine = {a.id for a in spec.actions if a.unit == "ly-son"}
    theirs = {a.id for a in spec.actions if a.unit == "tra-bong"}
    client = await web.login(AGENCY)
    page = await client.get("/portal")
    assert page.status_code == 200
    body = main_of(page.text)
    assert "Kiến nghị của UBND huyện Lý Sơn" in body
    assert spec.number in body
    assert all(f"/actions/{a}/" in body for a in mine)
    assert not any(f"/actions/{a}/" in body for a in theirs)
    assert "Trà Bồng" not in body

    other = await (await web.login(OTHER_AGENCY)).get("/portal")
    assert all(f"/actions/{a}/" in other.text for a in theirs)
    assert not any(f"/actions/{a}/" in other.text for a in mine)

    # acting on another unit's action is refused and changes nothing
    before = (await web.ctx.gateway.snapshot(spec.workflow_id)).version
    tra_bong_action = sorted(theirs)[0]
    refused = await client.post(evidence_url(spec.workflow_id, tra_bong_action), files=pdf())
    assert refused.status_code == 403 and "đơn vị mình" in refused.text
    refused = await client.post(
        f"/portal/conclusions/{spec.workflow_id}/actions/{tra_bong_action}/extension",
        data={"requested_due": "2099-01-01", "reason": "x"},
    )
    assert refused.status_code == 403
    assert (await web.ctx.gateway.snapshot(spec.workflow_id)).version == before


async def test_staff_supervisors_and_anonymous_visitors_do_not_use_the_portal(web: Web) -> None:
    await web.start_quang_ngai()
    for email in (STAFF, SUPERVISOR):
        response = await (await web.login(email)).get("/portal")
        assert response.status_code == 403 and "Cán bộ thanh tra" in response.text
    anonymous = await web.client().get("/portal")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_the_full_portal_cycle_through_a_link(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)

    # 1. upload a PDF, with a note; the answer redirects to the portal, so reloading it submits nothing again
    sent = await client.post(evidence_url(wid), files=pdf("Biên bản họp.pdf"), data={"note": "Kèm biên bản"})
    assert sent.status_code == 200, main_of(sent.text)
    assert [(r.status_code, r.headers["location"]) for r in sent.history] == [(303, f"/portal#action-{wid}--{ACTION}")]
    reloaded = await client.get("/portal")
    assert "Đã nộp minh chứng ev-1" not in reloaded.text, "the confirmation shows once"
    assert "Đã nộp minh chứng ev-1" in sent.text
    state = await web.ctx.gateway.snapshot(wid)
    [first] = state.evidence
    assert first.action_id == ACTION and first.note == "Kèm biên bản"
    assert first.files[0].name == "Biên bản họp.pdf" and first.files[0].content_type == "application/pdf"
    link_id = re.search(r"đường dẫn (\w+)\)", first.submitted_by)
    assert link_id and first.submitted_by.startswith("đơn vị ly-son (đường dẫn ")
    assert state.actions[ACTION].status == "evidence_submitted"
    assert "Chờ xem xét" in sent.text and "Biên bản họp.pdf" in sent.text

    # the unit downloads its own file, as an attachment under its original name
    href = re.search(rf'href="(/portal/conclusions/{wid}/evidence/ev-1/files/[0-9a-f]{{64}})"', sent.text)
    assert href
    download = await client.get(href.group(1))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.pdf" in download.headers["content-disposition"]
    assert 'filename="Bien ban hop.pdf"' in download.headers["content-disposition"], "an ASCII name for old clients"
    assert download.headers["x-content-type-options"] == "nosniff"

    # while evidence waits for review, no second upload
    again = await client.post(evidence_url(wid), files=pdf())
    assert again.status_code == 409 and "chờ xem xét" in again.text

    # 2. staff asks for more; the portal shows why
    reason = "Thiếu danh sách cán bộ đã được cấp tài khoản eOffice."
    await web.ctx.gateway.update(
        wid, c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision="reject", reason=reason)
    )
    page = await client.get("/portal")
    body = main_of(page.text)
    assert reason in body and "Yêu cầu bổ sung" in body

    # 3. upload again: a new revision, the first one kept
    second = await client.post(evidence_url(wid), files=pdf("bo-sung.pdf", PDF + b"% bo sung\n"))
    assert second.status_code == 200 and "Đã nộp minh chứng ev-2" in second.text
    state = await web.ctx.gateway.snapshot(wid)
    assert [e.id for e in state.evidence] == ["ev-1", "ev-2"]
    assert [e.status for e in state.evidence] == ["rejected", "submitted"]
    body = main_of(second.text)
    assert "Lần 1 (ev-1)" in body and "Lần 2 (ev-2)" in body and reason in body

    await web.ctx.gateway.update(wid, c.ReviewEvidence(actor=STAFF, evidence_id="ev-2", decision="accept"))
    done = main_of((await client.get("/portal")).text)
    assert "Hoàn thành" in done and "Đã chấp nhận" in done
    assert evidence_url(wid) not in done, "a done action takes no more evidence"


async def test_an_extension_request_is_checked_beside_its_fields_and_its_decision_shown(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    url = f"/portal/conclusions/{wid}/actions/{ACTION}/extension"
    with Session(web.ctx.engine) as session:
        action = session.get(ActionRow, (wid, ACTION))
        assert action is not None and action.due is not None
        due = action.due.astimezone(VN).date()

    early = await client.post(url, data={"requested_due": due.isoformat(), "reason": ""})
    assert early.status_code == 422
    key = f"{wid}--{ACTION}--extension"
    assert re.search(rf'id="{key}-requested_due-error"[^>]*>Ngày đề nghị phải sau hạn hiện tại', early.text)
    assert re.search(rf'id="{key}-reason-error"[^>]*>Nêu lý do xin gia hạn', early.text)
    assert 'aria-invalid="true"' in early.text
    invisible = await client.post(url, data={"requested_due": "31/12/2099", "reason": "\u200b\x00"})
    assert invisible.status_code == 422, "a reason of nothing visible is no reason"
    assert re.search(rf'id="{key}-reason-error"[^>]*>Nêu lý do xin gia hạn', invisible.text)
    garbled = await client.post(url, data={"requested_due": "31/02/2027", "reason": "Chờ kinh phí"})
    assert garbled.status_code == 422 and "Ngày không hợp lệ" in garbled.text
    assert "Chờ kinh phí" in garbled.text, "what was typed is kept"

    wanted = due + timedelta(days=45)
    asked = await client.post(
        url, data={"requested_due": wanted.strftime("%d/%m/%Y"), "reason": "Chờ kinh phí năm sau"}
    )
    assert asked.status_code == 200 and f"Đã gửi đề nghị gia hạn đến ngày {wanted:%d/%m/%Y}" in asked.text
    assert "Chờ quyết định" in asked.text
    assert url not in main_of(asked.text), "no second request while one waits"
    twice = await client.post(url, data={"requested_due": wanted.isoformat(), "reason": "lần nữa"})
    assert twice.status_code == 409 and "đang chờ quyết định" in twice.text

    state = await web.ctx.gateway.snapshot(wid)
    [request] = state.extension_requests
    denial = "Không có căn cứ gia hạn; đề nghị tập trung thực hiện."
    await web.ctx.gateway.update(
        wid, c.DecideExtension(actor=STAFF, request_id=request.id, approve=False, reason=denial)
    )
    body = main_of((await client.get("/portal")).text)
    assert "Không chấp thuận" in body and denial in body
    assert url in body, "after a decision the unit may ask again"


async def test_the_units_report_is_submitted_returned_with_a_reason_and_submitted_again(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    url = f"/portal/conclusions/{wid}/report"

    missing = await client.post(url, data={"note": "quên tệp"})
    assert missing.status_code == 422
    assert re.search(rf'id="{wid}--report-files-error"[^>]*>Chọn ít nhất một tệp báo cáo', missing.text)

    sent = await client.post(url, files=pdf("bao-cao-184.pdf"), data={"note": "Báo cáo số 184/BC-UBND"})
    assert sent.status_code == 200 and "Đã nộp báo cáo" in sent.text
    state = await web.ctx.gateway.snapshot(wid)
    assert state.units["ly-son"].report_status == "submitted"
    assert [r.unit for r in state.reports] == ["ly-son"]

    reason = "Báo cáo chưa nêu kết quả thực hiện mục 2.2."
    await web.ctx.gateway.update(wid, c.ReviewReport(actor=STAFF, report_id="rp-1", decision="reject", reason=reason))
    body = main_of((await client.get("/portal")).text)
    assert "Báo cáo bị trả lại" in body and reason in body and "Nộp lại báo cáo" in body
    href = re.search(rf'href="(/portal/conclusions/{wid}/reports/rp-1/files/[0-9a-f]{{64}})"', body)
    assert href
    download = await client.get(href.group(1))
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment;")

    resent = await client.post(url, files=pdf("bao-cao-bo-sung.pdf", PDF + b"%2\n"))
    assert resent.status_code == 200
    assert (await web.ctx.gateway.snapshot(wid)).units["ly-son"].report_status == "submitted"


async def test_a_plain_form_post_carries_its_token_in_a_hidden_field(web: Web) -> None:
    """No JavaScript: the CSRF token travels in the multipart body, as the page's form sends it."""
    spec = await web.start_quang_ngai()
    client = await open_link(web, spec.workflow_id)
    token = client.headers.pop("X-CSRF-Token")
    refused = await client.post(evidence_url(spec.workflow_id), files=pdf())
    assert refused.status_code == 403 and "CSRF" in refused.text
    sent = await client.post(evidence_url(spec.workflow_id), files=pdf(), data={"csrf_token": token})
    assert sent.status_code == 200 and "Đã nộp minh chứng ev-1" in sent.text


async def test_an_agency_account_acts_under_its_own_name(web: Web) -> None:
    spec = await web.start_quang_ngai()
    client = await web.login(AGENCY)
    sent = await client.post(evidence_url(spec.workflow_id), files=pdf())
    assert sent.status_code == 303 and sent.headers["location"].startswith("/portal#action-")
    assert (await web.ctx.gateway.snapshot(spec.workflow_id)).evidence[0].submitted_by == AGENCY


async def test_overdue_days_and_the_letters_already_sent_are_shown(web: Web) -> None:
    """A conclusion received 30 days ago with actions due about 26 days ago: overdue at once, a letter sent."""
    spec = await web.start_overdue(units=("ly-son", "tra-bong"))
    wid = spec.workflow_id
    sent = await web.letters_sent(wid, count=2)
    [letter] = [m for m in sent if m.unit_code == "ly-son"]
    assert ACTION in [line.target for line in letter.items]
    for _ in range(1200):  # the overdue flag comes with the projection after the letter
        with Session(web.ctx.engine) as session:
            late = session.get(ActionRow, (wid, ACTION))
        if late and late.overdue:
            break
        await asyncio.sleep(0.05)
    client = await open_link(web, wid)
    body = main_of((await client.get("/portal")).text)
    article = body.split(f'id="action-{wid}--{ACTION}"', 1)[1].split("</article>", 1)[0]
    assert 'class="portal-action is-late"' in body
    days = re.search(r"Quá hạn (\d+) ngày", article)
    assert days and int(days.group(1)) >= 12  # even when the due day moved past Tết
    steps = article.split("Đã nhắc nhở, đôn đốc", 1)[1].split("</dd>", 1)[0]
    assert "Chưa có" not in steps and re.search(r"<li>(Quá hạn|Đôn đốc)", steps)
    assert steps.count("<li>") == 1, "one letter, however many copies it had"
    with Session(web.ctx.engine) as session:
        copies = session.exec(select(NotificationRow).where(NotificationRow.letter_key == letter.key)).all()
    assert copies and all(ACTION in row.items for row in copies)
    unlisted = next(a.id for a in spec.actions if a.unit == "ly-son" and a.id != ACTION)
    with Session(web.ctx.engine) as session:  # a letter that listed only another item says nothing about this one
        for row in copies:
            row.items = [unlisted]
            session.add(row)
        session.commit()
    body = main_of((await client.get("/portal")).text)
    article = body.split(f'id="action-{wid}--{ACTION}"', 1)[1].split("</article>", 1)[0]
    assert "Chưa có" in article.split("Đã nhắc nhở, đôn đốc", 1)[1].split("</dd>", 1)[0]
    other = body.split(f'id="action-{wid}--{unlisted}"', 1)[1].split("</article>", 1)[0]
    assert "Chưa có" not in other.split("Đã nhắc nhở, đôn đốc", 1)[1].split("</dd>", 1)[0]


async def test_the_portal_shows_each_items_number_assumed_due_and_progress(web: Web) -> None:
    today = (await web.env.get_current_time()).astimezone(VN).date()
    spec = redated(quang_ngai(), today, {}, default_days=30)
    partly = {"due_assumed": True, "status": PriorStatus.partly_done, "as_of": today, "source": "Báo cáo 184/BC-UBND"}
    actions = [a.model_copy(update=partly) if a.id == ACTION else a for a in spec.actions]
    spec = spec.model_copy(update={"number": f"{uuid.uuid4().int % 10**6}/KL-Ttra", "actions": actions})
    await web.ctx.gateway.start(spec, STAFF)
    await web.wait_projected(spec.workflow_id)
    ref = next(a.ref for a in spec.actions if a.id == ACTION)
    assert ref
    client = await open_link(web, spec.workflow_id)
    body = main_of((await client.get("/portal")).text)
    article = body.split(f'id="action-{spec.workflow_id}--{ACTION}"', 1)[1].split("</article>", 1)[0]
    assert f'<strong class="ref">{ref}.</strong>' in article and "hạn giả định" in article
    assert "Đã thực hiện một phần (theo Báo cáo 184/BC-UBND)" in article
    others = body.split(f'id="action-{spec.workflow_id}--{ACTION}"', 1)[0]
    assert "hạn giả định" not in others
