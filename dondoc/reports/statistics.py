"""Figures for a period, per issuer, per unit and in total: what the "thanh tra, kiểm tra" section of a periodic
report needs.

Of the actions followed in the period (their conclusion received by its end, not closed or withdrawn before its
start, the action not resolved before its start), each falls in exactly one column:
done on time and done late (evidence accepted in the period; judged as `facts.ActionFacts.late` says), waived and
transferred (decided in the period), and, for the rest at the period's end, overdue or still within its deadline.
Money: what the recovery actions followed must recover, what accepted evidence recovered by the period's end and
within it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from dondoc.reports.facts import ActionFacts
from dondoc.reports.period import Period
from models.state import ActionStatus


class Figures(BaseModel):
    conclusions: int = 0
    units: int = 0
    actions: int = 0  # followed in the period: the sum of the six columns below
    done_on_time: int = 0
    done_late: int = 0
    waived: int = 0
    transferred: int = 0
    overdue: int = 0  # unresolved at the period's end and past its due date then
    in_progress: int = 0  # unresolved at the period's end, within its due date
    amount_to_recover_vnd: int = 0
    recovered_vnd: int = 0  # by the period's end
    recovered_in_period_vnd: int = 0

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def resolved(self) -> int:
        return self.done + self.waived + self.transferred


class Line(BaseModel):
    name: str
    figures: Figures


class Statistics(BaseModel):
    period: str
    first_day: str  # ISO dates
    last_day: str
    total: Figures
    by_issuer: list[Line] = Field(default_factory=list)
    by_unit: list[Line] = Field(default_factory=list)


COLUMNS: list[tuple[str, str]] = [
    ("conclusions", "Số kết luận theo dõi"),
    ("actions", "Số kiến nghị theo dõi"),
    ("done_on_time", "Hoàn thành đúng hạn"),
    ("done_late", "Hoàn thành quá hạn"),
    ("overdue", "Quá hạn chưa hoàn thành"),
    ("in_progress", "Đang thực hiện, trong hạn"),
    ("waived", "Miễn thực hiện"),
    ("transferred", "Chuyển cơ quan điều tra"),
    ("amount_to_recover_vnd", "Số tiền phải thu hồi (đồng)"),
    ("recovered_vnd", "Đã thu hồi đến cuối kỳ (đồng)"),
    ("recovered_in_period_vnd", "Thu hồi trong kỳ (đồng)"),
]
MONEY = {"amount_to_recover_vnd", "recovered_vnd", "recovered_in_period_vnd"}


@dataclass
class _Tally:
    figures: Figures
    conclusions: set[str]
    units: set[tuple[str, str]]

    def add(self, fact: ActionFacts, period: Period) -> None:
        f = self.figures
        self.conclusions.add(fact.conclusion.workflow_id)
        self.units.add((fact.conclusion.workflow_id, fact.unit.code))
        f.conclusions, f.units = len(self.conclusions), len(self.units)
        f.actions += 1
        action = fact.action
        if fact.resolved_by(period.end):
            if action.status == ActionStatus.done.value:
                if fact.late:
                    f.done_late += 1
                else:
                    f.done_on_time += 1
            elif action.status == ActionStatus.waived.value:
                f.waived += 1
            else:
                f.transferred += 1
        elif fact.overdue_at(period.end):
            f.overdue += 1
        else:
            f.in_progress += 1
        if action.amount_vnd:
            f.amount_to_recover_vnd += action.amount_vnd
        f.recovered_vnd += fact.recovered_by(period.end)
        f.recovered_in_period_vnd += sum(
            e.recovered_vnd or 0
            for e in fact.accepted
            if e.reviewed_at is not None and period.start <= e.reviewed_at <= period.end
        )


def in_period(fact: ActionFacts, period: Period) -> bool:
    """Followed at some time in the period."""
    c = fact.conclusion
    if c.received_on > period.last or (c.closed_at is not None and c.closed_at < period.start):
        return False
    resolved = fact.action.resolved_at
    return not (fact.resolved and resolved is not None and resolved < period.start)


def _tally() -> _Tally:
    return _Tally(Figures(), set(), set())


def statistics(facts: Iterable[ActionFacts], period: Period) -> Statistics:
    total = _tally()
    issuers: dict[str, _Tally] = {}
    units: dict[str, _Tally] = {}
    for fact in facts:
        if not in_period(fact, period):
            continue
        total.add(fact, period)
        issuers.setdefault(fact.conclusion.issuer.strip(), _tally()).add(fact, period)
        units.setdefault(fact.unit.name.strip(), _tally()).add(fact, period)

    def lines(groups: dict[str, _Tally]) -> list[Line]:
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1].figures.overdue, -kv[1].figures.actions, kv[0]))
        return [Line(name=name, figures=tally.figures) for name, tally in ordered]

    return Statistics(
        period=period.label,
        first_day=period.first.isoformat(),
        last_day=period.last.isoformat(),
        total=total.figures,
        by_issuer=lines(issuers),
        by_unit=lines(units),
    )
