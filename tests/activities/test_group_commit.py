"""Outbox marks share transactions: those that arrive while one is being written go together in the next, each still
committed before its caller goes on; one mark's own failure never takes the others of its group down. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from activities import group_commit
from activities.database import get_engine
from activities.group_commit import GroupCommit, in_own_transaction
from activities.mail import claim_in, settle_in
from dondoc import links
from models.mail import MailOutcome, MailStatus
from models.tables import NotificationRow
from models.web_tables import PortalLink
from tests.support.postgres import PostgresServer

WID = "ket-luan-thu"


def row(n: int) -> NotificationRow:
    return NotificationRow(
        key=f"{WID}/thu-{n}/unit",
        message_id=f"<{WID}/thu-{n}/unit@dondoc>",
        letter_key=f"{WID}/thu-{n}",
        audience="unit",
        workflow_id=WID,
        target="conclusion",
        items=[],
        unit="ly-son",
        step="overdue",
        recipients=["vanphong@lyson.quangngai.gov.vn"],
        cc=[],
        subject=f"Thư {n}",
        status="pending",
        created_at=datetime.now(UTC),
    )


def adding(n: int) -> Callable[[Session], str]:
    def mark(session: Session) -> str:
        session.add(row(n))
        return f"thu-{n}"

    return mark


def keys(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(r.key for r in session.exec(select(NotificationRow)).all())


def counting(engine: Engine) -> list[int]:
    begun = [0]

    def begin(_connection: Connection) -> None:
        begun[0] += 1

    event.listen(engine, "begin", begin)
    return begun


async def test_marks_that_arrive_while_a_transaction_is_written_go_together_in_the_next(engine: Engine) -> None:
    writer, begun = GroupCommit(engine), counting(engine)
    release = threading.Event()

    def held(session: Session) -> str:
        session.add(row(0))
        release.wait(10)
        return "thu-0"

    first = asyncio.ensure_future(writer.write(held))
    await asyncio.sleep(0.05)  # the first transaction is being written
    later = [asyncio.ensure_future(writer.write(adding(n))) for n in range(1, 6)]
    await asyncio.sleep(0.05)
    assert not any(f.done() for f in later), "nothing waiting is committed before its transaction is"
    release.set()

    assert await first == "thu-0"
    assert await asyncio.gather(*later) == [f"thu-{n}" for n in range(1, 6)]
    assert begun == [2] and (writer.transactions, writer.marks) == (2, 6)
    assert len(keys(engine)) == 6


async def test_a_mark_alone_is_written_at_once_in_its_own_transaction(engine: Engine) -> None:
    writer, begun = GroupCommit(engine), counting(engine)

    assert await writer.write(adding(1)) == "thu-1"
    assert await writer.write(adding(2)) == "thu-2"

    assert begun == [2] and keys(engine) == [f"{WID}/thu-1/unit", f"{WID}/thu-2/unit"]


async def in_one_group(writer: GroupCommit, marks: list[Callable[[Session], object]]) -> list[object]:
    """Write `marks` queued while another transaction is being written, so that they go together in the next; what
    each returned or raised."""
    release = threading.Event()

    def held(_session: Session) -> None:
        release.wait(10)

    first = asyncio.ensure_future(writer.write(held))
    await asyncio.sleep(0.05)
    group = [asyncio.ensure_future(writer.write(mark)) for mark in marks]
    release.set()
    await first
    return await asyncio.gather(*group, return_exceptions=True)


async def test_each_mark_sees_what_the_ones_before_it_in_its_group_wrote(engine: Engine) -> None:
    writer = GroupCommit(engine)

    def sent_answer(session: Session) -> None:
        settle_in(session, f"{WID}/thu-1/unit", MailOutcome(status=MailStatus.sent, detail="250 2.0.0 Ok"))

    assert await in_one_group(writer, [adding(1), sent_answer]) == ["thu-1", None]

    with Session(engine) as session:
        written = session.get(NotificationRow, f"{WID}/thu-1/unit")
    assert written is not None and written.status == "sent" and writer.transactions == 2


async def test_a_mark_that_fails_on_its_own_leaves_the_others_of_its_group_written(engine: Engine) -> None:
    def answer_for_a_row_never_written(session: Session) -> None:
        settle_in(session, f"{WID}/khong-co/unit", MailOutcome(status=MailStatus.sent, detail="250"))

    results = await in_one_group(GroupCommit(engine), [adding(1), answer_for_a_row_never_written, adding(2)])

    assert results[0] == "thu-1" and results[2] == "thu-2"
    assert isinstance(results[1], LookupError)
    assert keys(engine) == [f"{WID}/thu-1/unit", f"{WID}/thu-2/unit"]


async def test_a_database_that_cannot_take_the_group_fails_every_mark_of_it_and_writes_none(engine: Engine) -> None:
    def database_gone(_session: Session) -> None:
        raise OperationalError("UPDATE notifications", {}, ConnectionRefusedError("database restarting"))

    results = await in_one_group(GroupCommit(engine), [adding(1), database_gone, adding(2)])

    assert all(isinstance(result, OperationalError) for result in results)
    assert keys(engine) == []


async def test_a_cancelled_caller_does_not_hold_up_the_writer(engine: Engine) -> None:
    writer, release = GroupCommit(engine), threading.Event()

    def held(_session: Session) -> None:
        release.wait(10)

    first = asyncio.ensure_future(writer.write(held))
    await asyncio.sleep(0.05)
    given_up, kept = asyncio.ensure_future(writer.write(adding(1))), asyncio.ensure_future(writer.write(adding(2)))
    await asyncio.sleep(0)
    given_up.cancel()
    release.set()
    await first

    assert await kept == "thu-2"
    with pytest.raises(asyncio.CancelledError):
        await given_up
    assert keys(engine) == [f"{WID}/thu-1/unit", f"{WID}/thu-2/unit"], "written all the same, as a thread would"


async def test_a_retried_claim_written_again_alone_still_records_the_link_it_sends(engine: Engine) -> None:
    """A claim that finds its row (a retry) and keeps its link, in a group that one other mark makes write again mark
    by mark: the link the copy carries is recorded all the same (else the recipient's link would be refused)."""
    in_own_transaction(engine, adding(1))
    link = links.new_link(WID, "ly-son", 30, link_id="lien-ket-thu-1", view_only=False)
    retried = functools.partial(claim_in, new=row(1), link=link)

    def answer_for_a_row_never_written(session: Session) -> None:
        settle_in(session, f"{WID}/khong-co/unit", MailOutcome(status=MailStatus.sent, detail="250"))

    results = await in_one_group(GroupCommit(engine), [retried, answer_for_a_row_never_written])

    assert results[0] is None and isinstance(results[1], LookupError)
    with Session(engine) as session:
        assert session.get(PortalLink, "lien-ket-thu-1") is not None
        claimed = session.get(NotificationRow, f"{WID}/thu-1/unit")
    assert claimed is not None and claimed.attempts == 1 and claimed.handed_over_at is not None


async def test_a_mark_whose_rows_another_transaction_holds_leaves_the_others_written(engine: Engine) -> None:
    """A deadlock or a lock wait given up is not the database being down: the group is written again mark by mark."""

    def deadlocked(_session: Session) -> None:
        raise OperationalError("UPDATE notifications", {}, Deadlock())

    results = await in_one_group(GroupCommit(engine), [adding(1), deadlocked, adding(2)])

    assert results[0] == "thu-1" and results[2] == "thu-2" and isinstance(results[1], OperationalError)
    assert keys(engine) == [f"{WID}/thu-1/unit", f"{WID}/thu-2/unit"]


class Deadlock(Exception):
    sqlstate = "40P01"  # as psycopg reports a deadlock


async def test_a_row_held_elsewhere_is_waited_for_briefly_then_refused(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a mark waits for a row another transaction holds at most LOCK_TIMEOUT: one mark's wait never
    holds up the answers of a whole worker for long. (SQLite takes the whole database's write lock at BEGIN; its
    busy timeout bounds that wait.)"""
    engine = get_engine(postgres_server.create_database())
    monkeypatch.setattr(group_commit, "LOCK_TIMEOUT", "200ms")
    in_own_transaction(engine, adding(1))
    with Session(engine) as holder:
        holder.get(NotificationRow, f"{WID}/thu-1/unit", with_for_update=True)  # held until this block ends

        def answer(session: Session) -> None:
            settle_in(session, f"{WID}/thu-1/unit", MailOutcome(status=MailStatus.sent, detail="250"))

        with pytest.raises(OperationalError):
            await GroupCommit(engine).write(answer)


async def test_a_writer_that_cannot_run_fails_its_callers_instead_of_leaving_them_waiting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = ThreadPoolExecutor(max_workers=1)
    gone.shutdown()
    monkeypatch.setattr(group_commit, "_THREADS", gone)
    writer = GroupCommit(engine)

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(writer.write(adding(1)), timeout=10)

    monkeypatch.undo()
    assert await asyncio.wait_for(writer.write(adding(2)), timeout=10) == "thu-2", "the next mark is written"
