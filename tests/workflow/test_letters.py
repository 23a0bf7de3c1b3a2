"""Letters on the time-skipping server: grouped per unit and step, truthful after a late registration or an outage,
in office hours across Tết, each unit on its own when its relay answers 4xx, exactly once under retries."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from dondoc.devserver import find_binary
from dondoc.settings import Settings
from dondoc.temporal_client import register_search_attributes
from models import commands as c
from models.labels import VN
from models.policy import Policy, PolicyStep, Step
from models.spec import ConclusionSpec, PriorStatus
from models.state import ConclusionState
from tests.workflow.harness import PDF, Drive, MailRecorder, quang_ngai, redated, running
from workflows.rules import ladder

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A server per test: a follow-up terminated with an activity in flight can leave the shared test server's time
    skipping locked for the tests after it."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(find_binary("temporal-test-server")), data_converter=pydantic_data_converter
    )
    await register_search_attributes(env.client)
    async with env:
        yield env


STAFF = "thanhtra.vien@mic.example.vn"


def two_units(start: date, days: int = 20) -> ConclusionSpec:
    """Lý Sơn (5 actions) and Trà Bồng (3 actions) of the Quảng Ngãi conclusion, all due `days` after `start`."""
    spec = redated(quang_ngai(), start, {}, default_days=days)
    units = [u for u in spec.units if u.code in ("ly-son", "tra-bong")]
    actions = [a for a in spec.actions if a.unit in ("ly-son", "tra-bong")]
    return spec.model_copy(update={"units": units, "actions": actions})


async def past_the_overdue_notice(run: Drive, due: datetime, action_id: str) -> ConclusionState:
    """Past the deadline and the overdue notice that follows it: a day after, at the next office opening (a Monday
    when the day after is a Saturday), not a fixed number of days that a weekend can outlast."""
    await run.advance_to(due)
    return await run.advance_to_next_letter(action_id)


def local(moment: datetime) -> datetime:
    return moment.astimezone(VN)


async def test_one_letter_per_unit_and_step_lists_every_item_of_the_unit(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    start = local(await env.get_current_time()).date()
    spec = two_units(start)
    lyson = [a.id for a in spec.actions if a.unit == "ly-son"]
    recorder = MailRecorder()
    async with running(env, spec, recorder) as run:
        state = await run.state()
        due = state.actions[lyson[0]].due
        await past_the_overdue_notice(run, due, lyson[0])
    letters = [(m.unit_code, m.step) for m in recorder.sent]
    assert Counter(letters)[("ly-son", Step.reminder)] == 2, "two reminders (7 and 1 working days before)"
    assert Counter(letters)[("ly-son", Step.overdue)] == 1 and Counter(letters)[("tra-bong", Step.overdue)] == 1
    overdue = next(m for m in recorder.sent if m.unit_code == "ly-son" and m.step == Step.overdue)
    assert [line.target for line in overdue.items] == lyson, "every action of the unit, in the conclusion's order"
    assert all(line.days_overdue >= 1 for line in overdue.items)
    assert all(line.ref for line in overdue.items), "items carry their number in the conclusion"
    for m in recorder.sent:
        moment = local(m.now)
        assert moment.weekday() < 5 and (7, 30) <= (moment.hour, moment.minute) < (17, 0), "in office hours"


async def test_a_conclusion_registered_years_late_starts_at_the_overdue_notice_and_climbs_from_real_letters(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    """The Quảng Ngãi conclusion (deadlines in 2018–2019) registered today, as it stands in the example."""
    env = time_skipping_env
    spec = quang_ngai()
    recorder = MailRecorder()
    done = {a.id for a in spec.actions if a.status == PriorStatus.done}
    assert done, "the example records what report 184/BC-UBND says was done"
    async with running(env, spec, recorder) as run:
        state = await run.advance(timedelta(hours=1))
        while not recorder.sent:  # registered at night or on a holiday: the first letters wait for office hours
            state = await run.advance(timedelta(hours=6))
        first = list(recorder.sent)
        units = [m.unit_code for m in first]
        assert len(units) == len(set(units)), "at most one letter per unit"
        assert {m.step for m in first} == {Step.overdue}, "the first letter is the overdue notice, never the top"
        assert all(not m.earlier for m in first), "no letter claims an earlier letter"
        listed = {line.target for m in first for line in m.items}
        assert not listed & done, "nothing the spec marks done"
        owing = {u.code for u in spec.units if any(a.unit == u.code and a.id not in done for a in spec.actions)}
        assert set(units) >= owing

        # A day later nothing new: the urging letter comes its gap after the overdue notice really went.
        await run.advance(timedelta(days=1))
        assert len(recorder.sent) == len(first)
        unit = first[0].unit_code
        state = await run.advance_to_next_letter(first[0].items[0].target)
        urging = [m for m in recorder.sent if m.step == Step.urging]
        assert urging and all(m.earlier and m.earlier[0].step == Step.overdue for m in urging)
        sent_at = state.units[unit].letters[0].sent_at
        assert urging[0].now - sent_at >= timedelta(days=4), "no earlier than the policy's gap"
    write_recipient_table(spec, first)


def write_recipient_table(spec: ConclusionSpec, letters: list) -> None:  # type: ignore[type-arg]
    """The counts per recipient of the first letters, kept in docs/ and checked to match."""
    per_recipient: Counter[str] = Counter()
    for m in letters:
        for copy in m.copies:
            for address in [*copy.to, *copy.cc]:
                per_recipient[address] += 1
    rows = "\n".join(f"| {address} | {count} |" for address, count in sorted(per_recipient.items()))
    expected = f"| recipient | letters |\n|---|---|\n{rows}\n"
    text = (DOCS / "letters-quang-ngai.md").read_text(encoding="utf-8")
    assert expected in text, f"docs/letters-quang-ngai.md must hold this table:\n{expected}"


async def test_letters_wait_for_office_hours_across_tet(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    """A step that falls in the Tết holidays of 2027 (4–10 February) goes at 07:30 on the first working day."""
    env = time_skipping_env
    start = local(await env.get_current_time()).date()
    policy = Policy(steps=[PolicyStep(step=Step.overdue, offset=timedelta(days=1, hours=2), to=["contacts", "head"])])
    spec = two_units(start).model_copy(update={"policy": policy})
    due = datetime(2027, 2, 3, 23, 59, 59, tzinfo=VN)  # the step itself: 5 February 01:59, in Tết
    actions = [a.model_copy(update={"due": due}) for a in spec.actions]
    spec = spec.model_copy(
        update={"actions": actions, "report_due_in": spec.report_due_in.model_copy(update={"days": 400})}
    )
    recorder = MailRecorder()
    async with running(env, spec, recorder) as run:
        await run.advance_to(datetime(2027, 2, 12, 12, 0, tzinfo=VN))
    times = {local(m.now).replace(second=0, microsecond=0) for m in recorder.sent}
    assert times == {datetime(2027, 2, 11, 7, 30, tzinfo=VN)}, times
    assert {m.unit_code for m in recorder.sent} == {"ly-son", "tra-bong"}


async def test_one_units_temporary_refusals_never_delay_another_units_letter(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    start = local(await env.get_current_time()).date()
    spec = two_units(start)
    recorder = MailRecorder(temporary_failures={"ly-son": 3})
    async with running(env, spec, recorder) as run:
        state = await run.state()
        due = state.actions[spec.actions[0].id].due
        first_reminder = min(s.at for s in state.actions[spec.actions[0].id].schedule.steps)
        await run.advance_to(first_reminder + timedelta(minutes=1))
        state = await run.state()
        keys = [m.key for m in recorder.sent]
        assert any("/tra-bong/" in k for k in keys), "Trà Bồng's reminder went while Lý Sơn's was retried"
        state = await past_the_overdue_notice(run, due, spec.actions[0].id)
        history = await run.handle.fetch_history()
    sends = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name.startswith("send_")
    ]
    assert sends[0] == "send_letters", "the two units' first reminders went together, in one activity"
    assert "send_letter" in sends, "Lý Sơn's refused letter was retried alone"
    lyson = recorder.for_unit("ly-son")
    assert [m.step for m in lyson] == [Step.reminder, Step.reminder, Step.overdue], "nothing skipped for Lý Sơn"
    assert max(recorder.attempts.values()) == 4, "the refused letter was retried until it went"
    assert len({m.key for m in recorder.sent}) == len(recorder.sent), "each letter once"
    per_item = Counter((line.target, m.step) for m in recorder.sent for line in m.items)
    assert set(per_item.values()) == {1} or all(
        n == 1 for (target, step), n in per_item.items() if step != Step.reminder
    )
    reminders = Counter(line.target for m in recorder.sent if m.step == Step.reminder for line in m.items)
    assert set(reminders.values()) == {2}, "each item in exactly one letter per reminder"


async def test_a_permanent_refusal_is_recorded_and_the_ladder_goes_on_without_claiming_it(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    start = local(await env.get_current_time()).date()
    spec = two_units(start, days=8)
    recorder = MailRecorder(refused_units={"tra-bong"})
    async with running(env, spec, recorder) as run:
        state = await run.state()
        due = state.actions[spec.actions[0].id].due
        state = await past_the_overdue_notice(run, due, spec.actions[0].id)
        failed = [letter for letter in state.letters if letter.unit == "tra-bong"]
        assert failed and all(letter.status == "failed" for letter in failed)
        assert state.units["tra-bong"].letters == [], "a letter that did not go out is never cited"
        # Staff fix the address and send the overdue notice again: same key, then it counts.
        recorder.refused_units.clear()
        overdue = next(letter for letter in failed if letter.step == Step.overdue)
        state = await run.update("resend_notification", c.ResendNotification(actor=STAFF, key=overdue.key))
        state = await run.advance(timedelta(minutes=5))
        assert [ref.key for ref in state.units["tra-bong"].letters] == [overdue.key]
        assert sum(1 for m in recorder.sent if m.key == overdue.key) == 1


async def test_evidence_submitted_stops_the_items_letters_and_a_return_resumes_from_the_step_reached(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    start = local(await env.get_current_time()).date()
    spec = two_units(start, days=8)
    action = spec.actions[0]
    contact = next(u.contacts[0] for u in spec.units if u.code == action.unit)
    recorder = MailRecorder()
    async with running(env, spec, recorder) as run:
        state = await run.state()
        while state.actions[action.id].last_step != Step.overdue:
            state = await run.advance_to_next_letter(action.id)
        state = await run.update("submit_evidence", c.SubmitEvidence(actor=contact, action_id=action.id, files=[PDF]))
        state = await run.advance(timedelta(days=10))
        assert all(action.id not in {line.target for line in m.items} for m in recorder.sent if m.step == Step.urging)
        evidence = state.evidence[-1].id
        state = await run.update(
            "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=evidence, decision="reject", reason="thiếu")
        )
        state = await run.advance_to_next_letter(action.id)
        letter = recorder.for_target(action.id)[-1]
        assert letter.step == Step.urging, "the ladder resumes at the next step, not from the start"
        assert next(x for x in letter.items if x.target == action.id).last_reason == "thiếu"
        assert ladder.next_step(state, ladder.target(state, action.id), await run.now()) is not None  # type: ignore[arg-type]
