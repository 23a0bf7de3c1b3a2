"""structlog set-up: readable in a terminal, JSON in production, Temporal context bound to every line."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from temporalio import activity

from dondoc.settings import Settings


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record is emitted, never to a stream a test runner (or a CLI
    runner) has swapped in and closed since logging was configured."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(settings: Settings, stream: TextIO | None = None) -> None:
    """One writer for every record: structlog's events are handed to the standard library and rendered by the one
    handler on the root logger, whose lock makes each record one write of one line (two writers under two locks once
    merged records on one line)."""
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    level = logging.getLevelName(settings.log_level.upper())
    # Standard-library records (Temporal's workflow.logger, uvicorn) go through the same renderer, with their
    # `extra` fields (workflow id, unit, action, step) as keys.
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.ExtraAdder(),
                structlog.processors.TimeStamper(fmt="iso", utc=False),
                _temporal_context,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn's own handlers would be a second writer
        named = logging.getLogger(name)
        named.handlers, named.propagate = [], True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            _temporal_context,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def _temporal_context(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Bind the workflow id, activity type and attempt when the line comes from inside an activity."""
    info_of_workflow = event.get("temporal_workflow")
    if isinstance(info_of_workflow, dict):
        event.setdefault("workflow_id", info_of_workflow.get("workflow_id"))
    if activity.in_activity():
        info = activity.info()
        event.setdefault("workflow_id", info.workflow_id)
        event.setdefault("activity", info.activity_type)
        event.setdefault("attempt", info.attempt)
    return event


def get_logger(**bound: Any) -> Any:
    return structlog.get_logger("dondoc").bind(**bound)
