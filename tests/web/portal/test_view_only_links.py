"""The two copies of a letter: the unit's own link acts for the unit; the link mailed to supervisors and heads shows
the unit's follow-up and changes nothing, whatever it is sent to."""

from __future__ import annotations

import httpx
from sqlmodel import Session

from activities.mail import copy_link
from dondoc import links
from dondoc.web.security import VIEW_ONLY
from models.mail import Audience
from tests.web.conftest import Web
from tests.web.portal.test_portal import ACTION, PDF, evidence_url, main_of, pdf

EXTENSION = {"requested_due": "2099-01-01", "reason": "Chờ bố trí kinh phí"}


async def visit(web: Web, token: str) -> httpx.AsyncClient:
    """A browser that opened the link, sending the session's CSRF token (as its pages' forms would)."""
    client = web.client()
    opened = await client.get(f"/portal/{token}")
    assert opened.status_code == 303 and opened.headers["location"] == "/portal"
    me = (await client.get("/api/me")).json()
    assert me["via"] == "link" and me["unit"] == "ly-son"
    client.headers["X-CSRF-Token"] = me["csrf_token"]
    return client


def extension_url(workflow_id: str, action_id: str = ACTION) -> str:
    return f"/portal/conclusions/{workflow_id}/actions/{action_id}/extension"


def report_url(workflow_id: str) -> str:
    return f"/portal/conclusions/{workflow_id}/report"


def stored_files(web: Web) -> list[str]:
    root = web.ctx.files.root
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_supervisors_link_shows_the_unit_and_submits_nothing(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    key = web.ctx.settings.signing_key
    viewer = await visit(web, links.issue(web.ctx.engine, key, wid, "ly-son", 60, view_only=True))
    page = await viewer.get("/portal")
    assert page.status_code == 200
    body = main_of(page.text)
    assert "Kiến nghị của UBND huyện Lý Sơn" in body and spec.number in body
    assert next(a.text for a in spec.actions if a.id == ACTION) in body
    assert "chỉ để xem" in body
    for form in (evidence_url(wid), extension_url(wid), report_url(wid), 'method="post"'):
        assert form not in body, form

    before = await web.ctx.gateway.snapshot(wid)
    files_before = stored_files(web)
    for response in (
        await viewer.post(evidence_url(wid), files=pdf(), data={"note": "thử"}),
        await viewer.post(f"/portal/conclusions/{wid}/evidence", files=pdf(), data={"action_ids": ACTION}),
        await viewer.post(extension_url(wid), data=EXTENSION),
        await viewer.post(report_url(wid), files=pdf("bao-cao.pdf")),
        await viewer.post(
            f"/api/conclusions/{wid}/actions/{ACTION}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")}
        ),
        await viewer.post(f"/api/conclusions/{wid}/actions/{ACTION}/extension-requests", json=EXTENSION),
    ):
        assert response.status_code == 403, response.text[-300:]
        assert VIEW_ONLY in response.text
    after = await web.ctx.gateway.snapshot(wid)
    assert after.version == before.version and after.events[-1].seq == before.events[-1].seq
    assert after.evidence == [] and after.extension_requests == [] and after.reports == []
    assert stored_files(web) == files_before, "nothing was stored either"

    # the same unit's own link acts for it
    actor = await visit(web, links.issue(web.ctx.engine, key, wid, "ly-son", 60))
    own = main_of((await actor.get("/portal")).text)
    assert evidence_url(wid) in own and "chỉ để xem" not in own
    actor.follow_redirects = True
    assert (await actor.post(evidence_url(wid), files=pdf())).status_code == 200
    other = next(a.id for a in spec.actions if a.unit == "ly-son" and a.id != ACTION)
    assert (await actor.post(extension_url(wid, other), data=EXTENSION)).status_code == 200
    assert (await actor.post(report_url(wid), files=pdf("bao-cao.pdf"))).status_code == 200
    state = await web.ctx.gateway.snapshot(wid)
    assert [e.action_id for e in state.evidence] == [ACTION]
    assert [r.action_id for r in state.extension_requests] == [other]
    assert [r.unit for r in state.reports] == ["ly-son"]


async def test_the_copies_of_a_letter_carry_an_acting_and_a_view_only_link(web: Web) -> None:
    """The links the mail activity puts in each copy: the unit's copy acts, the oversight copy only views."""
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    letter = await web.ctx.gateway.letter(wid, "ly-son", "urging")  # to the unit head, cc the inspectorate head
    copies = {copy.audience: copy for copy in letter.copies}
    assert set(copies) == {Audience.unit, Audience.oversight}
    assert spec.inspectorate_head in copies[Audience.oversight].to
    clients = {}
    for audience, copy in copies.items():
        url, link = copy_link(web.ctx.settings, letter, copy)
        assert link is not None
        with Session(web.ctx.engine) as session:  # as the mail activity records it with the outbox row
            links.keep(session, link)
            session.commit()
        clients[audience] = await visit(web, url.rsplit("/", 1)[1])
    for audience, client in clients.items():
        answer = await client.post(extension_url(wid), data=EXTENSION)
        assert answer.status_code == (403 if audience == Audience.oversight else 303), (audience, answer.text[-300:])
    assert [r.action_id for r in (await web.ctx.gateway.snapshot(wid)).extension_requests] == [ACTION]
