"""`dondoc reproject` writes every running conclusion's rows to SQL again from its workflow, as after a migration that
added a column the rows written before it lack (units.supervisor_title, migration 0008): on the real dev server,
with a worker and the CLI as an operator runs it. The audit trail is not written twice; nothing in the follow-up
changes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc.gateway import Gateway
from dondoc.settings import Settings, get_settings
from dondoc.spec_loader import load_spec
from models.tables import ActionRow, AuditEventRow, UnitRow
from worker import build_worker

pytestmark = pytest.mark.integration

NAM_DINH = Path(__file__).resolve().parents[2] / "examples" / "nam-dinh-STTTT-2021.yaml"


def cli(*args: str) -> tuple[int, str]:
    """`dondoc reproject …` as an operator runs it (a process of its own, with this test's settings)."""
    dondoc = Path(sys.executable).parent / "dondoc"
    done = subprocess.run([str(dondoc), "reproject", *args], capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


async def test_reproject_fills_what_rows_written_before_a_migration_lack(
    dev_server_env: WorkflowEnvironment,
    settings: Settings,
    sink: tuple[Path, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    task_queue = f"reproject-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DONDOC_TEMPORAL_ADDRESS", dev_server_env.client.service_client.config.target_host)
    monkeypatch.setenv("DONDOC_TASK_QUEUE", task_queue)
    monkeypatch.setenv("DONDOC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DONDOC_SMTP_PORT", str(sink[1]))
    get_settings.cache_clear()
    current = get_settings()
    engine = get_engine(current.sqlalchemy_url)
    spec = load_spec(NAM_DINH)
    wid = spec.workflow_id

    def units() -> dict[str, tuple[str | None, str | None]]:
        with Session(engine) as session:
            rows = session.exec(select(UnitRow).where(col(UnitRow.workflow_id) == wid)).all()
        return {r.code: (r.head_title, r.supervisor_title) for r in rows}

    def audit_events() -> int:
        with Session(engine) as session:
            return session.exec(select(func.count()).where(col(AuditEventRow.workflow_id) == wid)).one()

    async with build_worker(dev_server_env.client, task_queue):
        await Gateway(dev_server_env.client, task_queue).start(spec, "cli")
        for _ in range(300):
            if len(units()) == len(spec.units):
                break
            await asyncio.sleep(0.1)
        projected = units()
        assert projected and all(supervisor for _, supervisor in projected.values())
        events = audit_events()
        with Session(engine) as session:  # rows as written before the columns existed
            session.connection().execute(
                update(UnitRow).where(col(UnitRow.workflow_id) == wid).values(head_title=None, supervisor_title=None)
            )
            session.connection().execute(update(ActionRow).where(col(ActionRow.workflow_id) == wid).values(text=""))
            session.commit()

        code, output = await asyncio.to_thread(cli)

        assert code == 0, output
        assert f"{wid}: đã ghi lại" in output
        assert units() == projected
        with Session(engine) as session:
            texts = session.exec(select(ActionRow.text).where(col(ActionRow.workflow_id) == wid)).all()
        assert sorted(texts) == sorted(a.text for a in spec.actions)
        assert audit_events() == events, "the audit trail is not written twice"

        code, output = await asyncio.to_thread(cli, wid, "kl-khong-co-2026")

        assert code == 1
        assert f"{wid}: đã ghi lại" in output
        assert "Kết luận 'kl-khong-co-2026' không còn được theo dõi" in output
        assert "1/2 kết luận chưa ghi lại được" in output
        await dev_server_env.client.get_workflow_handle(wid).terminate("test done")

        code, output = await asyncio.to_thread(cli)

        assert code == 0, "asked for all, a follow-up that ended keeps its rows and is no failure"
        assert f"Kết luận '{wid}' không còn được theo dõi" in output
