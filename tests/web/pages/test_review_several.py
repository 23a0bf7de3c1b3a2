"""The review queue decides on several evidences of a unit at once: staff tick items (or «Chọn tất cả của đơn vị»)
and accept them, or return them with one reason and an optional new deadline, in one workflow update; the page they
come back to lists what each item became. A decision that cannot apply to every item applies to none."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, col, select

from activities.calendar import WorkingCalendar
from dondoc.web import clock as web_clock
from models import commands as c
from models.labels import VN
from models.tables import ActionRow, EvidenceRow
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.updates import record_updates
from tests.workflow.harness import PDF

ACTIONS = ("ly-son-eoffice", "ly-son-dvctt", "ly-son-cong-ttdt")  # three actions of unit ly-son
ALONE = "ly-son-chu-ky-so"  # a fourth, with evidence of its own
OTHER_UNIT = "tra-bong-dvctt"


@pytest.fixture(autouse=True)
async def aligned_clock(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages read the time of the Temporal test server, which may have skipped ahead of the wall clock."""
    offset = await web.env.get_current_time() - datetime.now(UTC)
    monkeypatch.setattr(web_clock, "NOW", lambda: datetime.now(UTC) + offset)


@pytest.fixture
def updates(web: Web, monkeypatch: pytest.MonkeyPatch) -> list[c.Command]:
    return record_updates(web, monkeypatch)


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def evidence(web: Web, workflow_id: str) -> dict[str, EvidenceRow]:
    with Session(web.ctx.engine) as session:
        rows = session.exec(select(EvidenceRow).where(col(EvidenceRow.workflow_id) == workflow_id)).all()
    return {row.evidence_id: row for row in rows}


def action(web: Web, workflow_id: str, action_id: str) -> ActionRow:
    with Session(web.ctx.engine) as session:
        row = session.get(ActionRow, (workflow_id, action_id))
    assert row is not None
    return row


async def waiting(web: Web) -> str:
    """A conclusion where unit ly-son sent one dispatch for three actions (ev-1..ev-3) and evidence for a fourth
    (ev-4), and unit tra-bong evidence of its own (ev-5)."""
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    gateway = web.ctx.gateway
    await gateway.update(
        wid, c.SubmitEvidence(actor=AGENCY, action_id=ACTIONS[0], also_action_ids=list(ACTIONS[1:]), files=[PDF])
    )
    await gateway.update(wid, c.SubmitEvidence(actor=AGENCY, action_id=ALONE, files=[PDF], note="Riêng"))
    await gateway.update(wid, c.SubmitEvidence(actor="vanthu@trabong.example.vn", action_id=OTHER_UNIT, files=[PDF]))
    return wid


def batch_url(workflow_id: str) -> str:
    return f"/conclusions/{workflow_id}/evidence/review"


async def test_the_queue_groups_a_units_evidence_with_one_form_to_decide_on_several(web: Web) -> None:
    wid = await waiting(web)
    staff = await web.login(STAFF)
    page = text_of(await staff.get("/review"))
    group = page.split(f'id="group-{wid}--evbatch--ly-son"', 1)[1].split('<div class="queue-group"', 1)[0]
    assert "UBND huyện Lý Sơn · 4 minh chứng" in group
    assert f'name="all" value="1" form="batch-{wid}--evbatch--ly-son"> Chọn tất cả của đơn vị (4 minh chứng' in group
    assert re.findall(r'name="evidence_ids" value="([^"]+)"', group) == ["ev-1", "ev-2", "ev-3", "ev-4"]
    assert f'action="{batch_url(wid)}" id="batch-{wid}--evbatch--ly-son"' in group
    assert re.findall(r'name="shown" value="([^"]+)"', group) == ["ev-1", "ev-2", "ev-3", "ev-4"]
    assert f'action="/conclusions/{wid}/evidence/ev-1/review"' in group, "each item keeps its own decision too"
    alone = page.split(f'id="group-{wid}--evbatch--tra-bong"', 1)[1]
    assert 'name="evidence_ids"' not in alone.split("</div>", 1)[0], "a unit with one evidence needs no batch form"


