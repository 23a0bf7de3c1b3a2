"""An S3-compatible server for tests: moto in server mode, as its own process on a free loopback port (its memory
never mixes with what a test measures of the web app)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dondoc.storage import S3Store, s3_client
from tests.support.ports import free_port

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

KEY_ID, SECRET = "dondoc-test", "dondoc-test-secret"  # moto accepts any credentials
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> S3Client:
        return s3_client(self.endpoint, REGION, KEY_ID, SECRET, "path")

    def new_bucket(self) -> str:
        bucket = f"dondoc-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def store(self, bucket: str, spool: Path, max_bytes: int, prefix: str = "tep/") -> S3Store:
        return S3Store(self.client(), bucket, prefix, max_bytes, spool)


@contextmanager
def moto_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
