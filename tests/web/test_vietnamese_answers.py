"""What the framework and the parsers would say in English reaches users in Vietnamese: a form past Starlette's limits
(a field over 1 MB, too many files or fields) and YAML that cannot be read (the admin ladder, an uploaded spec), each
saying what is wrong and, for YAML, where."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from dondoc.web.app import UNREADABLE, _standard_message
from dondoc.web.bodies import MAX_FIELDS, PAGE_FILES
from tests.web.conftest import ADMIN, STAFF, Web
from tests.web.portal.test_portal import PDF, evidence_url, open_link

ENGLISH = re.compile(r"exceeded|Maximum|Too many|while parsing|expected|found|stream end")


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        (
            "Field exceeded maximum size of 1024KB.",
            "Nội dung gửi lên quá lớn: mỗi ô của biểu mẫu tối đa 1 MB; rút gọn nội dung rồi gửi lại.",
        ),
        (
            "Part exceeded maximum size of 512KB.",
            "Nội dung gửi lên quá lớn: mỗi ô của biểu mẫu tối đa 512 KB; rút gọn nội dung rồi gửi lại.",
        ),
        (
            "Too many files. Maximum number of files is 20.",
            "Gửi quá nhiều tệp trong một lần (tối đa 20 tệp); vui lòng chia thành nhiều lần gửi.",
        ),
        (
            "Too many fields. Maximum number of fields is 1000.",
            "Gửi quá nhiều trường trong một lần (tối đa 1000 trường); vui lòng chia thành nhiều lần gửi.",
        ),
        ("Missing boundary in multipart.", UNREADABLE),
        ("Invalid multipart data.", UNREADABLE),
        ('The Content-Disposition header field "name" must be provided.', UNREADABLE),
        ("Not Found", "Không tìm thấy trang hoặc tài nguyên này."),
        ("Kết luận đã kết thúc.", "Kết luận đã kết thúc."),  # ours pass through
    ],
)
def test_starlettes_answers_about_a_form_are_translated(detail: str, message: str) -> None:
    assert _standard_message(detail) == message


async def test_a_form_field_over_one_megabyte_is_refused_in_vietnamese(web: Web) -> None:
    admin = await web.login(ADMIN)
    refused = await admin.post("/admin/config/policy", data={"text": "x" * (1024 * 1024 + 1), "action": "save"})
    assert refused.status_code == 400
    assert "Nội dung gửi lên quá lớn: mỗi ô của biểu mẫu tối đa 1 MB" in text_of(refused)
    assert not ENGLISH.search(text_of(refused))


async def test_too_many_files_or_fields_on_the_portal_are_refused_in_vietnamese(web: Web) -> None:
    spec = await web.start_quang_ngai()
    client = await open_link(web, spec.workflow_id)
    url = evidence_url(spec.workflow_id)

    files = [("files", (f"minh-chung-{n}.pdf", PDF, "application/pdf")) for n in range(PAGE_FILES + 1)]
    many_files = await client.post(url, files=files)
    assert many_files.status_code == 400
    assert f"Gửi quá nhiều tệp trong một lần (tối đa {PAGE_FILES} tệp)" in text_of(many_files)
    assert not ENGLISH.search(text_of(many_files))

    fields = {f"o{n}": "x" for n in range(MAX_FIELDS + 1)}
    many_fields = await client.post(url, files=[("files", ("minh-chung.pdf", PDF, "application/pdf"))], data=fields)
    assert many_fields.status_code == 400
    assert f"Gửi quá nhiều trường trong một lần (tối đa {MAX_FIELDS} trường)" in text_of(many_fields)


async def test_a_ladder_that_is_not_yaml_is_refused_saying_where(web: Web) -> None:
    admin = await web.login(ADMIN)
    refused = await admin.post(
        "/admin/config/policy", data={"text": "steps:\n  - step: reminder\n    to: [", "action": "save"}
    )
    assert refused.status_code == 422
    body = text_of(refused)
    assert (
        "Chính sách đôn đốc sai cú pháp YAML ở dòng 3, cột 10: văn bản kết thúc khi còn dấu [ hoặc { chưa đóng" in body
    )
    assert not ENGLISH.search(body.split('id="policy-text-error"', 1)[1].split("</", 1)[0])


async def test_an_uploaded_spec_that_is_not_yaml_is_refused_saying_where(web: Web) -> None:
    staff = await web.login(STAFF)
    files = {"spec_file": ("ke-luan.yaml", b"number: 15/KL-TTr\nissued_on: [\n", "text/yaml")}
    refused = await staff.post("/conclusions/upload", files=files)
    assert refused.status_code == 422
    body = text_of(refused)
    assert "tệp sai cú pháp YAML ở dòng 3, cột 1: văn bản kết thúc khi còn dấu [ hoặc { chưa đóng" in body
    assert "while parsing" not in body and "<stream end>" not in body
