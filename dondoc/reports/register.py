"""Sổ theo dõi: the tracking register, one line per action across conclusions, filtered by issuer, unit, status and
period; as rows for the page and as an XLSX workbook."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dondoc.reports import xlsx
from dondoc.reports.facts import ActionFacts
from dondoc.reports.period import Period
from dondoc.reports.statistics import in_period
from models.labels import ACTION_STATUS, KIND, STEP
from models.policy import Step
from models.vn import VN

OVERDUE = "overdue"  # a status filter that is not a status: unresolved and past due now
STATUS_CHOICES: list[tuple[str, str]] = [
    *((s.value, label) for s, label in ACTION_STATUS.items()),
    (OVERDUE, "Quá hạn, chưa hoàn thành"),
]


@dataclass(frozen=True)
class RegisterFilter:
    issuer: str | None = None
    unit: str | None = None  # the unit's name (units are coded per conclusion; one name across them)
    status: str | None = None
    period: Period | None = None

    def describe(self) -> list[str]:
        parts = []
        if self.period:
            parts.append(f"Kỳ: {self.period.label} (kết luận được theo dõi trong kỳ)")
        if self.issuer:
            parts.append(f"Cơ quan ban hành: {self.issuer}")
        if self.unit:
            parts.append(f"Đơn vị: {self.unit}")
        if self.status:
            parts.append(f"Trạng thái: {dict(STATUS_CHOICES).get(self.status, self.status)}")
        return parts


@dataclass(frozen=True)
class RegisterLine:
    fact: ActionFacts
    overdue_days: int  # unresolved: days past due now; done late: days late when completed
    letters: list[tuple[str, datetime]]  # (step label, sent at) of the letters that listed the action

    @property
    def letters_text(self) -> str:
        return "; ".join(f"{label} {at.astimezone(VN):%d/%m/%Y}" for label, at in self.letters)


def matches(fact: ActionFacts, chosen: RegisterFilter, now: datetime) -> bool:
    if chosen.issuer and fact.conclusion.issuer.strip() != chosen.issuer:
        return False
    if chosen.unit and fact.unit.name.strip() != chosen.unit:
        return False
    if chosen.status == OVERDUE:
        if not fact.overdue_at(now):
            return False
    elif chosen.status and fact.action.status != chosen.status:
        return False
    return chosen.period is None or in_period(fact, chosen.period)


def _step_label(step: str) -> str:
    try:
        return STEP[Step(step)]
    except ValueError:
        return step


def register(facts: Iterable[ActionFacts], chosen: RegisterFilter, now: datetime) -> list[RegisterLine]:
    """The register's lines in the conclusions' order, each conclusion's items as it numbers them."""
    return [
        RegisterLine(
            fact,
            fact.days_overdue(now),
            [(_step_label(n.step), n.sent_at or n.created_at or now) for n in fact.letters],
        )
        for fact in facts
        if matches(fact, chosen, now)
    ]


COLUMNS = [
    xlsx.Column("STT", 6, "int"),
    xlsx.Column("Số kết luận", 16),
    xlsx.Column("Ngày kết luận", 13, "date"),
    xlsx.Column("Cơ quan ban hành", 24),
    xlsx.Column("Đơn vị thực hiện", 26),
    xlsx.Column("Số hiệu", 10),
    xlsx.Column("Nội dung kiến nghị", 60, "wrap"),
    xlsx.Column("Loại kiến nghị", 20),
    xlsx.Column("Số tiền phải thu hồi (đồng)", 18, "money"),
    xlsx.Column("Đã thu hồi (đồng)", 18, "money"),
    xlsx.Column("Hạn thực hiện", 13, "date"),
    xlsx.Column("Hạn giả định", 10),
    xlsx.Column("Hạn ban đầu (trước gia hạn)", 13, "date"),
    xlsx.Column("Trạng thái", 22),
    xlsx.Column("Ngày chấp nhận minh chứng", 13, "date"),
    xlsx.Column("Số ngày quá hạn", 10, "int"),
    xlsx.Column("Văn bản nhắc nhở, đôn đốc đã gửi", 36, "wrap"),
]


def _status_text(line: RegisterLine) -> str:
    label = ACTION_STATUS.get(line.fact.action.status, line.fact.action.status)  # type: ignore[call-overload]
    if not line.fact.resolved and line.overdue_days:
        return f"{label} (quá hạn)"
    if line.fact.late:
        return f"{label} (quá hạn)"
    return str(label)


def row(index: int, line: RegisterLine) -> list[xlsx.Cell]:
    fact = line.fact
    a, c = fact.action, fact.conclusion
    extended = a.due_version > 1 and a.original_due is not None and a.original_due != a.due
    return [
        index,
        c.number,
        c.issued_on,
        c.issuer,
        fact.unit.name,
        a.ref or "",
        a.text,
        KIND.get(a.kind, a.kind),  # type: ignore[call-overload]
        a.amount_vnd,
        a.recovered_vnd if a.amount_vnd is not None or a.recovered_vnd else None,
        a.due,
        "Có" if a.due_assumed else "",
        a.original_due if extended else None,
        _status_text(line),
        fact.accepted_on,
        line.overdue_days or None,
        line.letters_text,
    ]


def register_xlsx(lines: list[RegisterLine], chosen: RegisterFilter, now: datetime) -> bytes:
    book = xlsx.workbook()
    notes = [
        f"Lập ngày {now.astimezone(VN):%d/%m/%Y}; {len(lines)} kiến nghị.",
        *chosen.describe(),
        "Số ngày quá hạn: kiến nghị chưa hoàn thành tính đến ngày lập; kiến nghị hoàn thành muộn tính đến ngày "
        "đơn vị nộp minh chứng được chấp nhận.",
    ]
    amounts = [line.fact.action.amount_vnd or 0 for line in lines]
    recovered = [line.fact.action.recovered_vnd for line in lines]
    total: list[xlsx.Cell] = [None] * len(COLUMNS)
    total[1] = "Tổng cộng"
    total[8], total[9] = sum(amounts), sum(recovered)
    xlsx.add_sheet(
        book,
        "Sổ theo dõi",
        "SỔ THEO DÕI VIỆC THỰC HIỆN KẾT LUẬN THANH TRA",
        notes,
        COLUMNS,
        [row(i, line) for i, line in enumerate(lines, start=1)],
        total,
    )
    return xlsx.to_bytes(book)
