"""A follow-up report (báo cáo tình hình / kết quả thực hiện kết luận thanh tra, seed 001) read per unit: which
conclusion it reports on, then for each unit what it says was done (proposed for acceptance) and what it lists as
still to remedy ("những vấn đề tiếp tục khắc phục": open). A report on another conclusion is refused."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from dondoc.importer import header
from dondoc.importer.model import Found
from dondoc.importer.outline import Item, build
from dondoc.importer.text import Paragraph, Place
from dondoc.importer.units import starts_with_unit

_DONE_HEADING = re.compile(r"^(?:kết quả (?:thực hiện|khắc phục)|đã thực hiện|những việc đã làm)", re.IGNORECASE)
_OPEN_HEADING = re.compile(
    r"^(?:những |các )?(?:vấn đề|nội dung|tồn tại)[^:]{0,40}(?:tiếp tục|chưa|còn)|^(?:tiếp tục khắc phục|"
    r"phương hướng|nhiệm vụ thời gian tới|khó khăn)",
    re.IGNORECASE,
)
_TOWARDS = re.compile(r"(?:đề nghị|kiến nghị|yêu cầu)\s+(?:đối với|với|của)\s+(?P<who>.+?)\s*:?$", re.IGNORECASE)
_PLANNED = re.compile(
    r"\b(?:sẽ|dự kiến|đang|chưa|thời gian (?:tới|đến)|trong thời gian|sắp tới|kế hoạch|tiếp tục|nghiên cứu)\b",
    re.IGNORECASE,
)
_DONE = re.compile(r"\bđã\b|^hoàn thành\b", re.IGNORECASE)


class ItemStatus(StrEnum):
    done = "done"  # the report says it is done: proposed for acceptance
    partly_done = "partly_done"  # done in part, the rest planned
    open = "open"  # listed as still to remedy, or only planned


class ReportItem(BaseModel):
    ref: str  # as numbered in the report: "1.1.a", "2.2-3"
    topic: str  # the heading it is under: "Công tác quản lý hệ thống thư điện tử công vụ"
    text: str
    status: ItemStatus
    place: Place


class ReportUnit(BaseModel):
    name: str  # as the report heads its part: "UBND huyện Lý Sơn"
    ref: str  # "II.2", "III"
    items: list[ReportItem] = Field(default_factory=list)
    place: Place


class FollowUpReport(BaseModel):
    number: Found[str] | None
    issued_on: Found[date] | None
    title: Found[str] | None
    cited_number: str
    cited_day: date | None
    cited_place: Place
    units: list[ReportUnit]


class ReportRefused(ValueError):
    """Not a follow-up report of this conclusion; the message says why (Vietnamese)."""


def _same_number(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a).lower() == re.sub(r"\s+", "", b).lower()


def parse_followup_report(paragraphs: list[Paragraph], conclusion_number: str | None = None) -> FollowUpReport:
    kind = header.document_kind(paragraphs)
    cited = header.cited_conclusion(paragraphs)
    if kind.kind == "conclusion":
        raise ReportRefused("Đây là một kết luận thanh tra, không phải báo cáo kết quả thực hiện kết luận.")
    if cited is None:
        raise ReportRefused(
            "Không thấy văn bản nêu kết luận thanh tra nào (câu “Kết luận … số …/KL-… ngày …”): "
            "không nhận ra đây là báo cáo kết quả thực hiện kết luận."
        )
    number, day, where = cited
    if conclusion_number is not None and not _same_number(number, conclusion_number):
        raise ReportRefused(
            f"Báo cáo này nói về Kết luận số {number}, không phải Kết luận số {conclusion_number} đang theo dõi: "
            "hãy tải lên ở trang của đúng kết luận."
        )
    line = header.find_date_line(paragraphs)
    closing = header.find_closing(paragraphs)
    body = paragraphs[: closing.start] if closing else paragraphs
    return FollowUpReport(
        number=header.find_number(paragraphs),
        issued_on=line.day if line else None,
        title=header.find_title(paragraphs, kind),
        cited_number=number,
        cited_day=day,
        cited_place=where.place(),
        units=units_of(build(body)),
    )


def units_of(root: Item) -> list[ReportUnit]:
    """Each numbered part headed by a unit ('2. UBND huyện Lý Sơn:'), and each top section on what was asked of a
    body ('III. Kết quả thực hiện các ý kiến đề nghị đối với UBND tỉnh Quảng Ngãi:')."""
    found: list[ReportUnit] = []
    for section in (c for c in root.children if c.kind == "roman"):
        towards = _TOWARDS.search(section.body)
        parts = [c for c in section.children if c.kind == "num" and _unit_heading(c.body)]
        if parts:
            for part in parts:
                name = part.body.strip().rstrip(":").strip()
                found.append(ReportUnit(name=name, ref=_ref(part), items=_items(part), place=part.place()))
        elif towards:
            name = towards.group("who").strip().rstrip(":.")
            found.append(ReportUnit(name=name, ref=section.marker, items=_items(section), place=section.place()))
    return found


def _unit_heading(body: str) -> bool:
    text = body.strip()
    return starts_with_unit(text) and len(text) <= 90 and (text.endswith(":") or len(text.split()) <= 10)


def _ref(item: Item) -> str:
    parent = item.parent
    if parent is not None and parent.kind == "roman" and "." not in item.marker:
        return f"{parent.marker}.{item.marker}"
    return item.marker


def status_of(text: str, section: ItemStatus | None) -> ItemStatus:
    """Under 'những vấn đề tiếp tục khắc phục' an item is open; elsewhere what it says: done ('Đã …'), only planned
    ('sẽ', 'dự kiến', 'đang', 'chưa', 'thời gian tới' …), or both."""
    if section == ItemStatus.open:
        return ItemStatus.open
    done = _DONE.search(text.strip()) is not None
    planned = _PLANNED.search(text) is not None
    if done and planned:
        return ItemStatus.partly_done
    if done or (section == ItemStatus.done and not planned):
        return ItemStatus.done
    return ItemStatus.open


def _text_of(item: Item) -> str:
    """The item's own words and the plain paragraphs under it."""
    parts = [item.body] + [c.body for c in item.children if c.kind == "text"]
    return " ".join(p.strip() for p in parts if p.strip())


