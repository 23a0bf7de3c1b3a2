"""Every recorded history replays with the current workflow code: no deploy breaks running follow-ups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import workflow_runner
from workflows.conclusion import ConclusionFollowUp

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_there_is_a_recorded_history() -> None:
    assert HISTORIES, "record one with: python -m tests.histories.record <name>.json"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[ConclusionFollowUp], data_converter=pydantic_data_converter, workflow_runner=workflow_runner()
    )
    recorded = json.loads(path.read_text(encoding="utf-8"))  # noqa: ASYNC240
    # Recorded with its workflow id (the keys of letters and notices carry it); the first file, without one, from
    # before anything matched answers by key.
    if "workflow_id" in recorded:
        history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    else:
        history = WorkflowHistory.from_json(path.stem, recorded)
    await replayer.replay_workflow(history)
