"""Every log record is one line of one JSON document, however many threads log at once through structlog and the
standard library together (two writers under two locks once merged two records on one line of the worker log)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from dondoc import logs
from dondoc.settings import Settings

THREADS = 8
PER_THREAD = 300
PAYLOAD = "đôn đốc " * 400  # ~4 KB a record: larger than a write buffer, so a split write would show


@pytest.fixture
def json_log(tmp_path: Path) -> Iterator[Path]:
    """The app's logging configured as in production (JSON), into a file; the previous set-up restored after."""
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    path = tmp_path / "worker.log"
    with path.open("w", encoding="utf-8") as stream:
        logs.configure(Settings(log_format="json", log_level="INFO"), stream=stream)
        try:
            yield path
        finally:
            root.handlers, root.level = handlers, level
            structlog.configure(**config)


def test_records_from_many_threads_and_both_loggers_are_one_json_document_per_line(json_log: Path) -> None:
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        start.wait()
        structured = logs.get_logger(worker=n)
        plain = logging.getLogger(f"temporalio.test{n}")
        for i in range(PER_THREAD):
            if i % 2:
                structured.info("structlog_record", i=i, payload=PAYLOAD)
            else:
                plain.warning("stdlib_record %d", i, extra={"worker": n, "payload": PAYLOAD})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = json_log.read_text(encoding="utf-8").splitlines()
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]  # fails on any merged or split line
    assert len(records) == THREADS * PER_THREAD
    assert {r["event"].split()[0] for r in records} == {"structlog_record", "stdlib_record"}
    assert all(r["payload"] == PAYLOAD and "timestamp" in r and "level" in r for r in records)
    per_thread = {n: sum(1 for r in records if r["worker"] == n) for n in range(THREADS)}
    assert per_thread == dict.fromkeys(range(THREADS), PER_THREAD)


def test_an_exception_is_one_record_with_its_traceback_inside(json_log: Path) -> None:
    try:
        raise RuntimeError("hỏng")
    except RuntimeError:
        logs.get_logger().exception("structlog_failure")
        logging.getLogger("uvicorn.error").exception("stdlib_failure")
    records = [json.loads(line) for line in json_log.read_text(encoding="utf-8").splitlines()]
    assert [r["event"] for r in records] == ["structlog_failure", "stdlib_failure"]
    assert all("RuntimeError: hỏng" in r["exception"] for r in records)


def test_levels_below_the_configured_one_are_dropped(json_log: Path) -> None:
    logs.get_logger().debug("hidden")
    logging.getLogger("x").debug("hidden too")
    logs.get_logger().info("shown")
    records = [json.loads(line) for line in json_log.read_text(encoding="utf-8").splitlines()]
    assert [r["event"] for r in records] == ["shown"]
