"""Input of the ConclusionFollowUp workflow, and the names it is known by (safe inside workflows)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.spec import ConclusionSpec
from models.state import ConclusionState

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


class FollowUpInput(BaseModel):
    """Either a spec to start from, or the state carried over by continue-as-new."""

    spec: ConclusionSpec | None = None
    actor: str = "hệ thống"
    state: ConclusionState | None = None
    options: FollowUpOptions = FollowUpOptions()


class ProjectionInput(BaseModel):
    state: ConclusionState
    now: datetime  # the workflow's time, for overdue flags
