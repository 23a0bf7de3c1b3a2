"""Content checks read a bounded amount whatever an archive claims, and run off the event loop."""

from __future__ import annotations

import asyncio
import bz2
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from dondoc.storage import LocalStore, detect
from dondoc.storage import interface as store_interface
from tests.storage.conftest import chunks_of
from tests.support.bombs import many_entries_zip, mimetype_bomb, one_entry_zip

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def peak_of(check: Callable[[], str]) -> tuple[str, int]:
    tracemalloc.start()
    try:
        answer = check()
        return answer, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bom.zip"
    path.write_bytes(mimetype_bomb(1024))
    return path


def test_a_one_megabyte_zip_whose_mimetype_unpacks_to_a_gigabyte_is_judged_from_a_few_bytes(bomb: Path) -> None:
    assert bomb.stat().st_size < 1_200_000
    kind, peak = peak_of(lambda: detect(bomb, "bom.zip"))
    assert kind == "application/zip"  # a plain archive: accepted as .zip, never as an office document
    assert peak < 256 * 1024, f"{peak} bytes to judge it"
    assert detect(bomb, "bom.odt") == "application/zip"  # so a .odt name does not match its content


def test_a_mimetype_entry_packed_with_bzip2_is_never_inflated(tmp_path: Path) -> None:
    """A few KiB of bzip2 or LZMA may unpack to gigabytes in one read; ODF stores `mimetype` uncompressed anyway."""
    crc, size = zlib.crc32(ODT_MIMETYPE), len(ODT_MIMETYPE)
    plain, bzipped = tmp_path / "a.odt", tmp_path / "b.odt"
    plain.write_bytes(one_entry_zip("mimetype", ODT_MIMETYPE, crc, size, method=0))
    bzipped.write_bytes(one_entry_zip("mimetype", bz2.compress(ODT_MIMETYPE), crc, size, method=12))
    assert detect(plain, "a.odt") == "application/vnd.oasis.opendocument.text"
    assert detect(bzipped, "b.odt") == "application/zip"


def test_a_zip_with_a_huge_central_directory_is_not_parsed_entry_by_entry(tmp_path: Path) -> None:
    path = tmp_path / "nhieu.zip"
    path.write_bytes(many_entries_zip(40_000))
    assert path.stat().st_size > 2 * 1024 * 1024
    kind, peak = peak_of(lambda: detect(path, "nhieu.zip"))
    assert kind == "application/zip"
    assert peak < 512 * 1024, f"{peak} bytes to judge it"


def test_corrupt_and_truncated_archives_are_not_accepted(tmp_path: Path, bomb: Path) -> None:
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(bomb.read_bytes()[: 64 * 1024])
    assert detect(truncated, "cut.zip") == "application/octet-stream"
    garbage = tmp_path / "rac.zip"
    garbage.write_bytes(b"PK\x03\x04" + b"\xff" * 200 + b"PK\x05\x06" + b"\xff" * 18)
    assert detect(garbage, "rac.zip") == "application/octet-stream"


async def test_the_content_check_runs_in_a_thread_not_on_the_event_loop(
    tmp_path: Path, bomb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[bool] = []

    def watched(path: Path, name: str) -> str:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return detect(path, name)

    monkeypatch.setattr(store_interface, "detect", watched)
    store = LocalStore(tmp_path / "files", 2 * 1024 * 1024)
    content = await asyncio.to_thread(bomb.read_bytes)
    saved = await store.save("bom.zip", chunks_of(content))
    assert saved.ref.content_type == "application/zip"
    assert on_loop == [False]
