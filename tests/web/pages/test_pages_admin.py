"""Administration pages: users (list, add, lock), the effective escalation policy and the holiday calendar."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest

from dondoc import users
from tests.web.conftest import ADMIN, AGENCY, PASSWORD, STAFF, SUPERVISOR, Web


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_only_admins_open_the_admin_pages(web: Web) -> None:
    for email in (STAFF, SUPERVISOR, AGENCY):
        client = await web.login(email)
        assert (await client.get("/admin")).status_code == 403, email
        added = await client.post(
            "/admin/users", data={"email": "x@example.vn", "role": "admin", "password": "mat-khau-dai"}
        )
        assert added.status_code == 403, email
    assert users.find_user(web.ctx.engine, "x@example.vn") is None
    anonymous = await web.client().get("/admin")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/admin"


async def test_admin_sees_users_the_default_policy_and_the_coming_holidays(web: Web) -> None:
    admin = await web.login(ADMIN)
    response = await admin.get("/admin")
    assert response.status_code == 200
    body = text_of(response)
    assert STAFF in body and AGENCY in body and "Cán bộ thanh tra" in body and "Đơn vị được thanh tra" in body
    assert "ly-son" in body and "Đang hoạt động" in body
    assert "Chính sách đôn đốc chung" in body and "Mặc định" in body
    for row in (
        "7 ngày làm việc trước hạn",
        "1 ngày sau hạn",
        "5 ngày làm việc sau hạn",
        "Đôn đốc lần 2",
        "Đề nghị kiểm tra, xử lý trách nhiệm",
        "Chánh Thanh tra",
        "thủ trưởng cơ quan quản lý nhà nước cùng cấp",
    ):
        assert row in body, row
    assert "Ngày lễ trong 12 tháng tới" in body and "Tết Dương lịch" in body and "Quốc khánh" in body
    assert "chỉ dữ liệu của gói holidays" in body
    assert "/admin/users/" in body and 'name="csrf_token"' in body


async def test_admin_adds_a_user_who_can_then_log_in(web: Web) -> None:
    admin = await web.login(ADMIN)
    response = await admin.post(
        "/admin/users",
        data={
            "email": "Vanthu@NghiaHanh.example.vn",
            "full_name": "Nguyễn Thị Lan",
            "role": "agency",
            "unit": "nghia-hanh",
            "password": "mat-khau-moi-123",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin#users"
    page = text_of(await admin.get("/admin"))
    assert "Đã thêm người dùng vanthu@nghiahanh.example.vn (Đơn vị được thanh tra)." in page
    assert "Nguyễn Thị Lan" in page and "nghia-hanh" in page
    newcomer = await web.login("vanthu@nghiahanh.example.vn", "mat-khau-moi-123")
    assert (await newcomer.get("/")).headers["location"] == "/portal"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "khong-phai-email", "role": "staff"},
            "user-email",
            "'khong-phai-email' không phải địa chỉ email hợp lệ",
        ),
        ({"email": "moi@example.vn", "role": "agency"}, "user-unit", "phải gắn với một mã đơn vị"),
        ({"email": "moi@example.vn", "role": "staff", "password": "ngan"}, "user-password", "ít nhất 8 ký tự"),
        ({"email": STAFF, "role": "staff"}, "user-email", f"người dùng '{STAFF}' đã tồn tại"),
    ],
)
async def test_a_refused_user_shows_the_reason_beside_the_field(
    web: Web, data: dict[str, str], field: str, message: str
) -> None:
    admin = await web.login(ADMIN)
    response = await admin.post("/admin/users", data={"password": "mat-khau-du-dai", "full_name": "", **data})
    assert response.status_code == 422
    body = text_of(response)
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', body), body[body.find("Thêm người dùng") :][
        :3000
    ]
    assert f'value="{data["email"]}"' in body  # the typed values are kept


async def test_admin_locks_and_reopens_an_account_but_not_their_own(web: Web) -> None:
    admin = await web.login(ADMIN)
    user = users.find_user(web.ctx.engine, SUPERVISOR)
    me = users.find_user(web.ctx.engine, ADMIN)
    assert user is not None and me is not None
    locked = await admin.post(f"/admin/users/{user.id}/deactivate")
    assert locked.status_code == 303
    assert "Đã khóa tài khoản" in text_of(await admin.get("/admin"))
    refused = await web.client().get("/login")
    token = refused.text.split('name="csrf_token" value="')[1].split('"')[0]
    login = await web.client().post("/login", data={"email": SUPERVISOR, "password": PASSWORD, "csrf_token": token})
    assert login.status_code in (401, 403)
    assert (await admin.post(f"/admin/users/{user.id}/activate")).status_code == 303
    assert (await web.login(SUPERVISOR)) is not None
    own = await admin.post(f"/admin/users/{me.id}/deactivate")
    assert own.status_code == 409 and "Không thể tự khóa tài khoản đang dùng." in text_of(own)
    assert (await admin.post("/admin/users/999999/deactivate")).status_code == 404


async def test_a_policy_file_and_a_holiday_file_are_shown(
    web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "steps:\n"
        "  - {step: reminder, offset: -P3D, working: true, to: [contacts]}\n"
        "  - {step: urging, offset: P10D, to: [head, chanh@example.vn], cc: [inspectorate_head]}\n",
        encoding="utf-8",
    )
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("holidays:\n  2030-05-19: Nghỉ theo thông báo\nworking_days: [2030-05-25]\n", encoding="utf-8")
    monkeypatch.setattr(web.ctx.settings, "policy_file", policy)
    monkeypatch.setattr(web.ctx.settings, "holidays_file", holidays)
    admin = await web.login(ADMIN)
    body = text_of(await admin.get("/admin"))
    assert f"Tệp {policy}" in body and "3 ngày làm việc trước hạn" in body and "10 ngày sau hạn" in body
    assert "thủ trưởng đơn vị, chanh@example.vn" in body and "Đôn đốc lần 2" not in body
    assert f"Tệp {holidays}" in body and "19/05/2030" in body and "Nghỉ theo thông báo" in body and "25/05/2030" in body
    policy.write_text("steps: []\n", encoding="utf-8")
    broken = text_of(await admin.get("/admin"))
    assert "không hợp lệ" in broken and "Cấu hình lỗi" in broken
