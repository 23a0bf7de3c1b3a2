"""One dispatch of a unit proving several items: the portal's evidence form ticks the unit's other open actions, and
the whole submission is one workflow update recording one evidence per action, each reviewed on its own. A unit can
never tick another unit's action, and an action that is no longer open is named beside the boxes."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, col, select

from dondoc.web.portal import view
from models import commands as c
from models.spec import ActionSpec, Period
from models.tables import ActionRow, EvidenceRow
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.portal.test_portal import evidence_url, main_of, open_link, pdf
from tests.web.updates import record_updates
from tests.workflow.harness import PDF

FIRST, SECOND, THIRD = "ly-son-eoffice", "ly-son-dvctt", "ly-son-cong-ttdt"  # actions of unit ly-son
THEIRS = "tra-bong-dvctt"  # an action of unit tra-bong


@pytest.fixture
def updates(web: Web, monkeypatch: pytest.MonkeyPatch) -> list[c.Command]:
    return record_updates(web, monkeypatch)


def evidence_rows(web: Web, workflow_id: str) -> list[EvidenceRow]:
    with Session(web.ctx.engine) as session:
        return list(
            session.exec(
                select(EvidenceRow)
                .where(col(EvidenceRow.workflow_id) == workflow_id)
                .order_by(col(EvidenceRow.evidence_id))
            ).all()
        )


def ref_of(web: Web, workflow_id: str, action_id: str) -> str:
    with Session(web.ctx.engine) as session:
        row = session.get(ActionRow, (workflow_id, action_id))
    assert row is not None and row.ref
    return row.ref


def stored_files(web: Web) -> list[str]:
    return sorted(p.name for p in web.ctx.files.root.rglob("*") if p.is_file())


def form_of(page: str, workflow_id: str, action_id: str) -> str:
    return page.split(f'id="{workflow_id}--{action_id}--evidence"', 1)[1].split("</form>", 1)[0]


async def test_one_submission_for_three_actions_is_one_update_and_three_evidence(
    web: Web, updates: list[c.Command]
) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)

    form = form_of(main_of((await client.get("/portal")).text), wid, FIRST)
    assert "Tệp này cũng là minh chứng cho các kiến nghị:" in form
    offered = set(re.findall(r'name="also_action_ids" value="([^"]+)"', form))
    assert offered == {a.id for a in spec.actions if a.unit == "ly-son"} - {FIRST}, "the unit's other open actions"

    sent = await client.post(
        evidence_url(wid, FIRST),
        files=pdf("Công văn 15-UBND.pdf"),
        data={"note": "Công văn 15/UBND", "also_action_ids": [SECOND, THIRD]},
    )
    assert sent.status_code == 200, main_of(sent.text)[-1500:]
    assert [type(u) for u in updates] == [c.SubmitEvidence], "one update for the three actions"
    refs = ", ".join(ref_of(web, wid, a) for a in (FIRST, SECOND, THIRD))
    assert f"Đã nộp minh chứng ev-1, ev-2, ev-3 (1 tệp) cho 3 kiến nghị: {refs}." in sent.text

    rows = evidence_rows(web, wid)
    assert [(r.evidence_id, r.action_id, r.status, r.note) for r in rows] == [
        ("ev-1", FIRST, "submitted", "Công văn 15/UBND"),
        ("ev-2", SECOND, "submitted", "Công văn 15/UBND"),
        ("ev-3", THIRD, "submitted", "Công văn 15/UBND"),
    ]
    assert len({r.files[0]["sha256"] for r in rows}) == 1, "the same file, stored once"
    state = await web.ctx.gateway.snapshot(wid)
    assert {state.actions[a].status for a in (FIRST, SECOND, THIRD)} == {"evidence_submitted"}

    # each item shows the evidence as its own, and that it went with the others
    body = main_of((await client.get("/portal")).text)
    second = body.split(f'id="action-{wid}--{SECOND}"', 1)[1].split("</article>", 1)[0]
    assert "Lần 1 (ev-2)" in second and "Công văn 15-UBND.pdf" in second
    assert f"Nộp chung một lần với kiến nghị {ref_of(web, wid, FIRST)}, {ref_of(web, wid, THIRD)}." in second

    # reviewed one by one: returning one leaves the others waiting
    await web.ctx.gateway.update(
        wid, c.ReviewEvidence(actor=STAFF, evidence_id="ev-2", decision=c.Decision.reject, reason="Thiếu phụ lục")
    )
    assert [r.status for r in evidence_rows(web, wid)] == ["submitted", "rejected", "submitted"]


async def test_a_link_of_one_unit_ticking_another_units_action_is_refused_and_nothing_is_recorded(
    web: Web, updates: list[c.Command]
) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    before = await web.ctx.gateway.snapshot(wid)
    files_before = stored_files(web)
    link = await open_link(web, wid)
    form = form_of(main_of((await link.get("/portal")).text), wid, FIRST)
    assert THEIRS not in form, "another unit's action is never offered"

    refused = await link.post(evidence_url(wid, FIRST), files=pdf(), data={"also_action_ids": [SECOND, THEIRS]})
    assert refused.status_code == 403 and "đơn vị mình" in refused.text
    unknown = await link.post(evidence_url(wid, FIRST), files=pdf(), data={"also_action_ids": ["khong-co"]})
    assert unknown.status_code == 403

    account = await web.login(AGENCY)  # an agency account of the same unit: the same refusal
    refused = await account.post(evidence_url(wid, FIRST), files=pdf(), data={"also_action_ids": THEIRS})
    assert refused.status_code == 403

    assert updates == [], "nothing reached the workflow"
    after = await web.ctx.gateway.snapshot(wid)
    assert after.version == before.version and after.evidence == []
    assert evidence_rows(web, wid) == [] and stored_files(web) == files_before, "no file kept"


async def test_a_ticked_action_no_longer_open_is_named_beside_the_boxes(web: Web, updates: list[c.Command]) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    await web.ctx.gateway.update(wid, c.SubmitEvidence(actor=AGENCY, action_id=SECOND, files=[PDF]))
    updates.clear()
    files_before = stored_files(web)
    second = f"{ref_of(web, wid, SECOND)} «"

    refused = await client.post(evidence_url(wid, FIRST), files=pdf(), data={"also_action_ids": [SECOND, THIRD]})
    assert refused.status_code == 409
    form = form_of(main_of(html.unescape(refused.text)), wid, FIRST)
    error = re.search(rf'id="{wid}--{FIRST}--evidence-also_action_ids-error"[^>]*>([^<]+)<', form)
    assert error and error.group(1).startswith(f"Kiến nghị {second}") and "bỏ chọn kiến nghị này" in error.group(1)
    assert re.search(rf'value="{THIRD}" checked', form), "what the unit ticked is kept"
    assert updates == [] and stored_files(web) == files_before

    # the read model lagging behind: the workflow refuses, and the answer is the same, beside the boxes
    with Session(web.ctx.engine) as session:
        row = session.get(ActionRow, (wid, SECOND))
        assert row is not None
        row.status = "open"
        session.add(row)
        session.commit()
    raced = await client.post(evidence_url(wid, FIRST), files=pdf(), data={"also_action_ids": [THIRD, SECOND]})
    assert raced.status_code == 409
    assert f"Kiến nghị {second}" in main_of(html.unescape(raced.text)).split("also_action_ids-error", 1)[1]
    assert [type(u) for u in updates] == [c.SubmitEvidence]
    assert [e.action_id for e in (await web.ctx.gateway.snapshot(wid)).evidence] == [SECOND], "nothing half-done"
    assert stored_files(web) == files_before, "the refused submission's file is released"


async def test_a_refusal_marks_the_one_action_it_is_about_even_beside_its_twin(
    web: Web, updates: list[c.Command]
) -> None:
    """Two actions of one unit numbered and worded alike: the workflow names the one no longer open by its id, so
    the form marks that one, not both."""
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    with Session(web.ctx.engine) as session:
        second = session.get(ActionRow, (wid, SECOND))
    assert second is not None
    twin = ActionSpec(
        id="ly-son-dvctt-bo-sung", unit="ly-son", text=second.text, ref=second.ref, due_in=Period(days=30)
    )
    await web.ctx.gateway.update(wid, c.AddAction(actor=STAFF, action=twin))
    await web.ctx.gateway.update(wid, c.SubmitEvidence(actor=AGENCY, action_id=twin.id, files=[PDF]))
    with Session(web.ctx.engine) as session:  # the read model lagging behind: both look open
        row = session.get(ActionRow, (wid, twin.id))
        assert row is not None and row.status != "open"
        row.status = "open"
        session.add(row)
        session.commit()
    client = await open_link(web, wid)
    updates.clear()

    refused = await client.post(evidence_url(wid, FIRST), files=pdf(), data={"also_action_ids": [SECOND, twin.id]})

    assert refused.status_code == 409
    form = form_of(main_of(html.unescape(refused.text)), wid, FIRST)
    error = re.search(rf'id="{wid}--{FIRST}--evidence-also_action_ids-error"[^>]*>([^<]+)<', form)
    assert error and error.group(1).startswith("Kiến nghị ") and error.group(1).count(f"{second.ref} «") == 1
    assert [type(u) for u in updates] == [c.SubmitEvidence]
    assert [e.action_id for e in (await web.ctx.gateway.snapshot(wid)).evidence] == [twin.id], "nothing half-done"


async def test_an_amount_recovered_goes_with_one_action_only(web: Web, updates: list[c.Command]) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    refused = await client.post(
        evidence_url(wid, FIRST), files=pdf(), data={"recovered_vnd": "15.000.000", "also_action_ids": SECOND}
    )
    assert refused.status_code == 422
    assert re.search(
        rf'id="{wid}--{FIRST}--evidence-recovered_vnd-error"[^>]*>Số tiền đã thu hồi chỉ ghi khi nộp minh chứng cho '
        "một kiến nghị",
        html.unescape(refused.text),
    )
    assert updates == []


async def test_the_conclusions_form_sends_one_document_for_the_actions_ticked(
    web: Web, updates: list[c.Command]
) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    body = main_of(html.unescape((await client.get("/portal")).text))
    several = body.split(f'id="several-{wid}"', 1)[1].split("</details>", 1)[0]
    assert "Nộp một văn bản cho nhiều kiến nghị" in several
    assert set(re.findall(r'name="action_ids" value="([^"]+)"', several)) == {
        a.id for a in spec.actions if a.unit == "ly-son"
    }
    url = f"/portal/conclusions/{wid}/evidence"

    none = await client.post(url, files=pdf(), data={"note": "Công văn 15/UBND"})
    assert none.status_code == 422
    assert re.search(rf'id="{wid}--several-action_ids-error"[^>]*>Chọn các kiến nghị', html.unescape(none.text))
    assert "Công văn 15/UBND" in none.text, "what was typed is kept"
    foreign = await client.post(url, files=pdf(), data={"action_ids": [SECOND, THEIRS]})
    assert foreign.status_code == 403
    assert updates == []

    sent = await client.post(url, files=pdf("cv-15.pdf"), data={"action_ids": [THIRD, SECOND], "note": "CV 15"})
    assert sent.status_code == 200 and [r.headers["location"] for r in sent.history] == [f"/portal#kl-{wid}"]
    assert [type(u) for u in updates] == [c.SubmitEvidence]
    assert [(r.evidence_id, r.action_id, r.note) for r in evidence_rows(web, wid)] == [
        ("ev-1", THIRD, "CV 15"),
        ("ev-2", SECOND, "CV 15"),
    ]
    assert "Đã nộp minh chứng ev-1, ev-2 (1 tệp) cho 2 kiến nghị" in sent.text

    again = await client.post(url, files=pdf(), data={"action_ids": [FIRST, SECOND]})
    assert again.status_code == 409
    error = re.search(rf'id="{wid}--several-action_ids-error"[^>]*>([^<]+)<', html.unescape(again.text))
    assert error and error.group(1).startswith(f"Kiến nghị {ref_of(web, wid, SECOND)} «")
    assert len(updates) == 1


async def test_a_unit_with_many_open_actions_ticks_them_on_the_conclusions_form_only(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(view, "MAX_TICKS", 3)  # ly-son has five open actions: four others to list on each form
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    body = main_of(html.unescape((await client.get("/portal")).text))
    form = form_of(body, wid, FIRST)
    assert 'name="also_action_ids"' not in form
    assert f'href="#several-{wid}">«Nộp một văn bản cho nhiều kiến nghị»</a>' in form
    assert body.count('name="action_ids"') == 5
