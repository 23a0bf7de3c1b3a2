"""The file store every backend implements: streamed in, checked by content, stored once by SHA-256, never
overwritten; read back as a stream; released when a refused request wrote it; swept when nothing uses it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from dondoc.storage.detection import ACCEPTED_LABEL, ALLOWED, detect
from models.state import FileRef

SHA256 = re.compile(r"[0-9a-f]{64}")
TEMP_PREFIX = ".upload-"
READ_CHUNK = 1024 * 1024
MAX_NAME = 180


class UploadError(ValueError):
    """A refused upload; the message names the problem in Vietnamese."""


@dataclass(frozen=True)
class StoredFile:
    ref: FileRef
    fresh: bool = False  # this save wrote the content (it was not in the store before)
    claim: str = ""  # the backend's mark of this save; a later save of the same content replaces it


@dataclass
class Blob:
    """Stored content on its way out: a local file (served by the web server itself) or a stream of chunks."""

    size: int
    path: Path | None = None
    chunks: Iterator[bytes] | None = None


def safe_name(name: str) -> str:
    """The file's own name without any folder part or control characters, kept readable (Vietnamese allowed)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f-\x9f<>:\"|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069]", "", name).strip().lstrip(".")
    if not name:
        raise UploadError("Tên tệp không hợp lệ.")
    if len(name) > MAX_NAME:
        suffix = Path(name).suffix[:16]
        name = name[: MAX_NAME - len(suffix)].rstrip() + suffix
    return name


def size_label(size: int) -> str:
    """A size as people read it: 50 MB, 512 KB."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, size // 1024)} KB"


def too_large(name: str, max_bytes: int) -> UploadError:
    return UploadError(f"Tệp «{name}» vượt quá dung lượng cho phép ({size_label(max_bytes)} mỗi tệp).")


def check_sha256(sha256: str) -> str:
    if not SHA256.fullmatch(sha256):
        raise UploadError("Mã tệp không hợp lệ.")
    return sha256


class Store(ABC):
    """A content-addressed file store. `save` is shared: the upload is spooled to a local temp file while hashed and
    counted, its content checked in a thread, then handed to the backend (`_keep`, also in a thread)."""

    def __init__(self, max_bytes: int, spool: Path) -> None:
        self.max_bytes = max_bytes
        self.spool = spool  # local temp files of uploads in progress

    async def save(self, name: str, chunks: AsyncIterator[bytes]) -> StoredFile:
        """Refuse empty, oversize and disallowed files, leaving nothing behind; the event loop only moves bytes."""
        clean = safe_name(name)
        await asyncio.to_thread(self.spool.mkdir, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.spool, prefix=TEMP_PREFIX)
        tmp = Path(tmp_name)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise too_large(clean, self.max_bytes)
                    await asyncio.to_thread(_write, out, digest, chunk)
            if size == 0:
                raise UploadError(f"Tệp «{clean}» rỗng.")
            mime = await asyncio.to_thread(detect, tmp, clean)
            allowed = ALLOWED.get(mime)
            if allowed is None:
                raise UploadError(f"Tệp «{clean}» không thuộc loại được chấp nhận ({ACCEPTED_LABEL}).")
            if Path(clean).suffix.lower() not in allowed:
                raise UploadError(f"Nội dung tệp «{clean}» không khớp với phần mở rộng của tên tệp.")
            sha256 = digest.hexdigest()
            fresh, claim = await asyncio.to_thread(self._keep, tmp, sha256)
            return StoredFile(FileRef(name=clean, sha256=sha256, size=size, content_type=mime), fresh, claim)
        finally:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)  # the backend moved or copied it, or it was refused

    def copy_in(self, path: Path, sha256: str) -> bool:
        """Store a file already checked elsewhere (another store's copy) under its hash, through a temp copy of our
        own; whether it was not there before. Blocking."""
        self.spool.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.spool, prefix=TEMP_PREFIX)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            shutil.copyfile(path, tmp)
            return self._keep(tmp, check_sha256(sha256))[0]
        finally:
            tmp.unlink(missing_ok=True)

    @abstractmethod
    def _keep(self, tmp: Path, sha256: str) -> tuple[bool, str]:
        """Store the checked temp file at its content address unless that content is there already; either way mark
        this save (renewing the content's age) so that a `discard` by another request leaves it alone. Returns
        (whether this save wrote the content, the mark)."""

    @abstractmethod
    def open(self, sha256: str) -> Blob | None:
        """The stored content, or None when the store does not have it. Blocking."""

    @abstractmethod
    def discard(self, stored: StoredFile) -> bool:
        """Remove what a refused request stored, only when that request wrote it and no save has relied on it since.
        The caller first makes sure no recorded submission uses the content. Blocking."""

    @abstractmethod
    def sweep(self, referenced: Callable[[str], bool], older_than: timedelta) -> list[str]:
        """Delete stored content untouched for `older_than` that nothing references (what requests left behind when
        their update timed out and never applied), and abandoned temp files. Returns the removed hashes. Blocking."""

    @abstractmethod
    def check(self) -> None:
        """Raise when the store cannot be reached (for readiness checks). Blocking."""

    def _sweep_spool(self, cutoff: float) -> None:
        if not self.spool.exists():
            return
        for path in self.spool.glob(f"{TEMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


def _write(out: BinaryIO, digest: hashlib._Hash, chunk: bytes) -> None:
    digest.update(chunk)
    out.write(chunk)


def read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """A file's content in chunks, closing it when done or abandoned."""
    try:
        while chunk := handle.read(READ_CHUNK):
            yield chunk
    finally:
        handle.close()


def cutoff_of(older_than: timedelta) -> float:
    return time.time() - older_than.total_seconds()
