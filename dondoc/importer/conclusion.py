"""A conclusion's paragraphs to a draft: header, units, actions, follow-up body, recipients, signer, and the warnings
staff must see. Pure: text in, draft out; a document that is not a conclusion is refused with what it looks like."""

from __future__ import annotations

import re

from dondoc.importer import header
from dondoc.importer.actions import RawAction, action_sections, collect, deadline_of, kind_of
from dondoc.importer.amounts import amounts_in
from dondoc.importer.assumed import DeadlinePolicy, assume_deadlines, resolve
from dondoc.importer.deadlines import general_deadline
from dondoc.importer.model import (
    ConclusionDraft,
    DraftAction,
    DraftUnit,
    ImportWarning,
    NotAConclusion,
    WarningCode,
)
from dondoc.importer.outline import build
from dondoc.importer.tables import table_actions
from dondoc.importer.text import Paragraph
from dondoc.importer.units import normalize, slug, split_names, unique, without_alias
from models.spec import ActionKind

_INSPECTED = re.compile(
    r"(?:tiến hành thanh tra|thanh tra trực tiếp|đối tượng thanh tra\s*:)\s*(?:đối với|tại)?\s*(?P<who>.+?)(?:\.\s|\.$|;|$)",
    re.IGNORECASE,
)
_ALIAS_AFTER = r"\s*\((?P<alias>[^()]{2,40})\)"


def refusal(paragraphs: list[Paragraph], kind: header.Kind) -> NotAConclusion:
    """Why this document is not a conclusion, in words that say what it is instead."""
    number = header.find_number(paragraphs)
    title = header.find_title(paragraphs, kind)
    what = kind.label
    named = f"{what[0].upper()}{what[1:]}"
    if number is not None and number.value.split("/")[0]:
        named += f" số {number.value}"
    if title is not None:
        named += f" “{title.value[:160]}”"
    cited = header.cited_conclusion(paragraphs)
    if kind.kind == "report" and cited is not None:
        message = (
            f"Đây là báo cáo tình hình thực hiện kết luận ({named}), không phải kết luận thanh tra: báo cáo này nói về "
            f"Kết luận số {cited[0]}. Hãy tải nó lên ở trang của kết luận đó để cập nhật tình trạng từng kiến nghị."
        )
        return NotAConclusion(message, "followup_report", cited[0])
    if kind.kind == "unknown":
        message = (
            "Không nhận ra văn bản này là kết luận thanh tra: không có tiêu đề “KẾT LUẬN” và không có số ký hiệu "
            "dạng …/KL-…. Hãy kiểm tra lại tệp đã chọn."
        )
        return NotAConclusion(message, "unknown")
    message = (
        f"Đây là {what}, không phải kết luận thanh tra: {named}. Chỉ kết luận thanh tra mới đăng ký theo dõi được."
    )
    return NotAConclusion(message, kind.kind)


def parse_conclusion(paragraphs: list[Paragraph], policy: DeadlinePolicy) -> ConclusionDraft:
    kind = header.document_kind(paragraphs)
    if kind.kind != "conclusion":
        raise refusal(paragraphs, kind)
    draft = ConclusionDraft()
    warn = draft.warnings.append
    _header(paragraphs, kind, draft)
    closing = header.find_closing(paragraphs)
    body = paragraphs[: closing.start] if closing else paragraphs
    if closing is not None:
        draft.recipients = closing.recipients
        draft.signer_title, draft.signer_acting_for, draft.signer_name = closing.title, closing.acting_for, closing.name
    draft.units = inspected_units(body)
    if not draft.units:
        warn(
            ImportWarning(
                code=WarningCode.no_inspected_units,
                message="Không tìm thấy câu nêu các đơn vị được thanh tra: hãy chọn đơn vị từ danh mục.",
            )
        )
    known = [n for u in draft.units for n in (u.name, *u.aliases)]
    tables = table_actions(body, known)
    outline = build([p for p in body if p.number not in tables.paragraphs])
    collected = collect(outline, known)
    draft.tracking_body = collected.tracking
    found = sorted(collected.actions + tables.actions, key=lambda raw: raw.place.paragraph)
    _actions(found, draft, policy)
    sections = action_sections(outline)
    first = sections[0].paragraph.number if sections[0].paragraph is not None else 0
    assume_deadlines(draft, general_deadline([p for p in body if p.number >= first]), policy)
    _amount_warnings(body, draft)
    return draft


