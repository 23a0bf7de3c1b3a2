"""What the web app answers while something it depends on is down: 503 with Retry-After, never 500.

The read-model database not answering (refused connection, a server stopped, a pool exhausted, a file that cannot be
opened) and Temporal not answering (`gateway.Unavailable`) are outages: they pass, and the client should retry. Each
is logged with its cause; users see a Vietnamese message that says to try again.
"""

from __future__ import annotations

from sqlalchemy import exc as sql

from dondoc.gateway import Unavailable
from dondoc.logs import get_logger

RETRY_AFTER_SECONDS = 10

DATABASE_DOWN = "Cơ sở dữ liệu tạm thời không trả lời; vui lòng thử lại sau ít phút."

DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sql.OperationalError,  # connection refused or lost, server shutting down, statement cancelled, locked file
    sql.InterfaceError,  # the driver's connection is closed
    sql.TimeoutError,  # no connection free in the pool in time
)

OUTAGES: tuple[type[Exception], ...] = (Unavailable, *DATABASE_ERRORS)


def retry_after() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def explain(error: Exception, path: str) -> str:
    """The Vietnamese message of an outage, logged once with its cause."""
    if isinstance(error, Unavailable):
        get_logger(component="web").warning("temporal_unavailable", path=path, cause=error.cause)
        return str(error)
    get_logger(component="web").warning(
        "database_unavailable", path=path, cause=f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
    )
    return DATABASE_DOWN
