"""The escalation ladder as data: steps, offsets, counting and recipients (safe inside workflows)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, TypeAdapter, field_validator


class Step(StrEnum):
    reminder = "reminder"
    overdue = "overdue"
    urging = "urging"
    second_urging = "second_urging"
    proposal = "proposal"
    closing = "closing"  # the closing notice; never a policy step


URGING_STEPS = frozenset({Step.urging, Step.second_urging})  # the letters that count as "đôn đốc"


class Role(StrEnum):
    contacts = "contacts"
    head = "head"
    supervisor = "supervisor"
    inspectorate_head = "inspectorate_head"
    agency_head = "agency_head"


_EMAIL = TypeAdapter(EmailStr)
MAX_OFFSET = timedelta(days=366)

Recipient = Annotated[str, Field(description="a role name or a literal email address")]


def _check_recipient(value: str) -> str:
    if value in Role.__members__:
        return value
    try:
        return str(_EMAIL.validate_python(value))
    except ValueError:
        roles = ", ".join(Role.__members__)
        raise ValueError(f"'{value}' không phải vai trò ({roles}) cũng không phải địa chỉ email hợp lệ") from None


class PolicyStep(BaseModel):
    """One rung of the ladder: when (relative to the due time), and to whom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: Step
    offset: timedelta = Field(description="ISO 8601 duration relative to the due time; negative = before")
    working: bool = Field(default=False, description="count whole days as working days")
    to: list[Recipient] = Field(min_length=1)
    cc: list[Recipient] = Field(default_factory=list)

    @field_validator("step")
    @classmethod
    def _not_closing(cls, step: Step) -> Step:
        if step == Step.closing:
            raise ValueError("'closing' là thông báo kết thúc, không phải một bậc đôn đốc")
        return step

    @field_validator("offset")
    @classmethod
    def _near_the_due(cls, offset: timedelta) -> timedelta:
        if abs(offset) > MAX_OFFSET:
            raise ValueError(f"offset tối đa {MAX_OFFSET.days} ngày trước hoặc sau hạn")
        return offset

    @field_validator("to", "cc")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return [_check_recipient(v) for v in values]

    @property
    def whole_days(self) -> int | None:
        """The offset in days when it is a whole number of days, else None (exact time arithmetic)."""
        day = timedelta(days=1)
        return self.offset // day if self.offset % day == timedelta(0) else None


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[PolicyStep] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _sorted(cls, steps: list[PolicyStep]) -> list[PolicyStep]:
        return sorted(steps, key=lambda s: s.offset)


DEFAULT_POLICY = Policy(
    steps=[
        PolicyStep(step=Step.reminder, offset=timedelta(days=-7), working=True, to=["contacts"]),
        PolicyStep(step=Step.reminder, offset=timedelta(days=-1), working=True, to=["contacts"]),
        PolicyStep(step=Step.overdue, offset=timedelta(days=1), to=["contacts", "head"]),
        PolicyStep(step=Step.urging, offset=timedelta(days=5), working=True, to=["head"], cc=["inspectorate_head"]),
        PolicyStep(step=Step.second_urging, offset=timedelta(days=15), to=["head", "supervisor"]),
        PolicyStep(step=Step.proposal, offset=timedelta(days=30), to=["agency_head", "inspectorate_head"]),
    ]
)
