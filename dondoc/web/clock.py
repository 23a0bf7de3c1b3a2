"""Where the web app reads the time; tests point `NOW` at the Temporal test server's clock, which may run ahead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from models.labels import VN


def wall_clock() -> datetime:
    return datetime.now(UTC)


NOW: Callable[[], datetime] = wall_clock


def clock() -> datetime:
    return NOW()


def today() -> date:
    """Today in Vietnam."""
    return clock().astimezone(VN).date()
