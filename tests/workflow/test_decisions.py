"""Notices of decisions on the time-skipping server: staff deciding several items of a unit send one email after the
collecting delay, other units get their own, officers are told what arrived, and a withdrawn conclusion ends only
once every unit was told."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from dondoc.devserver import find_binary
from dondoc.settings import Settings
from dondoc.temporal_client import register_search_attributes
from models import commands as c
from models.labels import VN
from models.spec import ConclusionSpec
from models.state import NoticeAudience, NoticeKind
from models.workflow_io import FollowUpOptions
from tests.workflow.harness import PDF, MailRecorder, quang_ngai, redated, running

STAFF = "thanhtra.vien@mic.example.vn"
DELAY = 300


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(find_binary("temporal-test-server")), data_converter=pydantic_data_converter
    )
    await register_search_attributes(env.client)
    async with env:
        yield env


async def quang_ngai_from_today(env: WorkflowEnvironment) -> ConclusionSpec:
    """The Quảng Ngãi conclusion received on the test server's today, every action due 60 days later."""
    start = (await env.get_current_time()).astimezone(VN).date()
    return redated(quang_ngai(), start, {}, default_days=60)


async def test_quyet_dinh_cung_luc_cua_mot_don_vi_thanh_mot_thu_sau_thoi_gian_gom(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    spec = await quang_ngai_from_today(env)
    lyson = [a.id for a in spec.actions if a.unit == "ly-son"][:3]
    trabong = next(a.id for a in spec.actions if a.unit == "tra-bong")
    recorder = MailRecorder()
    async with running(env, spec, recorder, FollowUpOptions(notice_delay_seconds=DELAY)) as run:
        for action_id in [*lyson, trabong]:
            await run.update("submit_evidence", c.SubmitEvidence(actor="don-vi", action_id=action_id, files=[PDF]))
        state = await run.state()
        evidence = {e.action_id: e.id for e in state.evidence}
        accept = c.Decision.accept
        await run.update(
            "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=evidence[lyson[0]], decision=accept)
        )
        await run.update(
            "review_evidence",
            c.ReviewEvidence(
                actor=STAFF, evidence_id=evidence[lyson[1]], decision=c.Decision.reject, reason="Thiếu biên bản"
            ),
        )
        await run.update(
            "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=evidence[trabong], decision=accept)
        )
        state = await run.advance(timedelta(seconds=DELAY + 5))
    to_units = {n.unit_code: n for n in recorder.notices if n.audience == NoticeAudience.unit}
    assert set(to_units) == {"ly-son", "tra-bong"}
    assert [(i.target, i.kind) for i in to_units["ly-son"].items] == [
        (lyson[0], NoticeKind.evidence_accepted),
        (lyson[1], NoticeKind.evidence_returned),
    ]
    assert to_units["ly-son"].items[1].reason == "Thiếu biên bản"
    [arrivals] = [n for n in recorder.notices if n.audience == NoticeAudience.officers]
    assert [i.subject for i in arrivals.items] == [evidence[a] for a in [*lyson, trabong]]
    assert all(n.status.value == "sent" for n in state.notices)


async def test_rut_ket_luan_chi_ket_thuc_khi_moi_don_vi_da_duoc_bao(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    spec = await quang_ngai_from_today(env)
    recorder = MailRecorder()
    async with running(env, spec, recorder, FollowUpOptions(notice_delay_seconds=DELAY)) as run:
        await run.update("withdraw", c.Withdraw(actor=STAFF, reason="Kết luận được thay thế"))
        await run.advance(timedelta(seconds=DELAY + 5))
        await run.result()
    told = {n.unit_code for n in recorder.notices}
    assert told == {u.code for u in spec.units}
    assert all(
        i.kind == NoticeKind.withdrawn and i.reason == "Kết luận được thay thế"
        for n in recorder.notices
        for i in n.items
    )


async def test_notices_falling_due_seconds_apart_go_in_one_activity_and_a_send_that_ends_leaves_the_timer_standing(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    spec = await quang_ngai_from_today(env)
    first_of_each_unit = list({a.unit: a.id for a in reversed(spec.actions)}.values())[:4]
    recorder = MailRecorder()
    async with running(env, spec, recorder, FollowUpOptions(notice_delay_seconds=DELAY)) as run:
        for action_id in first_of_each_unit:  # staff goes down a row of units: notices due moments apart
            state = await run.update(
                "submit_evidence", c.SubmitEvidence(actor="don-vi", action_id=action_id, files=[PDF])
            )
            await run.update(
                "review_evidence",
                c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision=c.Decision.accept),
            )
        await run.advance(timedelta(seconds=DELAY + 60))
        history = await run.handle.fetch_history()
    assert len(recorder.notices) == 5  # one to each unit, one to the officers about what arrived
    scheduled = [e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    names = [e.activity_task_scheduled_event_attributes.activity_type.name for e in scheduled]
    assert "send_notice" not in names, "no notice went through an activity of its own"
    batches = [
        (e, json.loads(e.activity_task_scheduled_event_attributes.input.payloads[0].data))
        for e in scheduled
        if e.activity_task_scheduled_event_attributes.activity_type.name == "send_letters"
    ]
    (send,) = [e for e, batch in batches if batch.get("notices")]
    assert len(json.loads(send.activity_task_scheduled_event_attributes.input.payloads[0].data)["notices"]) == 5
    first_send = send.event_id
    assert not [e for e in history.events if e.event_id > first_send and e.HasField("timer_canceled_event_attributes")]


async def test_a_short_collecting_delay_still_collects_when_nothing_else_is_due(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    spec = await quang_ngai_from_today(env)
    first, second = [a.id for a in spec.actions if a.unit == "ly-son"][:2]
    recorder = MailRecorder()
    async with running(env, spec, recorder, FollowUpOptions(notice_delay_seconds=5)) as run:
        for action_id in (first, second):
            state = await run.update(
                "submit_evidence", c.SubmitEvidence(actor="don-vi", action_id=action_id, files=[PDF])
            )
            await run.update(
                "review_evidence",
                c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision=c.Decision.accept),
            )
            if action_id == first:
                # The second decision comes within the delay, with seconds to spare: on a busy machine the test
                # server's clock also runs on in real time while the client catches up (a full suite run saw it pass
                # the 5 s mark after a skip of 3 s).
                await run.advance(timedelta(seconds=1))
        await run.advance(timedelta(seconds=10))
    [to_unit] = [n for n in recorder.notices if n.audience == NoticeAudience.unit]
    assert [i.target for i in to_unit.items] == [first, second]
