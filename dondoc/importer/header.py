"""The parts of an official document around its content (Nghị định 30/2020/NĐ-CP): what kind of document it is, the
number and date line, the issuer, the title, the decision a conclusion rests on, the recipients and the signer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dondoc.importer.model import Found
from dondoc.importer.text import Paragraph, is_caps

HEAD_ZONE = 25  # the header (number, date, heading, title) is within the first paragraphs

KINDS = {  # heading in capitals -> (kind, how a message names it)
    "KẾT LUẬN": ("conclusion", "kết luận"),
    "BÁO CÁO": ("report", "báo cáo"),
    "QUYẾT ĐỊNH": ("decision", "quyết định"),
    "KẾ HOẠCH": ("plan", "kế hoạch"),
    "THÔNG BÁO": ("notice", "thông báo"),
    "TỜ TRÌNH": ("submission", "tờ trình"),
    "CÔNG VĂN": ("letter", "công văn"),
    "BIÊN BẢN": ("minutes", "biên bản"),
    "CHỈ THỊ": ("directive", "chỉ thị"),
    "NGHỊ QUYẾT": ("resolution", "nghị quyết"),
    "GIẤY MỜI": ("invitation", "giấy mời"),
}
SYMBOLS = {"KL": "conclusion", "BC": "report", "QĐ": "decision", "KH": "plan", "TB": "notice", "TTr": "submission"}

_NUMBER = re.compile(r"^Số\s*:?\s*(?P<n>[\d.…_ ]*?)\s*/\s*(?P<symbol>[A-Za-zĐđ]{1,6}(?:[-–][\w.&]+)*)", re.IGNORECASE)
_DATE_LINE = re.compile(
    r"(?:^|\s)(?P<place>[A-ZĐÂ][\w .’'-]{1,40}?),\s*ngày\s*(?P<d>\d{1,2})?\s*[.…_ ]*\s*tháng\s*(?P<m>\d{1,2})?"
    r"\s*[.…_ ]*\s*năm\s*(?P<y>\d{4})",
)
_DECISION = re.compile(
    r"Quyết định\s+(?:số\s+)?(?P<n>\d+[\w/.-]*/QĐ-[\w.&-]+)\s+ngày\s+(?P<d>\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|"
    r"\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})",
    re.IGNORECASE,
)
_CITED_CONCLUSION = re.compile(
    r"Kết luận(?:\s+thanh tra)?(?:\s+\w+){0,3}?\s+số\s*:?\s*(?P<n>\d+[\w.]*/KL-[\w.&-]+)"
    r"(?:\s+ngày\s+(?P<d>\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}))?",
    re.IGNORECASE,
)
_CONCLUDES = re.compile(r"^(?P<who>.{5,160}?)\s+kết luận(?: thanh tra)?(?: như sau)?\s*:?$", re.IGNORECASE)
_ISSUER_OF_TITLE = [
    (re.compile(r"^(?:Chánh|Tổng)\s+(Thanh tra\b.*)$", re.IGNORECASE), 1),
    (
        re.compile(
            r"^(?:Giám đốc|Chủ tịch|Bộ trưởng|Cục trưởng|Tổng cục trưởng|Thủ trưởng|Trưởng ban)\s+(.+)$", re.IGNORECASE
        ),
        1,
    ),
]
_TITLE_END = re.compile(r"^(?:Thực hiện|Căn cứ|Xét|Qua|Theo|Từ ngày|Ngày\s+\d)", re.IGNORECASE)
_ROLE_WORDS = {
    "CHỦ TỊCH": "Chủ tịch",
    "PHÓ CHỦ TỊCH": "Phó Chủ tịch",
    "CHÁNH THANH TRA": "Chánh Thanh tra",
    "PHÓ CHÁNH THANH TRA": "Phó Chánh Thanh tra",
    "TỔNG THANH TRA": "Tổng Thanh tra",
    "GIÁM ĐỐC": "Giám đốc",
    "PHÓ GIÁM ĐỐC": "Phó Giám đốc",
    "BỘ TRƯỞNG": "Bộ trưởng",
    "THỨ TRƯỞNG": "Thứ trưởng",
    "CỤC TRƯỞNG": "Cục trưởng",
    "TRƯỞNG ĐOÀN": "Trưởng đoàn",
}
_ACTING = re.compile(r"^(?:KT|TM|TL|TUQ|Q|UQ)\s*\.", re.IGNORECASE)
_PERSON = re.compile(r"^(?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ][\w’']*\s+){1,5}[A-ZĐ\w][\w’']*$")


def parse_day(text: str) -> date | None:
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if len(numbers) != 3:
        return None
    day, month, year = numbers
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class Kind:
    kind: str  # conclusion, report, decision … or unknown
    label: str  # for messages: "báo cáo"
    heading: Found[str] | None


def document_kind(paragraphs: list[Paragraph]) -> Kind:
    """By the heading in capitals near the top; else by the symbol in the number ("/KL-", "/BC-")."""
    for paragraph in paragraphs[:HEAD_ZONE]:
        text = paragraph.text.strip(" .:")
        if not is_caps(text):
            continue
        for heading, (kind, label) in KINDS.items():
            if text == heading or text.startswith(heading + " "):
                if kind == "report" and "KẾT LUẬN" in text and "THỰC HIỆN" not in text:
                    continue
                return Kind(kind, label, Found(value=text, place=paragraph.place()))
    number = find_number(paragraphs)
    if number is not None:
        symbol = number.value.split("/", 1)[1].split("-")[0]
        by_symbol = SYMBOLS.get(symbol) or SYMBOLS.get(symbol.upper())
        if by_symbol is not None:
            label = next(lb for k, lb in KINDS.values() if k == by_symbol)
            return Kind(by_symbol, label, None)
    return Kind("unknown", "văn bản", None)


def find_number(paragraphs: list[Paragraph]) -> Found[str] | None:
    """'Số: 312/KL-Ttra' -> '312/KL-Ttra'; a blank number keeps its symbol: '/KL-STTTT'."""
    for paragraph in paragraphs[:HEAD_ZONE]:
        match = _NUMBER.match(paragraph.text)
        if match:
            digits = re.sub(r"[^\d]", "", match.group("n"))
            return Found(value=f"{digits}/{match.group('symbol')}", place=paragraph.place(match.group(0)))
    return None


@dataclass(frozen=True)
class DateLine:
    place: Found[str]
    day: Found[date] | None  # None when the day or month is blank
    blank: bool
    year: int


def find_date_line(paragraphs: list[Paragraph]) -> DateLine | None:
    for paragraph in paragraphs[:HEAD_ZONE]:
        match = _DATE_LINE.search(paragraph.text)
        if not match:
            continue
        where = paragraph.place(match.group(0).strip())
        place: Found[str] = Found(value=match.group("place").strip(), place=where)
        year = int(match.group("y"))
        if match.group("d") and match.group("m"):
            try:
                day = date(year, int(match.group("m")), int(match.group("d")))
            except ValueError:
                return DateLine(place, None, True, year)
            return DateLine(place, Found(value=day, place=where), False, year)
        return DateLine(place, None, True, year)
    return None


def heading_index(paragraphs: list[Paragraph], kind: Kind) -> int:
    if kind.heading is None:
        return -1
    return kind.heading.place.paragraph - 1


def find_title(paragraphs: list[Paragraph], kind: Kind) -> Found[str] | None:
    """The paragraph(s) right after the heading, up to the legal basis ('Thực hiện', 'Căn cứ' …)."""
    start = heading_index(paragraphs, kind)
    if start < 0:
        return None
    parts: list[Paragraph] = []
    heading = paragraphs[start].text
    for word in ("KẾT LUẬN THANH TRA", "KẾT LUẬN"):
        rest = heading.removeprefix(word).strip(" :")
        if heading.startswith(word) and rest and rest not in ("THANH TRA",):
            parts.append(Paragraph(paragraphs[start].number, rest, paragraphs[start].page))
            break
    for paragraph in paragraphs[start + 1 : start + 8]:
        text = paragraph.text
        stamp = re.match(r"^(?:Số|Ngày|Chuyển|ĐẾN)\b", text) is not None or (is_caps(text) and len(text.split()) <= 2)
        if not parts and stamp:
            continue  # a 'received' stamp between the heading and the title ("ĐẾN / Số: 7489 / Ngày: 08/8")
        if stamp or _TITLE_END.match(text) or _DATE_LINE.search(text) or len(text) > 400:
            break
        if is_caps(text) and parts:
            break
        parts.append(paragraph)
        if not is_caps(text):
            break
    if not parts:
        return None
    words = " ".join(p.text for p in parts)
    words = re.sub(r"^(?:V/v|Về việc)\s*:?\s*", "", words, flags=re.IGNORECASE).strip(" .")
    if not words:
        return None
    if is_caps(words):
        words = words[0] + words[1:].lower()
    return Found(value=words, place=parts[0].place(words))


def find_decision(paragraphs: list[Paragraph]) -> Found[str] | None:
    for paragraph in paragraphs[: HEAD_ZONE + 10]:
        match = _DECISION.search(paragraph.text)
        if match:
            value = f"Quyết định số {match.group('n')} ngày {match.group('d')}"
            return Found(value=value, place=paragraph.place(match.group(0)))
    return None


def cited_conclusion(paragraphs: list[Paragraph]) -> tuple[str, date | None, Paragraph] | None:
    """The conclusion a document says it reports on: 'Kết luận Thanh tra số 312/KL-Ttra ngày 31/5/2018'."""
    for paragraph in paragraphs[: HEAD_ZONE + 10]:
        match = _CITED_CONCLUSION.search(paragraph.text)
        if match:
            day = parse_day(match.group("d")) if match.group("d") else None
            return match.group("n"), day, paragraph
    return None


def issuer_from_title(who: str) -> str | None:
    """'Giám đốc Sở Thông tin và Truyền thông' -> 'Sở Thông tin và Truyền thông'; 'Chánh Thanh tra Bộ X' ->
    'Thanh tra Bộ X'."""
    for pattern, group in _ISSUER_OF_TITLE:
        match = pattern.match(who.strip())
        if match:
            return match.group(group).strip(" ,.")
    return None


def find_issuer(paragraphs: list[Paragraph], kind: Kind) -> Found[str] | None:
    """'<Giám đốc Sở X> kết luận như sau' names the issuer; else the last line in capitals of the header block."""
    for paragraph in paragraphs[: HEAD_ZONE + 40]:
        match = _CONCLUDES.match(paragraph.text)
        if match:
            issuer = issuer_from_title(match.group("who"))
            if issuer:
                return Found(value=issuer, place=paragraph.place())
    number = find_number(paragraphs)
    limit = number.place.paragraph - 1 if number else heading_index(paragraphs, kind)
    for paragraph in reversed(paragraphs[: max(limit, 0)]):
        text = paragraph.text.strip()
        if is_caps(text) and "CỘNG HÒA" not in text and "CỘNG HOÀ" not in text:
            return Found(value=text, place=paragraph.place())
    decision = find_decision(paragraphs)
    if decision is not None:
        paragraph = paragraphs[decision.place.paragraph - 1]
        match = re.search(r"\bcủa\s+(.+?)\s+(?:về việc|v/v)\b", paragraph.text, re.IGNORECASE)
        if match:
            issuer = issuer_from_title(match.group(1))
            if issuer:
                return Found(value=issuer, place=paragraph.place(match.group(0)))
    return None


@dataclass(frozen=True)
class Closing:
    recipients: list[Found[str]]
    title: Found[str] | None
    acting_for: Found[str] | None
    name: Found[str] | None
    start: int  # index of the 'Nơi nhận' paragraph (the content ends before it)


def role_text(caps: str) -> str:
    text = caps.strip(" .:")
    if text in _ROLE_WORDS:
        return _ROLE_WORDS[text]
    return text[0] + text[1:].lower() if text else text


def find_closing(paragraphs: list[Paragraph]) -> Closing | None:
    """'Nơi nhận:' and its list, then the signer: a title in capitals (after 'KT. …' when a deputy signs) and a
    name."""
    start = next(
        (i for i in range(len(paragraphs) - 1, -1, -1) if re.match(r"^Nơi nhận\b", paragraphs[i].text, re.IGNORECASE)),
        None,
    )
    if start is None:
        return None
    recipients: list[Found[str]] = []
    rest: list[Paragraph] = []
    first = re.sub(r"^Nơi nhận\s*:?\s*", "", paragraphs[start].text, flags=re.IGNORECASE)
    candidates = [Paragraph(paragraphs[start].number, first, paragraphs[start].page)] if first else []
    for paragraph in candidates + paragraphs[start + 1 :]:
        text = paragraph.text
        if text.startswith(("-", "–", "+", "•")):
            for part in re.split(r";\s*(?=[-–+•])", text):
                who = part.lstrip("-–+• ").rstrip(" ;.")
                if who and not re.match(r"^Lưu\b", who, re.IGNORECASE):
                    recipients.append(Found(value=who, place=paragraph.place(who)))
        else:
            rest.append(paragraph)
    title: Found[str] | None = None
    acting: Found[str] | None = None
    name: Found[str] | None = None
    for paragraph in rest:
        text = paragraph.text.strip()
        if is_caps(text):
            if _ACTING.match(text):
                if text.upper().startswith("KT") or acting is None:
                    acting = Found(value=text, place=paragraph.place())
            else:
                title = Found(value=role_text(text), place=paragraph.place())
        elif _PERSON.match(text) and not text.lower().startswith(("đã ký", "ký", "(đã")):
            name = Found(value=text, place=paragraph.place())
    return Closing(recipients, title, acting, name, start)
