"""The conclusion spec: the YAML/JSON a staff member registers (see docs/conclusion-spec.md)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from models.policy import Policy
from models.vn import VN


def _date_or_datetime(value: object) -> object:
    """'2025-07-01' is a day; anything longer is a date-time, which must carry its offset."""
    if isinstance(value, str) and len(value.strip()) > 10:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError("thời điểm phải có múi giờ, ví dụ 2018-09-30T17:00:00+07:00")
        return parsed
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("thời điểm phải có múi giờ, ví dụ 2018-09-30T17:00:00+07:00")
    return value


EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
MAX_PERIOD = timedelta(days=3650)
MAX_AMOUNT_VND = 10**15  # one million billion đồng: far above any real amount, far below what SQL BIGINT holds
# One conclusion is one workflow: its state (the spec plus each item's ladder) must stay well inside Temporal's 2 MB
# payload limit when it is carried over by continue-as-new, so the spec is refused up front beyond these.
MAX_UNITS = 200
MAX_ACTIONS = 2000
MAX_STATE_KB = 1536  # the state the workflow carries, estimated from the spec: three quarters of the 2 MB limit
STATE_BYTES_PER_ITEM = 400  # what the state adds to each action and unit of the spec (ladder times, progress)


def _plausible_year(value: date) -> date:
    """Far-off dates are typos, and a deadline in year 9999 could not even be planned."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"ngày phải trong khoảng năm {EARLIEST_YEAR}–{LATEST_YEAR}")
    return value


DayOrMoment = Annotated[date | datetime, BeforeValidator(_date_or_datetime), AfterValidator(_plausible_year)]
"""A due given as a day (end of that day, Asia/Ho_Chi_Minh) or as an exact moment with its offset."""

Day = Annotated[date, AfterValidator(_plausible_year)]
"""A calendar day in a plausible year (a typo such as 2108 is refused)."""

_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\x0b\x0c\x85\u2028\u2029", "\n"))
_INVISIBLE = frozenset("\u200b\ufeff")  # zero-width space, byte-order mark


def printable(text: str) -> str:
    """Text as people paste it, made safe to store, mail and write into documents: line breaks of every kind (Word's
    Shift+Enter is a vertical tab) become newlines; other control characters (NUL included, which PostgreSQL and
    XML refuse) and zero-width spaces are dropped. They carry no meaning a reader could see."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    return "".join(c for c in text if c in "\n\t" or (c not in _INVISIBLE and unicodedata.category(c) != "Cc"))


def clean_text(value: object) -> object:
    """`printable`, as a validator of any field given text."""
    return printable(value) if isinstance(value, str) else value


def one_line(value: object) -> object:
    """A name, title or number: cleaned, and on one line (a line break inside it becomes a space)."""
    text = clean_text(value)
    return " ".join(text.split()) if isinstance(text, str) else text


NEW_INPUT = {"new": True}
"""The validation context of what people enter now (`model_validate(..., context=NEW_INPUT)`): the bounds added after
conclusions were already running apply to it, never to a payload Temporal reads back from an older history."""


def within(limit: int) -> AfterValidator:
    """At most `limit` characters in new input (see NEW_INPUT); reported as pydantic's own 'string_too_long'."""

    def check(value: str, info: ValidationInfo) -> str:
        if isinstance(info.context, dict) and info.context.get("new") and len(value) > limit:
            message = "String should have at most {max_length} characters"
            raise PydanticCustomError("string_too_long", message, {"max_length": limit})
        return value

    return AfterValidator(check)