def _items(part: Item) -> list[ReportItem]:
    items: list[ReportItem] = []
    _collect(part, "", None, items, part.marker)
    return items


def _collect(node: Item, topic: str, section: ItemStatus | None, out: list[ReportItem], ref: str) -> None:
    listed = [c for c in node.children if c.kind != "text"]
    for child in listed:
        body = child.body.strip().rstrip(":").strip()
        child_ref = f"{ref}.{child.marker}" if child.kind in ("num", "letter") else ref
        heading = _OPEN_HEADING.match(body) or _DONE_HEADING.match(body)
        status = section
        if heading and child.kind in ("num", "letter"):
            status = ItemStatus.open if _OPEN_HEADING.match(body) else ItemStatus.done
        if child.kind == "num" and heading:
            _collect(child, topic, status, out, child.marker)
            continue
        has_items = any(c.kind != "text" for c in child.children)
        if has_items:
            _collect(child, body if child.kind != "bullet" else topic, status, out, child_ref)
            continue
        words = _text_of(child)
        if child.kind == "bullet":
            siblings = [c for c in listed if c.kind == "bullet" and c.marker == child.marker]
            child_ref = f"{ref}-{next(i for i, c in enumerate(siblings, 1) if c is child)}"
        heading_only = child.body.strip().endswith(":") or (child.kind == "letter" and words != child.body)
        own_topic = child.body.strip().rstrip(":") if heading_only else topic
        text = " ".join(c.body for c in child.children if c.kind == "text") if heading_only else words
        out.append(
            ReportItem(
                ref=child_ref[:32],
                topic=own_topic,
                text=text or words,
                status=status_of(text or words, status),
                place=child.place(),
            )
        )


# ---------------------------------------------------------------- the report against the conclusion's units and actions

_WORD = re.compile(r"\w+")
_STOP = {
    "và",
    "của",
    "các",
    "những",
    "theo",
    "trên",
    "cho",
    "với",
    "trong",
    "được",
    "việc",
    "đã",
    "tại",
    "về",
    "để",
    "là",
}
MIN_OVERLAP = 0.3


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in _STOP}


def overlap(a: str, b: str) -> float:
    """How much of the shorter text's words the other shares (0–1)."""
    left, right = _words(a), _words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


def unit_of(report_unit: ReportUnit, units: dict[str, str]) -> str | None:
    """The conclusion's unit code for a part of the report: the same name (case, spacing and 'UBND' aside)."""
    from dondoc.importer.units import normalize

    wanted = normalize(report_unit.name)
    return next((code for code, name in units.items() if normalize(name) == wanted), None)


class Proposal(BaseModel):
    action_id: str
    item: ReportItem | None  # the report's item that best matches the action, if any matches well enough
    score: float


def propose(actions: dict[str, str], items: list[ReportItem]) -> list[Proposal]:
    """For each action (id -> text) of a unit, the report item of that unit that speaks about it most."""
    proposals = []
    for action_id, text in actions.items():
        scored = [(overlap(text, f"{item.topic} {item.text}"), item) for item in items]
        score, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        proposals.append(Proposal(action_id=action_id, item=best if score >= MIN_OVERLAP else None, score=score))
    return proposals
