"""Administrators keep the directory of units, the global escalation ladder and the holiday overrides in the app;
what they save is checked first and then used by every deadline planned afterwards."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from activities import configuration
from activities.calendar import WorkingCalendar
from models.admin_tables import ConfigDocument, DirectoryUnit
from models.policy import DEFAULT_POLICY, Step
from tests.web.api.test_api import env_today, small_spec, start
from tests.web.conftest import ADMIN, STAFF, Web

SHORT_LADDER = """\
steps:
  - {step: reminder, offset: -P3D, working: true, to: [contacts]}
  - {step: overdue, offset: P2D, to: [contacts, head], cc: [phongnghiepvu@thanhtra.example.vn]}
"""


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def stored(web: Web, name: str) -> ConfigDocument | None:
    with Session(web.ctx.engine) as session:
        return session.get(ConfigDocument, name)


async def test_only_admins_change_the_configuration(web: Web) -> None:
    staff = await web.login(STAFF)
    for path, data in (
        ("/admin/config/policy", {"text": SHORT_LADDER}),
        ("/admin/config/holidays", {"text": "working_days: [2030-05-25]"}),
        ("/admin/units", {"code": "ly-son", "name": "UBND huyện Lý Sơn", "contacts": "a@lyson.example.vn"}),
        ("/admin/units/ly-son/delete", {}),
    ):
        assert (await staff.post(path, data=data)).status_code == 403, path
    assert stored(web, "policy") is None and stored(web, "holidays") is None


async def test_a_saved_ladder_plans_the_next_conclusion(web: Web) -> None:
    admin = await web.login(ADMIN)
    saved = await admin.post("/admin/config/policy", data={"text": SHORT_LADDER, "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == "/admin#policy"
    page = text_of(await admin.get("/admin"))
    assert f"Lưu trong hệ thống, sửa lần cuối bởi {ADMIN}" in page and "Đã lưu chính sách đôn đốc" in page
    assert "3 ngày làm việc trước hạn" in page and "Đôn đốc lần 2" not in page

    workflow_id = await start(await web.login(STAFF), small_spec(await env_today(web)), web)
    state = await web.ctx.gateway.snapshot(workflow_id)
    action = state.actions["ly-son-a1"]
    assert [s.step for s in action.schedule.steps] == [Step.reminder, Step.overdue]
    due_day = action.schedule.due.date()
    expected = WorkingCalendar().add_days(due_day, 2, working=False)  # P2D, rolled off a day off like any deadline
    assert action.schedule.steps[1].at.date() == expected

    reset = await admin.post("/admin/config/policy", data={"action": "reset"})
    assert reset.status_code == 303 and stored(web, "policy") is None
    effective = configuration.effective_policy(web.ctx.engine, web.ctx.settings)
    assert effective.value == DEFAULT_POLICY and effective.source == "default"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "steps:\n  - {step: reminder, offset: abc, to: [contacts]}\n",
            "steps[0].offset: không đọc được khoảng thời gian",
        ),
        ("steps:\n  - {step: nhac, offset: P1D, to: [contacts]}\n", "steps[0].step: giá trị 'nhac' không tồn tại"),
        ("steps:\n  - {step: overdue, offset: P1D, to: [sep]}\n", "'sep' không phải vai trò"),
        ("steps: []\n", "steps: cần ít nhất một phần tử"),
        ("steps: [\n", "Chính sách đôn đốc sai cú pháp YAML ở dòng"),
    ],
)
async def test_a_broken_ladder_is_refused_beside_the_field_and_nothing_is_stored(
    web: Web, text: str, fragment: str
) -> None:
    admin = await web.login(ADMIN)
    refused = await admin.post("/admin/config/policy", data={"text": text, "action": "save"})
    assert refused.status_code == 422
    body = text_of(refused)
    assert fragment in body and 'id="policy-text-error"' in refused.text
    assert text.strip() in body, "what was typed is shown again"
    assert stored(web, "policy") is None


async def test_saved_holidays_move_deadlines_and_show_in_the_calendar(web: Web) -> None:
    admin = await web.login(ADMIN)
    today = await env_today(web)
    calendar = WorkingCalendar()
    day_off = next(d for n in range(30, 60) if calendar.is_working_day(d := today + timedelta(days=n)))
    saved = await admin.post(
        "/admin/config/holidays", data={"text": f"holidays:\n  {day_off.isoformat()}: Nghỉ bù theo thông báo\n"}
    )
    assert saved.status_code == 303
    page = text_of(await admin.get("/admin"))
    assert f"{day_off:%d/%m/%Y}" in page and "Nghỉ bù theo thông báo" in page

    spec = small_spec(today, due_in_days=(day_off - today).days)  # due on a working day made a day off
    workflow_id = await start(await web.login(STAFF), spec, web)
    due = (await web.ctx.gateway.snapshot(workflow_id)).actions["ly-son-a1"].schedule.due
    assert due.date() > day_off

    broken = await admin.post("/admin/config/holidays", data={"text": "holidays:\n  ngay-mai: Nghỉ\n"})
    assert broken.status_code == 422
    assert "Danh sách ngày nghỉ bổ sung không hợp lệ" in text_of(broken) and 'id="holidays-text-error"' in broken.text
    assert stored(web, "holidays") is not None and "Nghỉ bù" in (stored(web, "holidays") or ConfigDocument()).text


async def test_a_unit_in_the_directory_needs_only_its_code(web: Web) -> None:
    admin = await web.login(ADMIN)
    added = await admin.post(
        "/admin/units",
        data={
            "code": "ly-son",
            "name": "UBND huyện Lý Sơn",
            "contacts": "vanphong@lyson.example.vn, cntt@lyson.example.vn",
            "head": "chutich@lyson.example.vn",
            "supervisor": "",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin#directory"
    page = text_of(await admin.get("/admin"))
    assert "UBND huyện Lý Sơn" in page and "vanphong@lyson.example.vn, cntt@lyson.example.vn" in page

    spec = small_spec(await env_today(web))
    spec["units"] = [{"code": "ly-son"}]
    workflow_id = await start(await web.login(STAFF), spec, web)
    unit = (await web.ctx.gateway.snapshot(workflow_id)).units["ly-son"]
    assert (unit.name, unit.contacts, unit.head, unit.supervisor) == (
        "UBND huyện Lý Sơn",
        ["vanphong@lyson.example.vn", "cntt@lyson.example.vn"],
        "chutich@lyson.example.vn",
        None,
    )

    # what a spec says itself wins over the directory
    own = small_spec(await env_today(web))
    own["units"] = [{"code": "ly-son", "contacts": ["rieng@lyson.example.vn"]}]
    other = await start(await web.login(STAFF), own, web)
    assert (await web.ctx.gateway.snapshot(other)).units["ly-son"].contacts == ["rieng@lyson.example.vn"]

    deleted = await admin.post("/admin/units/ly-son/delete")
    assert deleted.status_code == 303
    with Session(web.ctx.engine) as session:
        assert session.get(DirectoryUnit, "ly-son") is None
    again = small_spec(await env_today(web))
    again["units"] = [{"code": "ly-son"}]
    refused = await (await web.login(STAFF)).post("/api/conclusions", json=again)
    assert refused.status_code == 422 and "units[0].name" in refused.text


async def test_a_refused_directory_entry_names_its_field(web: Web) -> None:
    admin = await web.login(ADMIN)
    refused = await admin.post(
        "/admin/units", data={"code": "Lý Sơn", "name": "UBND huyện Lý Sơn", "contacts": "khong-phai-email"}
    )
    assert refused.status_code == 422
    body = text_of(refused)
    assert 'id="directory-code-error"' in refused.text and "chỉ gồm chữ thường không dấu" in body
    assert 'id="directory-contacts-error"' in refused.text
    with Session(web.ctx.engine) as session:
        assert session.get(DirectoryUnit, "Lý Sơn") is None
