"""Báo cáo kết quả theo dõi, đôn đốc việc thực hiện một kết luận thanh tra: what the report says (`FollowUpReport`,
plain data) and the Word document (the letters' Nghị định 30/2020 layout: header, Nơi nhận, signature).

Per unit, in the conclusion's order: what is done (with the evidence accepted), waived or transferred, what remains
(overdue or not), the extensions granted, the letters sent and the unit's own report; then a table of totals with
the money to recover and recovered, and what the inspectorate proposes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from dondoc.letters.compose import letterhead, long_date, money, short_date
from dondoc.letters.docx import _body, _header, _items, _para, _setup, _signature
from dondoc.letters.text import LetterText
from dondoc.refs import ref_order
from dondoc.reports.facts import ActionFacts
from models.labels import REPORT_STATUS, grouped
from models.state import ActionStatus, ReportStatus
from models.tables import ConclusionRow, UnitRow
from models.vn import VN


@dataclass(frozen=True)
class Letterhead:
    """Who issues and signs the report (from the conclusion's signature when the follow-up still answers)."""

    parent: str | None = None
    symbol: str | None = None  # the letters' "TTr-NV": the report is numbered "Số:      /BC-TTr-NV"
    place: str | None = None
    signer_title: str = "Chánh Thanh tra"
    signer_name: str = ""
    acting_for: str | None = None
    addressee: str | None = None  # the head of the state agency the report goes to


@dataclass(frozen=True)
class SentLetter:
    unit: str
    step: str  # its label: "Đôn đốc"
    at: datetime | None
    items: int
    sent: bool  # False: sending failed
    number: str | None = None
    signed_on: date | None = None

    def text(self) -> str:
        number = f" số {self.number}" if self.number else ""
        day = self.signed_on or (self.at.astimezone(VN).date() if self.at else None)
        when = f" ngày {short_date(day)}" if day else ""
        status = "" if self.sent else " (gửi lỗi, chưa đến đơn vị)"
        return f"Văn bản «{self.step}»{number}{when}, {self.items} nội dung{status}."


@dataclass
class UnitSection:
    unit: UnitRow
    done: list[list[str]] = field(default_factory=list)  # TT, item, evidence accepted, completed
    closed_otherwise: list[str] = field(default_factory=list)  # waived, transferred, with the reason
    remaining: list[list[str]] = field(default_factory=list)  # TT, item, due, situation
    extensions: list[str] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)
    report: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    to_recover: int = 0
    recovered: int = 0


@dataclass
class FollowUpReport:
    conclusion: ConclusionRow
    as_of: datetime
    head: Letterhead
    sections: list[UnitSection]

    @property
    def overdue_units(self) -> list[str]:
        return [s.unit.name for s in self.sections if s.counts.get("overdue")]


def _item(fact: ActionFacts) -> str:
    a = fact.action
    text = f"{a.ref}. {a.text}" if a.ref else a.text
    if a.amount_vnd:
        text += f" (phải thu hồi {money(a.amount_vnd)})"
    return text


def _due(fact: ActionFacts, now: datetime) -> str:
    due = fact.due_at(now)
    text = short_date(due)
    if fact.action.due_assumed:
        text += " (hạn giả định)"
    return text


def _section(unit: UnitRow, facts: list[ActionFacts], letters: list[SentLetter], now: datetime) -> UnitSection:
    section = UnitSection(unit)
    counts = dict.fromkeys(("actions", "done", "closed", "remaining", "overdue"), 0)
    for fact in sorted(facts, key=lambda f: ref_order(f.action.ref)):
        a = fact.action
        counts["actions"] += 1
        section.to_recover += a.amount_vnd or 0
        section.recovered += a.recovered_vnd
        for ext in fact.extensions:
            granted = short_date(ext.granted_due) if ext.granted_due else "—"
            decided = short_date(ext.decided_at) if ext.decided_at else "—"
            section.extensions.append(f"{a.ref or a.action_id}: gia hạn đến {granted} (quyết định ngày {decided}).")
        if a.status == ActionStatus.done.value:
            counts["done"] += 1
            evidence = "; ".join(
                f"{', '.join(str(f.get('name', '')) for f in e.files) or e.evidence_id}"
                + (f", thu hồi {money(e.recovered_vnd)}" if e.recovered_vnd else "")
                + (f" (chấp nhận ngày {short_date(e.reviewed_at)})" if e.reviewed_at else "")
                for e in fact.accepted
            )
            completed = fact.completed_at
            when = short_date(completed) if completed else "—"
            if not fact.late:
                when += ", đúng hạn" if not a.due_assumed else ", trong hạn giả định"
            else:  # an assumed deadline is not the conclusion's: being past it is not stated as being late
                past = "sau hạn giả định" if a.due_assumed else "quá hạn"
                when += f", {past} {grouped(fact.days_overdue(now))} ngày"
            section.done.append([str(counts["done"]), _item(fact), evidence or "—", when])
        elif a.status in (ActionStatus.waived.value, ActionStatus.transferred.value):
            counts["closed"] += 1
            how = "Miễn thực hiện" if a.status == ActionStatus.waived.value else "Đã chuyển cơ quan điều tra"
            reason = f": {a.status_reason}" if a.status_reason else ""
            section.closed_otherwise.append(f"{_item(fact)} — {how}{reason}.")
        else:
            counts["remaining"] += 1
            late = fact.days_overdue(now)
            if late and a.due_assumed:
                situation = f"Đã qua hạn giả định {grouped(late)} ngày (kết luận không nêu thời hạn)"
            elif late:
                counts["overdue"] += 1
                situation = f"Quá hạn {grouped(late)} ngày"
            else:
                situation = "Chưa đến hạn"
            if a.status == ActionStatus.evidence_submitted.value:
                situation += "; đơn vị đã nộp minh chứng, Thanh tra đang xem xét"
            elif a.status_reason:
                situation += f"; minh chứng bị yêu cầu bổ sung: {a.status_reason}"
            if a.progress:
                situation += f"; {a.progress}"
            section.remaining.append([str(counts["remaining"]), _item(fact), _due(fact, now), situation])
    section.letters = [letter.text() for letter in letters if letter.unit == unit.code]
    status = REPORT_STATUS.get(ReportStatus(unit.report_status), unit.report_status)
    assumed = ", hạn giả định" if unit.report_due_assumed else ""
    due = f" (hạn nộp {short_date(unit.report_due)}{assumed})" if unit.report_due else ""
    section.report = f"Báo cáo kết quả thực hiện của đơn vị: {status.lower()}{due}."
    section.counts = counts
    return section


