"""Specification of the Vietnamese working calendar (activities.calendar) with real dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.calendar import VN_TZ, CalendarOverrides, WorkingCalendar, end_of_day

CAL = WorkingCalendar()

dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2040, 12, 31))


# --- Public holidays (Bộ luật Lao động 2019, Điều 112) ---


@pytest.mark.parametrize(
    ("day", "name_part"),
    [
        (date(2025, 1, 1), "Tết Dương lịch"),
        (date(2025, 4, 30), "Ngày Chiến thắng"),
        (date(2025, 5, 1), "Quốc tế Lao động"),
        (date(2026, 4, 30), "Ngày Chiến thắng"),
        (date(2026, 5, 1), "Quốc tế Lao động"),
        (date(2025, 4, 7), "Giỗ Tổ Hùng Vương"),  # 10/3 âm lịch
    ],
)
def test_fixed_public_holidays_are_days_off(day: date, name_part: str) -> None:
    assert not CAL.is_working_day(day)
    name = CAL.holiday_name(day)
    assert name is not None
    assert name_part in name


@pytest.mark.parametrize(
    ("national_day", "adjacent_day"),
    [
        (date(2024, 9, 2), date(2024, 9, 3)),  # Monday + Tuesday
        (date(2025, 9, 2), date(2025, 9, 1)),  # Tuesday + Monday
        (date(2026, 9, 2), date(2026, 9, 1)),  # Wednesday + Tuesday
    ],
)
def test_quoc_khanh_and_its_adjacent_day_are_off(national_day: date, adjacent_day: date) -> None:
    for day in (national_day, adjacent_day):
        assert not CAL.is_working_day(day)
        assert CAL.holiday_name(day) == "Quốc khánh"


def test_tet_nguyen_dan_2025_is_a_working_week_off() -> None:
    # Ất Tỵ: mùng 1 = 29/01/2025; public servants are off Monday 27/01 to Friday 31/01.
    assert CAL.holiday_name(date(2025, 1, 29)) == "Tết Nguyên Đán"
    assert all(not CAL.is_working_day(date(2025, 1, d)) for d in range(27, 32))
    assert CAL.is_working_day(date(2025, 1, 24))
    assert CAL.is_working_day(date(2025, 2, 3))
    assert CAL.working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1


def test_tet_nguyen_dan_2026() -> None:
    # Bính Ngọ: giao thừa 16/02/2026, mùng 1 = 17/02/2026; off Monday 16/02 to Friday 20/02.
    assert CAL.holiday_name(date(2026, 2, 16)) == "Giao thừa Tết Nguyên Đán"
    assert CAL.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert all(not CAL.is_working_day(date(2026, 2, d)) for d in range(16, 21))
    assert CAL.roll_forward(date(2026, 2, 14)) == date(2026, 2, 23)


def test_holiday_falling_on_a_weekend_is_observed_on_the_next_working_day() -> None:
    # Giỗ Tổ Hùng Vương 2026 is Sunday 26/04; Monday 27/04 is nghỉ bù.
    assert CAL.holiday_name(date(2026, 4, 26)) == "Ngày Giỗ Tổ Hùng Vương"
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert CAL.holiday_name(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"


def test_ordinary_days() -> None:
    assert CAL.is_working_day(date(2025, 6, 4))  # Wednesday
    assert CAL.holiday_name(date(2025, 6, 4)) is None
    assert not CAL.is_working_day(date(2025, 6, 7))  # Saturday
    assert not CAL.is_working_day(date(2025, 6, 8))  # Sunday
    assert CAL.holiday_name(date(2025, 6, 8)) is None


# --- Days moved by government notice and make-up Saturdays (ngày làm bù) ---


def test_moved_day_off_and_its_make_up_saturday_from_package_data() -> None:
    # 2025: Friday 02/05 off, made up on Saturday 26/04.
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.holiday_name(date(2025, 5, 2)) == "Ngày nghỉ (thay cho ngày 26/04/2025)"
    assert CAL.is_working_day(date(2025, 4, 26))
    assert CAL.holiday_name(date(2025, 4, 26)) is None
    # 2026: Monday 31/08 off before Quốc khánh, made up on Saturday 22/08.
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert CAL.is_working_day(date(2026, 8, 22))


def test_make_up_day_in_the_previous_year() -> None:
    # Tết Dương lịch 2015: Friday 02/01/2015 off, made up on Saturday 27/12/2014.
    assert not CAL.is_working_day(date(2015, 1, 2))
    assert CAL.is_working_day(date(2014, 12, 27))


def test_override_adds_a_day_off_and_a_make_up_day() -> None:
    overrides = CalendarOverrides(
        holidays={date(2027, 2, 11): "Nghỉ Tết Nguyên Đán (theo thông báo)"},
        working_days=[date(2027, 2, 20)],
    )
    cal = WorkingCalendar(overrides)
    assert CAL.is_working_day(date(2027, 2, 11))
    assert not cal.is_working_day(date(2027, 2, 11))
    assert cal.holiday_name(date(2027, 2, 11)) == "Nghỉ Tết Nguyên Đán (theo thông báo)"
    assert not CAL.is_working_day(date(2027, 2, 20))  # Saturday
    assert cal.is_working_day(date(2027, 2, 20))
    assert cal.add_days(date(2027, 2, 19), 1, working=True) == date(2027, 2, 20)


def test_override_working_day_cancels_a_package_holiday() -> None:
    cal = WorkingCalendar(CalendarOverrides(working_days=[date(2026, 8, 31)]))
    assert cal.is_working_day(date(2026, 8, 31))
    assert cal.holiday_name(date(2026, 8, 31)) is None


def test_a_date_cannot_be_both_day_off_and_make_up_day() -> None:
    with pytest.raises(ValueError, match="working_days"):
        CalendarOverrides(holidays={date(2027, 1, 2): "Nghỉ"}, working_days=[date(2027, 1, 2)])


# --- Periods (Bộ luật Dân sự 2015, Điều 148) ---


def test_a_broken_holiday_list_says_where_in_vietnamese() -> None:
    with pytest.raises(ValueError, match="sai cú pháp YAML ở dòng 2, cột") as caught:
        CalendarOverrides.from_text("holidays:\n  2027-01-02: [Nghỉ")
    assert "while parsing" not in str(caught.value) and "expected" not in str(caught.value)


def test_calendar_period_excludes_the_first_day() -> None:
    assert CAL.add_days(date(2025, 6, 2), 3, working=False) == date(2025, 6, 5)


def test_calendar_period_ending_on_sunday_moves_to_monday() -> None:
    assert CAL.add_days(date(2025, 6, 2), 6, working=False) == date(2025, 6, 9)


def test_calendar_period_ending_on_30_4_moves_past_1_5() -> None:
    # 2025: 30/04, 01/05, 02/05 (moved day off), then the weekend.
    assert CAL.add_days(date(2025, 4, 20), 10, working=False) == date(2025, 5, 5)
    # 2026: 30/04 Thursday, 01/05 Friday, then the weekend.
    assert CAL.add_days(date(2026, 3, 31), 30, working=False) == date(2026, 5, 4)


def test_calendar_period_may_end_on_a_make_up_saturday() -> None:
    assert CAL.add_days(date(2025, 4, 16), 10, working=False) == date(2025, 4, 26)


def test_negative_calendar_offset_rolls_back_to_a_working_day() -> None:
    # Three days before Monday 05/05/2025 is 02/05 (day off); the reminder goes back to Tuesday 29/04.
    assert CAL.add_days(date(2025, 5, 5), -3, working=False) == date(2025, 4, 29)
    assert CAL.add_days(date(2025, 6, 9), -1, working=False) == date(2025, 6, 6)


def test_five_working_days_across_a_weekend() -> None:
    assert CAL.add_days(date(2025, 6, 5), 5, working=True) == date(2025, 6, 12)  # Thursday -> Thursday


def test_working_days_skip_holidays_and_count_make_up_saturday() -> None:
    # From Thursday 24/04/2025: Fri 25, Sat 26 (làm bù), Mon 28, Tue 29, then 30/04–04/05 off, Mon 05/05.
    assert CAL.add_days(date(2025, 4, 24), 5, working=True) == date(2025, 5, 5)
    assert CAL.working_days_between(date(2025, 4, 24), date(2025, 5, 5)) == 5


def test_negative_working_offset_is_the_nth_working_day_before() -> None:
    result = CAL.add_days(date(2025, 5, 6), -7, working=True)
    # Mon 05/05, Tue 29/04, Mon 28/04, Sat 26/04 (làm bù), Fri 25, Thu 24, Wed 23.
    assert result == date(2025, 4, 23)
    assert CAL.is_working_day(result)
    assert CAL.working_days_between(result, date(2025, 5, 6)) == 7


def test_zero_days_returns_start_unchanged() -> None:
    sunday = date(2025, 6, 8)
    assert CAL.add_days(sunday, 0, working=False) == sunday
    assert CAL.add_days(sunday, 0, working=True) == sunday


def test_working_days_between_is_half_open() -> None:
    assert CAL.working_days_between(date(2025, 6, 2), date(2025, 6, 2)) == 0
    assert CAL.working_days_between(date(2025, 6, 2), date(2025, 6, 3)) == 1
    assert CAL.working_days_between(date(2025, 6, 6), date(2025, 6, 9)) == 1  # Fri -> Mon
    assert CAL.working_days_between(date(2025, 6, 9), date(2025, 6, 2)) == 0


def test_roll_forward() -> None:
    assert CAL.roll_forward(date(2025, 6, 4)) == date(2025, 6, 4)
    assert CAL.roll_forward(date(2025, 6, 7)) == date(2025, 6, 9)
    assert CAL.roll_forward(date(2025, 8, 30)) == date(2025, 9, 3)  # Sat 30/08 .. Tue 02/09


def test_datetime_is_rejected() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2025, 6, 4, 9, 0, tzinfo=VN_TZ))


# --- Time zone ---


def test_end_of_day_is_235959_in_vietnam() -> None:
    moment = end_of_day(date(2025, 5, 5))
    assert moment.isoformat() == "2025-05-05T23:59:59+07:00"
    assert moment.utcoffset() == timedelta(hours=7)
    assert moment.tzinfo == VN_TZ


# --- Properties ---


@settings(max_examples=300, deadline=None)
@given(start=dates, days=st.integers(min_value=-60, max_value=60).filter(bool))
def test_working_offset_always_lands_on_a_working_day(start: date, days: int) -> None:
    result = CAL.add_days(start, days, working=True)
    assert CAL.is_working_day(result)
    if days > 0:
        assert result > start
        assert CAL.working_days_between(start, result) == days
        assert CAL.working_days_between(start, result - timedelta(days=1)) == days - 1
    else:
        assert result < start
        # working days in [result, start)
        assert CAL.working_days_between(result - timedelta(days=1), start - timedelta(days=1)) == -days


@settings(max_examples=300, deadline=None)
@given(start=dates, days=st.integers(min_value=-400, max_value=400).filter(bool))
def test_calendar_offset_lands_on_the_nearest_working_day(start: date, days: int) -> None:
    result = CAL.add_days(start, days, working=False)
    nominal = start + timedelta(days=days)
    assert CAL.is_working_day(result)
    if days > 0:
        assert result >= nominal
        # no working day in [nominal, result)
        assert CAL.working_days_between(nominal - timedelta(days=1), result - timedelta(days=1)) == 0
    else:
        assert result <= nominal
        assert CAL.working_days_between(result, nominal) == 0  # none in (result, nominal]


@settings(max_examples=300, deadline=None)
@given(day=dates)
def test_roll_forward_is_idempotent(day: date) -> None:
    rolled = CAL.roll_forward(day)
    assert rolled >= day
    assert CAL.is_working_day(rolled)
    assert CAL.roll_forward(rolled) == rolled
    assert CAL.working_days_between(day - timedelta(days=1), rolled - timedelta(days=1)) == 0


@given(day=dates)
def test_weekdays_without_a_holiday_name_are_working_days(day: date) -> None:
    if day.weekday() < 5 and CAL.holiday_name(day) is None:
        assert CAL.is_working_day(day)
    if CAL.holiday_name(day) is not None:
        assert not CAL.is_working_day(day)


# --- Override file ---


def test_load_without_file_gives_empty_overrides(tmp_path: Path) -> None:
    assert CalendarOverrides.load(None) == CalendarOverrides()
    assert CalendarOverrides.load(tmp_path / "khong-co.yaml") == CalendarOverrides()
    empty = tmp_path / "rong.yaml"
    empty.write_text("", encoding="utf-8")
    assert CalendarOverrides.load(empty) == CalendarOverrides()


def test_load_reads_the_official_notice(tmp_path: Path) -> None:
    path = tmp_path / "ngay-nghi.yaml"
    path.write_text(
        "holidays:\n"
        "  2027-02-11: Nghỉ Tết Nguyên Đán (theo thông báo)\n"
        "  '2027-02-12': Nghỉ Tết Nguyên Đán (theo thông báo)\n"
        "working_days:\n"
        "  - 2027-02-20\n",
        encoding="utf-8",
    )
    overrides = CalendarOverrides.load(path)
    assert overrides.holidays == {
        date(2027, 2, 11): "Nghỉ Tết Nguyên Đán (theo thông báo)",
        date(2027, 2, 12): "Nghỉ Tết Nguyên Đán (theo thông báo)",
    }
    assert overrides.working_days == [date(2027, 2, 20)]
    assert not WorkingCalendar(overrides).is_working_day(date(2027, 2, 12))


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("working_days:\n  - 2025-04-26\n  - thứ bảy\n", "working_days[1]"),
        ("working_days: 2025-04-26\n", "working_days"),
        ("holidays:\n  2025-13-01: Nghỉ\n", "holidays[2025-13-01]"),
        ("holidays:\n  2025-09-03: 5\n", "holidays[2025-09-03]"),
        ("holidays:\n  - 2025-09-03\n", "holidays"),
        ("holidays:\n  2025-09-03: ''\n", "holidays"),
        ("ngay_nghi:\n  2025-09-03: Nghỉ\n", "ngay_nghi"),
        ("holidays:\n  2025-09-03: Nghỉ\nworking_days: [2025-09-03]\n", "working_days"),
    ],
)
def test_malformed_file_raises_value_error_naming_the_field(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "ngay-nghi.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="không hợp lệ") as excinfo:
        CalendarOverrides.load(path)
    assert field in str(excinfo.value)


@pytest.mark.parametrize("content", ["holidays: {2025-09-03: [Nghỉ\n", "- 2025-09-03\n"])
def test_file_that_is_not_a_mapping_raises_value_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ngay-nghi.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="Tệp ngày nghỉ bổ sung"):
        CalendarOverrides.load(path)
