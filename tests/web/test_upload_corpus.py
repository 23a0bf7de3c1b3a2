"""The upload corpus (#11): hostile and edge-case uploads through the API and the portal, each answered as
docs/api.md says, with the web process's peak memory (tracemalloc) and temp disk (every open or visible temp file,
sampled while the body streams) measured to stay within a small multiple of the limit."""

from __future__ import annotations

import asyncio
import os
import tempfile
import tracemalloc
import unicodedata
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from dondoc.storage.interface import TEMP_PREFIX
from dondoc.web.bodies import FORM_MARGIN, MAX_OTHER_BODY, PAGE_FILES
from tests.support.bombs import mimetype_bomb
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.portal.test_portal import ACTION, evidence_url, main_of, open_link

LIMIT = 512 * 1024  # DONDOC_MAX_UPLOAD_MB, lowered so that "far over" stays quick (above the parser's memory spool)
API_REQUEST = LIMIT + FORM_MARGIN
PORTAL_REQUEST = LIMIT * PAGE_FILES + FORM_MARGIN
CHUNK = 64 * 1024
FILLER = b"%" * CHUNK
PDF_HEAD = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LY_SON = ("ly-son-cong-ttdt", "ly-son-dvctt", "ly-son-eoffice", "ly-son-thu-cong-vu", "ly-son-chu-ky-so")
BOUNDARY = "dondoc-corpus-7d1f0c"


def pdf_of(size: int, salt: bytes = b"") -> bytes:
    head = PDF_HEAD + salt + b"\n"
    return head + b"%" * (size - len(head))


# ---------------------------------------------------------------- measuring the web process


def temp_bytes(spool: Path, store: Path) -> int:
    """Bytes in the temp files of uploads: the form parser's (open and unlinked, seen through /proc) and the
    store's own (`.upload-*`), each file counted once; stored content is not temporary."""
    seen: dict[tuple[int, int], int] = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(str(spool)) or Path(target).name.startswith(TEMP_PREFIX):
                info = os.stat(f"/proc/self/fd/{fd}")
                seen[(info.st_dev, info.st_ino)] = info.st_size
        except OSError:
            continue
    for path in [*spool.rglob("*"), *store.glob(f"{TEMP_PREFIX}*")] if store.exists() else spool.rglob("*"):
        try:
            info = path.stat()
        except OSError:
            continue
        seen[(info.st_dev, info.st_ino)] = info.st_size
    return sum(seen.values())


@dataclass
class Footprint:
    spool: Path
    store: Path
    disk_peak: int = 0
    memory_peak: int = 0
    pulled: int = 0  # body bytes the server asked for

    def sample(self) -> None:
        self.disk_peak = max(self.disk_peak, temp_bytes(self.spool, self.store))


