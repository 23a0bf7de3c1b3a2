"""How every audience receives a file: always as an attachment, under its real (Vietnamese) name."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from fastapi.responses import FileResponse, Response, StreamingResponse

from dondoc.storage import Blob

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def content_disposition(name: str) -> str:
    """Always an attachment: an ASCII fallback name and the real one as RFC 5987 `filename*`."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(ch for ch in folded if ch.isascii() and ch.isprintable() and ch not in '"\\')
    ascii_name = ascii_name.strip() or "tep"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def stored_response(blob: Blob, media_type: str, headers: dict[str, str]) -> Response:
    """Stored content: a local file served by the web server (ranges included), else streamed through as the
    object store sends it, never held whole in memory."""
    if blob.path is not None:
        return FileResponse(blob.path, media_type=media_type, headers=headers)
    assert blob.chunks is not None
    return StreamingResponse(blob.chunks, media_type=media_type, headers={**headers, "Content-Length": str(blob.size)})


def docx_response(content: bytes, filename: str) -> Response:
    """A generated Word document, never cached by a shared proxy."""
    return Response(
        content,
        media_type=DOCX_TYPE,
        headers={
            "Content-Disposition": content_disposition(filename),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
