"""dondoc's own Prometheus metrics (prometheus-client): HTTP traffic of the web app, and the follow-up's state read
from the read model at scrape time. The Temporal SDK's metrics have their own port (dondoc.temporal_client).

- `dondoc_http_requests_total{method,route,status}` and `dondoc_http_request_duration_seconds{method,route}`: the
  route is the matched path template (`/api/conclusions/{workflow_id}`), so labels stay few.
- `dondoc_http_upload_request_bytes{route}`: size of each multipart (upload) request body.
- `dondoc_actions{state="open"|"overdue"}`, `dondoc_conclusions{status}`, `dondoc_letters{status}`: the whole
  system, the same on every replica (aggregate with max, not sum); `dondoc_read_model_up` is 0 when the query fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dondoc.logs import get_logger
from models.tables import ConclusionRow, NotificationRow

HTTP_REQUESTS = Counter(
    "dondoc_http_requests", "HTTP requests answered by the web app", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "dondoc_http_request_duration_seconds",
    "Time to answer an HTTP request, from its first byte in to the last byte out",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
UPLOAD_BYTES = Histogram(
    "dondoc_http_upload_request_bytes",
    "Size of multipart upload requests (evidence, reports, documents)",
    ["route"],
    buckets=tuple(float(kib * 1024) for kib in (16, 64, 256, 1024, 4096, 16384, 65536, 262144)),
    registry=REGISTRY,
)
UNMATCHED = "unmatched"


def route_of(scope: Scope) -> str:
    """The path template of the route that answered (`/api/conclusions/{workflow_id}`), or one label for everything
    no route matched. A route included under a prefix knows only its own part: the prefix is what the request path
    has before that part, filled in with this request's parameters."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    try:
        rendered = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    path = str(scope.get("path", ""))
    return path[: len(path) - len(rendered)] + template if path.endswith(rendered) else template


class MetricsMiddleware:
    """Pure ASGI middleware timing and counting every HTTP request (streamed downloads included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, counting_receive, recording_send)
        finally:
            route, method = route_of(scope), scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)
            if received and _is_multipart(scope):
                UPLOAD_BYTES.labels(route).observe(received)


def _is_multipart(scope: Scope) -> bool:
    headers: Iterable[tuple[bytes, bytes]] = scope.get("headers", [])
    return any(name == b"content-type" and value.startswith(b"multipart/") for name, value in headers)


class ReadModelCollector(Collector):
    """Open and overdue actions, conclusions by status and letters by status, counted in the read model per scrape."""

    def __init__(self) -> None:
        self.engine: Engine | None = None

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("dondoc_read_model_up", "1 when the read-model query of this scrape succeeded")
        if self.engine is None:
            return
        try:
            figures = read_model_figures(self.engine)
        except Exception as error:  # a scrape must answer even while the database is away
            get_logger(component="metrics").warning("read_model_metrics_failed", error=str(error))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        actions = GaugeMetricFamily(
            "dondoc_actions", "Actions (kiến nghị) of all conclusions by state", labels=["state"]
        )
        actions.add_metric(["open"], figures["open"])
        actions.add_metric(["overdue"], figures["overdue"])
        yield actions
        conclusions = GaugeMetricFamily("dondoc_conclusions", "Conclusions followed up, by status", labels=["status"])
        for status, count in sorted(figures["conclusions"].items()):
            conclusions.add_metric([status], count)
        yield conclusions
        letters = GaugeMetricFamily("dondoc_letters", "Letter copies in the mail outbox, by status", labels=["status"])
        for status in ("pending", "sent", "failed"):
            letters.add_metric([status], figures["letters"].get(status, 0))
        yield letters


def read_model_figures(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        open_actions, overdue = session.exec(
            select(
                func.coalesce(func.sum(ConclusionRow.open_actions), 0),
                func.coalesce(func.sum(ConclusionRow.overdue_actions), 0),
            )
        ).one()
        conclusions = session.exec(select(ConclusionRow.status, func.count()).group_by(col(ConclusionRow.status))).all()
        letters = session.exec(select(NotificationRow.status, func.count()).group_by(col(NotificationRow.status))).all()
    return {
        "open": int(open_actions),
        "overdue": int(overdue),
        "conclusions": {status: int(count) for status, count in conclusions},
        "letters": {status: int(count) for status, count in letters},
    }


READ_MODEL = ReadModelCollector()
REGISTRY.register(READ_MODEL)


def watch_read_model(engine: Engine) -> None:
    """Count the follow-up's state in this database from now on (the web app's, once per process)."""
    READ_MODEL.engine = engine