def _header(paragraphs: list[Paragraph], kind: header.Kind, draft: ConclusionDraft) -> None:
    warn = draft.warnings.append
    draft.number = header.find_number(paragraphs)
    if draft.number is None:
        warn(ImportWarning(code=WarningCode.missing_field, message="Không tìm thấy số kết luận (dòng “Số: …/KL-…”)."))
    elif not draft.number.value.split("/")[0]:
        warn(
            ImportWarning(
                code=WarningCode.blank_number,
                message=f"Số kết luận để trống (“Số: {draft.number.value}”): đây là bản chưa ban hành; "
                "nhập số chính thức trước khi bắt đầu theo dõi.",
                place=draft.number.place,
            )
        )
    if any("DỰ THẢO" in p.text.upper() for p in paragraphs[: header.HEAD_ZONE]):
        warn(
            ImportWarning(
                code=WarningCode.blank_number,
                message="Văn bản ghi “DỰ THẢO”: chỉ bắt đầu theo dõi kết luận đã ký ban hành.",
            )
        )
    line = header.find_date_line(paragraphs)
    if line is None:
        warn(ImportWarning(code=WarningCode.missing_field, message="Không tìm thấy dòng địa danh, ngày tháng năm."))
    else:
        draft.place_name, draft.issued_on = line.place, line.day
        if line.blank:
            warn(
                ImportWarning(
                    code=WarningCode.blank_day,
                    message=f"Ngày ban hành để trống (“{line.place.place.excerpt}”): nhập ngày ký chính thức.",
                    place=line.place.place,
                )
            )
    draft.title = header.find_title(paragraphs, kind)
    draft.issuer = header.find_issuer(paragraphs, kind)
    draft.decision = header.find_decision(paragraphs)
    for name, label in (("title", "trích yếu"), ("issuer", "cơ quan ban hành")):
        if getattr(draft, name) is None:
            warn(ImportWarning(code=WarningCode.missing_field, message=f"Không tìm thấy {label}: hãy nhập tay."))


def inspected_units(paragraphs: list[Paragraph]) -> list[DraftUnit]:
    """The units named as inspected ('tiến hành thanh tra đối với A và B thuộc C'), each with the short names the
    document defines for it ('A (TT,BC&XB)')."""
    text = "\n".join(p.text for p in paragraphs)
    for paragraph in paragraphs:
        match = _INSPECTED.search(paragraph.text)
        if not match:
            continue
        units: list[DraftUnit] = []
        taken: set[str] = set()
        for raw in split_names(match.group("who")):
            name, aliases = without_alias(raw)
            for defined in re.finditer(re.escape(name) + _ALIAS_AFTER, text, re.IGNORECASE):
                _, more = without_alias(f"{name} ({defined.group('alias')})")
                aliases += [a for a in more if a not in aliases]
            short = next((a for a in aliases if " " in a), None)
            code = unique(slug(short or name, 40) or "don-vi", taken)
            units.append(DraftUnit(code=code, name=name, aliases=aliases, inspected=True, place=paragraph.place(raw)))
        if units:
            return units
    return []


def _resolve(name: str, units: list[DraftUnit]) -> DraftUnit | None:
    wanted = normalize(name)
    for unit in units:
        if wanted in {normalize(n) for n in (unit.name, *unit.aliases)}:
            return unit
    return None


