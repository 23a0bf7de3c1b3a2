"""Group commit of the outbox marks: the marks that arrive while a transaction is being written go together in the
next one, so a pass that sends many letters commits far fewer transactions than it writes marks.

Each mark is still committed before the step that waits for it goes on (DATA after its claim, the activity's result
after its answer): grouping shares transactions, it never defers one. One writer per event loop and database; when
it is idle a mark is written at once, alone. A mark whose own logic fails (or whose rows another transaction holds)
is written again alone, so it never takes the others of its group down with it; a database that cannot take the
group fails every mark of it (each would have met it alone). Marks write with statements or `merge`, never by adding
objects their caller keeps: a group written again mark by mark must write those objects again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from activities.smtp import MAX_OPEN
from dondoc.logs import get_logger

T = TypeVar("T")
Mark = Callable[[Session], object]
"""One write to the outbox, in the session of the transaction it shares (no commit of its own)."""
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)
# A transaction's locks refused (deadlock, lock wait or statement timeout, serialization): the rows of one mark may be
# the cause, so its group is written again mark by mark, not failed as a whole.
CONTENTION = frozenset({"40P01", "40001", "55P03", "57014"})
# How long a transaction of marks waits for a row another holds (PostgreSQL; SQLite has its busy timeout): one mark's
# wait holds up the others of its worker, and every answer waiting is a copy a crash would send twice.
LOCK_TIMEOUT = "5s"

# The marks are written on threads of their own, never queued behind the worker's other threaded work.
_THREADS = ThreadPoolExecutor(max_workers=MAX_OPEN, thread_name_prefix="outbox-mark")


@dataclass(frozen=True)
class Written(Generic[T]):
    value: T


@dataclass(frozen=True)
class Refused:
    error: BaseException


def database_down(error: BaseException) -> bool:
    """Whether `error` says the database cannot take a transaction now (unreachable, restarting, its pool
    exhausted), as opposed to refusing what one mark did."""
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(error, DATABASE_ERRORS) and code not in CONTENTION


@contextlib.contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:  # what the marks return stays readable after the commit
        if engine.dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        yield session


def in_own_transaction(engine: Engine, mark: Callable[[Session], T]) -> T:
    """`mark` in a transaction of its own."""
    with _transaction(engine) as session:
        value = mark(session)
        session.commit()
    return value


def write_alone(engine: Engine, mark: Mark) -> Written[object] | Refused:
    try:
        return Written(in_own_transaction(engine, mark))
    except Exception as error:
        return Refused(error)


Results = list[Written[object] | Refused]


def write_together(engine: Engine, marks: Sequence[Mark]) -> tuple[Results, int]:
    """`marks` in one transaction, in the order they came, and how many transactions that took; each mark sees what
    the ones before it wrote (flushed, and nothing of them kept in the session's identity map)."""
    if len(marks) == 1:
        return [write_alone(engine, marks[0])], 1
    try:
        values = []
        with _transaction(engine) as session:
            for mark in marks:
                values.append(mark(session))
                session.flush()
                session.expunge_all()
            session.commit()
    except Exception as error:
        if database_down(error):
            return [Refused(error)] * len(marks), 1
        get_logger().warning("outbox_group_split", marks=len(marks), error=f"{type(error).__name__}: {error}")
        return [write_alone(engine, mark) for mark in marks], 1 + len(marks)
    return [Written(value) for value in values], 1


class GroupCommit:
    """The writer of one event loop's outbox marks to one database. `transactions` and `marks` count what it wrote
    (for tests and benchmarks)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop = asyncio.get_running_loop()
        self._waiting: list[tuple[Mark, asyncio.Future[object]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.transactions = 0
        self.marks = 0

    async def write(self, mark: Callable[[Session], T]) -> T:
        """Write `mark` in the next transaction; returns what it returned once that transaction committed."""
        future: asyncio.Future[object] = self.loop.create_future()
        self._waiting.append((mark, future))
        if self._writer is None or self._writer.done():
            self._writer = self.loop.create_task(self._write_waiting())
        return await future  # type: ignore[return-value]  # the value `mark` returned

    async def _write_waiting(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            marks = [mark for mark, _ in group]
            try:
                results, transactions = await self.loop.run_in_executor(_THREADS, write_together, self.engine, marks)
            except BaseException as error:  # the loop shutting down, the threads gone: nothing waits for ever
                for _, future in [*group, *self._waiting]:
                    if future.done():
                        continue
                    if isinstance(error, Exception):
                        future.set_exception(error)
                    else:
                        future.cancel()
                self._waiting = []
                if isinstance(error, Exception):
                    return  # each caller has it; the next mark starts a writer again
                raise
            self.transactions += transactions
            self.marks += len(group)
            for (_, future), result in zip(group, results, strict=True):
                if future.done():  # its caller was cancelled; the mark is written all the same, as a thread would
                    continue
                if isinstance(result, Written):
                    future.set_result(result.value)
                else:
                    future.set_exception(result.error)


_writers: dict[tuple[int, Engine], GroupCommit] = {}


def group_commit(engine: Engine) -> GroupCommit:
    """The writer of this event loop for `engine`."""
    loop = asyncio.get_running_loop()
    writer = _writers.get((id(loop), engine))
    if writer is None or writer.loop is not loop:  # a new loop may reuse a closed one's id
        for key in [key for key, old in _writers.items() if old.loop.is_closed()]:
            del _writers[key]
        writer = _writers[(id(loop), engine)] = GroupCommit(engine)
    return writer


def written_so_far() -> tuple[int, int]:
    """Transactions and marks this process's writers have written (for benchmarks)."""
    return sum(w.transactions for w in _writers.values()), sum(w.marks for w in _writers.values())
