"""The real path on the Temporal dev server: `dondoc worker` and `dondoc start` as processes, SMTP, SQL.

Deadlines and ladder offsets are seconds long, so a whole ladder runs in well under a minute.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc.smtp_sink import read_messages
from models.labels import VN
from models.tables import ConclusionRow, NotificationRow

pytestmark = pytest.mark.integration

DONDOC = str(Path(sys.executable).parent / "dondoc")
SHORT_LADDER = {
    "steps": [
        {"step": "reminder", "offset": "-PT4S", "to": ["contacts"]},
        {"step": "overdue", "offset": "PT2S", "to": ["contacts", "head"]},
        {"step": "urging", "offset": "PT6S", "to": ["head"], "cc": ["inspectorate_head"]},
        {"step": "second_urging", "offset": "PT10S", "to": ["head", "supervisor"]},
        {"step": "proposal", "offset": "PT14S", "to": ["agency_head", "inspectorate_head"]},
    ]
}


def short_spec(number: str, due: datetime, policy: dict[str, Any] = SHORT_LADDER) -> dict[str, Any]:
    """A one-unit conclusion due in seconds, with the short ladder (steps 4 s apart: only the latest step that has
    come is ever sent, so a worker lagging more than that behind would rightly skip one)."""
    return {
        "number": number,
        "issued_on": due.astimezone(VN).date().isoformat(),
        "issuer": "Thanh tra tỉnh Quảng Ngãi",
        "title": "Kiểm tra việc thực hiện kết luận (thử nghiệm tích hợp)",
        "tracking_body": "Thanh tra tỉnh Quảng Ngãi",
        "inspectorate_head": "chanhthanhtra@quangngai.example.vn",
        "agency_head": "chutich@quangngai.example.vn",
        "units": [
            {
                "code": "ly-son",
                "name": "UBND huyện Lý Sơn",
                "contacts": ["vanphong@lyson.example.vn"],
                "head": "chutich@lyson.example.vn",
                "supervisor": "ubnd@quangngai.example.vn",
                "report_due": (due + timedelta(seconds=2)).isoformat(),
            }
        ],
        "actions": [
            {"id": "ly-son-email", "unit": "ly-son", "text": "Cấp thư điện tử công vụ", "due": due.isoformat()},
        ],
        "policy": policy,
    }


@pytest.fixture
def process_env(
    dev_server_env: WorkflowEnvironment, sink: tuple[Path, int], tmp_path: Path, database_url: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_DATA_DIR=str(tmp_path / "data"),
        DONDOC_DATABASE_URL=database_url,
        DONDOC_TEMPORAL_ADDRESS=dev_server_env.client.service_client.config.target_host,
        DONDOC_TASK_QUEUE=f"e2e-{uuid.uuid4().hex[:8]}",
        DONDOC_SMTP_HOST="127.0.0.1",
        DONDOC_SMTP_PORT=str(sink[1]),
        DONDOC_LOG_FORMAT="json",
        DONDOC_OFFICE_HOURS_ENABLED="false",  # a ladder of seconds runs at any hour
        DONDOC_LETTER_WINDOW_SECONDS="3",  # the action and the report (due 2 s apart) share each letter
    )
    return env


@pytest.fixture
def worker_process(process_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`dondoc worker` as its own process, once it polls its task queue."""
    log_path = tmp_path / "worker.log"
    log = log_path.open("wb")
    process = subprocess.Popen([DONDOC, "worker"], env=process_env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        if "worker_started" in log_path.read_text(encoding="utf-8", errors="replace"):
            break
        assert process.poll() is None, log_path.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.1)
    yield process
    process.terminate()
    process.wait(timeout=20)
    log.close()


def dondoc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DONDOC, *args], env=env, capture_output=True, text=True, timeout=60)


async def wait_for_messages(folder: Path, count: int, seconds: float = 60) -> list[EmailMessage]:
    """The sink's messages once there are `count` of them (and a moment passed for any extra to show)."""
    for _ in range(int(seconds * 10)):
        if len(await asyncio.to_thread(read_messages, folder)) >= count:
            await asyncio.sleep(1.5)
            return await asyncio.to_thread(read_messages, folder)
        await asyncio.sleep(0.1)
    found = await asyncio.to_thread(read_messages, folder)
    listed = sorted(f"{m['Subject']} → {m['To']}" for m in found)
    raise AssertionError(f"expected {count} messages, got {len(found)}: {listed}")


