"""The JSON API end to end: every operation, its refusals, and that the next read shows each change."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import Session

from activities import planning
from activities.calendar import WorkingCalendar
from models.labels import VN
from models.tables import NotificationRow
from tests.web.conftest import AGENCY, OTHER_AGENCY, OUTSIDER, STAFF, SUPERVISOR, Web

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# ---------------------------------------------------------------- helpers (also used by test_authorization)


async def env_today(web: Web) -> date:
    return (await web.env.get_current_time()).astimezone(VN).date()


def small_spec(
    issued_on: date, units: tuple[str, ...] = ("ly-son",), due_in_days: int = 30, title: str = "Thử nghiệm API"
) -> dict[str, Any]:
    """A small conclusion as JSON: each unit has two actions, `<unit>-a1` and `<unit>-a2`."""
    return {
        "number": f"{uuid.uuid4().int % 10**6}/KL-TTr",
        "issued_on": issued_on.isoformat(),
        "issuer": "Thanh tra tỉnh Quảng Ngãi",
        "title": title,
        "tracking_body": "Thanh tra tỉnh Quảng Ngãi",
        "inspectorate_head": "chanhthanhtra@quangngai.example.vn",
        "agency_head": "chutich@quangngai.example.vn",
        "units": [
            {
                "code": unit,
                "name": f"Đơn vị {unit}",
                "contacts": [f"vanphong@{unit}.example.vn"],
                "head": f"chutich@{unit}.example.vn",
                "supervisor": SUPERVISOR,
            }
            for unit in units
        ],
        "actions": [
            {
                "id": f"{unit}-a{i}",
                "unit": unit,
                "kind": "remedy",
                "text": f"Khắc phục tồn tại số {i} của {unit}",
                "due": (issued_on + timedelta(days=due_in_days)).isoformat(),
            }
            for unit in units
            for i in (1, 2)
        ],
    }


async def start(client: httpx.AsyncClient, spec: dict[str, Any], web: Web | None = None) -> str:
    """Start through the API: 201 once projected, or 202 when the projection took longer (then wait for it)."""
    response = await client.post("/api/conclusions", json=spec)
    assert response.status_code in (201, 202), response.text
    workflow_id: str = response.json()["workflow_id"]
    if response.status_code == 202:
        assert web is not None, "a slow projection: pass `web` to wait for it"
        await web.wait_projected(workflow_id)
    return workflow_id


def pdf_part(name: str = "minh-chung.pdf", content: bytes = PDF) -> dict[str, Any]:
    return {"file": (name, content, "application/pdf")}


async def upload(
    client: httpx.AsyncClient,
    workflow_id: str,
    action_id: str,
    note: str = "",
    key: str | None = None,
    files: Any = None,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/conclusions/{workflow_id}/actions/{action_id}/evidence",
        files=files if files is not None else pdf_part(),
        data={"note": note} if note else {},
        headers=headers,
    )


async def detail(client: httpx.AsyncClient, workflow_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/conclusions/{workflow_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_id(items: list[dict[str, Any]], field: str, value: str) -> dict[str, Any]:
    found = [item for item in items if item[field] == value]
    assert found, f"no {field}={value} in {[i[field] for i in items]}"
    return found[0]


def refused(response: httpx.Response, code: int, fragment: str) -> None:
    assert response.status_code == code, response.text
    assert fragment in response.json()["detail"], response.json()["detail"]


# ---------------------------------------------------------------- the principal


async def test_me_returns_the_principal_and_a_csrf_token(web: Web) -> None:
    session = await web.login(AGENCY)
    me = (await session.get("/api/me")).json()
    assert me["email"] == AGENCY and me["role"] == "agency" and me["unit"] == "ly-son" and me["via"] == "session"
    assert me["csrf_token"] == session.headers["X-CSRF-Token"]
    token = (await web.bearer(STAFF).get("/api/me")).json()
    assert token == {
        "email": STAFF,
        "role": "staff",
        "unit": None,
        "via": "token",
        "workflow_id": None,
        "csrf_token": None,
    }
    assert (await web.client().get("/api/me")).status_code == 401


async def test_a_session_write_without_the_csrf_header_is_refused(web: Web) -> None:
    session = await web.login(STAFF)
    del session.headers["X-CSRF-Token"]
    response = await session.post("/api/conclusions", json=small_spec(await env_today(web)))
    refused(response, 403, "CSRF")


async def test_openapi_documents_every_operation(web: Web) -> None:
    schema = (await web.client().get("/openapi.json")).json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    w = "/api/conclusions/{workflow_id}"
    for expected in [
        ("POST", "/api/conclusions"),
        ("GET", "/api/conclusions"),
        ("GET", w),
        ("GET", f"{w}/timeline"),
        ("POST", f"{w}/actions/{{action_id}}/evidence"),
        ("POST", f"{w}/evidence/{{evidence_id}}/review"),
        ("POST", f"{w}/actions/{{action_id}}/extension-requests"),
        ("POST", f"{w}/extension-requests/{{request_id}}/decision"),
        ("POST", f"{w}/units/{{unit}}/reports"),
        ("POST", f"{w}/reports/{{report_id}}/review"),
        ("POST", f"{w}/actions/{{action_id}}/waive"),
        ("POST", f"{w}/actions/{{action_id}}/transfer"),
        ("POST", f"{w}/actions"),
        ("PUT", f"{w}/units/{{unit}}/contacts"),
        ("POST", f"{w}/withdraw"),
        ("GET", "/api/evidence/{evidence_id}/file"),
        ("GET", "/api/overdue"),
        ("GET", "/api/notifications"),
        ("GET", "/api/reports/{report_id}/file"),
        ("GET", "/api/me"),
        ("GET", f"{w}/units/{{unit}}/letters/{{step}}"),
        ("POST", f"{w}/letters/number"),
    ]:
        assert expected in operations, expected
    routes = {
        (method, route.path)
        for route in iter_route_contexts(web.app.routes)
        if route.path and route.path.startswith("/api/") and route.methods and route.path != "/api/docs"
        for method in route.methods
        if method != "HEAD"
    }
    assert routes <= operations, "every API route is in the OpenAPI document"
    upload_body = schema["paths"][f"{w}/actions/{{action_id}}/evidence"]["post"]["requestBody"]
    assert "file" in upload_body["content"]["multipart/form-data"]["schema"]["properties"]
    spec_body = schema["paths"]["/api/conclusions"]["post"]["requestBody"]["content"]["application/json"]
    assert "units" in spec_body["schema"]["properties"]


# ---------------------------------------------------------------- registering


async def test_staff_starts_a_conclusion_and_the_next_read_shows_it(web: Web) -> None:
    staff = web.bearer(STAFF)
    spec = small_spec(await env_today(web))
    response = await staff.post("/api/conclusions", json=spec)
    assert response.status_code == 201, response.text
    workflow_id = response.json()["workflow_id"]
    assert response.headers["location"] == f"/api/conclusions/{workflow_id}"
    shown = await detail(staff, workflow_id)
    assert shown["number"] == spec["number"] and shown["status"] == "active"
    assert shown["status_label"] == "Đang theo dõi"
    assert {a["action_id"] for a in shown["actions"]} == {"ly-son-a1", "ly-son-a2"}
    assert workflow_id in [c["workflow_id"] for c in (await staff.get("/api/conclusions")).json()]

    again = await staff.post("/api/conclusions", json=spec)
    refused(again, 409, "đã được đăng ký theo dõi")
    refused(await (await web.login(AGENCY)).post("/api/conclusions", json=spec), 403, "không có quyền")


async def test_a_bad_spec_is_refused_naming_the_field(web: Web) -> None:
    staff = web.bearer(STAFF)
    spec = small_spec(await env_today(web))
    del spec["units"][0]["contacts"]
    spec["actions"][1]["unit"] = "khong-co"
    spec["issued_on"] = "31/12/2025"
    response = await staff.post("/api/conclusions", json=spec)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e.startswith("units[0].contacts: thiếu trường bắt buộc") for e in errors), errors
    assert any(e.startswith("issued_on: không đọc được ngày") for e in errors), errors
    assert response.json()["detail"].startswith("Hồ sơ kết luận không hợp lệ")

    spec = small_spec(await env_today(web))
    spec["actions"][1]["unit"] = "khong-co"
    errors = (await staff.post("/api/conclusions", json=spec)).json()["errors"]
    assert any(e.startswith("actions[1].unit: đơn vị 'khong-co' không có") for e in errors), errors

    not_an_object = await staff.post("/api/conclusions", json=["number"])
    assert not_an_object.status_code == 422 and not_an_object.json()["errors"]
    malformed = await staff.post("/api/conclusions", content=b"{", headers={"content-type": "application/json"})
    assert malformed.status_code == 400  # not a spec at all: the body cannot be read (docs/api.md, Errors)
    assert malformed.json()["detail"].startswith("Không đọc được nội dung gửi lên")
    assert (await staff.get("/api/conclusions")).json() == []  # nothing was started


@pytest.mark.parametrize("number", ["/KL-TTr", "…/KL-TTr", "01/KL-…", "xx/KL-TTr"])
async def test_a_placeholder_number_is_refused_as_the_pages_refuse_it(web: Web, number: str) -> None:
    staff = web.bearer(STAFF)
    spec = {**small_spec(await env_today(web)), "number": number}
    response = await staff.post("/api/conclusions", json=spec)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error.startswith("number: Số kết luận") and "số tạm của bản chưa ban hành" in error
    assert (await staff.get("/api/conclusions")).json() == []


# ---------------------------------------------------------------- reading


async def test_the_list_filters_and_is_limited_to_what_each_role_may_see(web: Web) -> None:
    staff = web.bearer(STAFF)
    quang_ngai = (await web.start_quang_ngai()).workflow_id
    small = await start(staff, small_spec(await env_today(web), title="Kiểm tra quản lý đất đai Lý Sơn"), web)

    async def ids(client: httpx.AsyncClient, **params: Any) -> set[str]:
        response = await client.get("/api/conclusions", params=params)
        assert response.status_code == 200, response.text
        return {c["workflow_id"] for c in response.json()}

    assert await ids(staff) == {quang_ngai, small}
    assert await ids(staff, status="active") == {quang_ngai, small}
    assert await ids(staff, status="closed") == set()
    assert await ids(staff, unit="tra-bong") == {quang_ngai}
    assert await ids(staff, unit="ly-son") == {quang_ngai, small}
    assert await ids(staff, text="đất đai") == {small}
    assert await ids(staff, text="không có gì") == set()
    assert await ids(staff, overdue="false") == {quang_ngai, small}
    assert await ids(staff, overdue="true") == set()
    assert await ids(web.bearer(AGENCY)) == {quang_ngai, small}
    assert await ids(web.bearer(OTHER_AGENCY)) == {quang_ngai}
    assert await ids(web.bearer(SUPERVISOR)) == {quang_ngai, small}
    assert await ids(web.bearer(OUTSIDER)) == set()
    assert (await staff.get("/api/conclusions", params={"status": "gone"})).status_code == 422


async def test_an_agency_reads_only_its_own_unit(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    agency = web.bearer(AGENCY)
    mine = await detail(agency, wid)
    assert {u["code"] for u in mine["units"]} == {"ly-son"}
    assert mine["actions"] and {a["unit"] for a in mine["actions"]} == {"ly-son"}
    everything = await detail(web.bearer(STAFF), wid)
    assert len(everything["units"]) == len(spec.units) and len(everything["actions"]) == len(spec.actions)
    supervisor = await detail(web.bearer(SUPERVISOR), wid)
    assert len(supervisor["actions"]) == len(spec.actions)

    assert (await upload(agency, wid, "ly-son-eoffice")).status_code == 201
    assert (await upload(web.bearer(OTHER_AGENCY), wid, "tra-bong-dvctt")).status_code == 201
    staff_events = (await web.bearer(STAFF).get(f"/api/conclusions/{wid}/timeline")).json()
    assert staff_events[0]["kind"] == "started" and staff_events[0]["actor"] == STAFF
    assert {"ly-son-eoffice", "tra-bong-dvctt"} <= {e["target"] for e in staff_events}
    agency_events = (await agency.get(f"/api/conclusions/{wid}/timeline")).json()
    assert "ly-son-eoffice" in {e["target"] for e in agency_events}, "its own changes are there"
    assert all(e["target"] in {a["action_id"] for a in mine["actions"]} | {"report.ly-son"} for e in agency_events)

    refused(await web.bearer(OUTSIDER).get(f"/api/conclusions/{wid}"), 404, "Không tìm thấy kết luận")
    refused(await web.bearer(OUTSIDER).get(f"/api/conclusions/{wid}/timeline"), 404, "Không tìm thấy kết luận")
    refused(await web.bearer(STAFF).get("/api/conclusions/kl-khong-co"), 404, "Không tìm thấy kết luận")


# ---------------------------------------------------------------- the whole cycle


async def test_a_full_cycle_until_the_conclusion_closes(web: Web) -> None:
    staff = await web.login(STAFF)
    agency = await web.login(AGENCY)
    wid = await start(staff, small_spec(await env_today(web)), web)
    base = f"/api/conclusions/{wid}"

    # the agency uploads evidence; the next read shows it, awaiting review
    first = await upload(agency, wid, "ly-son-a1", note="Báo cáo khắc phục")
    assert first.status_code == 201, first.text
    ev1 = first.json()["created"]
    assert ev1 == "ev-1"
    shown = await detail(staff, wid)
    assert by_id(shown["actions"], "action_id", "ly-son-a1")["status"] == "evidence_submitted"
    evidence = by_id(shown["evidence"], "evidence_id", ev1)
    assert evidence["id"] == f"{wid}.ev-1" and evidence["note"] == "Báo cáo khắc phục"
    assert (
        evidence["files"][0]["name"] == "minh-chung.pdf" and evidence["files"][0]["content_type"] == "application/pdf"
    )

    # it downloads as an attachment, never inline
    download = await agency.get(evidence["files"][0]["url"])
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    # staff rejects: a reason is required, then the action is open again
    no_reason = await staff.post(f"{base}/evidence/{ev1}/review", json={"decision": "reject"})
    refused(no_reason, 409, "Cần nêu lý do khi yêu cầu bổ sung minh chứng.")
    rejected = await staff.post(f"{base}/evidence/{ev1}/review", json={"decision": "reject", "reason": "Thiếu dấu"})
    assert rejected.status_code == 200, rejected.text
    shown = await detail(agency, wid)
    assert by_id(shown["evidence"], "evidence_id", ev1)["status"] == "rejected"
    action = by_id(shown["actions"], "action_id", "ly-son-a1")
    assert action["status"] == "open" and action["status_reason"] == "Thiếu dấu"

    # the agency uploads again (a Vietnamese file name), staff accepts: done
    second = await upload(agency, wid, "ly-son-a1", files=pdf_part("Báo cáo khắc phục (bản 2).pdf"))
    ev2 = second.json()["created"]
    accepted = await staff.post(f"{base}/evidence/{ev2}/review", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    done = by_id(accepted.json()["conclusion"]["actions"], "action_id", "ly-son-a1")
    assert done["status"] == "done" and done["status_label"] == "Hoàn thành"
    disposition = (await staff.get(f"/api/evidence/{wid}.{ev2}/file")).headers["content-disposition"]
    assert (
        "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20kh%E1%BA%AFc%20ph%E1%BB%A5c%20%28b%E1%BA%A3n%202%29.pdf" in disposition
    )
    assert 'filename="Bao cao khac phuc (ban 2).pdf"' in disposition

    # an extension is requested for the second action and approved
    old_due = by_id((await detail(staff, wid))["actions"], "action_id", "ly-son-a2")["due"]
    # a working day: a deadline on a weekend or holiday moves to the next working day (BLDS Điều 148)
    wanted = WorkingCalendar().roll_forward(date.fromisoformat(old_due[:10]) + timedelta(days=20)).isoformat()
    asked = await agency.post(
        f"{base}/actions/ly-son-a2/extension-requests", json={"requested_due": wanted, "reason": "Chờ kinh phí"}
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["created"]
    assert by_id(asked.json()["conclusion"]["extension_requests"], "request_id", request_id)["status"] == "requested"
    decided = await staff.post(f"{base}/extension-requests/{request_id}/decision", json={"approve": True})
    assert decided.status_code == 200, decided.text
    shown = await detail(staff, wid)
    assert by_id(shown["extension_requests"], "request_id", request_id)["status"] == "approved"
    moved = by_id(shown["actions"], "action_id", "ly-son-a2")
    assert moved["due"][:10] == wanted and moved["due_version"] == 2

    # the unit's report: submitted, returned with a reason, submitted again, accepted
    report = await agency.post(f"{base}/units/ly-son/reports", files=pdf_part("bao-cao.pdf"), data={"note": "Lần 1"})
    assert report.status_code == 201, report.text
    rp1 = report.json()["created"]
    refused(await staff.post(f"{base}/reports/{rp1}/review", json={"decision": "reject"}), 409, "Cần nêu lý do")
    returned = await staff.post(f"{base}/reports/{rp1}/review", json={"decision": "reject", "reason": "Thiếu số liệu"})
    assert by_id(returned.json()["conclusion"]["units"], "code", "ly-son")["report_status"] == "returned"
    report = await agency.post(f"{base}/units/ly-son/reports", files=pdf_part("bao-cao-2.pdf"))
    rp2 = report.json()["created"]
    assert rp2 != rp1
    assert (await staff.post(f"{base}/reports/{rp2}/review", json={"decision": "accept"})).status_code == 200
    assert by_id((await detail(agency, wid))["units"], "code", "ly-son")["report_status"] == "accepted"
    report_file = await staff.get(f"/api/reports/{wid}.{rp2}/file")
    assert report_file.status_code == 200 and report_file.content == PDF

    # waiving the last open action closes the conclusion
    waived = await staff.post(
        f"{base}/actions/ly-son-a2/waive", json={"reason": "Không còn đối tượng"}, headers={"Idempotency-Key": "k1"}
    )
    assert waived.status_code == 200, waived.text
    assert waived.json()["conclusion"]["status"] == "closed"
    shown = await detail(staff, wid)
    assert shown["status"] == "closed" and shown["closed_at"] and shown["open_actions"] == 0
    kinds = [e["kind"] for e in (await staff.get(f"{base}/timeline")).json()]
    for kind in ["evidence_submitted", "evidence_rejected", "evidence_accepted", "extension_requested"]:
        assert kind in kinds
    assert "closed" in kinds

    # a retry of the update that closed it answers as before; any other change is refused
    replay = await staff.post(
        f"{base}/actions/ly-son-a2/waive", json={"reason": "Không còn đối tượng"}, headers={"Idempotency-Key": "k1"}
    )
    assert replay.status_code == 200, replay.text
    assert replay.json()["conclusion"]["status"] == "closed"
    assert replay.json()["created"] == waived.json()["created"] and replay.json()["workflow_id"] == wid
    refused(await staff.post(f"{base}/actions/ly-son-a1/transfer", json={"reason": "x"}), 409, "đã kết thúc theo dõi")
    refused(await upload(agency, wid, "ly-son-a2"), 409, "đã kết thúc theo dõi")
    refused(await staff.post(f"{base}/withdraw", json={"reason": "x"}), 409, "đã kết thúc theo dõi")
    assert [c["workflow_id"] for c in (await staff.get("/api/conclusions", params={"status": "closed"})).json()] == [
        wid
    ]


# ---------------------------------------------------------------- refusals


async def test_uploads_are_checked_before_anything_is_stored(web: Web) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)
    action = "ly-son-eoffice"
    refused(await upload(agency, wid, action, files=pdf_part("rong.pdf", b"")), 422, "rỗng")
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    refused(await upload(agency, wid, action, files=pdf_part("trang.pdf", html)), 422, "không thuộc loại")
    refused(await upload(agency, wid, action, files={"file": ("", b"", "application/octet-stream")}), 422, "Chưa chọn")
    refused(await agency.post(f"/api/conclusions/{wid}/actions/{action}/evidence", data={"note": "x"}), 422, "tệp")
    refused(await agency.post(f"/api/conclusions/{wid}/actions/{action}/evidence", json={}), 422, "multipart")
    recovered = await agency.post(
        f"/api/conclusions/{wid}/actions/{action}/evidence", files=pdf_part(), data={"recovered_vnd": "-5"}
    )
    refused(recovered, 422, "recovered_vnd")
    refused(await upload(agency, wid, "khong-co"), 404, "Không tìm thấy kiến nghị 'khong-co'")
    refused(await upload(agency, wid, "tra-bong-dvctt"), 403, "thuộc đơn vị khác")
    refused(await agency.post(f"/api/conclusions/{wid}/units/tra-bong/reports", files=pdf_part()), 403, "đơn vị khác")

    web.ctx.files.max_bytes = 4096
    too_big = await upload(agency, wid, action, files=pdf_part(content=PDF + b"0" * (1024 * 1024 + 8192)))
    refused(too_big, 413, "vượt quá dung lượng")
    refused(await upload(agency, wid, action, files=pdf_part(content=PDF + b"0" * 8192)), 422, "vượt quá dung lượng")

    shown = await detail(agency, wid)
    assert shown["evidence"] == [] and by_id(shown["actions"], "action_id", action)["status"] == "open"
    assert not [p for p in web.ctx.files.root.rglob("*") if p.is_file()], "nothing refused is kept, no temp file"


async def test_the_rules_refuse_with_409_and_nothing_is_half_written(web: Web) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    base = f"/api/conclusions/{wid}"
    staff, agency = web.bearer(STAFF), web.bearer(AGENCY)
    ev = (await upload(agency, wid, "ly-son-dvctt")).json()["created"]
    before = await detail(staff, wid)
    events_before = len((await staff.get(f"{base}/timeline")).json())

    again = await upload(agency, wid, "ly-son-dvctt")
    refused(again, 409, "không thể nộp minh chứng")
    assert again.json()["action_id"] == "ly-son-dvctt", "the item the refusal is about, for a client to mark"
    kept = sorted(p.name for p in web.ctx.files.root.rglob("*") if p.is_file())
    other = pdf_part("khac.pdf", PDF + b"% khac\n")
    refused(await upload(agency, wid, "ly-son-dvctt", files=other), 409, "không thể nộp minh chứng")
    assert sorted(p.name for p in web.ctx.files.root.rglob("*") if p.is_file()) == kept, "a refusal leaves no file"
    refused(await staff.post(f"{base}/evidence/{ev}/review", json={"decision": "reject", "reason": " "}), 409, "lý do")
    refused(await staff.post(f"{base}/evidence/ev-99/review", json={"decision": "accept"}), 404, "minh chứng 'ev-99'")
    bad_decision = await staff.post(f"{base}/evidence/{ev}/review", json={"decision": "maybe"})
    refused(bad_decision, 422, "decision")
    due = by_id(before["actions"], "action_id", "ly-son-eoffice")["due"][:10]
    early = await agency.post(
        f"{base}/actions/ly-son-eoffice/extension-requests", json={"requested_due": due, "reason": "Chờ kinh phí"}
    )
    refused(early, 409, "hạn đề nghị phải sau hạn hiện tại")
    no_reason = await agency.post(
        f"{base}/actions/ly-son-eoffice/extension-requests", json={"requested_due": "2099-01-01", "reason": ""}
    )
    refused(no_reason, 422, "reason")
    naive = await agency.post(
        f"{base}/actions/ly-son-eoffice/extension-requests",
        json={"requested_due": "2099-01-01T10:00:00", "reason": "Chờ"},
    )
    refused(naive, 422, "múi giờ")
    refused(await staff.post(f"{base}/actions/ly-son-eoffice/waive", json={}), 422, "reason")
    refused(await staff.post(f"{base}/actions/khong-co/waive", json={"reason": "x"}), 404, "kiến nghị 'khong-co'")
    refused(await staff.post(f"{base}/extension-requests/ext-9/decision", json={"approve": True}), 404, "ext-9")
    refused(await staff.post(f"{base}/reports/rp-9/review", json={"decision": "accept"}), 404, "rp-9")
    refused(await staff.put(f"{base}/units/khong-co/contacts", json={"contacts": ["a@b.vn"]}), 404, "đơn vị")
    assert await detail(staff, wid) == before
    assert len((await staff.get(f"{base}/timeline")).json()) == events_before

    asked = await agency.post(
        f"{base}/actions/ly-son-eoffice/extension-requests", json={"requested_due": "2099-01-01", "reason": "Chờ"}
    )
    request_id = asked.json()["created"]
    twice = await agency.post(
        f"{base}/actions/ly-son-eoffice/extension-requests", json={"requested_due": "2099-02-01", "reason": "Chờ"}
    )
    refused(twice, 409, "đang chờ quyết định")
    deny = await staff.post(f"{base}/extension-requests/{request_id}/decision", json={"approve": False})
    refused(deny, 409, "Cần nêu lý do khi không chấp thuận gia hạn.")
    denied = await staff.post(
        f"{base}/extension-requests/{request_id}/decision", json={"approve": False, "reason": "Không có căn cứ"}
    )
    assert by_id(denied.json()["conclusion"]["extension_requests"], "request_id", request_id)["status"] == "denied"
    again = await staff.post(f"{base}/extension-requests/{request_id}/decision", json={"approve": True})
    refused(again, 409, "đã được quyết định")

    report = (await agency.post(f"{base}/units/ly-son/reports", files=pdf_part())).json()["created"]
    refused(await agency.post(f"{base}/units/ly-son/reports", files=pdf_part()), 409, "không thể nộp")
    refused(await staff.post(f"{base}/reports/{report}/review", json={"decision": "reject"}), 409, "trả lại báo cáo")


async def test_staff_transfers_amends_and_changes_contacts(web: Web) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    base = f"/api/conclusions/{wid}"
    staff = await web.login(STAFF)

    moved = await staff.post(f"{base}/actions/ly-son-eoffice/transfer", json={"reason": "Công văn 12/CQĐT"})
    assert moved.status_code == 200, moved.text
    action = by_id((await detail(staff, wid))["actions"], "action_id", "ly-son-eoffice")
    assert action["status"] == "transferred" and action["status_reason"] == "Công văn 12/CQĐT"
    refused(await staff.post(f"{base}/actions/ly-son-eoffice/transfer", json={"reason": "x"}), 409, "không thể")

    new_action = {"id": "ly-son-bo-sung", "unit": "ly-son", "kind": "recover", "text": "Thu hồi", "amount_vnd": 5000000}
    added = await staff.post(f"{base}/actions", json={**new_action, "due_in": {"days": 30}})
    assert added.status_code == 201, added.text
    assert added.json()["created"] == "ly-son-bo-sung"
    shown = by_id((await detail(staff, wid))["actions"], "action_id", "ly-son-bo-sung")
    assert shown["kind_label"] == "Thu hồi tiền, tài sản" and shown["amount_vnd"] == 5000000 and shown["due"]
    assert "ly-son-bo-sung" in {a["action_id"] for a in (await detail(web.bearer(AGENCY), wid))["actions"]}

    duplicate = await staff.post(f"{base}/actions", json={**new_action, "due_in": {"days": 30}})
    refused(duplicate, 409, "đã tồn tại")
    unknown_unit = await staff.post(
        f"{base}/actions", json={**new_action, "id": "x-1", "unit": "khong-co", "due_in": {"days": 3}}
    )
    refused(unknown_unit, 409, "Không tìm thấy đơn vị 'khong-co'")
    no_due = await staff.post(f"{base}/actions", json=new_action)
    refused(no_due, 422, "cần đúng một trong hai trường 'due'")
    missing = await staff.post(f"{base}/actions", json={"id": "x-2", "unit": "ly-son", "due": "2099-01-01"})
    assert missing.status_code == 422 and "text: thiếu trường bắt buộc" in missing.json()["errors"]

    contacts = {"contacts": ["moi@lyson.example.vn"], "head": "chutichmoi@lyson.example.vn"}
    changed = await staff.put(f"{base}/units/ly-son/contacts", json=contacts)
    assert changed.status_code == 200, changed.text
    unit = by_id((await detail(staff, wid))["units"], "code", "ly-son")
    assert unit["contacts"] == ["moi@lyson.example.vn"] and unit["head"] == "chutichmoi@lyson.example.vn"
    assert unit["supervisor"] is None
    assert unit["head_title"] is None and unit["supervisor_title"] is None, "titles go with the people replaced"
    titled = {**contacts, "head_title": "Chủ tịch UBND huyện Lý Sơn", "supervisor": "gd@so.example.vn"}
    titled["supervisor_title"] = "Giám đốc Sở Xây dựng"
    assert (await staff.put(f"{base}/units/ly-son/contacts", json=titled)).status_code == 200
    kept = await staff.put(f"{base}/units/ly-son/contacts", json={**contacts, "supervisor": "gd@so.example.vn"})
    assert kept.status_code == 200, "titles left out are kept for the same people"
    unit = by_id((await detail(staff, wid))["units"], "code", "ly-son")
    assert (unit["head_title"], unit["supervisor_title"]) == ("Chủ tịch UBND huyện Lý Sơn", "Giám đốc Sở Xây dựng")
    long_title = {**contacts, "head_title": "x" * 201}
    refused(await staff.put(f"{base}/units/ly-son/contacts", json=long_title), 422, "head_title")
    refused(await staff.put(f"{base}/units/ly-son/contacts", json={"contacts": ["khong-phai-email"]}), 422, "contacts")
    refused(await staff.put(f"{base}/units/ly-son/contacts", json={"contacts": []}), 422, "contacts")


async def test_a_withdrawn_conclusion_refuses_every_change(web: Web) -> None:
    staff = web.bearer(STAFF)
    wid = await start(staff, small_spec(await env_today(web)), web)
    base = f"/api/conclusions/{wid}"
    refused(await staff.post(f"{base}/withdraw", json={"reason": "  "}), 422, "reason")
    withdrawn = await staff.post(f"{base}/withdraw", json={"reason": "Kết luận bị hủy"})
    assert withdrawn.status_code == 200, withdrawn.text
    shown = await detail(staff, wid)
    assert shown["status"] == "withdrawn" and shown["status_reason"] == "Kết luận bị hủy"
    assert shown["status_label"] == "Đã rút"
    refused(await staff.post(f"{base}/actions/ly-son-a1/waive", json={"reason": "x"}), 409, "đã bị rút")
    refused(await upload(web.bearer(AGENCY), wid, "ly-son-a1"), 409, "đã bị rút")
    refused(await staff.post(f"{base}/withdraw", json={"reason": "lần hai"}), 409, "đã bị rút")
    assert await detail(staff, wid) == shown


async def test_an_idempotency_key_replay_answers_the_same_and_changes_nothing(web: Web) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    base = f"/api/conclusions/{wid}"
    staff, agency = web.bearer(STAFF), await web.login(AGENCY)

    first = await upload(agency, wid, "ly-son-eoffice", note="lần 1", key="upload-1")
    second = await upload(agency, wid, "ly-son-eoffice", note="lần 1", key="upload-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len((await detail(staff, wid))["evidence"]) == 1

    events = len((await staff.get(f"{base}/timeline")).json())
    headers = {"Idempotency-Key": "waive-ly-son-dvctt"}
    waived = await staff.post(f"{base}/actions/ly-son-dvctt/waive", json={"reason": "Trùng nội dung"}, headers=headers)
    replay = await staff.post(f"{base}/actions/ly-son-dvctt/waive", json={"reason": "Trùng nội dung"}, headers=headers)
    assert waived.status_code == replay.status_code == 200
    assert waived.json() == replay.json()
    assert len((await staff.get(f"{base}/timeline")).json()) == events + 1
    without_key = await staff.post(f"{base}/actions/ly-son-dvctt/waive", json={"reason": "Trùng nội dung"})
    refused(without_key, 409, "không thể miễn thực hiện")


async def test_overdue_actions_by_role(web: Web) -> None:
    staff = web.bearer(STAFF)
    long_ago = datetime.now(UTC).astimezone(VN).date() - timedelta(days=400)
    late = await start(staff, small_spec(long_ago, units=("ly-son", "tra-bong"), due_in_days=60), web)
    on_time = (await web.start_quang_ngai()).workflow_id

    items = (await staff.get("/api/overdue")).json()
    assert {(i["workflow_id"], i["action_id"]) for i in items} == {
        (late, f"{unit}-a{n}") for unit in ("ly-son", "tra-bong") for n in (1, 2)
    }
    assert all(i["days_overdue"] >= 300 and i["unit_name"].startswith("Đơn vị") for i in items)
    assert {i["action_id"] for i in (await web.bearer(AGENCY).get("/api/overdue")).json()} == {"ly-son-a1", "ly-son-a2"}
    assert len((await web.bearer(SUPERVISOR).get("/api/overdue")).json()) == 4
    assert (await web.bearer(OUTSIDER).get("/api/overdue")).json() == []
    assert (await staff.get("/api/overdue", params={"workflow_id": on_time})).json() == []
    listed = (await staff.get("/api/conclusions", params={"overdue": "true"})).json()
    assert [c["workflow_id"] for c in listed] == [late] and listed[0]["overdue_actions"] == 4


async def test_notifications_list_each_copy_of_each_letter(web: Web) -> None:
    staff = web.bearer(STAFF)
    long_ago = datetime.now(UTC).astimezone(VN).date() - timedelta(days=400)
    late = await start(staff, small_spec(long_ago, units=("ly-son", "tra-bong"), due_in_days=60), web)
    on_time = (await web.start_quang_ngai()).workflow_id
    sent = await web.letters_sent(late, count=2)
    with Session(web.ctx.engine) as session:  # a copy the mail server refused, of another letter
        session.add(
            NotificationRow(
                key=f"{late}/ly-son/urging/9/oversight",
                message_id=f"<{late}/ly-son/urging/9/oversight@dondoc>",
                letter_key=f"{late}/ly-son/urging/9",
                audience="oversight",
                workflow_id=late,
                target="report.ly-son",
                items=["ly-son-a1", "ly-son-a2"],
                unit="ly-son",
                step="urging",
                recipients=[SUPERVISOR],
                subject="Đôn đốc",
                status="failed",
                attempts=1,
                smtp_answer="550 5.1.1 Không có hộp thư này",
                created_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
        session.commit()

    everything = (await staff.get("/api/notifications")).json()
    assert len(everything) == 3
    failed = everything[0]
    assert (
        failed["status"] == "failed"
        and failed["status_label"] == "Gửi lỗi: địa chỉ người nhận không tồn tại hoặc bị máy chủ thư từ chối"
    )
    assert failed["letter_key"] == f"{late}/ly-son/urging/9" and failed["audience_label"] == "Bản để biết, theo dõi"
    assert failed["step_label"] == "Đôn đốc" and failed["item_count"] == 2
    for letter in sent:
        [copy] = [n for n in everything if n["letter_key"] == letter.key]
        assert copy["key"] == f"{letter.key}/unit" and copy["audience"] == "unit"
        assert copy["audience_label"] == "Bản gửi đơn vị" and copy["status_label"] == "Đã gửi"
        assert copy["step"] == "overdue" and copy["step_label"] == "Quá hạn"
        assert copy["items"] == [line.target for line in letter.items] and copy["item_count"] == len(letter.items)
        assert {f"{letter.unit_code}-a1", f"{letter.unit_code}-a2"} <= set(copy["items"])
    assert {n["unit"] for n in (await web.bearer(AGENCY).get("/api/notifications")).json()} == {"ly-son"}
    assert len((await staff.get("/api/notifications", params={"status": "failed"})).json()) == 1
    assert (await staff.get("/api/notifications", params={"workflow_id": on_time})).json() == []
    assert (await web.bearer(OUTSIDER).get("/api/notifications")).json() == []
    assert (await staff.get("/api/notifications", params={"status": "bogus"})).status_code == 422

    letters = (await detail(staff, late))["letters"]
    assert {(x["unit"], x["step"], x["status"]) for x in letters} >= {("ly-son", "overdue", "sent")}


async def test_downloads_are_scoped_and_never_guess_the_file(web: Web) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)
    files = [("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF + b"%b", "application/pdf"))]
    created = (await upload(agency, wid, "ly-son-eoffice", files=files)).json()["created"]
    url = f"/api/evidence/{wid}.{created}/file"
    assert (await agency.get(url, params={"n": 1})).content == PDF + b"%b"
    refused(await agency.get(url, params={"n": 2}), 404, "Không có tệp số 2")
    refused(await web.bearer(OTHER_AGENCY).get(url), 404, "Không tìm thấy minh chứng")
    refused(await web.bearer(OUTSIDER).get(url), 404, "Không tìm thấy minh chứng")
    assert (await web.bearer(SUPERVISOR).get(url)).status_code == 200
    refused(await agency.get(f"/api/evidence/{created}/file"), 404, "Không tìm thấy minh chứng")
    refused(await agency.get(f"/api/evidence/{wid}.ev-77/file"), 404, "Không tìm thấy minh chứng")
    assert (await agency.get(url, params={"n": -1})).status_code == 422


async def test_a_deadline_that_cannot_be_planned_is_refused_and_nothing_changes(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    staff = web.bearer(STAFF)
    before = await detail(staff, wid)

    def beyond_the_calendar(request: object) -> object:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(planning, "_plan", beyond_the_calendar)
    action = {"id": "ly-son-moi", "unit": "ly-son", "text": "Bổ sung", "due_in": {"days": 30}}
    answer = await staff.post(f"/api/conclusions/{wid}/actions", json=action)
    refused(answer, 409, "Không tính được thời hạn")
    assert await detail(staff, wid) == before
    monkeypatch.undo()
    assert (await staff.post(f"/api/conclusions/{wid}/actions", json=action)).status_code == 201, (
        "the lock was released"
    )


async def test_a_return_with_a_new_deadline_starts_a_new_due_version(web: Web) -> None:
    staff = await web.login(STAFF)
    agency = await web.login(AGENCY)
    wid = await start(staff, small_spec(await env_today(web)), web)
    base = f"/api/conclusions/{wid}"
    ev = (await upload(agency, wid, "ly-son-a1")).json()["created"]
    # a working day: the planner keeps it as given (a day off would move to the next working day)
    new_due = WorkingCalendar().roll_forward((await env_today(web)) + timedelta(days=14))
    returned = await staff.post(
        f"{base}/evidence/{ev}/review",
        json={"decision": "reject", "reason": "Thiếu biên bản", "new_due": new_due.isoformat()},
    )
    assert returned.status_code == 200, returned.text
    action = by_id((await detail(agency, wid))["actions"], "action_id", "ly-son-a1")
    assert action["status"] == "open" and action["due_version"] == 2
    assert datetime.fromisoformat(action["due"]).astimezone(VN).date() == new_due
    accepted_with_due = await staff.post(
        f"{base}/evidence/{ev}/review", json={"decision": "accept", "new_due": new_due.isoformat()}
    )
    assert accepted_with_due.status_code == 409  # reviewed already; and a new deadline goes only with a return