def follow_up_report(
    conclusion: ConclusionRow,
    units: list[UnitRow],
    facts: list[ActionFacts],
    letters: list[SentLetter],
    head: Letterhead,
    now: datetime,
) -> FollowUpReport:
    """`units` in the conclusion's order; `facts` and `letters` of this conclusion."""
    sections = [_section(u, [f for f in facts if f.unit.code == u.code], letters, now) for u in units]
    return FollowUpReport(conclusion, now, head, sections)


# ---------------------------------------------------------------- the Word document

SUMMARY_HEADER = [
    "TT",
    "Đơn vị",
    "Số kiến nghị",
    "Đã hoàn thành",
    "Miễn, chuyển",
    "Chưa hoàn thành",
    "Quá hạn",
    "Phải thu hồi (đồng)",
    "Đã thu hồi (đồng)",
]


def _frame(report: FollowUpReport) -> LetterText:
    h, c = report.head, report.conclusion
    symbol = f"/BC-{h.symbol}" if h.symbol else "/BC"
    place = f"{h.place}, " if h.place else ""
    recipients = [
        *([f"{h.addressee} (để b/c);"] if h.addressee else []),
        "Các đơn vị được thanh tra;",
        "Lưu: VT, hồ sơ.",
    ]
    parent, issuing_body = letterhead(c.tracking_body, h.parent)
    return LetterText(
        issuing_parent=parent,
        issuing_body=issuing_body,
        number_line=f"Số:        {symbol}",
        place_date=f"{place}{long_date(report.as_of.astimezone(VN).date())}",
        subject="",
        addressees=[h.addressee] if h.addressee else [],
        paragraphs_before=[],
        table_header=[],
        table_rows=[],
        paragraphs_after=[],
        recipients=recipients,
        signer_title=h.signer_title.upper(),
        signer_name=h.signer_name,
        signer_prefix=h.acting_for,
        dated=report.as_of,
        author=c.tracking_body,
    )


