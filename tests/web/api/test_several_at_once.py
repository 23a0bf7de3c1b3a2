"""The API takes several items in one change: evidence for several actions of the unit (`also_action_ids`, the same
files) and one decision on several evidences (`also_evidence_ids`), each one workflow update; the single-item
bodies work as before. Every listed item is checked like the path's own, and a refusal records nothing."""

from __future__ import annotations

from typing import Any

import pytest

from models import commands as c
from tests.web.api.test_api import by_id, detail, pdf_part, refused, upload
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.updates import record_updates

A, B, C, D = "ly-son-eoffice", "ly-son-dvctt", "ly-son-cong-ttdt", "ly-son-chu-ky-so"  # actions of unit ly-son
THEIRS = "tra-bong-dvctt"


@pytest.fixture
def updates(web: Web, monkeypatch: pytest.MonkeyPatch) -> list[c.Command]:
    return record_updates(web, monkeypatch)


def stored_files(web: Web) -> list[str]:
    return sorted(p.name for p in web.ctx.files.root.rglob("*") if p.is_file())


async def test_one_upload_for_three_actions_answers_every_created_id(web: Web, updates: list[c.Command]) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)
    response = await agency.post(
        f"/api/conclusions/{wid}/actions/{A}/evidence",
        files=pdf_part("cong-van-15.pdf"),
        data={"note": "Công văn 15/UBND", "also_action_ids": [B, C]},
        headers={"Idempotency-Key": "cv-15"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["created"], body["also_created"]) == ("ev-1", ["ev-2", "ev-3"])
    assert [type(u) for u in updates] == [c.SubmitEvidence], "one update"
    shown = body["conclusion"]
    for evidence_id, action_id in (("ev-1", A), ("ev-2", B), ("ev-3", C)):
        evidence = by_id(shown["evidence"], "evidence_id", evidence_id)
        assert (evidence["action_id"], evidence["status"], evidence["note"]) == (
            action_id,
            "submitted",
            "Công văn 15/UBND",
        )
        assert by_id(shown["actions"], "action_id", action_id)["status"] == "evidence_submitted"

    replay = await agency.post(
        f"/api/conclusions/{wid}/actions/{A}/evidence",
        files=pdf_part("cong-van-15.pdf"),
        data={"note": "Công văn 15/UBND", "also_action_ids": [B, C]},
        headers={"Idempotency-Key": "cv-15"},
    )
    assert (replay.json()["created"], replay.json()["also_created"]) == ("ev-1", ["ev-2", "ev-3"])
    assert len((await detail(agency, wid))["evidence"]) == 3

    alone = await agency.post(
        f"/api/conclusions/{wid}/actions/{D}/evidence", files=pdf_part(), data={"also_action_ids": ""}
    )
    assert (alone.json()["created"], alone.json()["also_created"]) == ("ev-4", []), "an empty list is one action"


async def test_every_listed_action_is_checked_and_a_refusal_records_nothing(web: Web, updates: list[c.Command]) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency, staff = web.bearer(AGENCY), web.bearer(STAFF)
    await upload(agency, wid, D)
    updates.clear()
    before, files = await detail(staff, wid), stored_files(web)

    async def send(also: Any, **extra: str) -> Any:
        return await agency.post(
            f"/api/conclusions/{wid}/actions/{A}/evidence",
            files=pdf_part("khac.pdf", b"%PDF-1.4\n% khac\n%%EOF\n"),
            data={"also_action_ids": also, **extra},
        )

    refused(await send([B, THEIRS]), 403, f"Kiến nghị '{THEIRS}' thuộc đơn vị khác")
    refused(await send(f"{B},khong-co"), 404, "Không tìm thấy kiến nghị 'khong-co'")
    refused(await send([B, B]), 422, f"also_action_ids: kiến nghị '{B}' có mặt hai lần")
    refused(await send([A]), 422, f"also_action_ids: kiến nghị '{A}' có mặt hai lần")
    refused(await send([B], recovered_vnd="1000"), 422, "recovered_vnd: số tiền đã thu hồi chỉ ghi khi nộp")
    refused(await send([B, D]), 409, "Kiến nghị mục II.2.2 đang ở trạng thái")  # by its number, not its key
    assert [type(u) for u in updates] == [c.SubmitEvidence], "only the last reached the workflow, and was refused"
    assert await detail(staff, wid) == before
    assert stored_files(web) == files, "no file kept"


async def test_one_decision_on_several_evidences_is_one_update(web: Web, updates: list[c.Command]) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    base = f"/api/conclusions/{wid}"
    agency, staff = web.bearer(AGENCY), web.bearer(STAFF)
    sent = await agency.post(f"{base}/actions/{A}/evidence", files=pdf_part(), data={"also_action_ids": [B, C, D]})
    assert sent.json()["also_created"] == ["ev-2", "ev-3", "ev-4"]
    updates.clear()

    accepted = await staff.post(
        f"{base}/evidence/ev-1/review", json={"decision": "accept", "also_evidence_ids": ["ev-2", "ev-3"]}
    )
    assert accepted.status_code == 200, accepted.text
    assert [type(u) for u in updates] == [c.ReviewEvidence]
    shown = accepted.json()["conclusion"]
    assert [by_id(shown["evidence"], "evidence_id", f"ev-{n}")["status"] for n in (1, 2, 3, 4)] == [
        "accepted",
        "accepted",
        "accepted",
        "submitted",
    ]
    assert {by_id(shown["actions"], "action_id", a)["status"] for a in (A, B, C)} == {"done"}

    updates.clear()
    before = await detail(staff, wid)
    refused(
        await staff.post(f"{base}/evidence/ev-4/review", json={"decision": "accept", "also_evidence_ids": ["ev-9"]}),
        404,
        "minh chứng 'ev-9'",
    )
    refused(
        await staff.post(f"{base}/evidence/ev-4/review", json={"decision": "accept", "also_evidence_ids": ["ev-4"]}),
        422,
        "also_evidence_ids: minh chứng 'ev-4' có mặt hai lần",
    )
    refused(
        await staff.post(f"{base}/evidence/ev-4/review", json={"decision": "accept", "also_evidence_ids": ["ev-1"]}),
        409,
        "Minh chứng 'ev-1' đã được xem xét.",
    )
    assert await detail(staff, wid) == before, "nothing half-decided"

    returned = await staff.post(
        f"{base}/evidence/ev-4/review", json={"decision": "reject", "reason": "Thiếu phụ lục", "also_evidence_ids": []}
    )
    assert (
        returned.status_code == 200
        and by_id(returned.json()["conclusion"]["evidence"], "evidence_id", "ev-4")["reason"] == "Thiếu phụ lục"
    )


async def test_the_openapi_document_describes_the_lists(web: Web) -> None:
    async with web.client() as client:
        document = (await client.get("/openapi.json")).json()
    path = "/api/conclusions/{workflow_id}"
    upload_schema = document["paths"][f"{path}/actions/{{action_id}}/evidence"]["post"]["requestBody"]["content"]
    also = upload_schema["multipart/form-data"]["schema"]["properties"]["also_action_ids"]
    assert also["type"] == "array" and also["items"]["type"] == "string"
    review = document["paths"][f"{path}/evidence/{{evidence_id}}/review"]["post"]["requestBody"]["content"]
    name = review["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = document["components"]["schemas"][name]["properties"]
    assert (
        properties["also_evidence_ids"]["type"] == "array"
        and "also_evidence_ids" not in document["components"]["schemas"]["ReviewIn"]["properties"]
    ), "reports are reviewed one at a time"
    written = document["components"]["schemas"]["WriteResult"]["properties"]
    assert written["also_created"]["type"] == "array"
