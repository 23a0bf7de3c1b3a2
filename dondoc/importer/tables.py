"""Actions laid out as a table: a header row naming the columns (STT | Nội dung kiến nghị | Đơn vị thực hiện | Thời
hạn …), then a row per action. Merged cells (a unit or a deadline shared by several rows) apply to every row they
cover; rows grouping the ones below ("I. Đối với UBND huyện Lý Sơn", "1. Chấn chỉnh công tác quản lý:") give their
unit and number to them; a row without a number that goes on with the sentence above (a row split by a page break)
joins it; a table that goes on on the next page without a header keeps the columns of the one above."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dondoc.importer.actions import RawAction, directive_of, names_of
from dondoc.importer.amounts import amounts_in
from dondoc.importer.deadlines import deadline_in_cell
from dondoc.importer.outline import parse_marker
from dondoc.importer.text import CellAt, Paragraph
from dondoc.importer.units import starts_with_unit

REF, TEXT, UNIT, DUE, AMOUNT, OTHER = "ref", "text", "unit", "due", "amount", "other"

_REF_HEAD = re.compile(r"^(?:số\s+)?(?:stt|tt|thứ tự|số thứ tự|mục|số mục|điểm)$")
_DUE_HEAD = re.compile(r"thời hạn|thời gian|hạn hoàn thành|hạn thực hiện|tiến độ|hạn xử lý")
_AMOUNT_HEAD = re.compile(r"^(?:số tiền|giá trị|thành tiền)")
_UNIT_START = re.compile(r"^(?:đơn vị|cơ quan|trách nhiệm|người|chủ trì|tổ chức,? cá nhân|địa chỉ thực hiện)")
_TEXT_HEAD = re.compile(r"^nội dung|kiến nghị|yêu cầu|biện pháp|công việc|nhiệm vụ|khắc phục")
_UNIT_HEAD = re.compile(r"đơn vị|cơ quan")
_CONCERNING = re.compile(r"^(?:đối với|giao|yêu cầu)\s+(?P<who>.+?)\s*:?$", re.IGNORECASE)
_NUMBERED_COLUMNS = re.compile(r"^\(?\d{1,2}\)?$")
_GROUP_REF = re.compile(r"^(?:[IVX]{1,5}|[A-Z])$")
_LETTER_REF = re.compile(r"^[a-zđ]$")
_TERMINAL = (".", ";", ":", "!", "?", "./.")


def column_role(header: str) -> str | None:
    """What a column holds, from its header's wording."""
    words = " ".join(re.sub(r"[()\[\]*]", " ", header).lower().split()).strip(" .:")
    if not words:
        return None
    if _REF_HEAD.match(words):
        return REF
    if "phối hợp" in words or "ghi chú" in words or words.startswith(("kết quả", "tình hình")):
        return OTHER
    if _DUE_HEAD.search(words):
        return DUE
    if _AMOUNT_HEAD.match(words):
        return AMOUNT
    if _UNIT_START.match(words):
        return UNIT
    if _TEXT_HEAD.search(words):
        return TEXT
    if _UNIT_HEAD.search(words):
        return UNIT
    return None


@dataclass
class Grid:
    """One table: each grid position with the paragraphs of the cell covering it (a merged cell covers several)."""

    table: int
    cells: dict[tuple[int, int], tuple[CellAt, list[Paragraph]]] = field(default_factory=dict)
    paragraphs: list[Paragraph] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return max((r for r, _ in self.cells), default=-1) + 1

    @property
    def columns(self) -> int:
        return max((c for _, c in self.cells), default=-1) + 1

    def text(self, row: int, column: int, joiner: str = " ") -> str:
        _, paragraphs = self.cells.get((row, column), (None, []))
        return joiner.join(p.text for p in paragraphs).strip()

    def cell(self, row: int, column: int) -> CellAt | None:
        found = self.cells.get((row, column))
        return found[0] if found else None


def grids(paragraphs: list[Paragraph]) -> list[Grid]:
    """The tables whose cells the extractor placed, in document order."""
    found: dict[int, Grid] = {}
    for paragraph in paragraphs:
        at = paragraph.cell
        if at is None:
            continue
        grid = found.setdefault(at.table, Grid(at.table))
        grid.paragraphs.append(paragraph)
        for row in range(at.row, at.row + at.rows):
            for column in range(at.column, at.column + at.columns):
                grid.cells.setdefault((row, column), (at, []))[1].append(paragraph)
    return list(found.values())


