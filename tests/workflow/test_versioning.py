"""Versioning costs a new run one marker: the patches up to December 2026 are taken all at once, first of all, and
nothing about versions is written when the letters of a pass go out."""

from __future__ import annotations

import json
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from models.labels import VN
from tests.workflow.harness import MailRecorder, quang_ngai, redated, running
from workflows.conclusion import PATCHES_OF_2026_12

CHANGE_VERSION = "TemporalChangeVersion"


def patch_id(event: HistoryEvent) -> str | None:
    """The id of the patch a marker event records (None for any other event)."""
    marker = event.marker_recorded_event_attributes
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED or marker.marker_name != "core_patch":
        return None
    data: dict[str, object] = json.loads(marker.details["patch-data"].payloads[0].data)
    return str(data["id"])


async def test_a_new_run_records_one_version_marker_first_and_none_when_its_letters_go(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    env = time_skipping_env
    start = (await env.get_current_time()).astimezone(VN).date()
    spec = redated(quang_ngai(), start, {}, default_days=20)
    recorder = MailRecorder()
    async with running(env, spec, recorder) as run:
        state = await run.state()
        due = max(a.due for a in state.actions.values())
        await run.advance_to(due + timedelta(days=2))
        history = await run.handle.fetch_history()
    events = list(history.events)
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert "send_letters" in scheduled, "the units' letters went together: the paths behind the patches were taken"
    assert len({m.unit_code for m in recorder.sent}) == len(spec.units)

    patches = [p for p in map(patch_id, events) if p is not None]
    assert patches == [PATCHES_OF_2026_12], "one marker stands for every patch of the code the run started with"
    first_task_done = next(
        i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    assert patch_id(events[first_task_done + 1]) == PATCHES_OF_2026_12, "before any other command"
    version_upserts = [
        e
        for e in events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and CHANGE_VERSION in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert len(version_upserts) == 1, "one visibility write for versions, not one per patch"
