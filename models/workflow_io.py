"""Input of the ConclusionFollowUp workflow, its projection payloads, and the names it is known by (safe inside
workflows)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.spec import ConclusionSpec
from models.state import (
    ActionState,
    AuditEvent,
    ConclusionFacts,
    ConclusionState,
    Evidence,
    ExtensionRequest,
    ReportSubmission,
    UnitState,
)

WORKFLOW_NAME = "ConclusionFollowUp"

# Search attributes kept current by the workflow (registered on the server by `dondoc up`).
SEARCH_ATTRIBUTES = {
    "ConclusionNumber": "Keyword",
    "FollowUpStatus": "Keyword",
    "NextDeadline": "Datetime",
    "OverdueActions": "Int",
}


class FollowUpOptions(BaseModel):
    history_limit: int | None = None  # continue-as-new past this many history events; None: when Temporal suggests
    search_attributes: bool = True
    notice_delay_seconds: int = 120  # how long a notice of decisions collects more before it goes


class FollowUpInput(BaseModel):
    """Either a spec to start from, or the state carried over by continue-as-new."""

    spec: ConclusionSpec | None = None
    actor: str = "hệ thống"
    state: ConclusionState | None = None
    projected_seq: int = 0  # with `state`: the last audit event SQL holds
    options: FollowUpOptions = FollowUpOptions()


class ConclusionHeader(ConclusionFacts):
    """The conclusion row of the read model: its facts and counters."""

    status: str
    status_reason: str | None = None
    closed_at: datetime | None = None
    next_deadline: datetime | None = None
    unit_count: int
    action_count: int
    open_actions: int
    overdue_actions: int
    version: int


class ProjectionInput(BaseModel):
    """What changed since the last projection (never the whole state): rows to upsert and events to add.

    The conclusion's first projection is split into several of these, so none nears Temporal's payload limit.
    """

    header: ConclusionHeader
    now: datetime  # the workflow's time, for overdue flags
    units: list[UnitState] = Field(default_factory=list)
    actions: list[ActionState] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    reports: list[ReportSubmission] = Field(default_factory=list)
    extension_requests: list[ExtensionRequest] = Field(default_factory=list)
    events: list[AuditEvent] = Field(default_factory=list)


class FollowUpResult(BaseModel):
    """How a follow-up ended (the state itself is in SQL)."""

    status: str
    version: int


class UpdateResult(BaseModel):
    """What an update answers: enough for the caller, never the whole state."""

    version: int
    created: str | None = None  # the id of the evidence, extension request or report the update recorded
    also_created: list[str] = Field(default_factory=list)  # the further evidence ids of a submission for several
    replayed: bool = False  # this update id had been applied before
