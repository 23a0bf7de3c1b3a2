"""Upload safety through the portal: checked by content, limited in size, sanitized names, nothing left behind."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import time
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from dondoc.gateway import Refused
from dondoc.storage import LocalStore
from dondoc.web.app import create_app
from models import commands as c
from models.state import ConclusionState
from models.tables import ActionRow, EvidenceRow
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.portal.test_portal import ACTION, PDF, evidence_url, main_of, open_link, pdf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert('x')</script></body></html>"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 120


def office(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = office({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = office({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})
ZIP = office({"so-lieu/bang-1.csv": b"a,b\n1,2\n"})


def stored_files(root: Path) -> list[Path]:
    """Everything in the store, temp files ('.upload-*') included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def version(web: Web, workflow_id: str) -> ConclusionState:
    return await web.ctx.gateway.snapshot(workflow_id)


async def assert_refused(
    web: Web,
    client: httpx.AsyncClient,
    workflow_id: str,
    files: list[tuple[str, tuple[str, bytes, str]]],
    message: str,
    code: int = 422,
) -> None:
    """Refused with `message` beside the file field; nothing stored, no temp file, the workflow unchanged."""
    root = web.ctx.files.root
    before_files = stored_files(root)
    before = await version(web, workflow_id)
    response = await client.post(evidence_url(workflow_id), files=files, data={"note": "ghi chú giữ lại"})
    assert response.status_code == code, main_of(response.text)[:2000]
    key = f"{workflow_id}--{ACTION}--evidence"
    beside = re.search(
        rf'<p class="field-error" id="{re.escape(key)}-files-error" role="alert">([^<]+)</p>', response.text
    )
    assert beside and message in beside.group(1), response.text[-3000:]
    assert "ghi chú giữ lại" in response.text, "the note typed is kept"
    assert "Traceback" not in response.text
    assert stored_files(root) == before_files
    assert not list(root.glob(".upload-*")) if root.exists() else True
    after = await version(web, workflow_id)
    assert after.version == before.version and after.evidence == before.evidence


@pytest.fixture
async def visitor(web: Web) -> tuple[str, httpx.AsyncClient]:
    spec = await web.start_quang_ngai()
    return spec.workflow_id, await open_link(web, spec.workflow_id)


async def test_empty_disguised_unknown_and_mismatched_files_are_refused(
    web: Web, visitor: tuple[str, httpx.AsyncClient]
) -> None:
    wid, client = visitor
    await assert_refused(web, client, wid, pdf("trong.pdf", b""), "Tệp «trong.pdf» rỗng.")
    not_allowed = "không thuộc loại được chấp nhận"
    await assert_refused(web, client, wid, pdf("trang.pdf", HTML), not_allowed)
    await assert_refused(web, client, wid, [("files", ("trang.html", HTML, "text/html"))], not_allowed)
    await assert_refused(web, client, wid, pdf("chuong-trinh.pdf", ELF), not_allowed)
    await assert_refused(web, client, wid, pdf("setup.pdf", MZ), not_allowed)
    await assert_refused(web, client, wid, [("files", ("ghi-chu.txt", b"chi la van ban", "text/plain"))], not_allowed)
    await assert_refused(web, client, wid, pdf("anh.pdf", PNG), "không khớp với phần mở rộng")
    await assert_refused(web, client, wid, [("files", ("van-ban.docx", PDF, "application/pdf"))], "không khớp")


async def test_a_refused_file_among_good_ones_leaves_none_of_them(
    web: Web, visitor: tuple[str, httpx.AsyncClient]
) -> None:
    wid, client = visitor
    files = [*pdf("tot.pdf"), ("files", ("anh.png", PNG, "image/png")), *pdf("xau.pdf", HTML)]
    await assert_refused(web, client, wid, files, "«xau.pdf» không thuộc loại")


async def test_no_file_chosen_is_asked_for_beside_the_field(web: Web, visitor: tuple[str, httpx.AsyncClient]) -> None:
    wid, client = visitor
    empty_choice = [("files", ("", b"", "application/octet-stream"))]  # what a browser sends with no file chosen
    await assert_refused(web, client, wid, empty_choice, "Chọn ít nhất một tệp minh chứng.")


