"""Size: a conclusion is refused up front when it could not be followed in one workflow, and the largest one
accepted keeps its whole state (carried over by continue-as-new) well inside Temporal's 2 MB payload limit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from activities.calendar import WorkingCalendar
from activities.planning import Planner
from models.office import OfficeCalendar
from models.planning import conclusion_plan_request
from models.policy import DEFAULT_POLICY
from models.spec import MAX_ACTIONS, MAX_STATE_KB, ConclusionSpec
from models.state import NotificationStatus
from workflows.rules import ladder, transitions

PAYLOAD_LIMIT = 2 * 1024 * 1024


def big_spec(actions: int, text_length: int, units: int = 20) -> ConclusionSpec:
    return ConclusionSpec.model_validate(
        {
            "number": "99/KL-TTr",
            "issued_on": "2026-01-05",
            "issuer": "Thanh tra tỉnh Quảng Ngãi",
            "title": "Kết luận thanh tra rất lớn",
            "tracking_body": "Thanh tra tỉnh Quảng Ngãi",
            "inspectorate_head": "chanh@thanhtra.example.vn",
            "agency_head": "chutich@ubnd.example.vn",
            "units": [
                {
                    "code": f"dv-{u}",
                    "name": f"Đơn vị {u}",
                    "contacts": [f"dv{u}@example.vn"],
                    "head": f"tt{u}@example.vn",
                }
                for u in range(units)
            ],
            "actions": [
                {
                    "id": f"kn-{i}",
                    "ref": f"{i // 10}.{i % 10}",
                    "unit": f"dv-{i % units}",
                    "text": ("Khắc phục tồn tại số " + str(i) + " ").ljust(text_length, "x"),
                    "due": "2026-03-31",
                }
                for i in range(actions)
            ],
        }
    )


def test_more_actions_than_one_workflow_follows_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        big_spec(MAX_ACTIONS + 1, 20)
    assert f"vượt quá {MAX_ACTIONS} kiến nghị" in str(error.value) and "actions:" in str(error.value)


def test_a_spec_too_large_for_temporal_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValidationError) as error:
        big_spec(1300, 1000)  # 1,300 long actions: the spec of the report that failed every workflow task
    assert "quá lớn" in str(error.value) and f"tối đa {MAX_STATE_KB} KB" in str(error.value)


def test_the_largest_accepted_conclusion_keeps_its_state_well_inside_the_payload_limit() -> None:
    spec = big_spec(MAX_ACTIONS, 120)
    now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    plan = Planner(WorkingCalendar()).plan(conclusion_plan_request(spec, now), DEFAULT_POLICY, OfficeCalendar())
    state = transitions.new_conclusion(spec, plan, now, "staff")
    moment = now
    for _ in range(6):  # every letter of the ladder, all of them recorded
        due = ladder.due_letters(state, moment)
        for letter in transitions.plan_letters(state, due, moment):
            transitions.settle_letter(state, letter.key, NotificationStatus.sent, "250 OK", moment)
        moment += timedelta(days=10)
    transitions.forget_projected(state, state.events[-1].seq)
    assert {a.last_step for a in state.actions.values()} == {ladder.Step.proposal}
    size = len(state.model_dump_json().encode())
    assert size < PAYLOAD_LIMIT * 0.8, f"{size} bytes"
    assert date(2026, 3, 31) <= max(a.due for a in state.actions.values()).date()
