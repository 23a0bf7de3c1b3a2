"""What a file is, told by its content, reading a bounded amount whatever the file claims (ZIP bombs included).

Blocking: callers run it in a thread, never on the event loop.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import filetype

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
ACCEPTED_LABEL = "PDF, DOCX, XLSX, DOC, XLS, ODT, JPEG, PNG, ZIP"

_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")
_HEAD = 8192
_ODT = b"application/vnd.oasis.opendocument.text"
# A central directory larger than this is not parsed (zipfile builds a Python object per entry, at least one per
# 46 bytes of it, whatever the end record claims): such an archive is a plain ZIP, never an office document.
MAX_ZIP_DIRECTORY = 1024 * 1024
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_EOCD64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes, right before the record above
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
# zipfile bounds what one read inflates only for these; a few KiB of bzip2 or LZMA may unpack to gigabytes at once
# (ODF stores `mimetype` uncompressed anyway).
_BOUNDED = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ZIP_FAILURES = (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError, zlib.error, NotImplementedError)


def detect(path: Path, name: str) -> str:
    """The MIME type by content. Office formats built on ZIP or OLE2 are told apart by their parts and name."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
        suffix = Path(name).suffix.lower()
        if head.startswith(_OLE2):
            return {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}.get(suffix, "application/x-ole2")
        if head.startswith(b"PK\x03\x04"):
            return _zip_kind(handle)
    kind = filetype.guess(head)
    return kind.mime if kind is not None else "application/octet-stream"


def _zip_kind(handle: BinaryIO) -> str:
    """ODT, DOCX, XLSX or a plain ZIP, from the names in the central directory and at most a few bytes of one entry
    (`mimetype`, read through a bounded decompressor: its declared or real size does not matter)."""
    try:
        directory = zip_directory_size(handle)
        if directory is None or directory > handle.seek(0, 2):
            return "application/octet-stream"  # no end record, or one that lies: not a ZIP anyone can open
        if directory > MAX_ZIP_DIRECTORY:
            return "application/zip"
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").compress_type in _BOUNDED:
                with archive.open("mimetype") as entry:
                    if entry.read(len(_ODT) + 1) == _ODT:
                        return "application/vnd.oasis.opendocument.text"
    except _ZIP_FAILURES:
        return "application/octet-stream"  # corrupt, encrypted or exotic archives are not accepted
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "application/zip"


def zip_directory_size(handle: BinaryIO) -> int | None:
    """The size of the central directory as the end record declares it (ZIP64 included; zipfile parses that much),
    reading at most 64 KiB; None when there is no end record."""
    size = handle.seek(0, 2)
    tail_size = min(size, _EOCD.size + 0xFFFF)  # the record, then a comment of at most 64 KiB
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    directory = int(_EOCD.unpack_from(tail, at)[5])
    locator_at = at - _EOCD64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        offset = int(_EOCD64_LOCATOR.unpack_from(tail, locator_at)[2])
        if offset + _EOCD64.size > size:
            return None
        handle.seek(offset)
        record = handle.read(_EOCD64.size)
        if not record.startswith(b"PK\x06\x06"):
            return None
        directory = max(directory, int(_EOCD64.unpack(record)[8]))
    return directory