MAX_TEXT = 10_000  # characters of one item's text: a long paragraph of a conclusion, far from the state's limits
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), within(MAX_TEXT), BeforeValidator(clean_text)
]
"""What an item of the conclusion says (it may run over several lines)."""
Line = Annotated[str, StringConstraints(min_length=1), within(1000), BeforeValidator(one_line)]
"""One line: a conclusion's title, its issuer, a unit's name."""
Ref = Annotated[str, StringConstraints(min_length=1, max_length=32), BeforeValidator(one_line)]
"""An item's number as the conclusion writes it: "2.1.a", "III.2", "a)"."""
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), BeforeValidator(one_line)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), BeforeValidator(one_line)]
"""A title or body name as a letter writes it: "Chủ tịch UBND huyện Lý Sơn", "UBND TỈNH QUẢNG NGÃI"."""
DocumentText = Annotated[str, StringConstraints(min_length=1, max_length=300), BeforeValidator(one_line)]
"""A document cited by number and day: "Báo cáo số 184/BC-UBND ngày 07/8/2018"."""


def _symbol_text(value: object) -> object:
    """'/TTr-NV' as copied from a letter's 'Số:      /TTr-NV' line is the symbol 'TTr-NV'."""
    return value.strip().lstrip("/").strip() if isinstance(value, str) else value


def _symbol_shape(value: str) -> str:
    if "/" in value or any(c.isspace() for c in value):
        raise ValueError("ký hiệu văn bản là phần sau dấu '/', không có dấu '/' hay khoảng trắng, ví dụ TTr-NV")
    return value


LetterSymbol = Annotated[
    str,
    BeforeValidator(_symbol_text),
    StringConstraints(min_length=1, max_length=32),
    AfterValidator(_symbol_shape),
]


class ActionKind(StrEnum):
    remedy = "remedy"  # khắc phục tồn tại, hạn chế
    recover = "recover"  # thu hồi tiền, tài sản
    discipline = "discipline"  # xử lý trách nhiệm
    sanction = "sanction"  # xử phạt vi phạm hành chính
    policy = "policy"  # hoàn thiện cơ chế, chính sách
    transfer = "transfer"  # chuyển cơ quan điều tra


class PriorStatus(StrEnum):
    """What was already done about an action before its follow-up was registered (e.g. per the unit's report)."""

    open = "open"  # chưa thực hiện
    done = "done"  # đã thực hiện xong
    partly_done = "partly_done"  # đã thực hiện một phần


class Period(BaseModel):
    """A period counted from a start day: whole days (calendar or working) plus an optional sub-day part."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Each part alone is bounded by MAX_PERIOD, so that no input (1111080720 days, 1e20) overflows timedelta.
    days: int = Field(default=0, ge=0, json_schema_extra={"maximum": MAX_PERIOD // timedelta(days=1)})
    hours: int = Field(default=0, ge=0, json_schema_extra={"maximum": MAX_PERIOD // timedelta(hours=1)})
    minutes: int = Field(default=0, ge=0, json_schema_extra={"maximum": MAX_PERIOD // timedelta(minutes=1)})
    seconds: int = Field(default=0, ge=0, json_schema_extra={"maximum": MAX_PERIOD // timedelta(seconds=1)})
    working: bool = False

    @field_validator("days", "hours", "minutes", "seconds")
    @classmethod
    def _part_in_range(cls, value: int, info: ValidationInfo) -> int:
        if value > MAX_PERIOD // timedelta(**{str(info.field_name): 1}):
            raise ValueError(f"thời hạn tối đa {MAX_PERIOD.days} ngày (10 năm)")
        return value

    @property
    def sub_day(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.days == 0 and self.sub_day == timedelta(0):
            raise ValueError("thời hạn phải lớn hơn 0 (days, hours, minutes hoặc seconds)")
        if timedelta(days=self.days) + self.sub_day > MAX_PERIOD:
            raise ValueError(f"thời hạn tối đa {MAX_PERIOD.days} ngày (10 năm)")
        return self


class ReportReceived(BaseModel):
    """A follow-up report (báo cáo kết quả thực hiện) the unit sent before registration."""

    model_config = ConfigDict(extra="forbid")

    on: Day
    document: DocumentText  # "Báo cáo số 184/BC-UBND ngày 07/8/2018"

    @model_validator(mode="before")
    @classmethod
    def _yaml_on_key(cls, data: object) -> object:
        """YAML 1.1 (PyYAML) reads an unquoted key `on:` as the boolean true: take it back as the field `on`."""
        if isinstance(data, dict) and True in data and "on" not in data:
            return {("on" if key is True else key): value for key, value in data.items()}
        return data


class Signer(BaseModel):
    """Who signs the inspectorate's letters: "Chánh Thanh tra", or a deputy "KT. CHÁNH THANH TRA"."""

    model_config = ConfigDict(extra="forbid")

    title: Title  # "Chánh Thanh tra", "Phó Chánh Thanh tra"
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""  # may be unknown yet
    acting_for: Name | None = None  # "KT. CHÁNH THANH TRA" when a deputy signs


class UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Slug
    name: Line
    contacts: list[EmailStr] = Field(min_length=1)
    head: EmailStr | None = None
    supervisor: EmailStr | None = None
    report_due: DayOrMoment | None = None  # overrides report_due_in for this unit
    head_title: Title | None = None  # "Chủ tịch UBND huyện Lý Sơn": how a letter addresses the unit head
    supervisor_title: Title | None = None  # "Chủ tịch UBND tỉnh Quảng Ngãi": how a letter addresses the supervisor
    report_received: ReportReceived | None = None  # the unit's follow-up report, already received


class ActionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Slug
    unit: Slug
    kind: ActionKind = ActionKind.remedy
    text: Text
    due: DayOrMoment | None = None
    due_in: Period | None = None
    amount_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_VND)
    ref: Ref | None = None  # the item's number in the conclusion: "2.1.a", "III.2", "a)"
    due_assumed: bool = False  # the conclusion states no due date: this one is an assumption, never stated as fact
    status: PriorStatus = PriorStatus.open  # what was already done before registration
    as_of: Day | None = Field(default=None, validate_default=True)  # the day that status is known as of
    source: DocumentText | None = Field(default=None, validate_default=True)  # the document the status comes from

    @field_validator("as_of", "source", mode="after")
    @classmethod
    def _status_documented(cls, value: object, info: ValidationInfo) -> object:
        """A status other than open is a claim: it needs the day it holds as of and the document saying so."""
        status = info.data.get("status")
        if value is None and status in (PriorStatus.done, PriorStatus.partly_done):
            if info.field_name == "as_of":
                raise ValueError("cần ngày xác nhận tình trạng khi status là done hoặc partly_done")
            raise ValueError(
                "cần nêu văn bản nguồn xác nhận tình trạng (ví dụ báo cáo của đơn vị) khi status là done hoặc partly_done"
            )
        return value

    @model_validator(mode="after")
    def _one_due(self) -> Self:
        if (self.due is None) == (self.due_in is None):
            raise ValueError("cần đúng một trong hai trường 'due' (ngày hạn) hoặc 'due_in' (thời hạn)")
        return self


class ConclusionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, StringConstraints(min_length=3, max_length=64), BeforeValidator(one_line)]
    issued_on: Day
    received_on: Day | None = None
    issuer: Line
    title: Line
    tracking_body: Line
    inspectorate_head: EmailStr
    agency_head: EmailStr
    units: list[UnitSpec] = Field(min_length=1)
    actions: list[ActionSpec] = Field(min_length=1)
    report_due_in: Period = Period(days=45)
    report_due_assumed: bool = False  # the conclusion sets no report deadline: the units' are assumptions
    policy: Policy | None = None
    agency_head_title: Title | None = None  # "Chủ tịch UBND tỉnh Quảng Ngãi"
    signer: Signer | None = None  # who signs the urging letters
    place: Name | None = None  # the letters' date line: "Quảng Ngãi, ngày … tháng … năm …"
    letter_symbol: LetterSymbol | None = None  # "TTr-NV": letters are numbered "Số:      /TTr-NV"
    inspectorate_parent: Title | None = None  # the body above the inspectorate in the header: "UBND TỈNH QUẢNG NGÃI"
    # Staff accounts in charge (emails): they get the review queue; empty: whoever registers it (the web form)
    officers: list[Annotated[EmailStr, AfterValidator(str.lower)]] = Field(default_factory=list, max_length=20)

    @property
    def start_day(self) -> date:
        return self.received_on or self.issued_on

    @property
    def slug(self) -> str:
        return conclusion_slug(self.number, self.issued_on)

    @property
    def workflow_id(self) -> str:
        return f"kl-{self.slug}"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[str] = []
        if len(self.units) > MAX_UNITS:
            errors.append(f"units: {len(self.units)} đơn vị, vượt quá {MAX_UNITS} đơn vị của một kết luận")
        if len(self.actions) > MAX_ACTIONS:
            errors.append(
                f"actions: {len(self.actions)} kiến nghị, vượt quá {MAX_ACTIONS} kiến nghị theo dõi được trong một "
                "kết luận; hãy tách thành nhiều hồ sơ"
            )
        items = len(self.actions) + len(self.units)
        size_kb = (len(self.model_dump_json().encode()) + STATE_BYTES_PER_ITEM * items) // 1024
        if size_kb > MAX_STATE_KB:
            errors.append(
                f"actions: hồ sơ kết luận quá lớn để theo dõi trong một quy trình (ước tính {size_kb} KB, tối đa "
                f"{MAX_STATE_KB} KB); hãy rút gọn nội dung kiến nghị hoặc tách thành nhiều hồ sơ"
            )
        if self.received_on is not None and self.received_on < self.issued_on:
            errors.append("received_on: ngày nhận không được trước ngày ban hành (issued_on)")
        errors += _duplicates("units", "code", [u.code for u in self.units], "mã đơn vị")
        errors += _duplicates("actions", "id", [a.id for a in self.actions], "mã kiến nghị")
        codes = {u.code for u in self.units}
        for i, action in enumerate(self.actions):
            if action.unit not in codes:
                errors.append(
                    f"actions[{i}].unit: đơn vị '{action.unit}' không có trong danh sách units "
                    f"({', '.join(sorted(codes))})"
                )
            due_day = action.due.astimezone(VN).date() if isinstance(action.due, datetime) else action.due
            if due_day is not None and due_day < self.issued_on:
                errors.append(f"actions[{i}].due: hạn {due_day:%d/%m/%Y} trước ngày ban hành {self.issued_on:%d/%m/%Y}")
            if action.amount_vnd is not None and action.kind != ActionKind.recover:
                errors.append(f"actions[{i}].amount_vnd: chỉ dùng cho kiến nghị loại recover (thu hồi)")
            if action.as_of is not None and action.as_of < self.issued_on:
                errors.append(
                    f"actions[{i}].as_of: ngày xác nhận tình trạng {action.as_of:%d/%m/%Y} "
                    f"trước ngày ban hành {self.issued_on:%d/%m/%Y}"
                )
        for i, unit in enumerate(self.units):
            due = unit.report_due
            due_day = due.astimezone(VN).date() if isinstance(due, datetime) else due
            if due_day is not None and due_day < self.issued_on:
                errors.append(f"units[{i}].report_due: hạn báo cáo trước ngày ban hành")
            received = unit.report_received
            if received is not None and received.on < self.issued_on:
                errors.append(
                    f"units[{i}].report_received.on: ngày nhận báo cáo {received.on:%d/%m/%Y} "
                    f"trước ngày ban hành {self.issued_on:%d/%m/%Y}"
                )
        if errors:
            raise ValueError("; ".join(errors))
        return self


def _duplicates(field: str, attr: str, values: list[str], label: str) -> list[str]:
    seen: set[str] = set()
    errors = []
    for i, value in enumerate(values):
        if value in seen:
            errors.append(f"{field}[{i}].{attr}: {label} '{value}' bị trùng")
        seen.add(value)
    return errors


def conclusion_slug(number: str, issued_on: date) -> str:
    """`312/KL-Ttra` issued in 2018 -> `312-kl-ttra-2018` (ASCII, stable)."""
    return f"{ascii_slug(number)}-{issued_on.year}"


def ascii_slug(text: str, limit: int | None = None) -> str:
    """ASCII, lower case, words joined by '-': 'Phòng TT,BC&XB' -> 'phong-tt-bc-xb' (cut at `limit` characters)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:limit].strip("-")