async def test_an_oversize_file_is_refused_and_leaves_nothing(web: Web, tmp_path: Path) -> None:
    small = dataclasses.replace(web.ctx, files=LocalStore(tmp_path / "small-store", max_bytes=1024))
    web = dataclasses.replace(web, app=create_app(small), ctx=small)
    spec = await web.start_quang_ngai()
    client = await open_link(web, spec.workflow_id)
    page = await client.get("/portal")
    assert "tối đa 1 KB mỗi tệp" in page.text
    big = PDF + b"%" + b"x" * 2048 + b"\n%%EOF\n"
    await assert_refused(web, client, spec.workflow_id, pdf("lon.pdf", big), "vượt quá dung lượng cho phép")
    ok = await client.post(evidence_url(spec.workflow_id), files=pdf("nho.pdf"))
    assert ok.status_code == 200 and len(stored_files(small.files.root)) == 1


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("C:\\Users\\van thu\\Báo cáo.pdf", "Báo cáo.pdf"),
        ("bao<cao>:1?.pdf", "baocao1.pdf"),
        (".an.pdf", "an.pdf"),
    ],
)
async def test_path_traversal_names_are_reduced_to_the_files_own_name(web: Web, sent: str, kept: str) -> None:
    spec = await web.start_quang_ngai()
    client = await open_link(web, spec.workflow_id)
    response = await client.post(evidence_url(spec.workflow_id), files=pdf(sent))
    assert response.status_code == 200, main_of(response.text)[:1500]
    [evidence] = (await version(web, spec.workflow_id)).evidence
    assert evidence.files[0].name == kept
    root = web.ctx.files.root.resolve()
    [path] = stored_files(root)
    assert path.resolve().is_relative_to(root) and path.name == evidence.files[0].sha256
    assert not (root.parent / "etc").exists()


async def test_a_name_with_nothing_left_is_refused(web: Web, visitor: tuple[str, httpx.AsyncClient]) -> None:
    wid, client = visitor
    await assert_refused(web, client, wid, pdf("..", PDF), "Tên tệp không hợp lệ.")


async def test_every_allowed_type_is_accepted_by_its_content(web: Web, visitor: tuple[str, httpx.AsyncClient]) -> None:
    wid, client = visitor
    files = [
        ("files", ("bao-cao.pdf", PDF, "application/pdf")),
        ("files", ("bien-ban.docx", DOCX, "application/octet-stream")),
        ("files", ("so-lieu.xlsx", XLSX, "application/octet-stream")),
        ("files", ("van-ban.odt", ODT, "application/octet-stream")),
        ("files", ("anh-chup.png", PNG, "image/png")),
        ("files", ("anh.jpeg", JPEG, "image/jpeg")),
        ("files", ("ho-so.zip", ZIP, "application/zip")),
    ]
    response = await client.post(evidence_url(wid), files=files)
    assert response.status_code == 200, main_of(response.text)[:1500]
    [evidence] = (await version(web, wid)).evidence
    assert [f.content_type for f in evidence.files] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "image/png",
        "image/jpeg",
        "application/zip",
    ]
    assert len(stored_files(web.ctx.files.root)) == 7
    docx = re.search(r'href="([^"]+)"[^>]*>bien-ban.docx<', response.text)
    assert docx
    download = await client.get(docx.group(1))
    assert download.content == DOCX and download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")


async def test_the_same_file_twice_is_stored_once_and_kept_as_two_revisions(
    web: Web, visitor: tuple[str, httpx.AsyncClient]
) -> None:
    wid, client = visitor
    assert (await client.post(evidence_url(wid), files=pdf("lan-1.pdf"))).status_code == 200
    await web.ctx.gateway.update(
        wid, c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision="reject", reason="Cần bản có chữ ký")
    )
    assert (await client.post(evidence_url(wid), files=pdf("lan-2.pdf"))).status_code == 200
    first, second = (await version(web, wid)).evidence
    assert first.files[0].sha256 == second.files[0].sha256
    assert [first.files[0].name, second.files[0].name] == ["lan-1.pdf", "lan-2.pdf"]
    assert len(stored_files(web.ctx.files.root)) == 1
    page = main_of((await client.get("/portal")).text)
    assert "lan-1.pdf" in page and "lan-2.pdf" in page and "Cần bản có chữ ký" in page


async def test_a_refusal_keeps_content_that_earlier_submissions_use(
    web: Web, visitor: tuple[str, httpx.AsyncClient]
) -> None:
    wid, client = visitor
    assert (await client.post(evidence_url(wid), files=pdf("da-nop.pdf"))).status_code == 200
    [kept] = stored_files(web.ctx.files.root)
    other = "ly-son-thu-cong-vu"
    response = await client.post(evidence_url(wid, other), files=[*pdf("da-nop.pdf"), *pdf("gia.pdf", HTML)])
    assert response.status_code == 422
    assert stored_files(web.ctx.files.root) == [kept]
    assert len((await version(web, wid)).evidence) == 1


