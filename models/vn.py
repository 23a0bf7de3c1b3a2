"""Vietnam's time zone as a fixed offset (UTC+7, no daylight saving since 1975): no tz database in workflows."""

from __future__ import annotations

from datetime import timedelta, timezone

VN = timezone(timedelta(hours=7), "ICT")
