"""The one way in: start conclusions and send updates to their workflows, with refusals as clear errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models import commands as c
from models.mail import LetterRequest
from models.spec import ConclusionSpec
from models.state import ConclusionState
from models.workflow_io import WORKFLOW_NAME, FollowUpInput, FollowUpOptions, UpdateResult

UPDATE_NAMES: dict[type[c.Command], str] = {
    c.SubmitEvidence: "submit_evidence",
    c.ReviewEvidence: "review_evidence",
    c.RequestExtension: "request_extension",
    c.DecideExtension: "decide_extension",
    c.SubmitReport: "submit_report",
    c.ReviewReport: "review_report",
    c.WaiveAction: "waive_action",
    c.TransferAction: "transfer_action",
    c.AddAction: "add_action",
    c.ChangeUnitContacts: "change_unit_contacts",
    c.ResendNotification: "resend_notification",
    c.RecordLetterNumber: "record_letter_number",
    c.Withdraw: "withdraw",
}


class Refused(Exception):
    """The rules refused a change (HTTP 409); the message is Vietnamese and shown as is. `about`: the item it is
    about, when the rules named one."""

    def __init__(self, message: str, about: str | None = None) -> None:
        super().__init__(message)
        self.about = about


class NotFound(Exception):
    """No such conclusion (HTTP 404)."""


class AlreadyStarted(Exception):
    """This conclusion is followed up already (HTTP 409)."""


class Unavailable(Exception):
    """Temporal, or the workflow's worker, cannot answer now (HTTP 503 with Retry-After): the server is unreachable,
    the call timed out, or a query failed on the worker ("Potential deadlock detected" under load). A change may
    still be applied later: a retry with the same Idempotency-Key applies it at most once."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause  # what Temporal said, for the log (never shown to users)


T = TypeVar("T")

UNAVAILABLE = "Hệ thống theo dõi (Temporal) tạm thời không trả lời; vui lòng thử lại sau ít phút."
_GONE = (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)  # no such workflow (or its id cannot be one)


def _outage(error: BaseException) -> Unavailable:
    return Unavailable(UNAVAILABLE, f"{type(error).__name__}: {error}")


class Gateway:
    def __init__(self, client: Client, task_queue: str, options: FollowUpOptions | None = None) -> None:
        self.client = client
        self.task_queue = task_queue
        self.options = options or FollowUpOptions()  # how new follow-ups run (from settings)

    async def start(self, spec: ConclusionSpec, actor: str) -> str:
        try:
            await self.client.start_workflow(
                WORKFLOW_NAME,
                FollowUpInput(spec=spec, actor=actor, options=self.options),
                id=spec.workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"KL {spec.number} – {spec.title}"[:200],
            )
        except WorkflowAlreadyStartedError:
            raise AlreadyStarted(
                f"Kết luận {spec.number} đã được đăng ký theo dõi (mã {spec.workflow_id}); không bắt đầu lần hai."
            ) from None
        except RPCError as error:
            raise _outage(error) from error
        return spec.workflow_id

    async def update(self, workflow_id: str, command: c.Command, update_id: str | None = None) -> UpdateResult:
        """Apply `command` and answer once the update (and its projection) finished."""
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            result: UpdateResult = await handle.execute_update(
                UPDATE_NAMES[type(command)], command, id=update_id, result_type=UpdateResult
            )
        except WorkflowUpdateFailedError as error:
            cause: Any = error.cause
            if isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError):
                cause = cause.cause  # e.g. a due date that cannot be planned: nothing was applied
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                about = cause.details[0] if cause.details and isinstance(cause.details[0], str) else None
                raise Refused(cause.message, about) from None
            raise _outage(error) from error  # e.g. a projection that kept failing while the database was down
        except WorkflowUpdateRPCTimeoutOrCancelledError as error:
            raise _outage(error) from error
        except RPCError as error:
            if error.status in _GONE:
                raise NotFound(f"Không tìm thấy kết luận '{workflow_id}' đang theo dõi.") from None
            raise _outage(error) from error
        return result

    async def reproject(self, workflow_id: str) -> int:
        """Have the follow-up write all its rows to SQL again (a migration added a column); how many projections
        that took. NotFound once it ended: its rows stay as they were last written."""
        try:
            written: int = await self.client.get_workflow_handle(workflow_id).execute_update(
                "reproject", result_type=int
            )
        except RPCError as error:
            if error.status in _GONE:
                raise NotFound(
                    f"Kết luận '{workflow_id}' không còn được theo dõi (đã kết thúc hoặc không có)."
                ) from None
            raise _outage(error) from error
        except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
            raise _outage(error) from error
        return written

    async def _query(self, workflow_id: str, name: str, result_type: type[T], *args: Any) -> T | None:
        """A query's answer; NotFound when there is no such workflow, Unavailable when it cannot answer now."""
        try:
            answer: T | None = await self.client.get_workflow_handle(workflow_id).query(
                name, args=args, result_type=result_type
            )
        except RPCError as error:
            if error.status in _GONE:
                raise NotFound(f"Không tìm thấy kết luận '{workflow_id}'.") from error
            raise _outage(error) from error
        except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
            raise _outage(error) from error
        return answer

    async def snapshot(self, workflow_id: str) -> ConclusionState:
        state = await self._query(workflow_id, "snapshot", ConclusionState)
        if state is None:
            raise NotFound(f"Kết luận '{workflow_id}' đang khởi tạo; thử lại sau giây lát.")
        return state

    async def files_in_use(self, workflow_id: str) -> set[str]:
        """Content hashes the conclusion's recorded submissions use (applied, maybe not projected yet)."""
        found: list[str] | None = await self._query(workflow_id, "files", list[str])
        return set(found or [])

    async def applied(self, workflow_id: str, update_id: str) -> UpdateResult | None:
        """The answer of an update applied before (also once the follow-up ended), else None."""
        return await self._query(workflow_id, "applied", UpdateResult, update_id)

    async def letter(self, workflow_id: str, unit: str, step: str, now: datetime | None = None) -> LetterRequest:
        """The letter a unit would get now at `step` (every item it still owes), built by the workflow's rules."""
        found = await self._query(workflow_id, "letter", LetterRequest, unit, step, now)
        if found is None:
            raise NotFound(f"Không tìm thấy đơn vị '{unit}' trong kết luận '{workflow_id}'.")
        return found
