"""Signed portal links: scoped to one conclusion and one unit, expiring, revocable, and clear when refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from dondoc import links
from models.web_tables import PortalLink
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.portal.test_portal import evidence_url, main_of, open_link, pdf


def issue(web: Web, workflow_id: str, unit: str = "ly-son", days: int = 60) -> str:
    return links.issue(web.ctx.engine, web.ctx.settings.signing_key, workflow_id, unit, days)


def assert_clear_page(html: str, message: str) -> None:
    """A page for people, in Vietnamese: the reason and what to do, no stack trace."""
    assert message in html
    assert "Bạn cần làm gì" in html and "cơ quan thanh tra" in html
    assert "Traceback" not in html and "Internal Server Error" not in html


async def test_a_link_shows_only_its_unit_in_its_conclusion(web: Web) -> None:
    first = await web.start_quang_ngai()
    second = await web.start_quang_ngai()
    client = await open_link(web, first.workflow_id)
    body = main_of((await client.get("/portal")).text)
    assert first.number in body and second.number not in body
    assert second.workflow_id not in body
    assert all(f"/actions/{a.id}/" in body for a in first.actions if a.unit == "ly-son")
    assert not any(f"/actions/{a.id}/" in body for a in first.actions if a.unit != "ly-son")
    assert "Truy cập qua đường dẫn của đơn vị" in (await client.get("/portal")).text

    # the same unit in another conclusion, and another unit here, are out of reach
    for workflow_id, action_id in ((second.workflow_id, "ly-son-eoffice"), (first.workflow_id, "tra-bong-thu-cong-vu")):
        refused = await client.post(evidence_url(workflow_id, action_id), files=pdf())
        assert refused.status_code == 403, refused.text[-300:]
    refused = await client.post(f"/portal/conclusions/{second.workflow_id}/report", files=pdf())
    assert refused.status_code == 403
    assert (await web.ctx.gateway.snapshot(second.workflow_id)).evidence == []

    # another unit's uploads cannot be downloaded with this link
    other = await open_link(web, first.workflow_id, unit="tra-bong")
    tra_bong_action = next(a.id for a in first.actions if a.unit == "tra-bong")
    sent = await other.post(evidence_url(first.workflow_id, tra_bong_action), files=pdf())
    assert sent.status_code == 200
    href = re.search(r'href="(/portal/conclusions/[^"]+/evidence/ev-1/files/[0-9a-f]{64})"', sent.text)
    assert href
    assert (await other.get(href.group(1))).status_code == 200
    assert (await client.get(href.group(1))).status_code == 404
    # nor can a link visitor see staff pages' data through the conclusion itself
    assert (await client.get(f"/conclusions/{first.workflow_id}/units/ly-son/links")).status_code == 403


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # the signature changed
        lambda t: t.split(".", 1)[0] + "x." + t.split(".", 1)[1],  # the payload changed
        lambda t: t[: len(t) // 2],  # copied in part
        lambda t: "khong-phai-duong-dan",
    ],
)
async def test_a_tampered_link_shows_a_clear_page(web: Web, tamper: object) -> None:
    spec = await web.start_quang_ngai()
    token = issue(web, spec.workflow_id)
    client = web.client()
    assert callable(tamper)
    response = await client.get(f"/portal/{tamper(token)}")
    assert response.status_code == 403
    assert_clear_page(response.text, "Đường dẫn không hợp lệ (có thể đã bị sửa hoặc sao chép thiếu).")
    assert (await client.get("/portal")).status_code == 303, "no access was granted"


async def test_a_link_for_another_unit_cannot_be_forged_from_a_real_one(web: Web) -> None:
    """The payload names the unit, but the signature covers it: swapping the unit breaks the link."""
    spec = await web.start_quang_ngai()
    token = issue(web, spec.workflow_id)
    signature = token.rsplit(".", 1)[1]
    _, readable = links._serializer("").loads_unsafe(token)  # the payload is signed, not secret
    forged_payload = links._serializer("khoa-gia-mao").dumps({**readable, "u": "tra-bong"})
    forged = forged_payload.rsplit(".", 1)[0] + "." + signature
    response = await web.client().get(f"/portal/{forged}")
    assert response.status_code == 403 and "không hợp lệ" in response.text


async def test_an_expired_link_shows_a_clear_page(web: Web) -> None:
    spec = await web.start_quang_ngai()
    token = issue(web, spec.workflow_id, days=0)
    response = await web.client().get(f"/portal/{token}")
    assert response.status_code == 410
    assert_clear_page(response.text, "Đường dẫn đã hết hạn.")


async def test_a_link_that_expires_while_in_use_stops_working(web: Web) -> None:
    spec = await web.start_quang_ngai()
    client = await open_link(web, spec.workflow_id, days=1)
    with Session(web.ctx.engine) as session:
        [link] = session.exec(select(PortalLink).where(PortalLink.workflow_id == spec.workflow_id)).all()
        link.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(link)
        session.commit()
    response = await client.get("/portal")
    assert response.status_code == 410
    assert_clear_page(response.text, "Đường dẫn đã hết hạn.")
    upload = await client.post(evidence_url(spec.workflow_id), files=pdf(), follow_redirects=False)
    assert upload.status_code in (303, 403, 410) and upload.headers.get("location", "/login").startswith("/login")
    assert (await web.ctx.gateway.snapshot(spec.workflow_id)).evidence == []


async def test_staff_revoke_a_units_links_and_visitors_are_shut_out(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    visitor = await open_link(web, wid)
    spare = issue(web, wid)
    other_unit = await open_link(web, wid, unit="tra-bong")

    staff = await web.login(STAFF)
    revoked = await staff.post(f"/conclusions/{wid}/units/ly-son/links/revoke", follow_redirects=True)
    assert revoked.status_code == 200 and "Đã thu hồi 2 đường dẫn." in revoked.text
    assert "Đã thu hồi" in main_of(revoked.text)

    page = await visitor.get("/portal")
    assert page.status_code == 410
    assert_clear_page(page.text, "Đường dẫn đã bị thu hồi.")
    upload = await visitor.post(evidence_url(wid), files=pdf(), follow_redirects=False)
    assert upload.status_code in (303, 403, 410) and upload.headers.get("location", "/login").startswith("/login")
    assert (await web.ctx.gateway.snapshot(wid)).evidence == []
    reopened = await web.client().get(f"/portal/{spare}")
    assert reopened.status_code == 410 and "đã bị thu hồi" in reopened.text
    assert (await other_unit.get("/portal")).status_code == 200, "only that unit's links are revoked"

    again = await staff.post(f"/conclusions/{wid}/units/ly-son/links/revoke", headers={"Accept": "application/json"})
    assert again.json() == {"revoked": 0}


async def test_staff_issue_a_new_link_and_it_opens_the_units_portal(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    staff = await web.login(STAFF)
    issued = await staff.post(f"/conclusions/{wid}/units/ly-son/links", follow_redirects=True)
    assert issued.status_code == 200 and [r.status_code for r in issued.history] == [303]
    url = re.search(r'id="new-link" value="([^"]+)"', issued.text)
    assert url and url.group(1).startswith(f"{web.ctx.settings.link_base}/portal/")
    listing = await staff.get(f"/conclusions/{wid}/units/ly-son/links")
    assert listing.status_code == 200 and "Đang hiệu lực" in listing.text
    assert 'id="new-link"' not in listing.text, "a new link is shown once; reloading issues none"

    as_json = await staff.post(f"/conclusions/{wid}/units/ly-son/links", headers={"Accept": "application/json"})
    assert as_json.status_code == 201 and as_json.json()["days"] == web.ctx.settings.link_days

    visitor = web.client()
    path = url.group(1).removeprefix(web.ctx.settings.link_base)
    assert (await visitor.get(path)).status_code == 303
    assert "Kiến nghị của UBND huyện Lý Sơn" in (await visitor.get("/portal")).text

    missing = await staff.post(f"/conclusions/{wid}/units/khong-co/links")
    assert missing.status_code == 404
    agency = await web.login(AGENCY)
    assert (await agency.post(f"/conclusions/{wid}/units/ly-son/links")).status_code == 403
    assert (await agency.post(f"/conclusions/{wid}/units/ly-son/links/revoke")).status_code == 403


async def test_opening_a_link_replaces_the_signed_in_session(web: Web) -> None:
    """A browser that opens a unit's link (and confirms) speaks for that unit only, whoever was signed in before."""
    spec = await web.start_quang_ngai()
    staff = await web.login(STAFF)
    assert (await staff.get("/portal")).status_code == 403
    opened = await staff.get(f"/portal/{issue(web, spec.workflow_id)}", params={"confirm": "true"})
    assert opened.status_code == 303
    page = await staff.get("/portal")
    assert page.status_code == 200 and "Kiến nghị của UBND huyện Lý Sơn" in page.text
    assert STAFF not in page.text


async def test_a_signed_in_account_is_asked_before_a_link_signs_it_out(web: Web) -> None:
    spec = await web.start_quang_ngai()
    token = links.issue(web.ctx.engine, web.ctx.settings.signing_key, spec.workflow_id, "ly-son", 60)
    staff = await web.login(STAFF)
    asked = await staff.get(f"/portal/{token}")
    assert asked.status_code == 200 and "Mở cổng thông tin của UBND huyện Lý Sơn?" in asked.text
    assert STAFF in asked.text and (await staff.get("/review")).status_code == 200, "still signed in"
    confirmed = await staff.get(f"/portal/{token}", params={"confirm": "true"})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/portal"
    assert (await staff.get("/review")).status_code in (303, 401, 403), "the account is signed out here"
