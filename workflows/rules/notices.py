"""What a letter says: the data the mail activity renders, taken from the state when it is sent.

Addressed by title, it lists each item with the conclusion's own numbering and cites only the letters really sent
to the unit before it. The unit's own people get a copy that acts for the unit; everyone else a read-only copy.
"""

from __future__ import annotations

from datetime import datetime

from models.labels import KIND, VN
from models.mail import Audience, EarlierLetter, LetterCopy, LetterLine, LetterRequest
from models.policy import URGING_STEPS, Step
from models.state import (
    ActionStatus,
    ConclusionState,
    LetterItem,
    LetterRecord,
    ReviewStatus,
    Signature,
    UnitState,
)
from workflows.rules.ladder import resolve_recipients, target, targets

REPORT_TEXT = "Báo cáo kết quả thực hiện kết luận thanh tra"


def days_overdue(due: datetime | None, now: datetime) -> int:
    """Whole calendar days past the due day, counted on Vietnamese dates (0 when not yet due)."""
    if due is None or now <= due:
        return 0
    return max((now.astimezone(VN).date() - due.astimezone(VN).date()).days, 1)


def _unit_title(state: ConclusionState, unit: UnitState, address: str) -> str | None:
    if address == unit.head:
        return unit.head_title or f"Thủ trưởng {unit.name}"
    if address in unit.contacts:
        return unit.name
    if address == unit.supervisor:
        if unit.supervisor_title:
            return unit.supervisor_title
        if address == state.agency_head and state.agency_head_title:
            return state.agency_head_title
        return f"Thủ trưởng cơ quan quản lý cấp trên trực tiếp của {unit.name}"
    return None


def _signed_for(signature: Signature) -> bool:
    """A deputy signs for the head ("KT. CHÁNH THANH TRA"); "Q." (acting head) and the head himself sign as head."""
    return (signature.acting_for or "").strip().upper().startswith("KT")


def inspectorate_head_title(state: ConclusionState) -> str:
    """The inspectorate head as letters name him: the signer's own title, or, when a deputy signs for him
    ("KT. CHÁNH THANH TRA TỈNH QUẢNG NGÃI"), the title signed for, in the case the body writes its own name
    ("Chánh Thanh tra tỉnh Quảng Ngãi")."""
    signature = state.signature
    if not _signed_for(signature) or not signature.acting_for:
        return signature.title
    title = signature.acting_for.strip()[3:].strip()  # after "KT."
    lowered, body = title.lower(), state.tracking_body.strip()
    at = lowered.find(body.lower()) if body else -1
    if at >= 0:  # the body's name as it writes it
        head = title[:at].strip()
        return f"{head[:1].upper()}{head[1:].lower()} {body}".strip()
    return (title[:1].upper() + title[1:].lower()).replace("thanh tra", "Thanh tra")


def _copied_to(state: ConclusionState, named: list[str]) -> list[str]:
    """Nơi nhận: the inspectorate head who signs is not listed; signed for by a deputy, he is, "để b/c"."""
    head = inspectorate_head_title(state)
    if head not in named:
        return named
    if _signed_for(state.signature):
        return [f"{t} (để b/c)" if t == head else t for t in named]
    return [t for t in named if t != head]


def titles(state: ConclusionState, unit: UnitState | None, addresses: list[str]) -> list[str]:
    """How a letter names its recipients: by title, once each. A letter to no one unit (the closing notice) names
    each unit's people by their own unit's titles, never by their addresses."""
    units = [unit] if unit is not None else list(state.units.values())
    out: list[str] = []
    for address in addresses:
        found = next((t for u in units if (t := _unit_title(state, u, address)) is not None), None)
        if found is not None:
            name = found
        elif address == state.agency_head:
            name = state.agency_head_title or "Thủ trưởng cơ quan quản lý nhà nước cùng cấp"
        elif address == state.inspectorate_head:
            name = inspectorate_head_title(state)
        else:
            name = address
        if name not in out:
            out.append(name)
    return out


def copies(unit: UnitState | None, to: list[str], cc: list[str]) -> list[LetterCopy]:
    """The unit's own contacts and head get the copy that acts for the unit; supervisors and heads a view."""
    own = set()
    if unit is not None:
        own = {*unit.contacts, *([unit.head] if unit.head else [])}
    out = [
        LetterCopy(audience=Audience.unit, to=[a for a in to if a in own], cc=[a for a in cc if a in own]),
        LetterCopy(audience=Audience.oversight, to=[a for a in to if a not in own], cc=[a for a in cc if a not in own]),
    ]
    for copy in out:
        if not copy.to and copy.cc:  # a copy with only cc recipients addresses them directly
            copy.to, copy.cc = copy.cc, []
    return [c for c in out if c.to]


