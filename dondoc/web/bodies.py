"""Request bodies read within limits while they stream: per file and per request for multipart forms, and a cap on
every other body. Nothing is spooled past a limit, with or without a Content-Length (chunked bodies alike)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from fastapi import HTTPException, Request, status
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dondoc.storage import UploadError, safe_name, size_label, too_large
from dondoc.web.context import AppContext

FORM_MARGIN = 1024 * 1024  # multipart framing and the text fields around the files
API_FILES = 10  # files per API request (docs/api.md)
PAGE_FILES = 20  # files per portal form
MAX_FIELDS = 100  # text fields per form; all of them together at most FORM_MARGIN
MAX_OTHER_BODY = 5 * 1024 * 1024  # JSON and url-encoded bodies: specs, notes, settings


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def max_files(path: str) -> int:
    return API_FILES if _is_api(path) else PAGE_FILES


def request_limit(path: str, max_file_bytes: int) -> int:
    """The most a multipart request may carry in all: an API request as much as one file, a portal form as much as
    all the files it may hold (docs/api.md, docs/settings.md); plus the form itself."""
    files = 1 if _is_api(path) else PAGE_FILES
    return max_file_bytes * files + FORM_MARGIN


def over_request_limit(limit: int, field: str | None = None) -> HTTPException:
    where = f" (đến trường «{field}»)" if field else ""
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"Dữ liệu gửi lên quá lớn{where}: vượt quá dung lượng cho phép ({size_label(limit)} mỗi lần gửi).",
    )


class LimitedUpload(UploadFile):
    """A file part of a parsed form; past the per-file limit its content is dropped, not spooled, and it is marked:
    the store refuses it with its usual message (beside the field), and a route reading it gets 413, never a
    truncated file."""

    too_large: bool = False
    limit: int = 0

    async def read(self, size: int = -1) -> bytes:
        if self.too_large:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(too_large(self.shown_name, self.limit)))
        return await super().read(size)

    @property
    def shown_name(self) -> str:
        try:
            return safe_name(self.filename or "")
        except UploadError:
            return "không tên"


class LimitedMultiPartParser(MultiPartParser):
    """Starlette's parser, counting every file part's bytes and the whole body's as they arrive."""

    spool_max_size = 256 * 1024  # a file part's bytes held in memory before they go to a temp file

    def __init__(
        self, request: Request, *, max_files: int, max_fields: int, max_file_bytes: int, max_request_bytes: int
    ) -> None:
        self.max_file_bytes = max_file_bytes
        self.max_request_bytes = max_request_bytes
        self._file_bytes = 0
        self._field_bytes = 0
        super().__init__(request.headers, self._counted(request.stream()), max_files=max_files, max_fields=max_fields)

    async def _counted(self, stream: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in stream:
            received += len(chunk)
            if received > self.max_request_bytes:
                raise over_request_limit(self.max_request_bytes, self._current_part.field_name or None)
            yield chunk

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        part = self._current_part
        if part.file is not None:  # the same spooled file, in an upload that can be marked too large
            part.file = LimitedUpload(part.file.file, size=0, filename=part.file.filename, headers=part.file.headers)
            part.file.limit = self.max_file_bytes

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        upload = self._current_part.file
        if not isinstance(upload, LimitedUpload):
            self._field_bytes += end - start
            if self._field_bytes > FORM_MARGIN:  # text is held in memory: bounded in all, not only per field
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE,
                    f"Các trường văn bản quá dài (đến trường «{self._current_part.field_name}»): "
                    f"tối đa {size_label(FORM_MARGIN)} cho cả biểu mẫu.",
                )
            super().on_part_data(data, start, end)
            return
        if upload.too_large:
            return
        room = self.max_file_bytes - self._file_bytes
        self._file_bytes += end - start
        if end - start > room:
            upload.too_large = True  # what was spooled stays at most the limit; the rest is dropped as it comes
            return
        super().on_part_data(data, start, end)


async def read_form(request: Request, ctx: AppContext) -> FormData:
    """The request's form, parsed once (the CSRF check and the route share it) within the limits of its audience:
    a multipart body per file and per request, any other one by `BodyLimit`."""
    cached = request._form  # Starlette's own cache: `request.form()` answers this one afterwards
    if cached is not None:
        return cached
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.form()
    path = request.url.path
    parser = LimitedMultiPartParser(
        request,
        max_files=max_files(path),
        max_fields=MAX_FIELDS,
        max_file_bytes=ctx.files.max_bytes,
        max_request_bytes=request_limit(path, ctx.files.max_bytes),
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > parser.max_request_bytes:
        raise over_request_limit(parser.max_request_bytes)
    form = await parser.parse()
    request._form = form
    return form


class BodyLimit:
    """ASGI middleware: whoever reads a body gets 413 once it passes the cap, declared or streamed. Multipart forms
    read through `read_form` meet their own, lower limits first (with the field named); this is the backstop for
    every other reader."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"] if k.lower() in (b"content-type", b"content-length")}
        if headers.get(b"content-type", b"").startswith(b"multipart/form-data"):
            limit = self.ctx.files.max_bytes * PAGE_FILES + 2 * FORM_MARGIN
        else:
            limit = MAX_OTHER_BODY
        declared = headers.get(b"content-length", b"")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise over_request_limit(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise over_request_limit(limit)
            return message

        await self.app(scope, receive if scope["method"] in ("GET", "HEAD", "OPTIONS") else limited, send)