def _header(grid: Grid) -> tuple[int, dict[int, str]] | None:
    """(first data row, column -> role) when the table is a table of actions: a header naming a column of what is
    asked and one of who does it or by when. A second header row (under merged header cells: "Đơn vị" over "Chủ
    trì | Phối hợp") completes the first; a row numbering the columns is skipped."""
    for row in range(min(grid.rows, 4)):
        roles = _roles(grid, row)
        if not (TEXT in roles.values() and {UNIT, DUE} & set(roles.values())):
            continue
        start = row + 1
        text_column = next(c for c, r in roles.items() if r == TEXT)
        if start < grid.rows and grid.cell(start, text_column) == grid.cell(row, text_column):
            fresh = {c: column_role(grid.text(start, c)) for c in range(grid.columns)}
            for column, role in fresh.items():
                if grid.cell(start, column) == grid.cell(row, column):
                    continue
                if role == UNIT:  # "Chủ trì" under "Đơn vị thực hiện"
                    roles = {c: r for c, r in roles.items() if r != UNIT} | {column: UNIT}
                elif column in roles and role in (OTHER, None):  # "Phối hợp" under it
                    del roles[column]
            start += 1
        if start < grid.rows and _numbered_columns(grid, start):
            start += 1
        return start, roles
    return None


def _roles(grid: Grid, row: int) -> dict[int, str]:
    roles: dict[int, str] = {}
    for column in range(grid.columns):
        role = column_role(grid.text(row, column))
        if role is not None and role != OTHER and role not in roles.values():
            roles[column] = role
    return roles


def _numbered_columns(grid: Grid, row: int) -> bool:
    """A row numbering the columns under the header: (1) (2) (3) …"""
    texts = [grid.text(row, c) for c in range(grid.columns)]
    return all(_NUMBERED_COLUMNS.match(t) for t in texts if t) and any(texts)


@dataclass
class TableActions:
    actions: list[RawAction] = field(default_factory=list)
    paragraphs: set[int] = field(default_factory=set)  # the paragraphs of the tables read as actions


def table_actions(paragraphs: list[Paragraph], known: list[str]) -> TableActions:
    """The actions of every table of actions among these paragraphs."""
    result = TableActions()
    reader: _Reader | None = None
    for grid in grids(paragraphs):
        header = _header(grid)
        same = reader is not None and (header is None or header[1] == reader.roles)
        if reader is not None and same and _continues(reader.grid, grid, paragraphs):
            reader.grid = grid  # the same table on the next page (its header repeated or not): same groups
            reader.read(header[0] if header is not None else 0)
        elif header is not None:
            start, roles = header
            reader = _Reader(grid, roles, known, _intro(paragraphs, grid, known) or "", result.actions)
            reader.read(start)
        else:
            reader = None
            continue
        result.paragraphs |= {p.number for p in grid.paragraphs}
    return result


def _continues(above: Grid, grid: Grid, paragraphs: list[Paragraph]) -> bool:
    """A table right after a table of actions (nothing but other cells between), with as many columns: its
    continuation on the next page, whose header was not repeated."""
    if above.columns != grid.columns:
        return False
    last, first = above.paragraphs[-1].number, grid.paragraphs[0].number
    return all(p.cell is not None for p in paragraphs if last < p.number < first)


def _intro(paragraphs: list[Paragraph], grid: Grid, known: list[str]) -> str | None:
    """The unit a directive right above the table addresses: "Yêu cầu UBND huyện Lý Sơn thực hiện các nội dung sau:"."""
    first = grid.paragraphs[0].number
    above = [p for p in paragraphs if p.number < first and p.cell is None]
    if not above:
        return None
    _, _, body = parse_marker(above[-1].text)
    directive = directive_of(body, known)
    if directive is not None and not re.match(r"^(?:theo dõi|đôn đốc)", directive[2]):
        return directive[1]
    concerning = _CONCERNING.match(body) if body.lower().startswith("đối với") else None
    return concerning.group("who") if concerning else None


def _bare_ref(text: str) -> str:
    return text.strip().rstrip(".)").strip()


