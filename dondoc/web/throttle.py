"""Rate limits on guessing: failed sign-ins (per client IP and per account) and portal links (refused links per client
IP, every opening per link), counted over a moving window in this process.

The counters live in the web process's memory: with several replicas each counts on its own, so a client spread
over N replicas gets up to N times the limit (docs/api.md, "Rate limits"). A limit reached answers 429 with
Retry-After.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Rule:
    name: str
    limit: RateLimitItem


LOGIN_FAILURES_PER_IP = Rule("login-ip", parse("30/15 minutes"))  # an office behind one address still signs in
LOGIN_FAILURES_PER_ACCOUNT = Rule("login-account", parse("10/15 minutes"))
LINK_REFUSALS_PER_IP = Rule("link-ip", parse("20/10 minutes"))  # forged, expired or revoked links
LINK_OPENINGS_PER_TOKEN = Rule("link-token", parse("30/10 minutes"))  # one leaked link, hammered


class TooManyAttempts(Exception):
    """A rate limit is reached (HTTP 429): the Vietnamese message says when to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def wait_text(seconds: int) -> str:
    return f"{math.ceil(seconds / 60)} phút" if seconds >= 60 else f"{seconds} giây"


class Throttle:
    """The app's counters (one per process)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def wait(self, rule: Rule, key: str) -> int | None:
        """Seconds until `key` may try again under `rule`, or None when it may now (nothing is counted)."""
        if self._limiter.test(rule.limit, rule.name, key):
            return None
        reset = self._limiter.get_window_stats(rule.limit, rule.name, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def count(self, rule: Rule, key: str) -> None:
        self._limiter.hit(rule.limit, rule.name, key)

    def clear(self) -> None:
        """Forget every counter (tests, and an operator's reset)."""
        self._limiter.storage.reset()


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: uvicorn's --forwarded-allow-ips decides)."""
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> Throttle:
    found: Throttle = request.app.state.throttle
    return found
