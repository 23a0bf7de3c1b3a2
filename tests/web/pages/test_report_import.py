"""The province's report (seed 001, as Word) uploaded to conclusion 312/KL-Ttra: split per unit and offered for
confirmation; what staff confirm becomes each unit's report submission and accepted evidence, through the
workflow's updates. A report on another conclusion is refused with that reason."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from models import commands as c
from models.labels import VN
from models.tables import ActionRow, ReportRow
from tests.importer.documents import docx_of, seed
from tests.web.conftest import STAFF, Web
from tests.web.updates import record_updates
from tests.workflow.harness import quang_ngai, redated


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


async def test_the_follow_up_report_is_split_per_unit_and_confirmed_item_by_item(web: Web, tmp_path: Path) -> None:
    today = (await web.env.get_current_time()).astimezone(VN).date()
    spec = redated(quang_ngai(), today, {}, default_days=30)
    workflow_id = await web.ctx.gateway.start(spec, STAFF)
    await web.wait_projected(workflow_id)
    staff = await web.login(STAFF)
    conclusion_page = text_of(await staff.get(f"/conclusions/{workflow_id}"))
    assert f'href="/conclusions/{workflow_id}/report-import"' in conclusion_page
    report = docx_of(seed("001").read_text(encoding="utf-8"), tmp_path / "bao-cao-184.docx")

    other = redated(quang_ngai(), today, {}, default_days=30).model_copy(update={"number": "45/KL-TTr"})
    other_id = await web.ctx.gateway.start(other, STAFF)
    await web.wait_projected(other_id)
    files = {"report": (report.name, report.read_bytes(), "application/octet-stream")}
    refused = await staff.post(f"/conclusions/{other_id}/report-import", files=files)
    assert refused.status_code == 422
    assert "nói về Kết luận số 312/KL-Ttra, không phải Kết luận số 45/KL-TTr" in text_of(refused)

    review = await staff.post(f"/conclusions/{workflow_id}/report-import", files=files)
    page = text_of(review)
    assert review.status_code == 200, page[-1500:]
    assert "Báo cáo số 184/BC-UBND ngày 07/08/2018 về Kết luận số 312/KL-Ttra" in page
    assert page.count('name="unit" value=') == 9  # eight units and the province
    assert 'name="accept" value="tra-bong-cong-ttdt" aria-label="Chấp nhận tra-bong-cong-ttdt" checked' in page
    assert "Còn tiếp tục khắc phục (giữ mở)" in page

    fields = hidden(page)
    data: dict[str, str | list[str]] = {k: v for k, v in fields.items() if k != "csrf_token"}
    data |= {"unit": ["tra-bong"], "accept": ["tra-bong-cong-ttdt"]}
    confirmed = await staff.post(f"/conclusions/{workflow_id}/report-import/confirm", data=data)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == f"/conclusions/{workflow_id}"
    with Session(web.ctx.engine) as session:
        action = session.get(ActionRow, (workflow_id, "tra-bong-cong-ttdt"))
        reports = session.exec(select(ReportRow).where(col(ReportRow.workflow_id) == workflow_id)).all()
        others = session.exec(
            select(ActionRow).where(col(ActionRow.workflow_id) == workflow_id, col(ActionRow.unit) == "tra-bong")
        ).all()
    assert action is not None and action.status == "done"
    assert [(r.unit, r.files[0]["name"]) for r in reports] == [("tra-bong", "bao-cao-184.docx")]
    assert {a.action_id for a in others if a.status == "done"} == {"tra-bong-cong-ttdt"}  # nothing else accepted

    again = await staff.post(f"/conclusions/{workflow_id}/report-import/confirm", data=data)  # a retry: no change
    assert again.status_code == 303
    with Session(web.ctx.engine) as session:
        assert len(session.exec(select(ReportRow).where(col(ReportRow.workflow_id) == workflow_id)).all()) == 1


async def test_the_confirmed_items_are_accepted_by_one_decision_each_keeping_its_own_note(
    web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = (await web.env.get_current_time()).astimezone(VN).date()
    spec = redated(quang_ngai(), today, {}, default_days=30)
    spec = spec.model_copy(update={"issued_on": today.replace(day=1, year=today.year - 1)})  # not the other test's id
    workflow_id = await web.ctx.gateway.start(spec, STAFF)
    await web.wait_projected(workflow_id)
    staff = await web.login(STAFF)
    report = docx_of(seed("001").read_text(encoding="utf-8"), tmp_path / "bao-cao-184.docx")
    files = {"report": (report.name, report.read_bytes(), "application/octet-stream")}
    page = text_of(await staff.post(f"/conclusions/{workflow_id}/report-import", files=files))
    proposed = re.findall(r'name="accept" value="([^"]+)"[^>]*checked', page)
    assert len(proposed) >= 3, proposed
    fields = hidden(page)
    data: dict[str, str | list[str]] = {k: v for k, v in fields.items() if k != "csrf_token"}
    data["accept"] = proposed
    updates = record_updates(web, monkeypatch)

    confirmed = await staff.post(f"/conclusions/{workflow_id}/report-import/confirm", data=data)
    assert confirmed.status_code == 303
    assert [type(u) for u in updates] == [c.SubmitEvidence] * len(proposed) + [c.ReviewEvidence]
    [decision] = [u for u in updates if isinstance(u, c.ReviewEvidence)]
    state = await web.ctx.gateway.snapshot(workflow_id)
    assert decision.evidence_ids == [e.id for e in state.evidence], "one decision accepts every item's evidence"
    assert {state.actions[a].status for a in proposed} == {"done"}
    notes = {e.action_id: e.note for e in state.evidence}
    for action_id in proposed:
        assert notes[action_id] == f"Theo {fields['source']}: {fields[f'note.{action_id}']}"[:4000]

    updates.clear()
    again = await staff.post(f"/conclusions/{workflow_id}/report-import/confirm", data=data)  # a retry
    assert again.status_code == 303
    assert not any(isinstance(u, c.ReviewEvidence) for u in updates), "nothing left to accept"
    assert len((await web.ctx.gateway.snapshot(workflow_id)).evidence) == len(proposed)
