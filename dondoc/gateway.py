"""The one way in: start conclusions and send updates to their workflows, with refusals as clear errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models import commands as c
from models.mail import LetterRequest
from models.spec import ConclusionSpec
from models.state import ConclusionState
from models.workflow_io import WORKFLOW_NAME, FollowUpInput, UpdateResult

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
    """The rules refused a change (HTTP 409); the message is Vietnamese and shown as is."""


class NotFound(Exception):
    """No such conclusion (HTTP 404)."""


class AlreadyStarted(Exception):
    """This conclusion is followed up already (HTTP 409)."""


class Gateway:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def start(self, spec: ConclusionSpec, actor: str) -> str:
        try:
            await self.client.start_workflow(
                WORKFLOW_NAME,
                FollowUpInput(spec=spec, actor=actor),
                id=spec.workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"KL {spec.number} – {spec.title}"[:200],
            )
        except WorkflowAlreadyStartedError:
            raise AlreadyStarted(
                f"Kết luận {spec.number} đã được đăng ký theo dõi (mã {spec.workflow_id}); không bắt đầu lần hai."
            ) from None
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
            if isinstance(cause, ApplicationError):
                raise Refused(cause.message) from None
            raise
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise NotFound(f"Không tìm thấy kết luận '{workflow_id}' đang theo dõi.") from None
            raise
        return result

    async def snapshot(self, workflow_id: str) -> ConclusionState:
        try:
            state: ConclusionState | None = await self.client.get_workflow_handle(workflow_id).query(
                "snapshot", result_type=ConclusionState
            )
        except RPCError as error:
            raise NotFound(f"Không tìm thấy kết luận '{workflow_id}'.") from error
        if state is None:
            raise NotFound(f"Kết luận '{workflow_id}' đang khởi tạo; thử lại sau giây lát.")
        return state

    async def files_in_use(self, workflow_id: str) -> set[str]:
        """Content hashes the conclusion's recorded submissions use (applied, maybe not projected yet)."""
        try:
            found: list[str] = await self.client.get_workflow_handle(workflow_id).query("files", result_type=list[str])
        except RPCError as error:
            raise NotFound(f"Không tìm thấy kết luận '{workflow_id}'.") from error
        return set(found)

    async def applied(self, workflow_id: str, update_id: str) -> UpdateResult | None:
        """The answer of an update applied before (also once the follow-up ended), else None."""
        try:
            done: UpdateResult | None = await self.client.get_workflow_handle(workflow_id).query(
                "applied", update_id, result_type=UpdateResult
            )
        except RPCError as error:
            raise NotFound(f"Không tìm thấy kết luận '{workflow_id}'.") from error
        return done

    async def letter(self, workflow_id: str, unit: str, step: str, now: datetime | None = None) -> LetterRequest:
        """The letter a unit would get now at `step` (every item it still owes), built by the workflow's rules."""
        try:
            found: LetterRequest | None = await self.client.get_workflow_handle(workflow_id).query(
                "letter", args=[unit, step, now], result_type=LetterRequest
            )
        except RPCError as error:
            raise NotFound(f"Không tìm thấy kết luận '{workflow_id}'.") from error
        if found is None:
            raise NotFound(f"Không tìm thấy đơn vị '{unit}' trong kết luận '{workflow_id}'.")
        return found
