"""The required actions of a conclusion: the directives of its last sections ("Yêu cầu X …", "Giao X …", "Kiến
nghị …", "Đối với X:"), each item under them an action of the unit addressed, with its number, kind and deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dondoc.importer.amounts import amounts_in
from dondoc.importer.deadlines import Deadline, deadline_of
from dondoc.importer.model import Found
from dondoc.importer.outline import Item
from dondoc.importer.text import Place
from dondoc.importer.units import normalize, split_names, starts_with_unit, unit_type
from models.spec import ActionKind

__all__ = ["Deadline", "RawAction", "collect", "deadline_of", "kind_of"]

_SECTION = re.compile(r"kết luận|kiến nghị|xử lý|biện pháp|yêu cầu|chỉ đạo", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^(?P<verb>Yêu cầu|Giao cho|Giao|Kiến nghị|Đề nghị|Chỉ đạo)\s+(?P<rest>.+)$", re.DOTALL)
_CONCERNING = re.compile(r"^(?:\d+\.\s*)?Đối với\s+(?P<who>.+?)\s*:?$", re.IGNORECASE)
_VERBS = (
    "thực hiện|chỉ đạo|tổ chức|khẩn trương|tiếp tục|chủ trì|phối hợp|theo dõi|đôn đốc|rà soát|có trách nhiệm|"
    "kiểm điểm|thu hồi|xử lý|nghiêm túc|sửa đổi|ban hành|hoàn thiện|xây dựng|nộp|bổ sung|chấn chỉnh|khắc phục|"
    "kiểm tra|tăng cường|quán triệt|báo cáo|xem xét|cập nhật|lập|tham mưu|hướng dẫn|giám sát|nghiên cứu|"
    "chuyển|xử phạt|thu|hoàn trả|điều chỉnh|làm rõ|công khai|triển khai|quản lý|sử dụng|đăng tải|cung cấp|"
    "thanh lý|bố trí|tập trung|nâng cao|duy trì|rút kinh nghiệm|chịu trách nhiệm|căn cứ|thành lập|kịp thời"
)
_VERB = re.compile(rf"\s*[,:;]|\s+(?:{_VERBS})\b")
_TRACKING = re.compile(r"^(?:chủ trì\s*,?\s*)?(?:theo dõi|đôn đốc|kiểm tra,? đôn đốc)", re.IGNORECASE)
_ALL_UNITS = re.compile(
    r"^(?:các|hai|ba|02|03|2|3)\s+(?:đơn vị|phòng|cơ quan)\b|^(?:các\s+)?đơn vị được thanh tra", re.IGNORECASE
)
_KINDS: list[tuple[ActionKind, re.Pattern[str]]] = [
    (ActionKind.transfer, re.compile(r"cơ quan (?:cảnh sát )?điều tra|chuyển hồ sơ|chuyển cơ quan", re.IGNORECASE)),
    (ActionKind.sanction, re.compile(r"xử phạt", re.IGNORECASE)),
    (
        ActionKind.discipline,
        re.compile(r"kiểm điểm|kỷ luật|xử lý trách nhiệm|xem xét(?:,)? xử lý|trách nhiệm (?:cá nhân|tập thể)", re.I),
    ),
    (
        ActionKind.policy,
        re.compile(
            r"sửa đổi,? bổ sung|hoàn thiện (?:cơ chế|chính sách|thể chế|quy định|hệ thống văn bản)|"
            r"ban hành (?:quy định|quy chế|văn bản quy phạm|cơ chế)|cơ chế,? chính sách",
            re.IGNORECASE,
        ),
    ),
]
_RECOVER = re.compile(r"thu hồi|nộp (?:trả |vào )?(?:ngân sách|tài khoản tạm giữ)|hoàn trả|bồi hoàn", re.IGNORECASE)
_MONEY = re.compile(r"tiền|ngân sách|tài sản|đồng\b|kinh phí", re.IGNORECASE)


@dataclass
class RawAction:
    ref: str
    addressee: str  # as worded in the document ("" when none)
    names: list[str]  # the addressee split into unit names ("*" for every inspected unit)
    text: str
    place: Place
    from_directive: bool  # the addressee comes from a directive above, not from the item itself
    deadline: Deadline | None = None  # stated apart from the text (a table's deadline column)
    amount_vnd: int | None = None  # stated apart from the text (a table's amount column)


@dataclass
class Collected:
    actions: list[RawAction] = field(default_factory=list)
    tracking: Found[str] | None = None


def action_sections(root: Item) -> list[Item]:
    """From the first top section about conclusions or recommendations to the end; the whole document when it has
    no numbered top sections."""
    tops = [c for c in root.children if c.kind == "roman"]
    for i, top in enumerate(tops):
        if _SECTION.search(top.body):
            return tops[i:]
    return [root]


def kind_of(text: str) -> ActionKind:
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    if _RECOVER.search(text) and (_MONEY.search(text) or amounts_in(text)):
        return ActionKind.recover
    return ActionKind.remedy


def addressee_of(rest: str, known: list[str]) -> tuple[str, str]:
    """The addressee at the start of a directive's remainder and what follows it: known unit names first, else up to
    the first verb or punctuation."""
    lowered = rest.lower()
    for name in sorted(known, key=len, reverse=True):
        if lowered.startswith(name.lower()):
            tail = rest[len(name) :]
            more = re.match(r"^\s*(?:,|và)\s*", tail)
            if more is None:
                return name, tail.strip(" :")
            after, remainder = addressee_of(tail[more.end() :], known)
            if after:
                return f"{name}{tail[: more.end()]}{after}", remainder
            return name, tail.strip(" :")
    match = _VERB.search(rest)
    if match is None:
        return rest.strip(" .:;"), ""
    return rest[: match.start()].strip(" ,"), rest[match.start() :].strip(" ,:")


def _leading_unit(body: str, known: list[str]) -> str | None:
    """An item that starts with a unit's name ('Trung tâm CNTT&TT phối hợp …') addresses that unit."""
    if not starts_with_unit(body):
        return None
    name, rest = addressee_of(body, known)
    if not rest or len(name.split()) > 14 or unit_type(name) is None:
        return None
    return name


