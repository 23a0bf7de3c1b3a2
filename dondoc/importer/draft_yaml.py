"""A draft as a commented YAML spec (docs/conclusion-spec.md): the warnings and where each field was read on top,
what the document cannot tell (emails, deadlines it does not state) marked for staff to fill in."""

from __future__ import annotations

from typing import Any

import yaml

from dondoc.importer.model import ConclusionDraft, Found

TO_FILL = "CẦN ĐIỀN"


def _comment(lines: list[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def draft_yaml(draft: ConclusionDraft, source_name: str) -> str:
    head = [f"Bản nháp đọc từ {source_name}: cán bộ kiểm tra, sửa và điền các trường {TO_FILL} trước khi dùng.", ""]
    if draft.warnings:
        head.append("CẢNH BÁO:")
        head += [f"  - {w.message}" + (f" [{w.place.label()}]" if w.place else "") for w in draft.warnings]
        head.append("")
    head.append("Nguồn từng trường:")
    sources: list[tuple[str, Found[Any] | None]] = [
        ("number", draft.number),
        ("issued_on", draft.issued_on),
        ("place", draft.place_name),
        ("issuer", draft.issuer),
        ("title", draft.title),
        ("decision", draft.decision),
        ("tracking_body", draft.tracking_body),
        ("signer", draft.signer_title),
    ]
    head += [f"  {name}: {found.place.label()}" for name, found in sources if found is not None]
    if draft.decision is not None:
        head.append(f"Căn cứ: {draft.decision.value}")
    if draft.recipients:
        head.append("Nơi nhận: " + "; ".join(r.value for r in draft.recipients))
    data = draft.spec_data()
    data.setdefault("number", TO_FILL)
    data.setdefault("issued_on", TO_FILL)
    data.setdefault("tracking_body", TO_FILL)
    data["inspectorate_head"] = TO_FILL
    data["agency_head"] = TO_FILL
    if draft.signer_title is not None:
        signer = {"title": draft.signer_title.value, "name": draft.signer_name.value if draft.signer_name else ""}
        if draft.signer_acting_for is not None:
            signer["acting_for"] = draft.signer_acting_for.value
        data["signer"] = signer
    for unit, found_unit in zip(data["units"], draft.units, strict=True):
        unit["contacts"] = [TO_FILL]
        if not found_unit.inspected:
            unit["name"] = f"{unit['name']} (KHÔNG có trong danh sách được thanh tra)"
    for action, found_action in zip(data["actions"], draft.actions, strict=True):
        if "due" not in action and "due_in" not in action:
            action["due"] = TO_FILL
        action["text"] = f"{action['text']} [{found_action.place.label()}]"
    order = ["number", "issued_on", "issuer", "title", "tracking_body", "inspectorate_head", "agency_head"]
    ordered = {k: data[k] for k in order if k in data} | {k: v for k, v in data.items() if k not in order}
    body = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=120)
    return _comment(head) + "\n" + body
