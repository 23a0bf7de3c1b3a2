"""Every number of the spec has bounds: out of range is one Vietnamese problem naming the field, never a crash.

`{"due_in": {"days": 1111080720}}` once overflowed `timedelta` (an OverflowError, which is not a ValueError, escaped
pydantic) and answered 500 in the API and a traceback in `dondoc check`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dondoc.cli.main import app
from dondoc.settings import Settings
from dondoc.spec_loader import SpecError, parse_spec
from models.spec import MAX_PERIOD, Period
from tests.rules.factories import action_dict, spec_dict

HUGE = [1111080720, 10**20, 1e20, 10**400, -1, "1e20", 1.5]
PARTS = ["days", "hours", "minutes", "seconds"]


def problems_of(data: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    return caught.value.problems


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("value", HUGE, ids=repr)
def test_moi_phan_cua_thoi_han_ngoai_khoang_la_mot_loi_neu_ten_truong(part: str, value: Any) -> None:
    data = spec_dict()
    data["actions"][0] = action_dict("a-1", "phong-a", None, due_in={part: value})
    problems = problems_of(data)
    assert any(p.startswith(f"actions[0].due_in.{part}: ") for p in problems), problems
    assert all(p.isprintable() and "Overflow" not in p and "Unable" not in p for p in problems), problems


@pytest.mark.parametrize("value", HUGE, ids=repr)
def test_han_bao_cao_ngoai_khoang_la_mot_loi(value: Any) -> None:
    problems = problems_of({**spec_dict(), "report_due_in": {"days": value}})
    assert any(p.startswith("report_due_in.days: ") for p in problems), problems


def test_gioi_han_cua_tung_phan_bang_thoi_han_toi_da() -> None:
    assert Period(days=MAX_PERIOD.days).days == MAX_PERIOD.days
    assert Period(seconds=int(MAX_PERIOD.total_seconds())).sub_day == MAX_PERIOD
    problems = problems_of({**spec_dict(), "report_due_in": {"days": MAX_PERIOD.days + 1}})
    assert problems == [f"report_due_in.days: thời hạn tối đa {MAX_PERIOD.days} ngày (10 năm)"]


@pytest.mark.parametrize("value", [10**16, 1e20, -5], ids=repr)
def test_so_tien_ngoai_khoang_la_mot_loi(value: Any) -> None:
    data = spec_dict()
    data["actions"][0] = action_dict("a-1", "phong-a", kind="recover", amount_vnd=value)
    problems = problems_of(data)
    assert any(p.startswith("actions[0].amount_vnd: ") for p in problems), problems


@pytest.mark.parametrize("field", ["issued_on", "received_on"])
def test_ngay_ban_hanh_va_ngay_nhan_phai_trong_khoang_nam_hop_ly(field: str) -> None:
    """Year 9999 plus a period of days would overflow `date` when the deadlines are planned."""
    problems = problems_of({**spec_dict(), field: "9999-12-31"})
    assert any(p.startswith(f"{field}: ngày phải trong khoảng năm") for p in problems), problems


def test_dondoc_check_in_loi_tieng_viet_khong_in_traceback(tmp_path: Path, settings: Settings) -> None:
    data = spec_dict()
    data["actions"][0] = action_dict("a-1", "phong-a", None, due_in={"days": 1111080720})
    path = tmp_path / "kl.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "actions[0].due_in.days: thời hạn tối đa 3650 ngày (10 năm)" in result.output
    assert "Traceback" not in result.output
