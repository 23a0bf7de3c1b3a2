"""Office hours: when letters may go out (working days, 07:30–17:00 Asia/Ho_Chi_Minh by default).

The working days come from the planning activity (holiday data must not enter workflow code) as a snapshot of
exceptions for the years around the conclusion; everything here is pure and safe inside workflows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field

from models.vn import VN


class OfficeCalendar(BaseModel):
    """When a letter may be sent, and how long items of one unit wait to join one letter."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True  # False: letters go at any time (end-to-end tests with ladders of seconds)
    opens: time = time(7, 30)
    closes: time = time(17, 0)
    days_off: list[date] = Field(default_factory=list)  # public holidays falling on weekdays
    days_on: list[date] = Field(default_factory=list)  # make-up Saturdays and other weekend working days
    first_year: int = 1990  # the years the two lists cover; outside them only weekends are off
    last_year: int = 1990
    window_seconds: int | None = None  # items reaching a step this close together join; None: the same working day

    def is_working_day(self, day: date) -> bool:
        if day in self.days_on:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def covers(self, moment: datetime) -> bool:
        return self.first_year <= moment.astimezone(VN).year <= self.last_year


def next_office_moment(calendar: OfficeCalendar, moment: datetime) -> datetime:
    """`moment` when it falls in office hours on a working day, else the next opening."""
    if not calendar.enabled:
        return moment
    local = moment.astimezone(VN)
    day = local.date()
    if calendar.is_working_day(day) and calendar.opens <= local.time() < calendar.closes:
        return moment
    if not (calendar.is_working_day(day) and local.time() < calendar.opens):
        day += timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
    return datetime.combine(day, calendar.opens, VN)


def same_window(calendar: OfficeCalendar, first: datetime, other: datetime) -> bool:
    """Whether a letter going at `first` may also carry an item whose own time is `other` (later)."""
    if calendar.window_seconds is not None:
        return other - first <= timedelta(seconds=calendar.window_seconds)
    return other.astimezone(VN).date() == first.astimezone(VN).date()
