"""A reporting period: a quarter, a half-year, a year or any two days, in Vietnamese time, both ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from models.vn import VN


class PeriodKind(StrEnum):
    quarter = "quarter"
    half = "half"
    year = "year"
    custom = "custom"


KIND_LABELS = {
    PeriodKind.quarter: "Quý",
    PeriodKind.half: "6 tháng",
    PeriodKind.year: "Năm",
    PeriodKind.custom: "Từ ngày đến ngày",
}
ROMAN = ("I", "II", "III", "IV")


class PeriodError(ValueError):
    """A period that cannot be: its message says why, in Vietnamese."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    label: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, VN)

    @property
    def end(self) -> datetime:
        """The last instant of the last day."""
        return datetime.combine(self.last + timedelta(days=1), time.min, VN) - timedelta(microseconds=1)

    @property
    def slug(self) -> str:
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        if not 1 <= number <= 4:
            raise PeriodError("Quý phải từ 1 đến 4.")
        first = date(year, 3 * number - 2, 1)
        last = _month_end(year, 3 * number)
        return cls(first, last, f"Quý {ROMAN[number - 1]} năm {year}")

    @classmethod
    def half(cls, year: int, number: int) -> Period:
        if number not in (1, 2):
            raise PeriodError("Chọn 6 tháng đầu năm (1) hoặc 6 tháng cuối năm (2).")
        if number == 1:
            return cls(date(year, 1, 1), date(year, 6, 30), f"6 tháng đầu năm {year}")
        return cls(date(year, 7, 1), date(year, 12, 31), f"6 tháng cuối năm {year}")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), f"Năm {year}")

    @classmethod
    def between(cls, first: date, last: date) -> Period:
        if last < first:
            raise PeriodError("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.")
        return cls(first, last, f"Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}")

    @classmethod
    def of(
        cls,
        kind: PeriodKind,
        year: int | None = None,
        number: int | None = None,
        first: date | None = None,
        last: date | None = None,
    ) -> Period:
        """The period a form or a query string describes."""
        if kind == PeriodKind.custom:
            if first is None or last is None:
                raise PeriodError("Nhập ngày bắt đầu và ngày kết thúc của kỳ báo cáo.")
            return cls.between(first, last)
        if year is None or not 2000 <= year <= 2100:
            raise PeriodError("Năm báo cáo không hợp lệ.")
        if kind == PeriodKind.year:
            return cls.year(year)
        if number is None:
            raise PeriodError("Chọn quý hoặc nửa năm của kỳ báo cáo.")
        return cls.quarter(year, number) if kind == PeriodKind.quarter else cls.half(year, number)

    @classmethod
    def current_quarter(cls, today: date) -> Period:
        return cls.quarter(today.year, (today.month - 1) // 3 + 1)


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)
