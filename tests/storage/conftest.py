"""Every store backend under the same tests: the local folder and an S3 bucket on a moto server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dondoc.storage import LocalStore, Store
from tests.support.s3 import S3Server, moto_server

LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with moto_server() as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalStore(tmp_path / "files", LIMIT)
    server: S3Server = request.getfixturevalue("s3_server")
    return server.store(server.new_bucket(), tmp_path / "spool", LIMIT)


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
