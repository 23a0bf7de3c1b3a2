"""Deadlines as conclusions write them: a day ("trước ngày 30/6/2024"), a period ("trong thời hạn 30 ngày làm việc kể
từ ngày ký"), a quarter ("trong quý IV/2023"); the shorter forms of a table's deadline column ("30/11/2023", "Quý
IV/2023", "Tháng 12/2023"); and the general deadline a conclusion sets for all it asks ("… tổ chức thực hiện kết luận
này trong thời hạn 30 ngày kể từ ngày ký", "báo cáo kết quả … trước ngày …")."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from dondoc.importer.header import parse_day
from dondoc.importer.outline import parse_marker
from dondoc.importer.text import Paragraph

Anchor = Literal["signed", "received"]

_DAY = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
_DUE_DAY = re.compile(
    rf"(?:trước|chậm nhất(?: là)?|hạn chót|hoàn thành(?: trước| trong)?|xong trước|đến)\s+(?:ngày\s+)?(?P<d>{_DAY})",
    re.IGNORECASE,
)
_DUE_IN = re.compile(
    r"(?:trong (?:thời hạn|vòng|thời gian)|thời hạn(?: thực hiện| hoàn thành)?(?:\s+là|\s*:)|chậm nhất(?: là)?)"
    r"\s+(?P<n>\d{1,3})\s+ngày(?P<w>\s+làm việc)?",
    re.IGNORECASE,
)
_QUARTER = r"quý\s+(?P<q>IV|III|II|I|[1-4])\s*(?:/|năm)\s*(?P<y>\d{4})"
_DUE_QUARTER = re.compile(rf"(?:trong|trước|hết|cuối)\s+{_QUARTER}", re.IGNORECASE)
_QUARTERS = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
_ANCHOR = re.compile(
    r"[\s,]*(?:tính\s+)?kể từ (?:ngày|khi)\s+(?:(?P<signed>ký|ban hành)|(?P<received>(?:được\s+|tiếp\s+)?nhận))",
    re.IGNORECASE,
)
# the forms of a deadline column, where the words around a deadline are left out
_CELL_DAY = re.compile(rf"^(?:ngày\s+)?(?P<d>{_DAY})", re.IGNORECASE)
_CELL_DAYS = re.compile(r"(?P<n>\d{1,3})\s+ngày(?P<w>\s+làm việc)?", re.IGNORECASE)
_CELL_QUARTER = re.compile(_QUARTER, re.IGNORECASE)
_CELL_MONTH = re.compile(
    r"^(?:trong\s+|trước\s+|hết\s+|cuối\s+)?tháng\s+(?P<m>\d{1,2})\s*(?:/|năm)\s*(?P<y>\d{4})", re.I
)
_CELL_YEAR = re.compile(r"^(?:trong\s+|hết\s+|cuối\s+)?năm\s+(?P<y>\d{4})\s*$", re.IGNORECASE)
# a paragraph about everything the conclusion asks, not one item of it
_GENERAL = re.compile(
    r"kết luận (?:thanh tra )?này|(?:các |những )?(?:nội dung|kiến nghị|yêu cầu)(?: kiến nghị| kết luận)?(?: nêu)? trên"
    r"|thực hiện (?:các |những )?(?:nội dung )?(?:kết luận|kiến nghị)|^thời (?:hạn|gian) (?:thực hiện|hoàn thành)",
    re.IGNORECASE,
)
_TRACKING = re.compile(r"theo dõi,? đôn đốc", re.IGNORECASE)
_REPORT = re.compile(r"báo cáo", re.IGNORECASE)
_BASIS = re.compile(
    r"^(?:Căn cứ|Thực hiện Quyết định|Xét|Từ ngày|Ngày \d)", re.IGNORECASE
)  # the legal basis, the period


@dataclass(frozen=True)
class Deadline:
    text: str  # as written: "trước ngày 30/11/2023", "trong thời hạn 30 ngày làm việc kể từ ngày ký"
    due: date | None = None
    days: int | None = None
    working: bool = False
    anchor: Anchor | None = None  # what a period counts from, when the document says it


def _anchored(text: str, match: re.Match[str], working: bool) -> Deadline:
    anchor = _ANCHOR.match(text, match.end())
    written = text[match.start() : anchor.end() if anchor else match.end()].strip(" ,")
    which: Anchor | None = None
    if anchor is not None:
        which = "signed" if anchor.group("signed") else "received"
    return Deadline(written, days=int(match.group("n")), working=working, anchor=which)


def _quarter_end(match: re.Match[str]) -> date:
    month, day = _QUARTER_END[_QUARTERS[match.group("q").upper()]]
    return date(int(match.group("y")), month, day)


def deadline_of(text: str) -> Deadline | None:
    """The deadline a sentence states, if any."""
    match = _DUE_DAY.search(text)
    if match:
        day = parse_day(match.group("d"))
        if day is not None:
            return Deadline(match.group(0), due=day)
    match = _DUE_IN.search(text)
    if match:
        return _anchored(text, match, bool(match.group("w")))
    match = _DUE_QUARTER.search(text)
    if match and 1 <= int(match.group("y")) <= 9999:
        return Deadline(match.group(0), due=_quarter_end(match))
    return None


def deadline_in_cell(text: str) -> Deadline | None:
    """The deadline in a table's deadline column: the sentence forms, or a bare day, period, quarter, month or year.
    "Thường xuyên" (ongoing) and "Ngay" (at once) are no deadline: staff set one."""
    text = " ".join(text.split())
    found = deadline_of(text)
    if found is not None:
        return replace(found, text=text)
    match = _CELL_DAY.match(text)
    if match:
        day = parse_day(match.group("d"))
        if day is not None:
            return Deadline(text, due=day)
    match = _CELL_DAYS.search(text)
    if match:
        return replace(_anchored(text, match, bool(match.group("w"))), text=text)
    match = _CELL_QUARTER.search(text)
    if match:
        return Deadline(text, due=_quarter_end(match))
    match = _CELL_MONTH.match(text)
    if match and 1 <= int(match.group("m")) <= 12 and 1 <= int(match.group("y")) <= 9999:
        year, month = int(match.group("y")), int(match.group("m"))
        return Deadline(text, due=date(year, month, calendar.monthrange(year, month)[1]))
    match = _CELL_YEAR.match(text)
    if match and 1 <= int(match.group("y")) <= 9999:
        return Deadline(text, due=date(int(match.group("y")), 12, 31))
    return None


@dataclass(frozen=True)
class GeneralDeadline:
    deadline: Deadline
    paragraph: Paragraph


def general_deadline(paragraphs: list[Paragraph]) -> GeneralDeadline | None:
    """The deadline the conclusion sets for all it asks, from the paragraphs of its recommendations: one that speaks
    of the conclusion as a whole ("kết luận này", "các nội dung trên", "Thời hạn thực hiện: …") and states a
    deadline. The deadline to carry the conclusion out is preferred to the one to report on it; the follow-up body's
    own deadline ("Giao … theo dõi, đôn đốc …") is not one for the units."""
    found: list[GeneralDeadline] = []
    for paragraph in paragraphs:
        _, _, text = parse_marker(paragraph.text)
        if not _GENERAL.search(text) or _TRACKING.search(text) or _BASIS.match(text):
            continue
        deadline = deadline_of(text)
        if deadline is not None:
            found.append(GeneralDeadline(deadline, paragraph))
    to_do = [g for g in found if not _REPORT.search(g.paragraph.text)]
    preferred = to_do or found
    return preferred[0] if preferred else None
