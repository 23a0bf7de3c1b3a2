"""`python -m bench`: throughput of the follow-up engine on the real dev server, workers, SMTP sink and read model.

Every figure is also given as a multiple of the baseline: the time N trivial one-activity workflows take on the same
server and machine, so the numbers compare across machines. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.sink import Sink
from bench.specs import wide_spec
from bench.trivial import Echo, Trivial, noop

# One step, to the unit's own people only: one letter (one message) per unit.
STAFF = "thanhtra@bench.example.vn"
NOTICE_DELAY_SECONDS = 5  # notices of decisions collect this long (the lifecycle decides everything within it)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bench:
    def __init__(self, client: Client, sink: Sink, task_queue: str) -> None:
        self.client, self.sink, self.task_queue = client, sink, task_queue
        self.run_tag = uuid.uuid4().hex[:6]

    async def baseline(self, n: int) -> float:
        """Seconds for n trivial one-activity workflows started at once to all complete."""
        queue = f"{self.task_queue}-trivial"
        async with Worker(self.client, task_queue=queue, workflows=[Trivial], activities=[noop]):
            # Warm-up: the first workflow pays for the sandbox and connections.
            await self.client.execute_workflow(Trivial.run, 0, id=f"warm-{self.run_tag}", task_queue=queue)
            start = time.monotonic()
            handles = await asyncio.gather(
                *(
                    self.client.start_workflow(Trivial.run, i, id=f"trivial-{self.run_tag}-{i}", task_queue=queue)
                    for i in range(n)
                )
            )
            await asyncio.gather(*(h.result() for h in handles))
            return time.monotonic() - start

    async def start(
        self,
        label: str,
        count: int,
        units: int,
        actions_per_unit: int,
        due: datetime | None = None,
        letter_after: timedelta = timedelta(seconds=1),
    ) -> list[WorkflowHandle[Any, Any]]:
        from dondoc.spec_loader import parse_spec
        from models.workflow_io import FollowUpInput, FollowUpOptions
        from workflows.conclusion import ConclusionFollowUp

        options = FollowUpOptions(notice_delay_seconds=NOTICE_DELAY_SECONDS)
        due = due or datetime.now(UTC) - timedelta(minutes=1)
        specs = [
            parse_spec(wide_spec(f"{self.run_tag}-{label}-{i}/KL", units, actions_per_unit, due, letter_after))
            for i in range(count)
        ]
        gate = asyncio.Semaphore(50)

        async def one(spec: Any) -> WorkflowHandle[Any, Any]:
            async with gate:
                return await self.client.start_workflow(
                    ConclusionFollowUp.run,
                    FollowUpInput(spec=spec, options=options),
                    id=spec.workflow_id,
                    task_queue=self.task_queue,
                )

        return list(await asyncio.gather(*(one(s) for s in specs)))

    async def registered(self, label: str, count: int, by: float) -> float | None:
        """Wall-clock time at which all `count` conclusions of `label` were in the read model, or None if not by `by`."""
        from sqlalchemy import text

        from activities.database import get_engine
        from dondoc.settings import get_settings

        engine = get_engine(get_settings().database_url)
        pattern = f"{self.run_tag}-{label}-%"
        while time.time() < by:
            with engine.connect() as connection:
                found = connection.execute(
                    text("SELECT count(*) FROM conclusions WHERE number LIKE :p"), {"p": pattern}
                ).scalar_one()
            if found >= count:
                return time.time()
            await asyncio.sleep(0.5)
        return None

    async def fan_out(
        self,
        label: str,
        count: int,
        units: int,
        actions_per_unit: int,
        lead: float,
        wait: float,
        letter_after: timedelta,
    ) -> FanOut:
        """Register `count` conclusions whose letters all fall due `lead` seconds from now (their actions'
        deadlines `letter_after` before), then measure, from that instant, when each letter reaches the sink. The
        conclusions are terminated."""
        before = self.sink.count
        started = time.time()
        instant_at = datetime.now(UTC) + timedelta(seconds=lead)
        instant = instant_at.timestamp()
        handles = await self.start(
            label, count, units, actions_per_unit, due=instant_at - letter_after, letter_after=letter_after
        )
        ready = await self.registered(label, count, by=instant)
        print(f"  {label}: registered; the letters fall due in {instant - time.time():.1f} s", flush=True)
        expected = count * units
        last = await self.sink.wait_for(before + expected, max(0.0, instant - time.time()) + wait)
        await asyncio.sleep(1.0)  # any extra letter would show now
        if self.sink.count > before + expected:
            print(f"  ! {self.sink.count - before} letters at the sink, expected {expected}")
        lateness = sorted(t - instant for t in self.sink.arrivals[before : before + expected])
        gate = asyncio.Semaphore(50)

        async def finish(handle: WorkflowHandle[Any, Any]) -> History:
            async with gate:
                history = (await handle.fetch_history()).events
                await handle.terminate("benchmark done")
                return History(events=history)

        histories = list(await asyncio.gather(*(finish(h) for h in handles)))
        return FanOut(
            registration=None if ready is None else ready - started,
            last=None if last is None else lateness[-1],
            p99=percentile(lateness, 0.99) if last is not None else None,
            early=sum(1 for x in lateness if x < 0),
            histories=histories,
        )

    async def bare_updates(self, count: int) -> list[float]:
        """Seconds of each of `count` sequential updates to a workflow that only answers them (after a warm-up)."""
        queue = f"{self.task_queue}-echo"
        async with Worker(self.client, task_queue=queue, workflows=[Echo]):
            handle = await self.client.start_workflow(Echo.run, id=f"echo-{self.run_tag}", task_queue=queue)
            await handle.execute_update(Echo.echo, "warm-up")
            times = []
            for i in range(count):
                start = time.monotonic()
                await handle.execute_update(Echo.echo, f"update-{i}")
                times.append(time.monotonic() - start)
            await handle.terminate("benchmark done")
            return times

    async def submissions(self, actions: int, count: int) -> tuple[list[float], int, int]:
        """Seconds of each of `count` sequential evidence submissions, each for another action, to a conclusion of
        `actions` actions (20 units) due in a month (after a warm-up); with its history's events and bytes."""
        from models import commands as c
        from models.state import FileRef
        from workflows.conclusion import ConclusionFollowUp

        units = 20 if actions >= 20 else 1
        due = datetime.now(UTC) + timedelta(days=30)
        (handle,) = await self.start(f"updates-{actions}", 1, units, actions // units, due=due)
        state = await handle.query(ConclusionFollowUp.snapshot)
        while state is None:  # still planning its deadlines
            await asyncio.sleep(0.2)
            state = await handle.query(ConclusionFollowUp.snapshot)
        pdf = FileRef(name="minh-chung.pdf", sha256="b" * 64, size=1024, content_type="application/pdf")
        ids = sorted(state.actions)
        if len(ids) < count + 1:
            raise ValueError(f"{count} submissions need {count + 1} actions")
        times = []
        for i, action_id in enumerate(ids[: count + 1]):
            command = c.SubmitEvidence(
                actor=state.units[state.actions[action_id].unit].contacts[0], action_id=action_id, files=[pdf]
            )
            start = time.monotonic()
            await handle.execute_update(ConclusionFollowUp.submit_evidence, command)
            if i:  # the first is the warm-up
                times.append(time.monotonic() - start)
        history = await handle.fetch_history()
        await handle.terminate("benchmark done")
        return times, len(history.events), History(events=history.events).ByteSize()

    async def lifecycle(self, units: int, actions_per_unit: int, batched: bool) -> tuple[Counter[str], int]:
        """A full lifecycle (letter, evidence submitted and accepted, report submitted and accepted, closed):
        (history events over every run, actions). Item by item: each action's evidence is its own submission and
        decision; batched: each unit sends one dispatch for all its actions and staff decide them at once."""
        from models import commands as c
        from models.state import FileRef
        from workflows.conclusion import ConclusionFollowUp

        pdf = FileRef(name="minh-chung.pdf", sha256="a" * 64, size=1024, content_type="application/pdf")
        before = self.sink.count
        label = f"life-{units}x{actions_per_unit}" + ("-batched" if batched else "")
        (handle,) = await self.start(label, 1, units, actions_per_unit)
        if await self.sink.wait_for(before + units, 60) is None:
            raise RuntimeError("lifecycle: the letters did not come within 60 s")
        state = await handle.query(ConclusionFollowUp.snapshot)
        assert state is not None
        by_unit: dict[str, list[str]] = {}
        for action in state.actions.values():
            by_unit.setdefault(action.unit, []).append(action.id)
        groups = list(by_unit.values()) if batched else [[a] for ids in by_unit.values() for a in ids]
        for group in groups:
            contact = state.units[state.actions[group[0]].unit].contacts[0]
            submitted = await handle.execute_update(
                ConclusionFollowUp.submit_evidence,
                c.SubmitEvidence(actor=contact, action_id=group[0], also_action_ids=group[1:], files=[pdf]),
            )
            assert submitted.created is not None
            await handle.execute_update(
                ConclusionFollowUp.review_evidence,
                c.ReviewEvidence(
                    actor=STAFF,
                    evidence_id=submitted.created,
                    also_evidence_ids=submitted.also_created,
                    decision=c.Decision.accept,
                ),
            )
        for code, unit in state.units.items():
            report = await handle.execute_update(
                ConclusionFollowUp.submit_report, c.SubmitReport(actor=unit.contacts[0], unit=code, files=[pdf])
            )
            assert report.created is not None
            await handle.execute_update(
                ConclusionFollowUp.review_report,
                c.ReviewReport(actor=STAFF, report_id=report.created, decision=c.Decision.accept),
            )
        result = await asyncio.wait_for(handle.result(), 60)
        if result.status != "closed":
            raise RuntimeError(f"lifecycle: ended {result.status}, not closed")
        events: Counter[str] = Counter()
        run_id = handle.first_execution_run_id
        while run_id:  # every run, should continue-as-new have come
            history = await self.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
            events.update(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events)
            attributes = history.events[-1].workflow_execution_continued_as_new_event_attributes
            run_id = attributes.new_execution_run_id or None
        return events, units * actions_per_unit


@dataclass
class FanOut:
    """One fan-out case: seconds to register (None: not before the instant), from the instant to the last letter and
    the 99th percentile of letters' lateness (None: not all came), letters early, and the histories."""

    registration: float | None
    last: float | None
    p99: float | None
    early: int
    histories: list[History]


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def task_seconds(history: History) -> tuple[float, int, float]:
    """(sum of WorkflowTaskStarted→Completed, number of workflow tasks, the longest one) in seconds."""
    started = {
        e.event_id: e.event_time.ToDatetime()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    }
    durations = [
        (
            e.event_time.ToDatetime() - started[e.workflow_task_completed_event_attributes.started_event_id]
        ).total_seconds()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    return sum(durations), len(durations), max(durations, default=0.0)


def problems(histories: Sequence[History]) -> list[str]:
    """Workflow tasks that failed (with the failure's message) or timed out (with the timeout's kind: a task waiting
    for its sticky worker, SCHEDULE_TO_START, or running past its timeout in a busy worker, START_TO_CLOSE)."""
    found = []
    for h in histories:
        for e in h.events:
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                found.append(f"workflow task failed: {e.workflow_task_failed_event_attributes.failure.message}")
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                kind = TimeoutType.Name(e.workflow_task_timed_out_event_attributes.timeout_type)
                found.append(f"workflow task timed out: {kind.removeprefix('TIMEOUT_TYPE_')}")
    return found


async def main(args: argparse.Namespace) -> int:
    from dondoc.devserver import dev_server_args, find_binary

    # The SDK core's warnings about activities completing after their workflow was terminated are noise here;
    # workflow task failures are read from the histories instead.
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    runtime = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))
    env = await WorkflowEnvironment.start_local(
        runtime=runtime,
        dev_server_existing_path=str(find_binary("temporal")),
        data_converter=pydantic_data_converter,
        search_attributes=[],
        dev_server_extra_args=dev_server_args(),
        ui=False,
    )
    sink = Sink(int(os.environ["DONDOC_SMTP_PORT"]))
    from activities.group_commit import written_so_far
    from activities.smtp import close_pools
    from worker import build_worker

    failed = False
    async with env:
        bench = Bench(env.client, sink, f"bench-{uuid.uuid4().hex[:6]}")
        n = args.baseline
        base = await bench.baseline(n)
        print(f"baseline: {n} trivial one-activity workflows in {base:.2f} s ({n / base:.0f} workflows/s)")

        def ratio(seconds: float) -> str:
            return f"{seconds / base:.1f} × the time of {n} trivial workflows"

        letter_after = timedelta(seconds=args.letter_after)

        def lead(conclusions: int) -> float:
            return 20.0 + conclusions * float(args.lead_per_conclusion)

        def report(what: str, case: FanOut, letters: int) -> bool:
            """Print a fan-out case; whether its letters all came, none before their instant."""
            registration = (
                f"registered in {case.registration:.1f} s"
                if case.registration is not None
                else "NOT all registered before the instant (use a longer --lead-per-conclusion)"
            )
            if case.last is None or case.p99 is None:
                print(f"{what}: {registration}; its {letters} letters did not all come within {args.timeout:.0f} s")
                return False
            print(
                f"{what}: {registration}; {letters} letters, the last {case.last:.2f} s after the instant"
                f" = {ratio(case.last)}; p99 lateness {case.p99:.2f} s"
            )
            if case.early:
                print(f"  ! {case.early} letters came before their instant")
            return case.registration is not None and not case.early

        target = env.client.service_client.config.target_host
        from activities.database import get_engine
        from dondoc.settings import get_settings

        get_engine(get_settings().sqlalchemy_url)  # the read model's schema, before other processes open it
        extra = [more_worker(target, bench.task_queue, i) for i in range(args.workers - 1)]
        print(f"workers: {args.workers} (this process and {len(extra)} `dondoc worker` processes)")
        async with build_worker(env.client, bench.task_queue):
            if not args.skip_fan_out:
                one = await bench.fan_out("one", 1, 20, 100, lead=lead(1), wait=300, letter_after=letter_after)
                (history,) = one.histories
                busy, tasks, longest = task_seconds(history)
                failed |= not report("1 conclusion × 2,000 actions (20 units, MAX_ACTIONS)", one, 20)
                print(
                    f"  workflow task time: {busy:.2f} s in {tasks} tasks (longest {longest:.2f} s) = {ratio(busy)};"
                    f" {len(history.events)} history events"
                )
                for label, count, units, per_unit in (
                    ("many", 100, 2, 10),
                    *([("big", 500, 2, 10)] if not args.skip_10k else []),
                ):
                    outbox_before = written_so_far()
                    case = await bench.fan_out(
                        label, count, units, per_unit, lead=lead(count), wait=args.timeout, letter_after=letter_after
                    )
                    actions = count * units * per_unit
                    what = f"{count} conclusions × {units * per_unit} actions ({actions:,} actions)"
                    failed |= not report(what, case, count * units)
                    (transactions_now, marks_now), (transactions_before, marks_before) = written_so_far(), outbox_before
                    transactions, marks = transactions_now - transactions_before, marks_now - marks_before
                    if marks:  # two per copy sent: its claim before DATA and the answer after
                        print(
                            f"  outbox, this worker: {transactions} transactions for {marks // 2} copies"
                            f" = {2 * transactions / marks:.2f} per copy (group commit)"
                        )
                    busy = sum(task_seconds(h)[0] for h in case.histories)
                    print(f"  workflow task time, all conclusions: {busy:.2f} s = {ratio(busy)}")
                    bad = problems(case.histories)
                    for problem, seen in Counter(bad).most_common(5):
                        print(f"  ! {problem} ({seen} ×)")
                    failed |= bool(bad)
                bad = problems([history])
                for problem, seen in Counter(bad).most_common(5):
                    print(f"  ! 2,000 actions: {problem} ({seen} ×)")
                failed |= bool(bad)
            if not args.only_fan_out:
                updates = 30
                bare = await bench.bare_updates(updates)
                bare_median = statistics.median(bare)
                print(
                    f"bare update round trip: median {bare_median * 1000:.1f} ms of {updates}"
                    f" (p90 {percentile(sorted(bare), 0.9) * 1000:.1f} ms)"
                )
                for actions, limit in ((20, 3.0), (1000, 5.0)):
                    times, event_count, size = await bench.submissions(actions, min(updates, actions - 1))
                    median = statistics.median(times)
                    print(
                        f"evidence submission round trip, conclusion of {actions:,} actions: median"
                        f" {median * 1000:.1f} ms of {len(times)} = {median / bare_median:.1f} × a bare update"
                        f" (target ≤ {limit:.0f} ×); p90 {percentile(sorted(times), 0.9) * 1000:.1f} ms;"
                        f" history {event_count} events, {size / 1e6:.2f} MB"
                    )
                for units, per_unit in args.lifecycle:
                    for batched, how in (
                        (False, "each item on its own"),
                        (True, "one dispatch and one decision per unit"),
                    ):
                        events, actions = await bench.lifecycle(units, per_unit, batched)
                        total = events.total()
                        print(
                            f"history events per action, full lifecycle of {units} units × {per_unit} actions, {how}:"
                            f" {total} / {actions} = {total / actions:.1f} (target ≤ 15)"
                        )
                        print("  " + ", ".join(f"{name} {count}" for name, count in events.most_common()))
        for process in extra:
            process.terminate()
            process.wait(30)
        messages = sink.count
        print(f"distinct Message-IDs at the sink: {len(sink.ids)} of {messages} messages")
        failed |= len(sink.ids) != messages
    sink.close()
    close_pools()
    return 1 if failed else 0