async def test_when_the_rules_refuse_the_stored_files_are_removed(
    web: Web, visitor: tuple[str, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    wid, client = visitor

    async def refuse(*args: object, **kwargs: object) -> ConclusionState:
        raise Refused("Kết luận đã bị rút; không thể thay đổi.")

    monkeypatch.setattr(web.ctx.gateway, "update", refuse)
    before = await version(web, wid)
    response = await client.post(evidence_url(wid), files=pdf())
    assert response.status_code == 409 and "Kết luận đã bị rút; không thể thay đổi." in response.text
    assert stored_files(web.ctx.files.root) == []
    assert (await version(web, wid)).version == before.version


async def test_an_upload_to_another_units_action_stores_nothing(web: Web) -> None:
    spec = await web.start_quang_ngai()
    client = await web.login(AGENCY)
    response = await client.post(evidence_url(spec.workflow_id, "tra-bong-thu-cong-vu"), files=pdf())
    assert response.status_code == 403
    assert stored_files(web.ctx.files.root) == []


async def test_a_refusal_keeps_content_the_conclusion_uses_before_it_is_projected(
    web: Web, visitor: tuple[str, httpx.AsyncClient]
) -> None:
    """The update that used the content is applied, its projection not written yet: the workflow's own state counts."""
    wid, client = visitor
    assert (await client.post(evidence_url(wid), files=pdf("da-nop.pdf"))).status_code == 200
    with Session(web.ctx.engine) as session:  # the read model as it was before that update
        for row in session.exec(select(EvidenceRow).where(EvidenceRow.workflow_id == wid)).all():
            session.delete(row)
        action = session.get(ActionRow, (wid, ACTION))
        assert action is not None
        action.status = "open"
        session.add(action)
        session.commit()
    [kept] = stored_files(web.ctx.files.root)
    kept.unlink()  # as if this request had written it anew
    refused = await client.post(evidence_url(wid), files=pdf("lai-nua.pdf"))
    assert refused.status_code == 409 and "chờ xem xét" in refused.text, "the workflow refuses: evidence is pending"
    assert stored_files(web.ctx.files.root) == [kept]


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_a_discard_never_removes_content_a_later_save_relies_on(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "files", 1024 * 1024)
    first = await store.save("a.pdf", _chunks(PDF))
    second = await store.save("b.pdf", _chunks(PDF))  # the same content, by another request, while the first fails
    path = store.path_of(first.ref.sha256)
    assert first.fresh and not second.fresh and first.ref.sha256 == second.ref.sha256
    assert store.discard(first) is False and path.exists()
    assert store.discard(second) is False and path.exists()

    alone = await store.save("c.pdf", _chunks(PDF + b"% khac\n"))
    assert store.discard(alone) is True and not store.path_of(alone.ref.sha256).exists()


async def test_an_anonymous_upload_is_not_signed_in_and_an_oversize_one_is_refused_by_its_declared_size(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = await web.start_quang_ngai()
    anonymous = web.client()
    await anonymous.get("/login")  # a session with a CSRF token, as anyone can get
    refused = await anonymous.post(evidence_url(spec.workflow_id), files=pdf(), follow_redirects=False)
    assert refused.status_code in (303, 401) and refused.status_code != 403

    monkeypatch.setattr(web.ctx.files, "max_bytes", 1024)  # the limit per request: 20 files of 1 KB, plus 1 MB
    agency = await web.login(AGENCY)
    agency.headers.pop("X-CSRF-Token")  # a browser form sends its token in the body
    huge = await agency.post(evidence_url(spec.workflow_id), files=pdf("lon.pdf", PDF + b"0" * (2 * 1024 * 1024)))
    assert huge.status_code == 413 and "quá lớn" in huge.text
    assert stored_files(web.ctx.files.root) == []


async def test_a_sweep_removes_only_old_content_nothing_uses(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "files", 1024 * 1024)
    used = await store.save("dung.pdf", _chunks(PDF))
    orphan = await store.save("bo-roi.pdf", _chunks(PDF + b"% bo roi\n"))
    recent = await store.save("moi.pdf", _chunks(PDF + b"% moi\n"))
    abandoned = store.root / ".upload-abc"
    abandoned.write_bytes(b"half")
    week_ago = time.time() - 8 * 24 * 3600
    for path in (store.path_of(used.ref.sha256), store.path_of(orphan.ref.sha256), abandoned):
        os.utime(path, (week_ago, week_ago))

    removed = store.sweep(lambda sha256: sha256 == used.ref.sha256, timedelta(days=7))

    assert removed == [orphan.ref.sha256]
    assert store.open(used.ref.sha256) is not None and store.open(recent.ref.sha256) is not None
    assert store.open(orphan.ref.sha256) is None and not abandoned.exists()
