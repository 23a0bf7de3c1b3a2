"""Record a workflow history for the replay tests: `python -m tests.histories.record <new-name>.json`.

Runs the Nam Định conclusion through evidence rejected and accepted, an extension, notices and closure on the
time-skipping server, and writes its history to a new file in tests/histories/. Each file there is a version of the
workflow that may still be running somewhere: never re-record one (version the workflow instead, so running histories
still replay); record a new file beside them when the code has changed what it writes to history.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from dondoc.devserver import find_binary
from dondoc.spec_loader import load_spec
from dondoc.temporal_client import register_search_attributes
from models import commands as c
from models.labels import VN
from tests.workflow.harness import EXAMPLES, PDF, MailRecorder, redated, running

HERE = Path(__file__).resolve().parent
STAFF = "thanhtra@stttt.namdinh.example.vn"


async def record(out: Path) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(find_binary("temporal-test-server")), data_converter=pydantic_data_converter
    )
    await register_search_attributes(env.client)
    async with env:
        start_day = (await env.get_current_time()).astimezone(VN).date()
        spec = redated(load_spec(EXAMPLES / "nam-dinh-STTTT-2021.yaml"), start_day, {}, default_days=12)
        async with running(env, spec, MailRecorder()) as run:
            first = spec.actions[0]
            contact = next(u.contacts[0] for u in spec.units if u.code == first.unit)
            state = await run.update(
                "submit_evidence", c.SubmitEvidence(actor=contact, action_id=first.id, files=[PDF])
            )
            await run.update(
                "review_evidence",
                c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision="reject", reason="thiếu"),
            )
            await run.advance(timedelta(days=14))
            state = await run.update(
                "request_extension",
                c.RequestExtension(
                    actor=contact, action_id=first.id, requested_due=start_day + timedelta(days=40), reason="chờ"
                ),
            )
            await run.update(
                "decide_extension",
                c.DecideExtension(actor=STAFF, request_id=state.extension_requests[-1].id, approve=True),
            )
            assert await run.handle.execute_update("reproject", result_type=int) == 1  # as `dondoc reproject`
            for action in spec.actions:
                owner = next(u.contacts[0] for u in spec.units if u.code == action.unit)
                state = await run.update(
                    "submit_evidence", c.SubmitEvidence(actor=owner, action_id=action.id, files=[PDF])
                )
                await run.update(
                    "review_evidence",
                    c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision="accept"),
                )
            for unit in spec.units:
                state = await run.update(
                    "submit_report", c.SubmitReport(actor=unit.contacts[0], unit=unit.code, files=[PDF])
                )
                await run.update(
                    "review_report", c.ReviewReport(actor=STAFF, report_id=state.reports[-1].id, decision="accept")
                )
            await run.handle.result()
            history = await run.handle.fetch_history()
    # With its workflow id: the workflow's keys (letters, notices) carry it, and a replay under another id would
    # not match the activities' answers, which are keyed by them.
    recorded = {"workflow_id": run.handle.id, "history": json.loads(history.to_json())}
    out.write_text(json.dumps(recorded, ensure_ascii=False), encoding="utf-8")  # noqa: ASYNC240 (a one-off script)
    return out


if __name__ == "__main__":
    os.environ.setdefault("DONDOC_DATA_DIR", tempfile.mkdtemp(prefix="dondoc-record-"))
    if len(sys.argv) != 2 or (HERE / sys.argv[1]).exists():
        sys.exit("usage: python -m tests.histories.record <new-name>.json (an existing history is never replaced)")
    print(asyncio.run(record(HERE / sys.argv[1])))
