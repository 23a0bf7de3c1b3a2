"""Evidence and report files: streamed in, checked by content, stored once by SHA-256, never overwritten."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
import unicodedata
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import filetype

from models.state import FileRef

# What agencies may send, by detected content: (MIME type, extensions a name may carry).
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/zip": (".zip",),
}
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")
_CHUNK = 1 << 16


class UploadError(ValueError):
    """A refused upload; the message names the problem in Vietnamese."""


@dataclass(frozen=True)
class StoredFile:
    ref: FileRef
    path: Path
    fresh: bool = False  # this save wrote the content (it was not in the store before)
    claimed_ns: int = 0  # the file's mtime right after this save; a later save of the same content renews it


def safe_name(name: str) -> str:
    """The file's own name without any folder part or control characters, kept readable (Vietnamese allowed)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip().lstrip(".")
    if not name:
        raise UploadError("Tên tệp không hợp lệ.")
    return name[:180]


def _detect(path: Path, name: str) -> str:
    """The MIME type by content. Office formats built on ZIP or OLE2 are told apart by their parts and name."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    suffix = Path(name).suffix.lower()
    if head.startswith(_OLE2):
        return {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}.get(suffix, "application/x-ole2")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype") == b"application/vnd.oasis.opendocument.text":
                    return "application/vnd.oasis.opendocument.text"
        except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError, zlib.error, NotImplementedError):
            return "application/octet-stream"  # corrupt, encrypted or exotic archives are not accepted
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "application/zip"
    kind = filetype.guess(head)
    return kind.mime if kind is not None else "application/octet-stream"


class FileStore:
    """Content-addressed storage on a local folder (an S3-compatible store would keep the same interface)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_of(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise UploadError("Mã tệp không hợp lệ.")
        return self.root / sha256[:2] / sha256

    async def save(self, name: str, chunks: AsyncIterator[bytes]) -> StoredFile:
        """Stream to a temp file while hashing; refuse empty, oversize and disallowed files, leaving nothing."""
        clean = safe_name(name)
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadError(
                            f"Tệp «{clean}» vượt quá dung lượng cho phép ({self.max_bytes // (1024 * 1024)} MB)."
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise UploadError(f"Tệp «{clean}» rỗng.")
            mime = _detect(tmp, clean)
            allowed = ALLOWED.get(mime)
            if allowed is None:
                raise UploadError(
                    f"Tệp «{clean}» không thuộc loại được chấp nhận (PDF, DOCX, XLSX, DOC, XLS, ODT, JPEG, PNG, ZIP)."
                )
            if Path(clean).suffix.lower() not in allowed:
                raise UploadError(f"Nội dung tệp «{clean}» không khớp với phần mở rộng của tên tệp.")
            final, fresh = self._keep(tmp, digest.hexdigest())
            ref = FileRef(name=clean, sha256=digest.hexdigest(), size=size, content_type=mime)
            return StoredFile(ref, final, fresh, final.stat().st_mtime_ns)
        except BaseException:
            tmp.unlink(missing_ok=True)  # noqa: ASYNC240 - cleanup of our own temp file
            raise

    def _keep(self, tmp: Path, sha256: str) -> tuple[Path, bool]:
        """Move the upload to its content address; the same content stored before is kept, not overwritten, and its
        mtime renewed so that a concurrent `discard` of it by another request leaves it alone."""
        final = self.path_of(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
            os.utime(final, ns=(time.time_ns(), max(time.time_ns(), final.stat().st_mtime_ns + 1)))
            return final, False
        tmp.replace(final)
        return final, True

    def sweep(self, referenced: Callable[[str], bool], older_than: timedelta) -> list[str]:
        """Delete stored content (and abandoned temp files) untouched for `older_than` that nothing references: what
        requests left behind when their update timed out and never applied. Returns the removed hashes."""
        cutoff = time.time() - older_than.total_seconds()
        removed: list[str] = []
        if not self.root.exists():
            return removed
        for path in self.root.glob(".upload-*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
        for path in self.root.glob("??/*"):
            if not re.fullmatch(r"[0-9a-f]{64}", path.name):
                continue
            try:
                if path.stat().st_mtime >= cutoff or referenced(path.name):
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path.name)
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        return removed

    def discard(self, stored: StoredFile) -> bool:
        """Remove what a refused request stored, only when that request wrote it and no save has relied on it since.
        The caller first makes sure no recorded submission uses the content."""
        if not stored.fresh:
            return False
        try:
            if stored.path.stat().st_mtime_ns != stored.claimed_ns:
                return False
            stored.path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):  # other files may share the folder
            stored.path.parent.rmdir()
        return True