def _actions(raw_actions: list[RawAction], draft: ConclusionDraft, policy: DeadlinePolicy) -> None:
    warn = draft.warnings.append
    inspected = [u for u in draft.units if u.inspected]
    taken_units = {u.code for u in draft.units}
    taken_ids: set[str] = set()
    outsiders: dict[str, list[str]] = {}  # unit code -> refs of actions addressed to it
    for raw in raw_actions:
        targets: list[DraftUnit] = []
        for name in raw.names:
            if name == "*":
                targets += inspected
                continue
            unit = _resolve(name, draft.units)
            if unit is None:
                code = unique(slug(name, 40) or "don-vi", taken_units)
                unit = DraftUnit(code=code, name=name[0].upper() + name[1:], inspected=False, place=raw.place)
                draft.units.append(unit)
            targets.append(unit)
        if not targets:
            continue
        deadline = raw.deadline or deadline_of(raw.text)
        stated = (
            resolve(deadline, draft.issued_on.value if draft.issued_on else None, policy.calendar) if deadline else None
        )
        kind = kind_of(raw.text)
        amounts = amounts_in(raw.text)
        amount = raw.amount_vnd if raw.amount_vnd is not None else (amounts[0].figure if amounts else None)
        for unit in targets:
            base = slug(raw.ref, 24) or "kn"
            action_id = unique(base if len(targets) == 1 else f"{base}-{unit.code}"[:60].strip("-"), taken_ids)
            draft.actions.append(
                DraftAction(
                    id=action_id,
                    ref=raw.ref[:32],
                    unit=unit.code,
                    addressee=raw.addressee or unit.name,
                    kind=kind,
                    text=raw.text,
                    amount_vnd=amount if kind == ActionKind.recover else None,
                    due=stated.due if stated else None,
                    due_in_days=stated.days if stated else None,
                    due_working=stated.working if stated else False,
                    due_text=deadline.text if deadline else None,
                    place=raw.place,
                )
            )
            if not unit.inspected:
                outsiders.setdefault(unit.code, []).append(raw.ref)
    names = "; ".join(u.name for u in inspected) or "không rõ"
    for code, refs in outsiders.items():
        unit = next(u for u in draft.units if u.code == code)
        first = next(a for a in draft.actions if a.unit == code)
        shown = ", ".join(dict.fromkeys(refs))
        tracking = draft.tracking_body is not None and normalize(draft.tracking_body.value) == normalize(unit.name)
        role = " (cơ quan được giao theo dõi, đôn đốc)" if tracking else ""
        warn(
            ImportWarning(
                code=WarningCode.unit_not_inspected,
                message=f"Mục {shown} giao cho “{unit.name}”{role}, không phải đơn vị được thanh tra ({names}): "
                "kiểm tra lại tên đơn vị (có thể nhầm) trước khi bắt đầu theo dõi.",
                place=first.place,
            )
        )
    for unit in inspected:
        if not any(a.unit == unit.code for a in draft.actions):
            warn(
                ImportWarning(
                    code=WarningCode.unit_without_action,
                    message=f"Đơn vị được thanh tra “{unit.name}” không có kiến nghị nào: kiểm tra lại phần kết luận.",
                    place=unit.place,
                )
            )
    if not draft.actions:
        warn(
            ImportWarning(
                code=WarningCode.no_action,
                message="Không tìm thấy kiến nghị nào (câu “Yêu cầu …”, “Giao …”, “Kiến nghị …”): hãy nhập tay.",
            )
        )


def _amount_warnings(paragraphs: list[Paragraph], draft: ConclusionDraft) -> None:
    for paragraph in paragraphs:
        for amount in amounts_in(paragraph.text):
            if amount.disagrees:
                draft.warnings.append(
                    ImportWarning(
                        code=WarningCode.amount_mismatch,
                        message=f"Số tiền {amount.written} đồng không khớp với số tiền bằng chữ “{amount.words}” "
                        f"({amount.words_value:,} đồng)".replace(",", ".")
                        + ": kiểm tra lại văn bản gốc.",
                        place=paragraph.place(),
                    )
                )
