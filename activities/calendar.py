"""Vietnamese working calendar and deadline arithmetic.

Public holidays come from the `holidays` package (country ``VN``, names in Vietnamese). It already knows the
observed days (nghỉ bù), the days moved by government notice and their make-up Saturdays (ngày làm bù) for the
years it covers; an optional override file adds the current year's official notice.

Period counting follows Bộ luật Dân sự 2015, Điều 148: the first day is not counted, and a period whose last
day is not a working day ends on the next working day.

Everything here is pure and deterministic except `CalendarOverrides.load`, which reads a file.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import yaml
from holidays import HolidayBase, country_holidays
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from dondoc.spec_loader import syntax_problem
from dondoc.yaml_text import load_yaml

__all__ = ["VN_TZ", "CalendarOverrides", "WorkingCalendar", "end_of_day"]

VN_TZ: Final[ZoneInfo] = ZoneInfo("Asia/Ho_Chi_Minh")

_ONE_DAY: Final = timedelta(days=1)
_END_OF_DAY: Final = time(23, 59, 59)

# Vietnamese wording for the pydantic error types an administrator can realistically trigger.
_ERROR_MESSAGES: Final[dict[str, str]] = {
    "extra_forbidden": "trường không được hỗ trợ (chỉ dùng 'holidays' và 'working_days')",
    "date_type": "phải là một ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là một ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là một ngày dạng YYYY-MM-DD",
    "date_from_datetime_inexact": "phải là một ngày, không kèm giờ",
    "dict_type": "phải là một ánh xạ 'ngày: tên ngày nghỉ'",
    "list_type": "phải là một danh sách ngày",
    "string_type": "tên ngày nghỉ phải là một chuỗi",
    "model_type": "phải là một ánh xạ với các trường 'holidays' và 'working_days'",
}


class CalendarOverrides(BaseModel):
    """Days from the year's official notice that the `holidays` data does not (yet) know.

    Precedence when a date is listed: override holiday > override working day > `holidays` data.
    An override working day also cancels a `holidays` public holiday on that date.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: dict[date, str] = Field(default_factory=dict)
    """Extra days off with their Vietnamese name."""
    working_days: list[date] = Field(default_factory=list)
    """Make-up days (ngày làm bù) that are working days although they fall on a weekend."""

    @model_validator(mode="after")
    def _check(self) -> CalendarOverrides:
        for day, name in self.holidays.items():
            if not name.strip():
                raise ValueError(f"trường 'holidays': tên ngày nghỉ {day.isoformat()} không được để trống")
        if both := sorted(set(self.holidays) & set(self.working_days)):
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"ngày {listed} vừa nằm trong 'holidays' vừa nằm trong 'working_days'")
        return self

    @classmethod
    def load(cls, path: Path | None) -> CalendarOverrides:
        """Read overrides from a YAML file; ``None``, a missing file or an empty file give no overrides.

        Raises ValueError (in Vietnamese, naming the offending field) when the file is malformed.
        """
        if path is None or not path.exists():
            return cls()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"Tệp ngày nghỉ bổ sung {path} không phải văn bản UTF-8") from exc
        return cls.from_text(text, f"Tệp ngày nghỉ bổ sung {path}")

    @classmethod
    def from_text(cls, text: str, origin: str = "Danh sách ngày nghỉ bổ sung") -> CalendarOverrides:
        """Overrides from YAML text; empty text gives none. `origin` starts the error message."""
        try:
            data: Any = load_yaml(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{origin} {syntax_problem(exc)}") from exc
        if data is None:
            return cls()
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(_describe(err) for err in exc.errors())
            raise ValueError(f"{origin} không hợp lệ: {problems}") from exc

    def to_text(self) -> str:
        """The overrides as YAML that `from_text` reads back."""
        data = {
            "holidays": {day.isoformat(): name for day, name in sorted(self.holidays.items())},
            "working_days": [day.isoformat() for day in sorted(self.working_days)],
        }
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _describe(err: ErrorDetails) -> str:
    """One pydantic error as 'trường <field>: <Vietnamese message> (giá trị: ...)'."""
    parts = [str(p) for p in err["loc"] if p != "[key]"]
    field = parts[0] + "".join(f"[{p}]" for p in parts[1:]) if parts else ""
    if err["type"] == "value_error":  # raised by _check, already in Vietnamese
        return str(err.get("ctx", {}).get("error", err["msg"]))
    message = _ERROR_MESSAGES.get(err["type"], err["msg"])
    where = f"trường '{field}'" if field else "nội dung tệp"
    if err["type"] in ("extra_forbidden", "model_type"):
        return f"{where}: {message}"
    return f"{where}: {message} (giá trị: {err['input']!r})"


@lru_cache(maxsize=64)
def _vn_holidays(year: int) -> HolidayBase:
    """The `holidays` data for one year, built once and never expanded (read-only afterwards).

    Cross-year make-up days (e.g. 27/12/2014 for Tết 2015) are registered by the package for every
    instance, so looking a date up in its own year's instance is enough.
    """
    return country_holidays("VN", years=year, expand=False, language="vi")


def _require_date(day: date) -> None:
    # datetime is a date subclass, but it never equals a date: reject it instead of miscounting silently.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected datetime.date, got {type(day).__name__}")


class WorkingCalendar:
    """Working days in Vietnam: Monday–Friday except public holidays, plus make-up days."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self._overrides = overrides or CalendarOverrides()
        self._extra_working = frozenset(self._overrides.working_days)

    @property
    def overrides(self) -> CalendarOverrides:
        return self._overrides

    def is_working_day(self, day: date) -> bool:
        _require_date(day)
        if day in self._overrides.holidays:
            return False
        if day in self._extra_working:
            return True
        return bool(_vn_holidays(day.year).is_working_day(day))

    def holiday_name(self, day: date) -> str | None:
        """Vietnamese name of the public holiday on ``day`` (also when it falls on a weekend), else None."""
        _require_date(day)
        if (name := self._overrides.holidays.get(day)) is not None:
            return name
        if day in self._extra_working:
            return None
        found = _vn_holidays(day.year).get(day)
        return str(found) if found is not None else None

    def roll_forward(self, day: date) -> date:
        """First working day on or after ``day``."""
        return self._roll(day, _ONE_DAY)

    def roll_backward(self, day: date) -> date:
        """Last working day on or before ``day``."""
        return self._roll(day, -_ONE_DAY)

    def _roll(self, day: date, step: timedelta) -> date:
        while not self.is_working_day(day):
            day += step
        return day

    def add_days(self, start: date, days: int, *, working: bool) -> date:
        """End of a period of ``days`` days after ``start`` (start itself is not counted).

        Calendar days: ``start + days``; a non-working last day moves to the next working day, or for a
        negative ``days`` (reminders) to the previous one. Working days: the ``days``-th working day after
        ``start``, or before it when negative. ``days == 0`` returns ``start`` unchanged.
        """
        _require_date(start)
        if days == 0:
            return start
        if not working:
            end = start + timedelta(days=days)
            return self.roll_forward(end) if days > 0 else self.roll_backward(end)
        step = _ONE_DAY if days > 0 else -_ONE_DAY
        day, remaining = start, abs(days)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in (start, end]; 0 when ``end <= start``."""
        _require_date(start)
        _require_date(end)
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count


def end_of_day(day: date) -> datetime:
    """23:59:59 of ``day`` in Vietnam time (tz-aware): the moment a deadline on that day expires."""
    _require_date(day)
    return datetime.combine(day, _END_OF_DAY, tzinfo=VN_TZ)