def _ref(item: Item) -> str:
    """The item's number as the document gives it, completed from the items above: '2.1', '2.1.a', '2.1-3'."""
    if item.kind == "roman":
        return item.marker
    parent = item.parent
    parent_ref = _ref(parent) if parent is not None and parent.kind != "root" else ""
    if item.kind == "num":
        if "." not in item.marker and parent_ref and parent is not None and parent.kind == "roman":
            return f"{parent_ref}.{item.marker}"
        return item.marker
    if item.kind == "letter":
        return f"{parent_ref}.{item.marker}" if parent_ref else f"{item.marker})"
    siblings = [c for c in (parent.children if parent else []) if c.kind == item.kind and c.marker == item.marker]
    ordinal = next(i for i, c in enumerate(siblings, start=1) if c is item)
    return f"{parent_ref}-{ordinal}" if parent_ref else f"{item.marker}{ordinal}"


def names_of(addressee: str) -> list[str]:
    if not addressee or _ALL_UNITS.match(addressee):
        return ["*"]
    return split_names(addressee) or [addressee]


def collect(root: Item, known: list[str]) -> Collected:
    """Every action under the directives of the action sections, and the body charged with the follow-up."""
    found = Collected()
    for section in action_sections(root):
        _walk(section, None, found, known)
    return found


def directive_of(body: str, known: list[str]) -> tuple[str, str, str] | None:
    """(verb, addressee, what follows) of 'Yêu cầu UBND huyện A thực hiện …'; None when no unit follows the verb
    ('Chỉ đạo sửa đổi …' is an item, not a directive)."""
    match = _DIRECTIVE.match(body)
    if match is None:
        return None
    who, rest = addressee_of(match.group("rest"), known)
    if not who or not (who[0].isupper() or starts_with_unit(who) or _ALL_UNITS.match(who)):
        return None
    return match.group("verb"), who, rest


def _is_tracking(rest: str) -> bool:
    return _TRACKING.match(rest.strip()) is not None


def _walk(item: Item, addressee: str | None, found: Collected, known: list[str]) -> None:
    for child in item.children:
        body = child.body.strip()
        listed = [c for c in child.children if c.kind != "text" or c.children]
        directive = directive_of(body, known)
        concerning = _CONCERNING.match(body)
        if concerning and child.children:
            _walk(child, concerning.group("who"), found, known)
            continue
        if directive:
            verb, who, rest = directive
            if _is_tracking(rest) and verb.startswith("Giao"):
                found.tracking = found.tracking or Found(value=who, place=child.place())
                continue
            if body.endswith(":") and not child.children:
                continue  # it introduces what follows outside the outline: a table of actions
            if child.children and (listed or body.endswith(":")):
                for grandchild in child.children:
                    if _is_tracking(grandchild.body) and verb.startswith("Giao"):
                        found.tracking = found.tracking or Found(value=who, place=grandchild.place())
                _walk_items(child, who, found, known)
                continue
            found.actions.append(RawAction(_ref(child), who, names_of(who), body, child.place(), False))
            continue
        if addressee is not None and child.kind != "root":
            if child.children and body.endswith(":"):
                own = _leading_unit(body, known)
                _walk_items(child, own or addressee, found, known)
                continue
            own = _leading_unit(body, known)
            found.actions.append(
                RawAction(_ref(child), own or addressee, names_of(own or addressee), body, child.place(), own is None)
            )
            continue
        _walk(child, None, found, known)


def _walk_items(parent: Item, addressee: str, found: Collected, known: list[str]) -> None:
    """The items under a directive: each an action of the directive's addressee (or of the unit it starts with)."""
    for child in parent.children:
        body = child.body.strip()
        if not body or (_is_tracking(body) and found.tracking is not None and found.tracking.value == addressee):
            continue
        if directive_of(body, known) or (child.children and body.endswith(":")):
            _walk(Item(None, "", "root", -1, "", [child], None), addressee, found, known)
            continue
        own = _leading_unit(body, known)
        who = own or addressee
        found.actions.append(RawAction(_ref(child), who, names_of(who), body, child.place(), own is None))


def same_unit(a: str, b: str) -> bool:
    return normalize(a) == normalize(b)
