"""The production topology as processes: the Temporal dev server, PostgreSQL, an S3-compatible server (moto), the
migration job, two workers and two web app instances sharing nothing but the database and the bucket, an SMTP
receiver. A conclusion is registered through one web instance, evidence uploaded there downloads from the other, a
worker is killed with SIGKILL while the letters fan out, and every letter still arrives, once per Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import Session as DbSession
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc import users
from dondoc.smtp_sink import MaildirHandler, read_messages
from models.labels import VN
from models.tables import NotificationRow
from models.web_tables import Role
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer
from tests.support.s3 import KEY_ID, REGION, SECRET, moto_server

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

DONDOC = str(Path(sys.executable).parent / "dondoc")
UNITS = 16
SMTP_DELAY_SECONDS = 0.5  # a slow relay taking one message at a time: the fan-out lasts ~UNITS/2 seconds
STAFF, AGENCY = "canbo@thanhtra.example.vn", "vanphong@donvi-00.example.vn"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class SlowCountingHandler(MaildirHandler):
    """A relay that takes one message at a time, slowly, and notes every Message-ID handed to it; it stores each
    Message-ID once, as a receiving system deduplicating on Message-ID does. A sender that disappears before the
    relay answered leaves nothing stored."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.handed: list[str] = []
        self.one_at_a_time = asyncio.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = (envelope.original_content or b"").decode(errors="replace")
        ids = [line.split(":", 1)[1].strip() for line in raw.splitlines() if line.lower().startswith("message-id:")]
        self.handed.extend(ids)
        async with self.one_at_a_time:
            await asyncio.sleep(SMTP_DELAY_SECONDS)
            return await super().handle_DATA(server, session, envelope)


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[tuple[SlowCountingHandler, int]]:
    handler, port = SlowCountingHandler(tmp_path / "mail"), free_port()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay"), host="127.0.0.1", port=port
    )
    yield handler, port
    server.close()


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def bucket() -> Iterator[tuple[str, str]]:
    with moto_server() as server:
        yield server.endpoint, server.new_bucket()