async def test_a_ladder_of_seconds_runs_end_to_end_through_dondoc_start(
    process_env: dict[str, str], worker_process: subprocess.Popen[bytes], sink: tuple[Path, int], tmp_path: Path
) -> None:
    number = f"{uuid.uuid4().int % 10**6}/KL-TTr"
    spec_path = tmp_path / "kl.yaml"
    due = datetime.now(UTC) + timedelta(seconds=30)  # room for `dondoc start` and the worker on a busy machine
    spec_path.write_text(yaml.safe_dump(short_spec(number, due), allow_unicode=True), encoding="utf-8")

    started = dondoc(process_env, "start", str(spec_path))
    assert started.returncode == 0, started.stderr
    workflow_id = started.stdout.strip()
    assert workflow_id.startswith("kl-") and workflow_id.endswith(str(due.astimezone(VN).year))

    again = dondoc(process_env, "start", str(spec_path))
    assert again.returncode == 1 and "đã được đăng ký theo dõi" in again.stderr

    # One action and one report climbing all five steps together: five letters for the unit, one per step; the
    # urging and second urging also go to the oversight (a separate, view-only copy): seven messages.
    messages = await wait_for_messages(sink[0], 7, seconds=120)
    assert len(messages) == 7
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert f"[Quá hạn] KL {number} – UBND huyện Lý Sơn – 2 nội dung" in subjects
    assert sum(s.startswith("[Nhắc nhở]") for s in subjects) == 1
    assert len({m["Message-ID"] for m in messages}) == 7
    urging = [m for m in messages if str(m["Subject"]).startswith("[Đôn đốc]")]
    assert sorted(str(m["To"]) for m in urging) == ["chanhthanhtra@quangngai.example.vn", "chutich@lyson.example.vn"]
    unit_copy = next(m for m in urging if m["To"] == "chutich@lyson.example.vn")
    assert "Cấp thư điện tử công vụ" in _text(unit_copy) and unit_copy["Cc"] is None

    status = dondoc(process_env, "status", workflow_id, "--json")
    assert status.returncode == 0, status.stderr
    snapshot = json.loads(status.stdout)
    assert snapshot["status"] == "active" and snapshot["overdue_actions"] == 1
    assert snapshot["actions"] == [
        {
            "id": "ly-son-email",
            "unit": "ly-son",
            "kind": "remedy",
            "status": "open",
            "due": datetime.fromisoformat(snapshot["actions"][0]["due"]).isoformat(),
            "due_version": 1,
            "overdue": True,
            "last_step": "proposal",
        }
    ]
    listed = dondoc(process_env, "list")
    assert workflow_id in listed.stdout

    engine = get_engine(process_env["DONDOC_DATABASE_URL"])
    with Session(engine) as session:
        row = session.exec(select(ConclusionRow).where(ConclusionRow.workflow_id == workflow_id)).one()
        outbox = session.exec(select(NotificationRow).where(NotificationRow.workflow_id == workflow_id)).all()
    assert row.overdue_actions == 1 and row.status == "active"
    assert len(outbox) == 7 and {n.status for n in outbox} == {"sent"}


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_status_of_an_unknown_conclusion_is_a_clear_error(process_env: dict[str, str]) -> None:
    result = dondoc(process_env, "status", "kl-khong-ton-tai-2020")
    assert result.returncode == 1 and "Không tìm thấy kết luận" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_spec_is_refused_before_anything_starts(process_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    spec = short_spec("9/KL", datetime.now(UTC) + timedelta(days=3))
    spec["actions"][0]["unit"] = "khong-co"
    bad.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = dondoc(process_env, "start", str(bad))
    assert result.returncode == 1
    assert "actions[0].unit: đơn vị 'khong-co' không có trong danh sách units" in result.stderr
    assert "Traceback" not in result.stderr