async def test_a_batch_review_accepts_three_in_one_update_and_shows_each_after(
    web: Web, updates: list[c.Command]
) -> None:
    wid = await waiting(web)
    updates.clear()
    staff = await web.login(STAFF)
    accepted = await staff.post(
        batch_url(wid),
        data={
            "decision": "accept",
            "unit": "ly-son",
            "evidence_ids": ["ev-1", "ev-2", "ev-3"],
            "shown": ["ev-1", "ev-2", "ev-3", "ev-4"],
            "next": "/review",
        },
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == "/review", text_of(accepted)[-800:]
    [command] = updates
    assert isinstance(command, c.ReviewEvidence) and command.evidence_ids == ["ev-1", "ev-2", "ev-3"]
    rows = evidence(web, wid)
    assert [rows[i].status for i in ("ev-1", "ev-2", "ev-3", "ev-4", "ev-5")] == [
        "accepted",
        "accepted",
        "accepted",
        "submitted",
        "submitted",
    ]
    assert {action(web, wid, a).status for a in ACTIONS} == {"done"}

    after = text_of(await staff.get("/review"))
    assert "Đã chấp nhận 3 minh chứng: ev-1, ev-2, ev-3." in after
    table = after.split('id="reviewed"', 1)[1].split("</section>", 1)[0]
    assert "Vừa quyết định (3 minh chứng)" in table
    for evidence_id, action_id in zip(("ev-1", "ev-2", "ev-3"), ACTIONS, strict=True):
        row = table.split(f'id="reviewed-{evidence_id}"', 1)[1].split("</tr>", 1)[0]
        assert action(web, wid, action_id).text[:40] in row
        assert "Đã chấp nhận" in row and "Hoàn thành" in row
    assert "Minh chứng chờ xem xét (2)" in after and 'id="q-' + wid + '-ev-4"' in after
    assert 'id="reviewed"' not in text_of(await staff.get("/review")), "shown once, after the decision"


async def test_all_of_a_unit_are_returned_with_one_reason_and_one_new_deadline(
    web: Web, updates: list[c.Command]
) -> None:
    wid = await waiting(web)
    updates.clear()
    staff = await web.login(STAFF)
    # a working day: one that falls on a day off moves to the next working day, as the law counts deadlines
    new_due = WorkingCalendar().roll_forward(web_clock.clock().astimezone(VN).date() + timedelta(days=20))
    returned = await staff.post(
        batch_url(wid),
        data={
            "decision": "reject",
            "reason": "Công văn chưa có chữ ký, đóng dấu.",
            "new_due": new_due.isoformat(),
            "unit": "ly-son",
            "all": "1",
            "shown": ["ev-1", "ev-2", "ev-3", "ev-4"],
            "next": "/review",
        },
    )
    assert returned.status_code == 303, text_of(returned)[-800:]
    assert len(updates) == 1
    rows = evidence(web, wid)
    assert {rows[i].status for i in ("ev-1", "ev-2", "ev-3", "ev-4")} == {"rejected"}
    assert {rows[i].reason for i in ("ev-1", "ev-2", "ev-3", "ev-4")} == {"Công văn chưa có chữ ký, đóng dấu."}
    assert rows["ev-5"].status == "submitted", "another unit's evidence is not in «all of the unit»"
    for action_id in (*ACTIONS, ALONE):
        row = action(web, wid, action_id)
        assert row.status == "open" and row.due is not None and row.due.astimezone(VN).date() == new_due
    table = text_of(await staff.get("/review")).split('id="reviewed"', 1)[1].split("</section>", 1)[0]
    assert table.count("Đã yêu cầu bổ sung") == 4 and table.count(f"hạn {new_due:%d/%m/%Y}") == 4


async def test_a_batch_that_cannot_apply_to_every_item_applies_to_none(web: Web, updates: list[c.Command]) -> None:
    wid = await waiting(web)
    updates.clear()
    staff = await web.login(STAFF)
    form = {"unit": "ly-son", "shown": ["ev-1", "ev-2", "ev-3", "ev-4"], "next": "/review"}
    key = f"{wid}--evbatch--ly-son"

    nothing = await staff.post(batch_url(wid), data={**form, "decision": "accept"})
    assert nothing.status_code == 422
    assert re.search(rf'id="{key}-evidence_ids-error"[^>]*>Chọn ít nhất một minh chứng', text_of(nothing))
    no_reason = await staff.post(batch_url(wid), data={**form, "decision": "reject", "evidence_ids": ["ev-1"]})
    assert no_reason.status_code == 422 and "Nêu rõ cần bổ sung gì" in text_of(no_reason)
    assert re.search(r'value="ev-1" form="batch-[^"]+" checked', no_reason.text), "the ticks are kept"
    assert updates == []

    await web.ctx.gateway.update(wid, c.ReviewEvidence(actor=STAFF, evidence_id="ev-2", decision=c.Decision.accept))
    updates.clear()
    refused = await staff.post(batch_url(wid), data={**form, "decision": "accept", "evidence_ids": ["ev-1", "ev-2"]})
    assert refused.status_code == 409 and "Minh chứng 'ev-2' đã được xem xét." in text_of(refused)
    assert evidence(web, wid)["ev-1"].status == "submitted", "nothing half-decided"
    assert len(updates) == 1