@pytest.fixture
def footprint(web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Footprint:
    """The upload limit lowered to LIMIT; the form parser's spool files in a folder of their own, watched."""
    monkeypatch.setattr(web.ctx.files, "max_bytes", LIMIT)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    return Footprint(spool, web.ctx.files.spool)


@asynccontextmanager
async def measured(footprint: Footprint) -> AsyncIterator[None]:
    """Peak traced memory over the block; temp disk sampled whenever the event loop is free (the app writes every
    chunk from a thread, so it yields between chunks) as well as between the body's chunks."""

    async def sample() -> None:
        while True:
            footprint.sample()
            await asyncio.sleep(0.001)

    sampler = asyncio.create_task(sample())
    tracemalloc.start()
    try:
        yield
        footprint.memory_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sampler.cancel()
    footprint.sample()


# ---------------------------------------------------------------- multipart bodies, sent chunked


@dataclass
class FilePart:
    field: str
    filename: bytes  # raw, as a client may send it
    size: int
    head: bytes = PDF_HEAD


@dataclass
class Form:
    files: list[FilePart]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={BOUNDARY}"

    def whole(self) -> bytes:
        return b"".join(self._pieces(None))

    async def chunked(self, footprint: Footprint) -> AsyncIterator[bytes]:
        """The body in chunks of at most CHUNK, filler never materialised; the temp disk sampled between chunks."""
        for piece in self._pieces(footprint):
            footprint.pulled += len(piece)
            yield piece
            footprint.sample()

    def _pieces(self, footprint: Footprint | None) -> Iterator[bytes]:
        for name, value in self.fields.items():
            yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for part in self.files:
            yield (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{part.field}"; filename="'.encode()
                + part.filename
                + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            )
            yield part.head[: part.size]
            left = part.size - min(part.size, len(part.head))
            while left > 0:
                yield FILLER[: min(left, CHUNK)] if left < CHUNK else FILLER
                left -= CHUNK
            yield b"\r\n"
        yield f"--{BOUNDARY}--\r\n".encode()


async def send_chunked(client: httpx.AsyncClient, url: str, form: Form, footprint: Footprint) -> httpx.Response:
    """Posted without a Content-Length (Transfer-Encoding: chunked), as a streaming client does."""
    async with measured(footprint):
        return await client.post(url, content=form.chunked(footprint), headers={"Content-Type": form.content_type})


def api_url(workflow_id: str, action: str = ACTION) -> str:
    return f"/api/conclusions/{workflow_id}/actions/{action}/evidence"


def created_file(answer: httpx.Response) -> dict[str, Any]:
    """The first file of the evidence this answer created."""
    body = answer.json()
    [evidence] = [e for e in body["conclusion"]["evidence"] if e["evidence_id"] == body["created"]]
    file: dict[str, Any] = evidence["files"][0]
    return file


def stored(web: Web) -> list[Path]:
    """Everything in the store's folder, temp files included."""
    root = web.ctx.files.spool
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ---------------------------------------------------------------- sizes


async def test_empty_exactly_at_the_limit_and_one_byte_over_with_and_without_a_length(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)

    empty = await agency.post(api_url(wid), files={"file": ("rong.pdf", b"", "application/pdf")})
    assert empty.status_code == 422 and "«rong.pdf» rỗng" in empty.json()["detail"]

    at_limit = await agency.post(api_url(wid, LY_SON[0]), files={"file": ("vua.pdf", pdf_of(LIMIT, b"1"))})
    assert at_limit.status_code == 201, at_limit.text
    over = await agency.post(api_url(wid, LY_SON[1]), files={"file": ("qua.pdf", pdf_of(LIMIT + 1, b"2"))})
    assert over.status_code == 422 and "«qua.pdf» vượt quá dung lượng cho phép" in over.json()["detail"]

    chunked_at = Form([FilePart("file", b"vua-chunked.pdf", LIMIT, PDF_HEAD + b"3\n")])
    answer = await send_chunked(agency, api_url(wid, LY_SON[1]), chunked_at, footprint)
    assert answer.status_code == 201, answer.text
    chunked_over = Form([FilePart("file", b"qua-chunked.pdf", LIMIT + 1, PDF_HEAD + b"4\n")])
    answer = await send_chunked(agency, api_url(wid, LY_SON[3]), chunked_over, footprint)
    assert answer.status_code == 422 and "«qua-chunked.pdf» vượt quá dung lượng cho phép" in answer.json()["detail"]

    assert [p.stat().st_size for p in stored(web)] == [LIMIT, LIMIT], "the two accepted, nothing else, no temp file"
    assert footprint.disk_peak <= 2 * LIMIT + CHUNK
    assert footprint.memory_peak < 4 * API_REQUEST


async def test_a_chunked_api_upload_far_over_the_limit_is_cut_off_while_it_streams(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    form = Form([FilePart("file", b"rat-lon.pdf", 64 * 1024 * 1024)], {"note": "tệp rất lớn"})

    answer = await send_chunked(web.bearer(AGENCY), api_url(wid), form, footprint)

    assert answer.status_code == 413
    assert "vượt quá dung lượng cho phép" in answer.json()["detail"] and "«file»" in answer.json()["detail"]
    assert footprint.pulled <= API_REQUEST + CHUNK, "the rest of the 64 MB was never read"
    assert LIMIT // 2 < footprint.disk_peak <= LIMIT + CHUNK, "the file spooled up to its limit, no further"
    assert footprint.memory_peak < 4 * API_REQUEST, footprint.memory_peak
    assert stored(web) == []


async def test_text_fields_are_held_in_memory_only_up_to_a_bound_for_the_whole_form(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    notes = {f"note{n}": "ghi chú " * (100 * 1024 // 9) for n in range(12)}  # 12 fields of 100 KB: 1.2 MB of text
    form = Form([FilePart("file", b"nho.pdf", 4096)], notes)

    answer = await send_chunked(web.bearer(AGENCY), api_url(wid), form, footprint)

    assert answer.status_code == 413
    assert "Các trường văn bản quá dài (đến trường «note10»)" in answer.json()["detail"]
    assert footprint.memory_peak < 4 * FORM_MARGIN


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    form = Form([FilePart("file", b"khai-lon.pdf", 8 * 1024 * 1024)])
    agency = web.bearer(AGENCY)
    headers = {"Content-Type": form.content_type, "Content-Length": str(len(form.whole()))}

    answer = await agency.post(api_url(wid), content=form.chunked(footprint), headers=headers)

    assert answer.status_code == 413 and "vượt quá dung lượng cho phép" in answer.json()["detail"]
    assert footprint.pulled <= CHUNK, "refused from its Content-Length"


async def test_a_portal_file_over_the_limit_streamed_is_refused_beside_its_field_with_only_the_limit_spooled(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    visitor = await open_link(web, wid)
    form = Form([FilePart("files", "Báo cáo lớn.pdf".encode(), 3 * LIMIT)], {"note": "ghi chú giữ lại"})

    answer = await send_chunked(visitor, evidence_url(wid), form, footprint)

    assert answer.status_code == 422
    page = main_of(answer.text)
    assert "«Báo cáo lớn.pdf» vượt quá dung lượng cho phép" in page and "ghi chú giữ lại" in page
    assert footprint.disk_peak <= LIMIT + CHUNK
    assert stored(web) == []


async def test_a_portal_form_far_over_the_request_limit_is_refused_with_413_naming_the_field(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    visitor = await open_link(web, wid)
    form = Form([FilePart("files", f"phan-{n}.pdf".encode(), 4 * LIMIT) for n in range(12)])

    answer = await send_chunked(visitor, evidence_url(wid), form, footprint)

    assert answer.status_code == 413
    assert "Dữ liệu gửi lên quá lớn (đến trường «files»)" in answer.text
    assert footprint.pulled <= PORTAL_REQUEST + CHUNK
    files_read = PORTAL_REQUEST // (4 * LIMIT) + 1
    assert footprint.disk_peak <= files_read * LIMIT + CHUNK, "each file cut at its limit while it streamed"
    assert footprint.memory_peak < 4 * PORTAL_REQUEST
    assert stored(web) == []


async def test_a_staff_page_form_is_parsed_within_the_same_limits_and_never_truncated(
    web: Web, footprint: Footprint
) -> None:
    """The CSRF check parses every multipart form of a session within the limits, whichever way its token comes, and
    keeps it for the route; a route reading a file cut at the limit gets 413, never the first part of it."""
    staff = await web.login(STAFF)  # sends its token in the X-CSRF-Token header
    far_over = Form([FilePart("spec_file", b"ho-so.yaml", 64 * 1024 * 1024, b"number: 1/KL\n")], {"mode": "check"})
    answer = await send_chunked(staff, "/conclusions/upload", far_over, footprint)
    assert answer.status_code == 413 and "Dữ liệu gửi lên quá lớn (đến trường «spec_file»)" in answer.text
    assert footprint.pulled <= PORTAL_REQUEST + CHUNK
    assert footprint.disk_peak <= LIMIT + CHUNK

    over_one_file = Form([FilePart("spec_file", b"ho-so.yaml", 2 * LIMIT, b"number: 1/KL\n")], {"mode": "check"})
    answer = await send_chunked(staff, "/conclusions/upload", over_one_file, footprint)
    assert answer.status_code == 413 and "«ho-so.yaml» vượt quá dung lượng cho phép" in answer.text


async def test_any_other_body_is_capped_while_it_streams(web: Web, footprint: Footprint) -> None:
    staff = web.bearer(STAFF)

    async def endless_json() -> AsyncIterator[bytes]:
        yield b'{"number": "'
        while True:
            footprint.pulled += CHUNK
            yield FILLER

    async with measured(footprint):
        answer = await staff.post(
            "/api/conclusions", content=endless_json(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 413 and "quá lớn" in answer.json()["detail"]
    assert footprint.pulled <= MAX_OTHER_BODY + 2 * CHUNK
    assert footprint.memory_peak < 4 * MAX_OTHER_BODY


# ---------------------------------------------------------------- content


async def test_a_zip_bomb_is_judged_at_once_in_bounded_memory(
    web: Web, footprint: Footprint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1 MB on the wire whose `mimetype` unpacks to 1 GB: accepted as a plain ZIP, refused under an .odt name."""
    monkeypatch.setattr(web.ctx.files, "max_bytes", 2 * 1024 * 1024)
    bomb = await asyncio.to_thread(mimetype_bomb, 1024)
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)

    async with measured(footprint):
        as_odt = await agency.post(api_url(wid), files={"file": ("van-ban.odt", bomb, "application/zip")})
        as_zip = await agency.post(api_url(wid), files={"file": ("ho-so.zip", bomb, "application/zip")})

    assert as_odt.status_code == 422 and "không khớp với phần mở rộng" in as_odt.json()["detail"]
    assert as_zip.status_code == 201, as_zip.text
    assert created_file(as_zip)["content_type"] == "application/zip"
    # tracemalloc also counts what the worker in this process does meanwhile (up to ~0.3 MB seen): 1 MiB of room for
    # it; unpacking the bomb would take a thousand times more.
    assert footprint.memory_peak < 8 * len(bomb) + 2**20, f"{footprint.memory_peak} bytes for a {len(bomb)}-byte bomb"
    assert footprint.disk_peak <= 2 * len(bomb) + CHUNK, "the upload spooled, then stored: never unpacked"


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Báo cáo kết quả khắc phục.pdf", "Báo cáo kết quả khắc phục.pdf"),
        (unicodedata.normalize("NFD", "Biên bản làm việc.pdf"), "Biên bản làm việc.pdf"),  # as macOS sends it
        ("bao\x00cao\x01\x1f\x7f.pdf", "baocao.pdf"),
        ("\u202efdp.exe\u202c.pdf", "fdp.exe.pdf"),  # a right-to-left override hiding the real extension
        ("tệp\u200b\u200d ẩn.pdf", "tệp ẩn.pdf"),
        ("📎 minh chứng 「số 1」.pdf", "📎 minh chứng 「số 1」.pdf"),
        ("..\\..\\Windows\\đơn vị.pdf", "đơn vị.pdf"),
        ("d" * 300 + ".pdf", "d" * 176 + ".pdf"),  # cut to 180 characters, the extension kept
    ],
)
async def test_unicode_and_control_characters_in_names_are_kept_readable_and_served_back_safely(
    web: Web, footprint: Footprint, sent: str, kept: str
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)
    form = Form([FilePart("file", sent.encode(), 4096)])

    answer = await agency.post(api_url(wid), content=form.whole(), headers={"Content-Type": form.content_type})

    assert answer.status_code == 201, answer.text
    file = created_file(answer)
    assert file["name"] == kept
    download = await agency.get(file["url"])
    assert download.status_code == 200 and len(download.content) == 4096
    disposition = download.headers["content-disposition"]
    assert (
        disposition.startswith('attachment; filename="') and f"filename*=UTF-8''{quote(kept, safe='')}" in disposition
    )
    assert disposition.isascii()


async def test_a_name_of_nothing_but_control_characters_is_refused(web: Web, footprint: Footprint) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    form = Form([FilePart("file", b"\x01\x02\x7f", 4096)])
    answer = await web.bearer(AGENCY).post(
        api_url(wid), content=form.whole(), headers={"Content-Type": form.content_type}
    )
    assert answer.status_code == 422 and "Tên tệp không hợp lệ" in answer.json()["detail"]
    assert stored(web) == []


# ---------------------------------------------------------------- concurrency


async def test_concurrent_uploads_of_the_same_file_store_it_once_and_a_concurrent_refusal_keeps_it(
    web: Web, footprint: Footprint
) -> None:
    wid = (await web.start_quang_ngai()).workflow_id
    agency = web.bearer(AGENCY)
    content = pdf_of(LIMIT // 2, b"cung-mot-tep")
    first = await agency.post(api_url(wid, LY_SON[0]), files={"file": ("truoc.pdf", pdf_of(4096, b"khac"))})
    assert first.status_code == 201

    async def send(action: str, n: int) -> httpx.Response:
        return await agency.post(api_url(wid, action), files={"file": (f"ban-{n}.pdf", content)})

    async with measured(footprint):
        answers = await asyncio.gather(*(send(action, n) for n, action in enumerate(LY_SON)))

    assert [a.status_code for a in answers] == [409, 201, 201, 201, 201], "the first action's evidence is pending"
    files = [created_file(a) for a in answers[1:]]
    assert len({f["sha256"] for f in files}) == 1
    assert len(stored(web)) == 2, "the earlier file and this one, stored once"
    for file in files:
        assert (await agency.get(file["url"])).content == content
    assert footprint.memory_peak < 4 * len(LY_SON) * API_REQUEST
