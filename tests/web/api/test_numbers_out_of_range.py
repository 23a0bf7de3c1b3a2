"""Numbers out of range are refused with 422 naming the field, in the API and beside the field on the staff pages;
none answers 500 (a day count past timedelta's range once overflowed inside validation)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.api.test_api import env_today, pdf_part, small_spec
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.pages.test_pages import text_of

HUGE: list[Any] = [1111080720, 10**20, 1e20, 10**400]


@pytest.mark.parametrize("days", HUGE, ids=repr)
async def test_registering_with_a_huge_period_is_422_naming_the_field(web: Web, days: Any) -> None:
    spec = small_spec(await env_today(web))
    spec["actions"][0].pop("due")
    spec["actions"][0]["due_in"] = {"days": days}
    async with web.bearer(STAFF) as staff:
        answer = await staff.post("/api/conclusions", json=spec)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert any(e.startswith("actions[0].due_in.days: ") for e in body["errors"]), body
    assert body["detail"].startswith("Hồ sơ kết luận không hợp lệ: ")


@pytest.mark.parametrize(
    ("field", "value"),
    [("due_in", {"days": 1111080720}), ("due_in", {"hours": 10**20}), ("amount_vnd", 10**16), ("amount_vnd", 1e20)],
    ids=repr,
)
async def test_adding_an_action_with_a_huge_number_is_422_naming_the_field(web: Web, field: str, value: Any) -> None:
    spec = await web.start_quang_ngai()
    action: dict[str, Any] = {"id": "moi", "unit": "ly-son", "kind": "recover", "text": "Thu hồi", field: value}
    if field != "due_in":
        action["due_in"] = {"days": 10}
    async with web.bearer(STAFF) as staff:
        answer = await staff.post(f"/api/conclusions/{spec.workflow_id}/actions", json=action)
    assert answer.status_code == 422, answer.text
    assert any(e.startswith(f"{field}") for e in answer.json()["errors"]), answer.json()


async def test_a_huge_recovered_amount_in_an_upload_is_422(web: Web) -> None:
    spec = await web.start_quang_ngai()
    async with web.bearer(AGENCY) as agency:
        answer = await agency.post(
            f"/api/conclusions/{spec.workflow_id}/actions/ly-son-eoffice/evidence",
            data={"recovered_vnd": str(10**40)},
            files=pdf_part(),
        )
    assert answer.status_code == 422, answer.text
    assert "recovered_vnd" in answer.json()["detail"]


@pytest.mark.parametrize("query", ["limit=99999999999999999999999", "limit=1e20", "limit=0"])
async def test_query_numbers_out_of_range_are_422(web: Web, query: str) -> None:
    async with web.bearer(STAFF) as staff:
        answer = await staff.get(f"/api/notifications?{query}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "limit"


async def test_the_add_action_page_shows_the_error_beside_the_day_count(web: Web) -> None:
    spec = await web.start_quang_ngai()
    staff = await web.login(STAFF)
    answer = await staff.post(
        f"/conclusions/{spec.workflow_id}/actions",
        data={"id": "ly-son-moi", "unit": "ly-son", "kind": "remedy", "text": "Nội dung", "due_in": "1111080720"},
    )
    assert answer.status_code == 422
    assert "Số ngày phải là số nguyên từ 1 đến 3650." in text_of(answer)