@pytest.fixture
def production_env(
    dev_server_env: WorkflowEnvironment,
    postgres_server: PostgresServer,
    bucket: tuple[str, str],
    relay: tuple[SlowCountingHandler, int],
) -> dict[str, str]:
    """What every process shares: the database, Temporal, the bucket, the relay and the signing secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_ENVIRONMENT="production",
        DONDOC_SECRET_KEY="topology-" + uuid.uuid4().hex * 2,
        DONDOC_PUBLIC_URL="https://dondoc.example.vn",
        DONDOC_DATABASE_URL=postgres_server.create_database(),
        DONDOC_TEMPORAL_ADDRESS=dev_server_env.client.service_client.config.target_host,
        DONDOC_TASK_QUEUE=f"topology-{uuid.uuid4().hex[:8]}",
        DONDOC_SMTP_HOST="127.0.0.1",
        DONDOC_SMTP_PORT=str(relay[1]),
        DONDOC_STORAGE_BACKEND="s3",
        DONDOC_S3_ENDPOINT_URL=bucket[0],
        DONDOC_S3_BUCKET=bucket[1],
        DONDOC_S3_REGION=REGION,
        DONDOC_S3_ACCESS_KEY_ID=KEY_ID,
        DONDOC_S3_SECRET_ACCESS_KEY=SECRET,
        DONDOC_S3_ADDRESSING_STYLE="path",
        DONDOC_LOG_FORMAT="json",
        DONDOC_OFFICE_HOURS_ENABLED="false",  # a ladder of seconds runs at any hour
    )
    return env


def spawn(name: str, args: list[str], env: dict[str, str], folder: Path, **own: str) -> Proc:
    """One dondoc process with a data dir of its own (nothing on disk is shared)."""
    data = folder / name
    data.mkdir(parents=True)
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [DONDOC, *args], env={**env, "DONDOC_DATA_DIR": str(data), **own}, stdout=out, stderr=subprocess.STDOUT
        )
    return Proc(name, process, log)


async def wait_until_ok(proc: Proc, url: str, seconds: float = 600) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert proc.process.poll() is None, f"{proc.name} exited:\n{proc.text()[-4000:]}"
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"{proc.name}: {url} never answered 200\n{proc.text()[-4000:]}")


def fan_out_spec(due: datetime) -> dict[str, Any]:
    """UNITS units with one action each, all due at once; one step a second later, to each unit's office only: one
    letter (one message) per unit. The first unit also has an action due in two months, for its evidence (evidence
    awaiting review would keep an item out of the letters)."""
    units = [
        {"code": f"donvi-{i:02d}", "name": f"Đơn vị số {i}", "contacts": [f"vanphong@donvi-{i:02d}.example.vn"]}
        for i in range(UNITS)
    ]
    actions = [
        {
            "id": f"donvi-{i:02d}-a1",
            "unit": f"donvi-{i:02d}",
            "text": f"Khắc phục tồn tại số {i}",
            "due": due.isoformat(),
        }
        for i in range(UNITS)
    ]
    later = (due + timedelta(days=60)).isoformat()
    actions.append({"id": "donvi-00-a2", "unit": "donvi-00", "text": "Báo cáo kết quả rà soát", "due": later})
    return {
        "number": f"{uuid.uuid4().int % 10**6}/KL-TTr",
        "issued_on": due.astimezone(VN).date().isoformat(),
        "issuer": "Thanh tra tỉnh Quảng Ngãi",
        "title": "Kiểm tra công tác quản lý (thử nghiệm cấu trúc triển khai)",
        "tracking_body": "Thanh tra tỉnh Quảng Ngãi",
        "inspectorate_head": "chanhthanhtra@quangngai.example.vn",
        "agency_head": "chutich@quangngai.example.vn",
        "units": units,
        "actions": actions,
        "policy": {"steps": [{"step": "overdue", "offset": "PT1S", "to": ["contacts"]}]},
    }


async def test_two_workers_and_two_web_instances_share_only_the_database_and_the_bucket(
    production_env: dict[str, str], relay: tuple[SlowCountingHandler, int], tmp_path: Path
) -> None:
    env, (handler, _) = production_env, relay
    procs: list[Proc] = []

    # Before the migration job, a production process refuses the empty database.
    refused = await asyncio.to_thread(
        subprocess.run, [DONDOC, "db", "check"], env=env, capture_output=True, text=True, timeout=300
    )
    assert refused.returncode == 1 and "dondoc db upgrade" in refused.stderr
    migrated = await asyncio.to_thread(
        subprocess.run, [DONDOC, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr

    ports = {name: free_port() for name in ("web_a", "web_b", "ops_a", "ops_b", "sdk_a", "ops_web_a")}
    try:
        worker_a = spawn(
            "worker-a",
            ["worker"],
            env,
            tmp_path,
            DONDOC_METRICS_PORT=str(ports["ops_a"]),
            DONDOC_TEMPORAL_METRICS_PORT=str(ports["sdk_a"]),
        )
        worker_b = spawn("worker-b", ["worker"], env, tmp_path, DONDOC_METRICS_PORT=str(ports["ops_b"]))
        web_a = spawn(
            "web-a",
            ["api"],
            env,
            tmp_path,
            DONDOC_HTTP_PORT=str(ports["web_a"]),
            DONDOC_METRICS_PORT=str(ports["ops_web_a"]),
        )
        web_b = spawn("web-b", ["api"], env, tmp_path, DONDOC_HTTP_PORT=str(ports["web_b"]))
        procs += [worker_a, worker_b, web_a, web_b]
        base_a, base_b = f"http://127.0.0.1:{ports['web_a']}", f"http://127.0.0.1:{ports['web_b']}"
        await asyncio.gather(
            wait_until_ok(worker_a, f"http://127.0.0.1:{ports['ops_a']}/readyz"),
            wait_until_ok(worker_b, f"http://127.0.0.1:{ports['ops_b']}/readyz"),
            wait_until_ok(web_a, f"{base_a}/readyz"),
            wait_until_ok(web_b, f"{base_b}/readyz"),
        )

        # The Temporal SDK's own metrics, from worker A's runtime (its pollers exist once it polls).
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(120):
                sdk = await http.get(f"http://127.0.0.1:{ports['sdk_a']}/metrics")
                if "temporal_" in sdk.text:
                    break
                await asyncio.sleep(0.5)
        assert "temporal_" in sdk.text, sdk.text[:1000]

        engine = get_engine(env["DONDOC_DATABASE_URL"])
        users.add_user(engine, STAFF, Role.staff, "mat-khau-dai-du-12", full_name="Cán bộ thanh tra")
        users.add_user(engine, AGENCY, Role.agency, "mat-khau-dai-du-12", "donvi-00", "Văn phòng")
        staff = {"Authorization": f"Bearer {users.issue_token(engine, STAFF)}"}
        agency = {"Authorization": f"Bearer {users.issue_token(engine, AGENCY)}"}

        async with httpx.AsyncClient(timeout=60) as http:
            # Registered through web A; the letters fall due 20 s later.
            due = datetime.now(UTC) + timedelta(seconds=20)
            started = await http.post(f"{base_a}/api/conclusions", json=fan_out_spec(due), headers=staff)
            assert started.status_code in (201, 202), started.text
            workflow_id = started.json()["workflow_id"]

            # Evidence saved by web A is read back by web B: the file lives in the bucket, not on A's disk.
            uploaded = await http.post(
                f"{base_a}/api/conclusions/{workflow_id}/actions/donvi-00-a2/evidence",
                files={"file": ("minh-chung.pdf", PDF, "application/pdf")},
                data={"note": "Đã khắc phục"},
                headers=agency,
            )
            assert uploaded.status_code == 201, uploaded.text
            evidence = uploaded.json()["created"]
            downloaded = await http.get(f"{base_b}/api/evidence/{workflow_id}.{evidence}/file", headers=staff)
            assert downloaded.status_code == 200, downloaded.text
            assert downloaded.content == PDF
            assert not list((tmp_path / "web-b").rglob("*.pdf")), "web B kept nothing of its own"

            # Mid-fan-out: once the relay stored the first letters, while both workers still wait on it with
            # others, worker A dies without a chance to finish anything.
            for _ in range(2400):
                if len(await asyncio.to_thread(read_messages, handler.folder)) >= 3:
                    break
                await asyncio.sleep(0.05)
            worker_a.process.send_signal(signal.SIGKILL)
            worker_a.process.wait(timeout=10)
            in_flight_at_kill = len(handler.handed)
            assert 3 <= len(read_messages(handler.folder)) < UNITS, "the kill lands in the middle of the fan-out"

            # Worker B finishes: what A held comes back to it once its activities time out (120 s) and retry.
            deadline = time.monotonic() + 420
            stored = read_messages(handler.folder)
            while len(stored) < UNITS and time.monotonic() < deadline:
                assert worker_b.process.poll() is None, worker_b.text()[-4000:]
                await asyncio.sleep(1)
                stored = await asyncio.to_thread(read_messages, handler.folder)
            await asyncio.sleep(3)  # anything extra would show now
            stored = await asyncio.to_thread(read_messages, handler.folder)

            ops_web = await http.get(f"http://127.0.0.1:{ports['ops_web_a']}/metrics")

        # Every letter arrived, one per unit, each Message-ID once; a Message-ID handed twice was a copy whose
        # handover the dead worker never saw answered, resent with the same identity and recorded as unconfirmed.
        assert len(stored) == UNITS, sorted(str(m["Subject"]) for m in stored)
        stored_ids = [str(m["Message-ID"]) for m in stored]
        assert len(set(stored_ids)) == UNITS
        assert sorted(str(m["To"]) for m in stored) == sorted(
            f"vanphong@donvi-{i:02d}.example.vn" for i in range(UNITS)
        )
        handed_twice = {mid for mid, count in Counter(handler.handed).items() if count > 1}
        assert set(handler.handed) == set(stored_ids)
        assert len(handed_twice) <= in_flight_at_kill
        with DbSession(engine) as session:
            outbox = session.exec(select(NotificationRow).where(NotificationRow.workflow_id == workflow_id)).all()
        assert len(outbox) == UNITS and {row.status for row in outbox} == {"sent"}
        resent = {f"<{row.message_id.strip('<>')}>" for row in outbox if row.attempts > 1}
        assert handed_twice <= resent

        # Metrics of the processes: the SDK's on the worker, dondoc's own on the web instance.
        assert ops_web.status_code == 200
        assert 'dondoc_http_requests_total{method="POST",route="/api/conclusions",status=' in ops_web.text
        assert "dondoc_http_upload_request_bytes_count" in ops_web.text
        assert 'dondoc_letters{status="sent"}' in ops_web.text
    finally:
        for proc in procs:
            if proc.process.poll() is None:
                proc.process.terminate()
        for proc in procs:
            try:
                proc.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.process.kill()
                proc.process.wait()