def _line(state: ConclusionState, target_id: str, now: datetime) -> LetterLine | None:
    found = target(state, target_id)
    if found is None:
        return None
    due = found.tracked.due
    assumed = found.tracked.due_is_assumed
    if found.action is None:
        returned = [r for r in state.reports if r.unit == found.unit.code and r.status == ReviewStatus.rejected]
        return LetterLine(
            target=target_id,
            text=REPORT_TEXT,
            is_report=True,
            due=due,
            due_assumed=assumed,
            days_overdue=0 if assumed else days_overdue(due, now),
            last_reason=returned[-1].reason if returned else None,
        )
    action = found.action
    rejected = [e for e in state.evidence if e.action_id == action.id and e.status == ReviewStatus.rejected]
    return LetterLine(
        target=target_id,
        ref=action.ref,
        text=action.text,
        kind=KIND[action.kind],
        due=due,
        due_assumed=assumed,
        days_overdue=0 if assumed else days_overdue(due, now),
        amount_vnd=action.amount_vnd,
        progress=action.progress,
        last_reason=rejected[-1].reason if rejected else None,
    )


def letter_request(state: ConclusionState, letter: LetterRecord, now: datetime) -> LetterRequest:
    unit = state.units.get(letter.unit)
    lines = [line for item in letter.items if (line := _line(state, item.target, now)) is not None]
    earlier = [
        EarlierLetter(step=ref.step, sent_at=ref.sent_at, number=ref.number, signed_on=ref.signed_on)
        for ref in (unit.letters if unit else [])
        if ref.key != letter.key
    ]
    addressees = titles(state, unit, _addressed(state, unit, letter.to))
    copied = _copied_to(state, [t for t in titles(state, unit, [*letter.to, *letter.cc]) if t not in addressees])
    return LetterRequest(
        key=letter.key,
        workflow_id=state.workflow_id,
        step=letter.step,
        copies=copies(unit, letter.to, letter.cc),
        addressees=addressees,
        copied_to=copied,
        number=state.number,
        issued_on=state.issued_on,
        issuer=state.issuer,
        title=state.title,
        tracking_body=state.tracking_body,
        signature=state.signature,
        unit_code=unit.code if unit else "",
        unit_name=unit.name if unit else "",
        items=lines,
        earlier=earlier,
        urgings_before=_urgings_before(unit, letter.key),
        now=now,
        resend=letter.resend,
        waived=_count(state, ActionStatus.waived) if letter.step == Step.closing else 0,
        transferred=_count(state, ActionStatus.transferred) if letter.step == Step.closing else 0,
    )


def _addressed(state: ConclusionState, unit: UnitState | None, to: list[str]) -> list[str]:
    """Whom "Kính gửi" names: not the inspectorate's own head; a unit's head speaks for the unit, so its contacts
    are not named beside him (unless they also stand for a unit whose head is not addressed)."""
    addressed = [a for a in to if a != state.inspectorate_head] or to
    units = [unit] if unit is not None else list(state.units.values())
    headed = [u for u in units if u.head in addressed]
    unheaded = {a for u in units if u not in headed for a in u.contacts}
    spoken_for = {a for u in headed for a in u.contacts} - unheaded
    return [a for a in addressed if a not in spoken_for] or addressed


def _urgings_before(unit: UnitState | None, key: str) -> int:
    """Urging letters the unit was sent before the letter `key` (not counting that one, if it went already)."""
    if unit is None:
        return 0
    itself = any(ref.key == key and ref.step in URGING_STEPS for ref in unit.letters)
    return unit.urgings() - itself


def _count(state: ConclusionState, status: ActionStatus) -> int:
    return sum(1 for action in state.actions.values() if action.status == status)


def draft_letter(state: ConclusionState, unit_code: str, step: Step, now: datetime) -> LetterRequest:
    """The letter of `step` for a unit as it would read now, listing every item the unit still owes: what staff
    download to number, sign and dispatch by hand."""
    unit = state.units[unit_code]
    owed = [t for t in targets(state) if t.unit.code == unit_code and t.climbing]
    indexes = [i for i, rung in enumerate(state.policy.steps) if rung.step == step]
    rung = state.policy.steps[indexes[0]] if indexes else None
    to = resolve_recipients(state, unit, list(rung.to)) if rung else []
    cc = resolve_recipients(state, unit, list(rung.cc)) if rung else []
    to = to or list(unit.contacts)
    record = LetterRecord(
        key=f"{state.workflow_id}/{unit_code}/{step.value}/draft",
        unit=unit_code,
        step=step,
        items=[
            LetterItem(target=t.id, step_index=indexes[0] if indexes else 0, due_version=t.tracked.due_version)
            for t in owed
        ],
        to=to,
        cc=[a for a in cc if a not in to],
        planned_at=now,
    )
    return letter_request(state, record, now)
