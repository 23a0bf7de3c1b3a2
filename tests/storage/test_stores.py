"""What every file store promises, on the local folder and on an S3-compatible bucket alike: content stored once by
SHA-256 and read back as stored, refusals leave nothing, a save relied on is never discarded, the sweep removes only
old content nothing uses, and big content streams out in bounded chunks."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from dondoc.settings import Settings
from dondoc.storage import LocalStore, S3Store, Store, UploadError, open_store
from dondoc.storage.interface import READ_CHUNK
from tests.storage.conftest import LIMIT, chunks_of
from tests.support.s3 import KEY_ID, REGION, SECRET, S3Server

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(size: int, salt: bytes = b"") -> bytes:
    """A PDF of exactly `size` bytes."""
    head = PDF + salt
    return head + b"%" * (size - len(head))


def contents(store: Store) -> list[str]:
    """Everything the store holds, temp files included (names relative to the store)."""
    found: list[str] = []
    if store.spool.exists():
        found += sorted(p.relative_to(store.spool).as_posix() for p in store.spool.rglob("*") if p.is_file())
    if isinstance(store, S3Store):
        listed = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
        found += sorted(item["Key"] for item in listed)
    return found


def read_back(store: Store, sha256: str) -> bytes:
    blob = store.open(sha256)
    assert blob is not None
    if blob.path is not None:
        return blob.path.read_bytes()
    assert blob.chunks is not None
    return b"".join(blob.chunks)


async def test_content_is_stored_once_by_sha256_and_read_back_as_stored(store: Store) -> None:
    first = await store.save("Báo cáo.pdf", chunks_of(PDF))
    again = await store.save("bản-sao.pdf", chunks_of(PDF))

    assert first.ref.sha256 == again.ref.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (first.ref.name, again.ref.name) == ("Báo cáo.pdf", "bản-sao.pdf")
    assert first.ref.size == len(PDF) and first.ref.content_type == "application/pdf"
    assert first.fresh and not again.fresh
    assert read_back(store, first.ref.sha256) == PDF
    assert [name.rsplit("/", 1)[-1] for name in contents(store)] == [first.ref.sha256], "one copy, no temp file"
    assert store.open("0" * 64) is None


async def test_exactly_the_limit_is_accepted_and_one_byte_more_is_refused_leaving_nothing(store: Store) -> None:
    at_limit = await store.save("vua-du.pdf", chunks_of(pdf(LIMIT)))
    assert at_limit.ref.size == LIMIT
    kept = contents(store)

    with pytest.raises(UploadError, match="vượt quá dung lượng cho phép"):
        await store.save("qua-1-byte.pdf", chunks_of(pdf(LIMIT + 1, b"khac")))
    with pytest.raises(UploadError, match="rỗng"):
        await store.save("rong.pdf", chunks_of(b""))
    with pytest.raises(UploadError, match="không thuộc loại được chấp nhận"):
        await store.save("trang.pdf", chunks_of(b"<html><script>alert(1)</script></html>"))
    assert contents(store) == kept


async def test_concurrent_saves_of_the_same_content_store_it_once_and_none_of_their_discards_removes_it(
    store: Store,
) -> None:
    saves = await asyncio.gather(*(store.save(f"tep-{n}.pdf", chunks_of(PDF)) for n in range(12)))

    assert sum(s.fresh for s in saves) == 1, "exactly one save wrote the content"
    assert len({s.ref.sha256 for s in saves}) == 1
    assert not any([await asyncio.to_thread(store.discard, s) for s in saves]), "each save relied on it after"
    assert read_back(store, saves[0].ref.sha256) == PDF


async def test_a_discard_removes_what_only_the_refused_request_wrote(store: Store) -> None:
    alone = await store.save("bi-tu-choi.pdf", chunks_of(pdf(4096, b"mot minh")))
    assert store.discard(alone) is True
    assert store.open(alone.ref.sha256) is None and contents(store) == []
    assert store.discard(alone) is False, "a second discard finds nothing"


async def test_the_sweep_removes_only_old_content_nothing_uses_and_a_save_renews_its_age(store: Store) -> None:
    used = await store.save("dung.pdf", chunks_of(pdf(2048, b"dung")))
    orphan = await store.save("bo-roi.pdf", chunks_of(pdf(2048, b"bo roi")))
    renewed = await store.save("lai.pdf", chunks_of(pdf(2048, b"nop lai")))
    store.spool.mkdir(parents=True, exist_ok=True)
    abandoned = store.spool / ".upload-bo-do"
    abandoned.write_bytes(b"nua chung")
    os.utime(abandoned, (time.time() - 3600, time.time() - 3600))
    await asyncio.sleep(6)  # object stores keep whole seconds; a loaded machine may pause between the saves below
    await store.save("lai-lan-2.pdf", chunks_of(pdf(2048, b"nop lai")))  # the same content saved again
    recent = await store.save("moi.pdf", chunks_of(pdf(2048, b"moi")))

    removed = await asyncio.to_thread(store.sweep, lambda sha256: sha256 == used.ref.sha256, timedelta(seconds=5))

    assert removed == [orphan.ref.sha256]
    for kept in (used, renewed, recent):
        assert store.open(kept.ref.sha256) is not None
    assert store.open(orphan.ref.sha256) is None and not abandoned.exists()


async def test_stored_content_streams_out_in_bounded_chunks(store: Store) -> None:
    big = pdf(8 * 1024 * 1024 + 17, b"lon")
    store.max_bytes = len(big)
    saved = await store.save("lon.pdf", chunks_of(big, 1024 * 1024))
    blob = store.open(saved.ref.sha256)
    assert blob is not None and blob.size == len(big)
    if isinstance(store, LocalStore):
        assert blob.path is not None and blob.chunks is None  # served by the web server from the file itself
        return
    assert blob.path is None and blob.chunks is not None
    digest, received, largest = hashlib.sha256(), 0, 0
    tracemalloc.start()
    try:
        for chunk in blob.chunks:
            digest.update(chunk)
            received += len(chunk)
            largest = max(largest, len(chunk))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert received == len(big) and digest.hexdigest() == saved.ref.sha256
    assert largest <= READ_CHUNK
    assert peak < 3 * READ_CHUNK, f"bounded by the chunk, not by the file: peak {peak} bytes"


def test_the_settings_choose_the_backend_and_s3_needs_a_bucket(tmp_path: Path, s3_server: S3Server) -> None:
    local = open_store(Settings(data_dir=tmp_path, storage_dir=tmp_path / "kho"))
    assert isinstance(local, LocalStore) and local.root == tmp_path / "kho"
    with pytest.raises(ValidationError, match="DONDOC_STORAGE_BACKEND=s3 cần đặt DONDOC_S3_BUCKET"):
        Settings(data_dir=tmp_path, storage_backend="s3")
    bucket = s3_server.new_bucket()
    remote = open_store(
        Settings(
            data_dir=tmp_path,
            max_upload_mb=3,
            storage_backend="s3",
            s3_bucket=bucket,
            s3_prefix="dondoc",
            s3_endpoint_url=s3_server.endpoint,
            s3_region=REGION,
            s3_access_key_id=KEY_ID,
            s3_secret_access_key=SecretStr(SECRET),
            s3_addressing_style="path",
        )
    )
    assert isinstance(remote, S3Store) and (remote.bucket, remote.prefix) == (bucket, "dondoc/")
    assert remote.max_bytes == 3 * 1024 * 1024 and remote.spool == tmp_path / "upload-spool"
    remote.check()


def test_the_store_says_whether_it_can_be_reached(store: Store, s3_server: S3Server) -> None:
    store.check()
    if isinstance(store, S3Store):
        missing = S3Store(store.client, "khong-co-bucket-nay", "", LIMIT, store.spool)
        with pytest.raises(Exception, match=r"404|NoSuchBucket|Not Found"):
            missing.check()
