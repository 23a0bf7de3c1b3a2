"""Logging in and out of the web app."""

from __future__ import annotations

import pytest

from dondoc import users
from tests.web.conftest import STAFF, Web


async def test_staff_logs_in_and_out(web: Web) -> None:
    client = await web.login(STAFF)
    home = await client.get("/login")
    assert home.status_code == 200
    out = await client.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    after = await client.get("/review")
    assert after.status_code == 303 and after.headers["location"].startswith("/login"), "signed out"


async def test_a_wrong_password_is_refused_in_vietnamese(web: Web) -> None:
    client = web.client()
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post("/login", data={"email": STAFF, "password": "sai", "csrf_token": token})
    assert response.status_code == 401 and "Email hoặc mật khẩu không đúng." in response.text


async def test_a_form_without_the_csrf_token_is_refused(web: Web) -> None:
    response = await web.client().post("/login", data={"email": STAFF, "password": "x"})
    assert response.status_code == 403 and "CSRF" in response.text


async def test_starting_a_conclusion_projects_it(web: Web) -> None:
    spec = await web.start_quang_ngai()
    assert spec.workflow_id.startswith("kl-")


async def test_an_address_with_capitals_logs_in_however_it_is_typed(web: Web) -> None:
    users.add_user(web.ctx.engine, "Nguyen.Van.An@ThanhTra.example.vn", "staff", "mat-khau-du-dai")
    for typed in ("nguyen.van.an@thanhtra.example.vn", "Nguyen.Van.An@ThanhTra.example.vn"):
        await web.login(typed, "mat-khau-du-dai")
    with pytest.raises(users.UserError, match="đã tồn tại"):
        users.add_user(web.ctx.engine, "NGUYEN.VAN.AN@thanhtra.example.vn", "staff", "mat-khau-khac-dai")