def more_worker(target: str, task_queue: str, index: int) -> subprocess.Popen[bytes]:
    """One more worker process, as a deployment runs several replicas (`dondoc worker`, same settings)."""
    log = Path(os.environ["DONDOC_DATA_DIR"]) / f"worker-{index}.log"
    env = {**os.environ, "DONDOC_TEMPORAL_ADDRESS": target, "DONDOC_TASK_QUEUE": task_queue}
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "dondoc"), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def shape(text: str) -> tuple[int, int]:
    """`9x5`: 9 units of 5 actions each."""
    units, _, per_unit = text.partition("x")
    try:
        parsed = int(units), int(per_unit)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected UNITSxACTIONS, e.g. 9x5") from None
    if min(parsed) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: units and actions must be at least 1")
    return parsed


def run() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--baseline", type=int, default=100, help="trivial workflows of the baseline (default 100)")
    parser.add_argument("--skip-10k", action="store_true", help="skip 500 conclusions × 20 actions (10,000 actions)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the letters of a case")
    parser.add_argument(
        "--lead-per-conclusion",
        type=float,
        default=0.3,
        help="a case's actions fall due 20 s + this many seconds per conclusion after its first start (default 0.3);"
        " registering must end before that instant",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes polling the queue, as the deployment's replicas (default 2, deploy/k8s)",
    )
    parser.add_argument(
        "--only-fan-out", action="store_true", help="skip the update round trips and the lifecycle (events per action)"
    )
    parser.add_argument("--skip-fan-out", action="store_true", help="skip the fan-out cases (letters at one instant)")
    parser.add_argument(
        "--lifecycle",
        nargs="+",
        type=shape,
        default=[(2, 5)],
        metavar="UNITSxACTIONS",
        help="shapes of the full lifecycle whose history events per action are counted (default 2x5; the"
        " Quảng Ngãi conclusion is about 9x5)",
    )
    parser.add_argument(
        "--letter-after",
        type=int,
        default=60,
        help="seconds between the actions' deadlines and their letters in the fan-out cases (default 60: the"
        " deadlines' own wake-ups pass before the letters fall due, as in production, where the overdue notice"
        " comes a day after the deadline; 1 puts both in the measured window)",
    )
    parser.add_argument(
        "--database",
        choices=["postgresql", "sqlite"],
        help="the read model: a throw-away PostgreSQL cluster, as a deployment of several workers uses (default when"
        " Debian's postgresql is installed), or an SQLite file, as `dondoc up` (one writer at a time)",
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="dondoc-bench-"))
    from tests.support.postgres import PostgresServer, find_postgres_bin

    bin_dir = find_postgres_bin()
    if args.database is None:
        args.database = "postgresql" if bin_dir is not None else "sqlite"
    if args.database == "postgresql" and bin_dir is None:
        parser.error("--database postgresql: initdb/pg_ctl not found (apt-get install postgresql)")
    postgres = PostgresServer(bin_dir) if args.database == "postgresql" and bin_dir is not None else None
    if postgres is not None:
        postgres.start()
    try:
        database_url = postgres.create_database() if postgres else f"sqlite:///{data / 'read-model.sqlite3'}"
        return bench_with(args, data, database_url)
    finally:
        if postgres is not None:
            postgres.stop()


def bench_with(args: argparse.Namespace, data: Path, database_url: str) -> int:
    os.environ.update(
        DONDOC_DATA_DIR=str(data),
        DONDOC_DATABASE_URL=database_url,
        DONDOC_SMTP_HOST="127.0.0.1",
        DONDOC_SMTP_PORT=str(free_port()),
        DONDOC_OFFICE_HOURS_ENABLED="false",
        DONDOC_LOG_LEVEL="WARNING",
        DONDOC_LOG_FORMAT="console",
    )
    from dondoc.logs import configure
    from dondoc.settings import get_settings

    get_settings.cache_clear()
    configure(get_settings())
    print(f"read model: {args.database}; data: {data}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    return asyncio.run(main(args))


if __name__ == "__main__":
    sys.exit(run())