class _Reader:
    def __init__(self, grid: Grid, roles: dict[int, str], known: list[str], intro: str, out: list[RawAction]) -> None:
        self.grid = grid
        self.roles = roles
        self.columns = {role: column for column, role in roles.items()}
        self.known = known
        self.intro = intro
        self.out = out
        self.group_unit: str | None = None
        self.group_ref: str | None = None
        self.parent_ref: str | None = None
        self.parent_unit: str | None = None
        self.last: list[RawAction] = []
        self.last_cells: dict[str, CellAt | None] = {}  # role -> the cell of the last action's row
        self.unnumbered = 0

    def value(self, row: int, role: str) -> str:
        """The row's text in a role's column; nothing when the row's text cell is merged across that column."""
        column = self.columns.get(role)
        if column is None:
            return ""
        if role != TEXT and self.grid.cell(row, column) == self.grid.cell(row, self.columns[TEXT]):
            return ""
        return self.grid.text(row, column, "; " if role == UNIT else " ")

    def read(self, start: int) -> None:
        header = {c: r for r, c in self.columns.items()}
        for row in range(start, self.grid.rows):
            if _roles(self.grid, row) == header or _numbered_columns(self.grid, row):
                continue  # the header repeated on a new page, or the row numbering the columns
            self.row(row)

    def cells(self, row: int) -> dict[str, CellAt | None]:
        return {role: self.grid.cell(row, column) for role, column in self.columns.items() if role in (UNIT, DUE)}

    def row(self, row: int) -> None:
        ref, text = _bare_ref(self.value(row, REF)), self.value(row, TEXT)
        unit, due = self.value(row, UNIT), self.value(row, DUE)
        if not text:
            return
        kind, marker, body = parse_marker(text)
        if not ref and kind in ("roman", "num", "letter") and body:
            ref, text = marker, body  # the number typed in the text cell ("I. ĐỐI VỚI …" merged across the row)
        cells = self.cells(row)
        own = [role for role, cell in cells.items() if self.value(row, role) and cell != self.last_cells.get(role)]
        if not ref and self.last and not own and _goes_on(self.last[0].text, text):
            for action in self.last:  # the rest of the row above, split by a page break
                action.text = f"{action.text} {text}"
            return
        if not unit and not due and self._group(ref, text, row):
            return
        self.last_cells = cells
        self.last = self.action(row, self._ref(ref), text, unit, due)

    def _group(self, ref: str, text: str, row: int) -> bool:
        """A row heading the rows below: a section ("I", "A") or an item ending with ':'; it may name their unit."""
        concerning = _CONCERNING.match(text)
        directive = directive_of(text, self.known)
        who = concerning.group("who") if concerning else (directive[1] if directive else None)
        spans = self.grid.cell(row, self.columns[TEXT])
        whole_row = spans is not None and spans.columns > 1
        if _GROUP_REF.match(ref) or whole_row:
            if who is None and starts_with_unit(text) and len(text.split()) <= 14:
                who = text.rstrip(" :")
            self.group_ref, self.group_unit = ref or None, who or self.group_unit
            self.parent_ref, self.parent_unit, self.last, self.unnumbered = None, None, [], 0
            return True
        if text.endswith(":"):
            self.parent_ref, self.parent_unit, self.last = self._ref(ref) if ref else None, who, []
            return True
        return False

    def _ref(self, ref: str) -> str:
        if not ref:
            self.unnumbered += 1
            ref = str(self.unnumbered)
            prefix = self.parent_ref or self.group_ref
            return f"{prefix}-{ref}" if prefix else f"-{ref}"  # as a "-" item: the n-th row without a number
        if _LETTER_REF.match(ref) and self.parent_ref:
            return f"{self.parent_ref}.{ref}"
        self.parent_ref, self.parent_unit = None, None  # a new number leaves the item heading the rows above
        if self.group_ref and not ref.startswith(f"{self.group_ref}."):
            return f"{self.group_ref}.{ref}"
        return ref

    def action(self, row: int, ref: str, text: str, unit: str, due: str) -> list[RawAction]:
        addressee = unit or self.parent_unit or self.group_unit or self.intro
        cells = [self.grid.text(row, c) for c in range(self.grid.columns)]
        _, paragraphs = self.grid.cells[(row, self.columns[TEXT])]
        amount = _amount(self.value(row, AMOUNT))
        action = RawAction(
            ref=ref[:32],
            addressee=addressee,
            names=names_of(addressee),
            text=text,
            place=paragraphs[0].place(" | ".join(dict.fromkeys(c for c in cells if c))),
            from_directive=not unit,
            deadline=deadline_in_cell(due) if due else None,
            amount_vnd=amount,
        )
        self.out.append(action)
        return [action]


def _goes_on(previous: str, text: str) -> bool:
    """Whether a row's text carries on the sentence of the row above (a row split by a page break)."""
    return text[0].islower() or not previous.rstrip().endswith(_TERMINAL)


def _amount(text: str) -> int | None:
    """The figure of an amount column: "120.000.000", "120.000.000 đồng"."""
    if not text:
        return None
    found = amounts_in(text if re.search(r"đồng|VNĐ|VND", text, re.IGNORECASE) else f"{text} đồng")
    return found[0].figure if found else None
