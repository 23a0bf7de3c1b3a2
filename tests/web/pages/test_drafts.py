"""Drafts on the staff pages: a conclusion imported from its Word file into a draft (warnings, the text beside the
fields, the original kept), edited by two staff without either silently overwriting the other, a pasted list turned
into rows, and started only after a page shows the letters that go out at once; the original document, Word or
plain text, kept byte for byte and downloadable from the draft, the conclusion's page and the API."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx

from dondoc import drafts
from dondoc.web.pages.originals import text_media_type
from tests.conftest import ROOT
from tests.importer.documents import docx_of, seed
from tests.web.conftest import STAFF, SUPERVISOR, Web
from tests.web.pages.confirming import confirm, confirmation


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def flat(form: dict[str, Any]) -> dict[str, str]:
    """A stored draft form as the browser posts it."""
    data = {k: str(v) for k, v in form["header"].items()}
    for kind in ("units", "actions"):
        for i, row in enumerate(form[kind]):
            data.update({f"{kind}[{i}].{k}": str(v) for k, v in row.items()})
    return data


async def imported_draft(web: Web, staff: httpx.AsyncClient, tmp_path: Path) -> str:
    path = docx_of(seed("000").read_text(encoding="utf-8"), tmp_path / "ket-luan-000.docx")
    files = {"document": (path.name, path.read_bytes(), "application/octet-stream")}
    response = await staff.post("/conclusions/import", files=files)
    assert response.status_code == 303, text_of(response)[-800:]
    match = re.fullmatch(r"/drafts/([0-9a-f]+)", response.headers["location"])
    assert match
    return match.group(1)


async def test_a_word_conclusion_becomes_a_draft_with_its_warnings_text_and_original(web: Web, tmp_path: Path) -> None:
    staff = await web.login(STAFF)
    draft_id = await imported_draft(web, staff, tmp_path)
    page = text_of(await staff.get(f"/drafts/{draft_id}"))
    assert "Số kết luận để trống" in page and "Ngày ban hành để trống" in page
    assert "Nơi nhận: Thanh tra tỉnh; Phòng TT,BC&XB; Trung tâm CNTT&TT; Website Sở." in page
    assert "không phải đơn vị được thanh tra" in page
    assert 'id="p-1"' in page and "Giám đốc Sở Thông tin và Truyền thông kết luận như sau" in page  # the text
    assert 'name="number" type="text" value="/KL-STTTT"' in page
    assert 'value="phong-tt-bc-xb"' in page and 'value="2-1-4"' in page  # units and ids from references
    assert "Đơn vị trung-tam-cntt-tt — Trung tâm Công nghệ thông tin và Truyền thông" in page  # actions grouped
    row = drafts.get(web.ctx.engine, draft_id)
    assert row is not None and row.source_name == "ket-luan-000.docx"
    original = await staff.get(f"/drafts/{draft_id}/document")
    assert original.status_code == 200
    assert original.content == (tmp_path / "ket-luan-000.docx").read_bytes()
    listing = text_of(await staff.get("/conclusions/new"))
    assert f'href="/drafts/{draft_id}"' in listing


async def test_a_report_is_refused_saying_what_it_is(web: Web) -> None:
    staff = await web.login(STAFF)
    path = seed("002")
    response = await staff.post("/conclusions/import", files={"document": (path.name, path.read_bytes(), "text/plain")})
    assert response.status_code == 422
    assert "Đây là báo cáo, không phải kết luận thanh tra" in text_of(response)
    assert not drafts.open_drafts(web.ctx.engine)


async def test_two_staff_editing_at_once_never_overwrite_each_other_silently(web: Web, tmp_path: Path) -> None:
    first = await web.login(STAFF)
    second = await web.login(STAFF)
    draft_id = await imported_draft(web, first, tmp_path)
    row = drafts.get(web.ctx.engine, draft_id)
    assert row is not None and row.version == 1
    mine = flat(row.form) | {"version": "1", "title": "Sửa bởi người thứ nhất"}
    theirs = flat(row.form) | {"version": "1", "title": "Sửa bởi người thứ hai"}
    saved = await first.post(f"/drafts/{draft_id}", data=mine)
    assert saved.status_code == 303
    conflict = await second.post(f"/drafts/{draft_id}", data=theirs)
    assert conflict.status_code == 409
    page = text_of(conflict)
    assert "Chưa lưu" in page and "Sửa bởi người thứ hai" in page  # the second edit is kept on the page
    assert 'name="version" value="2"' in page  # saving again now overwrites knowingly
    current = drafts.get(web.ctx.engine, draft_id)
    assert current is not None and current.form["header"]["title"] == "Sửa bởi người thứ nhất"
    again = await second.post(f"/drafts/{draft_id}", data=theirs | {"version": "2"})
    assert again.status_code == 303
    current = drafts.get(web.ctx.engine, draft_id)
    assert current is not None and current.version == 3 and current.title == "Sửa bởi người thứ hai"


async def test_a_pasted_list_becomes_rows_with_ids_kinds_and_deadlines(web: Web, tmp_path: Path) -> None:
    staff = await web.login(STAFF)
    draft_id = await imported_draft(web, staff, tmp_path)
    row = drafts.get(web.ctx.engine, draft_id)
    assert row is not None
    pasted = "a) Thu hồi 5.000.000 đồng nộp ngân sách trước ngày 30/6/2021\nb) Kiểm điểm trách nhiệm cá nhân\n\n"
    data = flat(row.form) | {"version": "1", "paste_text": pasted, "paste_unit": "phong-tt-bc-xb"}
    page = text_of(await staff.post(f"/drafts/{draft_id}/rows?add=paste", data=data))
    assert "Đã thêm 2 dòng kiến nghị" in page
    assert 'value="a"' in page and 'value="2021-06-30"' in page
    assert '<option value="recover" selected>' in page and '<option value="discipline" selected>' in page


def ready(form: dict[str, Any], number: str) -> dict[str, str]:
    """The imported draft completed as staff would: the official number and day, emails, due dates, and the
    actions of the units that were not inspected moved to the inspected one."""
    data = flat(form) | {
        "number": number,
        "issued_on": "2021-03-20",
        "inspectorate_head": "chanhthanhtra@stttt.example.vn",
        "agency_head": "giamdoc@stttt.example.vn",
    }
    codes = [u["code"] for u in form["units"]]
    for i, code in enumerate(codes):
        data[f"units[{i}].contacts"] = f"vanthu@{code}.example.vn" if code in codes[:2] else ""
        if code not in codes[:2]:
            data[f"units[{i}].code"] = data[f"units[{i}].name"] = ""
    for i, action in enumerate(form["actions"]):
        data[f"actions[{i}].due"] = "2021-04-30"
        data[f"actions[{i}].due_in"] = ""  # a day replaces any period the importer read or assumed
        if action["unit"] not in codes[:2]:
            data[f"actions[{i}].unit"] = "phong-tt-bc-xb"
    return data


async def test_starting_shows_the_letters_that_go_out_at_once_and_refuses_a_placeholder_number(
    web: Web, tmp_path: Path
) -> None:
    staff = await web.login(STAFF)
    draft_id = await imported_draft(web, staff, tmp_path)
    row = drafts.get(web.ctx.engine, draft_id)
    assert row is not None
    placeholder = await staff.post(f"/drafts/{draft_id}", data=ready(row.form, "/KL-STTTT") | {"version": "1"})
    assert placeholder.status_code == 303
    blocked = await staff.get(f"/drafts/{draft_id}/start")
    assert blocked.status_code == 422
    assert "là số tạm của bản chưa ban hành" in text_of(blocked)
    assert "Xác nhận bắt đầu theo dõi" not in text_of(blocked)

    number = "27/KL-STTTT"
    fixed = await staff.post(f"/drafts/{draft_id}", data=ready(row.form, number) | {"version": "2", "then": "start"})
    assert fixed.headers["location"] == f"/drafts/{draft_id}/start"
    confirm = await staff.get(f"/drafts/{draft_id}/start")
    page = text_of(confirm)
    assert confirm.status_code == 200, page[-1500:]
    assert "Văn bản gửi đi ngay khi bắt đầu" in page
    assert "Kính gửi: Phòng Thông tin, Báo chí và Xuất bản" in page  # overdue since 2021: letters at once
    assert "vanthu@phong-tt-bc-xb.example.vn" in page
    started = await staff.post(f"/drafts/{draft_id}/start", data={"version": "3"})
    assert started.status_code == 303, text_of(started)[-800:]
    workflow_id = "kl-27-kl-stttt-2021"
    assert started.headers["location"] == f"/conclusions/{workflow_id}"
    original = await staff.get(f"/conclusions/{workflow_id}/document")
    assert original.status_code == 200 and original.content == (tmp_path / "ket-luan-000.docx").read_bytes()
    assert (await staff.get(f"/drafts/{draft_id}")).headers["location"] == f"/conclusions/{workflow_id}"
    page = text_of(await staff.get(f"/conclusions/{workflow_id}"))
    assert f'href="/conclusions/{workflow_id}/document">Văn bản kết luận gốc (ket-luan-000.docx)' in page
    api = await web.bearer(STAFF).get(f"/api/conclusions/{workflow_id}/document")
    assert api.status_code == 200 and api.content == original.content
    assert "ket-luan-000.docx" in api.headers["content-disposition"]
    outsider = await web.login(SUPERVISOR)
    assert (await outsider.get(f"/conclusions/{workflow_id}/document")).status_code == 404


async def test_a_plain_text_conclusion_keeps_its_original_byte_for_byte_like_word_and_pdf(web: Web) -> None:
    staff = await web.login(STAFF)
    content = seed("000").read_bytes()
    files = {"document": ("ket-luan-000.txt", content, "text/plain")}
    imported = await staff.post("/conclusions/import", files=files)
    assert imported.status_code == 303, text_of(imported)[-800:]
    draft_id = imported.headers["location"].removeprefix("/drafts/")
    assert f'href="/drafts/{draft_id}/document">ket-luan-000.txt</a>' in text_of(await staff.get(f"/drafts/{draft_id}"))
    from_draft = await staff.get(f"/drafts/{draft_id}/document")
    assert from_draft.status_code == 200 and from_draft.content == content
    assert from_draft.headers["content-type"] == "text/plain; charset=utf-8"
    assert from_draft.headers["content-disposition"].startswith('attachment; filename="ket-luan-000.txt"')

    row = drafts.get(web.ctx.engine, draft_id)
    assert row is not None
    number = "28/KL-STTTT"
    saved = await staff.post(f"/drafts/{draft_id}", data=ready(row.form, number) | {"version": "1", "then": "start"})
    started = await confirm(staff, await confirmation(staff, saved))
    workflow_id = "kl-28-kl-stttt-2021"
    assert started.headers["location"] == f"/conclusions/{workflow_id}", text_of(started)[-800:]
    page = text_of(await staff.get(f"/conclusions/{workflow_id}"))
    assert f'href="/conclusions/{workflow_id}/document">Văn bản kết luận gốc (ket-luan-000.txt)' in page
    from_page = await staff.get(f"/conclusions/{workflow_id}/document")
    assert from_page.status_code == 200 and from_page.content == content
    from_api = await web.bearer(STAFF).get(f"/api/conclusions/{workflow_id}/document")
    assert from_api.status_code == 200 and from_api.content == content
    assert from_api.headers["content-type"] == "text/plain; charset=utf-8"
    assert "ket-luan-000.txt" in from_api.headers["content-disposition"]


def test_a_text_original_is_served_in_the_encoding_the_importer_read_it_in() -> None:
    words = "Kết luận thanh tra"
    assert text_media_type(words.encode("utf-8")) == "text/plain; charset=utf-8"
    assert text_media_type(words.encode("utf-16")) == "text/plain; charset=utf-16"  # with its BOM
    assert text_media_type("Thanh tra Đà".encode("cp1258")) == "text/plain; charset=windows-1258"


async def test_a_spec_file_shows_the_same_confirmation_as_a_draft_with_the_letters_its_start_sends(web: Web) -> None:
    staff = await web.login(STAFF)
    spec = (ROOT / "examples" / "quang-ngai-312-KL-Ttra.yaml").read_bytes()  # received in 2018: long overdue
    checked = await staff.post("/conclusions/upload", files={"spec_file": ("kl.yaml", spec)})
    page = text_of(checked)
    assert checked.status_code == 200, page[-800:]
    assert "Bắt đầu theo dõi kết luận 312/KL-Ttra?" in page and "Văn bản gửi đi ngay khi bắt đầu" in page
    assert "Kính gửi: Chủ tịch UBND huyện Lý Sơn" in page
    assert 'action="/conclusions/upload/start"' in page and "Xác nhận bắt đầu theo dõi" in page
