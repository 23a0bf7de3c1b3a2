"""The `send_letters` activity: the letters and notices one pass of the workflow starts, at once, in one activity
(one task round trip for all of them, not one each).

Each is still on its own: one that meets a temporary refusal or an error is left out of the outcome, and the workflow
retries it alone (`send_letter`, `send_notice`, with backoff), while the others are recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity

from activities import mail, notices
from activities.mail import heartbeating
from dondoc.logs import get_logger
from models.mail import BatchOutcome, LetterBatch, LetterRequest, MailOutcome, NoticeRequest

SendLetter = Callable[[LetterRequest], Awaitable[MailOutcome]]
SendNotice = Callable[[NoticeRequest], Awaitable[MailOutcome]]


def mail_together(send_letter: SendLetter, send_notice: SendNotice) -> Callable[..., Any]:
    """The `send_letters` activity over one letter's and one notice's send."""

    @activity.defn(name="send_letters")
    async def send_letters(batch: LetterBatch) -> BatchOutcome:
        async def first_attempt(request: LetterRequest | NoticeRequest) -> MailOutcome | None:
            # In this request's own task: nothing claimed its copies before, unless staff asked to send it again.
            mail.FIRST_ATTEMPT.set(not request.resend)
            try:
                if isinstance(request, LetterRequest):
                    return await send_letter(request)
                return await send_notice(request)
            except Exception as error:  # a 4xx, the relay or the database unreachable: retried alone, with backoff
                log = get_logger(unit=request.unit_code, key=request.key)
                log.warning("mail_retry_alone", error=f"{type(error).__name__}: {error}")
                return None

        requests = batch.requests()
        results = await heartbeating(asyncio.gather(*(first_attempt(r) for r in requests)))
        return BatchOutcome(
            outcomes={r.key: outcome for r, outcome in zip(requests, results, strict=True) if outcome is not None}
        )

    return send_letters


send_letters = mail_together(mail.send_configured, notices.send_configured)