def _heading(doc: DocumentObject, text: str, indent: bool = False) -> None:
    p = _para(doc, text, bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(6), Pt(3)
    if indent:
        p.paragraph_format.first_line_indent = Pt(28)


def follow_up_docx(report: FollowUpReport) -> bytes:
    c = report.conclusion
    frame = _frame(report)
    doc = Document()
    _setup(doc, frame)
    _header(doc, frame)
    _para(doc, "BÁO CÁO", bold=True).paragraph_format.space_before = Pt(6)
    title = f"Kết quả theo dõi, đôn đốc việc thực hiện Kết luận thanh tra số {c.number} {long_date(c.issued_on)}"
    _para(doc, f"{title} của {c.issuer}", bold=True).paragraph_format.space_after = Pt(12)
    if report.head.addressee:
        _para(doc, f"Kính gửi: {report.head.addressee}.").paragraph_format.space_after = Pt(12)
    totals = {
        k: sum(s.counts.get(k, 0) for s in report.sections)
        for k in ("actions", "done", "closed", "remaining", "overdue")
    }
    as_of = short_date(report.as_of)
    _body(
        doc,
        f"Thực hiện chức năng theo dõi, đôn đốc việc thực hiện Kết luận thanh tra số {c.number} "
        f"{long_date(c.issued_on)} của {c.issuer} ({c.title}), {c.tracking_body} báo cáo kết quả đến ngày {as_of} "
        "như sau:",
    )
    _heading(doc, "I. KHÁI QUÁT")
    _body(
        doc,
        f"Kết luận có {totals['actions']} nội dung kiến nghị giao {len(report.sections)} đơn vị thực hiện. "
        f"Đến ngày {as_of}: đã hoàn thành {totals['done']} nội dung; miễn thực hiện hoặc chuyển cơ quan điều tra "
        f"{totals['closed']} nội dung; chưa hoàn thành {totals['remaining']} nội dung, trong đó {totals['overdue']} "
        "nội dung đã quá hạn.",
    )
    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CỦA TỪNG ĐƠN VỊ")
    for index, s in enumerate(report.sections, start=1):
        _heading(doc, f"{index}. {s.unit.name}")
        _heading(doc, f"a) Đã hoàn thành ({len(s.done)} nội dung)", indent=True)
        if s.done:
            _items(doc, ["TT", "Nội dung kiến nghị", "Minh chứng được chấp nhận", "Hoàn thành"], s.done)
        else:
            _body(doc, "Chưa có nội dung nào hoàn thành.")
        if s.closed_otherwise:
            _heading(doc, "Miễn thực hiện, chuyển cơ quan điều tra:", indent=True)
            for line in s.closed_otherwise:
                _body(doc, f"- {line}")
        _heading(doc, f"b) Chưa hoàn thành ({len(s.remaining)} nội dung)", indent=True)
        if s.remaining:
            _items(doc, ["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình hình"], s.remaining)
        else:
            _body(doc, "Không còn nội dung nào phải thực hiện.")
        _heading(doc, "c) Gia hạn", indent=True)
        for line in s.extensions or ["Không có nội dung nào được gia hạn."]:
            _body(doc, f"- {line}" if s.extensions else line)
        _heading(doc, "d) Văn bản nhắc nhở, đôn đốc đã gửi", indent=True)
        for line in s.letters or ["Chưa gửi văn bản nào."]:
            _body(doc, f"- {line}" if s.letters else line)
        _body(doc, s.report)
    _heading(doc, "III. TỔNG HỢP")
    rows = [
        [
            str(i),
            s.unit.name,
            str(s.counts["actions"]),
            str(s.counts["done"]),
            str(s.counts["closed"]),
            str(s.counts["remaining"]),
            str(s.counts["overdue"]),
            grouped(s.to_recover),
            grouped(s.recovered),
        ]
        for i, s in enumerate(report.sections, start=1)
    ]
    to_recover = sum(s.to_recover for s in report.sections)
    recovered = sum(s.recovered for s in report.sections)
    rows.append(
        [
            "",
            "Tổng cộng",
            str(totals["actions"]),
            str(totals["done"]),
            str(totals["closed"]),
            str(totals["remaining"]),
            str(totals["overdue"]),
            grouped(to_recover),
            grouped(recovered),
        ]
    )
    _items(doc, SUMMARY_HEADER, rows)
    if to_recover:
        _body(
            doc,
            f"Tổng số tiền phải thu hồi {money(to_recover)}; đã thu hồi {money(recovered)}; "
            f"còn phải thu hồi {money(max(to_recover - recovered, 0))}.",
        )
    _heading(doc, "IV. ĐỀ XUẤT")
    late = report.overdue_units
    if late:
        _body(
            doc,
            f"Đề nghị {report.head.addressee or 'thủ trưởng cơ quan quản lý nhà nước cùng cấp'} chỉ đạo "
            f"{', '.join(late)} khẩn trương thực hiện dứt điểm các nội dung đã quá hạn, báo cáo kết quả kèm "
            "tài liệu chứng minh; xem xét kiểm tra việc thực hiện kết luận thanh tra và xử lý trách nhiệm "
            "của tập thể, cá nhân chậm thực hiện theo quy định.",
        )
    elif totals["remaining"]:
        _body(
            doc,
            f"{c.tracking_body} tiếp tục theo dõi, đôn đốc các đơn vị hoàn thành các nội dung còn lại đúng thời hạn.",
        )
    else:
        _body(
            doc,
            "Các nội dung kiến nghị của kết luận đã được thực hiện (hoặc miễn thực hiện, chuyển cơ quan "
            f"điều tra); {c.tracking_body} đề xuất kết thúc việc theo dõi khi báo cáo của các đơn vị được "
            "chấp nhận.",
        )
    _body(doc, f"Trên đây là báo cáo kết quả theo dõi, đôn đốc việc thực hiện Kết luận thanh tra số {c.number}./.")
    _signature(doc, frame)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def follow_up_filename(report: FollowUpReport) -> str:
    number = "".join(ch if ch.isalnum() else "-" for ch in report.conclusion.number).strip("-")
    return f"bao-cao-theo-doi-{number}-{report.as_of.astimezone(VN):%Y%m%d}.docx"
