"""The benchmark's SMTP sink, in a process of its own (as a real relay is elsewhere): it takes every message and
reports when each came and its Message-ID; nothing is written to disk."""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
from email import policy
from email.parser import BytesHeaderParser
from multiprocessing.context import SpawnProcess
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

Arrival = tuple[float, str]  # wall-clock time, Message-ID


class _Handler:
    def __init__(self, arrivals: Any) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        # parsed, not read line by line: a long Message-ID is folded onto the next line
        headers = BytesHeaderParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        self.arrivals.put((time.time(), str(headers.get("Message-ID", "")).strip()))
        return "250 OK"


def _serve(port: int, arrivals: Any, ready: Any) -> None:
    async def main() -> None:
        handler = _Handler(arrivals)
        loop = asyncio.get_running_loop()
        await loop.create_server(lambda: SMTP(handler, hostname="bench-sink"), host="127.0.0.1", port=port)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


class Sink:
    """Counts the messages the sink process took, with their arrival times and Message-IDs."""

    def __init__(self, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._arrivals = context.Queue()
        ready = context.Event()
        self._process: SpawnProcess = context.Process(
            target=_serve, args=(port, self._arrivals, ready), daemon=True, name="bench-smtp-sink"
        )
        self._process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")
        self.arrivals: list[float] = []
        self.ids: set[str] = set()

    @property
    def count(self) -> int:
        self._drain()
        return len(self.arrivals)

    def _drain(self) -> None:
        while True:
            try:
                at, message_id = self._arrivals.get_nowait()
            except queue.Empty:
                return
            self.arrivals.append(at)
            self.ids.add(message_id)

    async def wait_for(self, count: int, seconds: float) -> float | None:
        """The wall-clock time of the `count`-th message, or None when it has not come within `seconds`."""
        deadline = time.monotonic() + seconds
        while self.count < count:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.05)
        return self.arrivals[count - 1]

    def close(self) -> None:
        self._process.terminate()
        self._process.join(10)
