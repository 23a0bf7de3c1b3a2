"""Evidence in a shared S3-compatible bucket (moto in server mode): two web app instances with the same database and
bucket but their own data dirs serve each other's uploads, stream them out, store one copy per content, release
what a refused request stored, and the orphan sweep (a plain function) keeps what is used."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from dondoc import users
from dondoc.settings import Settings
from dondoc.storage import S3Store, open_store
from dondoc.storage.interface import READ_CHUNK
from dondoc.web import uploads
from dondoc.web.app import create_app
from dondoc.web.context import AppContext
from tests.support.s3 import KEY_ID, REGION, SECRET, S3Server, moto_server
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.portal.test_portal import open_link

PDF_HEAD = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_of(size: int, salt: bytes) -> bytes:
    head = PDF_HEAD + salt + b"\n"
    return head + b"%" * (size - len(head))


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with moto_server() as server:
        yield server


@dataclasses.dataclass
class Instance:
    app: FastAPI
    ctx: AppContext

    def bearer(self, email: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        client.headers["Authorization"] = f"Bearer {users.issue_token(self.ctx.engine, email)}"
        return client


def instance(web: Web, s3: S3Server, bucket: str, data_dir: Path) -> Instance:
    """A web app of its own (own data dir, own file store client) on the shared database and bucket."""
    settings = Settings(
        data_dir=data_dir,
        database_url=web.ctx.settings.sqlalchemy_url,
        secret_key="the-same-on-every-replica",
        storage_backend="s3",
        s3_bucket=bucket,
        s3_prefix="tep/",
        s3_endpoint_url=s3.endpoint,
        s3_region=REGION,
        s3_access_key_id=KEY_ID,
        s3_secret_access_key=SecretStr(SECRET),
        s3_addressing_style="path",
    )
    ctx = dataclasses.replace(web.ctx, settings=settings, files=open_store(settings))
    return Instance(create_app(ctx), ctx)


@pytest.fixture
def pair(web: Web, s3_server: S3Server, tmp_path: Path) -> tuple[Instance, Instance]:
    bucket = s3_server.new_bucket()
    return instance(web, s3_server, bucket, tmp_path / "a"), instance(web, s3_server, bucket, tmp_path / "b")


def objects(store: S3Store) -> list[str]:
    return sorted(o["Key"] for o in store.client.list_objects_v2(Bucket=store.bucket).get("Contents", []))


def created_file(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    [evidence] = [e for e in body["conclusion"]["evidence"] if e["evidence_id"] == body["created"]]
    file: dict[str, Any] = evidence["files"][0]
    return file


async def upload(client: httpx.AsyncClient, workflow_id: str, action: str, name: str, content: bytes) -> httpx.Response:
    url = f"/api/conclusions/{workflow_id}/actions/{action}/evidence"
    return await client.post(url, files={"file": (name, content, "application/pdf")})


async def test_a_file_uploaded_through_one_instance_downloads_from_the_other(
    web: Web, pair: tuple[Instance, Instance]
) -> None:
    a, b = pair
    assert isinstance(a.ctx.files, S3Store) and isinstance(b.ctx.files, S3Store)
    wid = (await web.start_quang_ngai()).workflow_id
    content = pdf_of(300 * 1024, b"qua-a")

    sent = await upload(a.bearer(AGENCY), wid, "ly-son-eoffice", "Báo cáo khắc phục.pdf", content)
    assert sent.status_code == 201, sent.text
    file = created_file(sent)

    through_b = await b.bearer(STAFF).get(file["url"])
    assert through_b.status_code == 200 and through_b.content == content
    assert through_b.headers["content-length"] == str(len(content))
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in through_b.headers["content-disposition"]
    assert objects(b.ctx.files) == [f"tep/{file['sha256'][:2]}/{file['sha256']}"]
    assert not list((Path(a.ctx.settings.data_dir) / "files").glob("**/*")), "nothing on instance a's own disk"

    visitor = await open_link(dataclasses.replace(web, app=b.app, ctx=b.ctx), wid)
    portal = await visitor.get("/portal")
    link = f"/portal/conclusions/{wid}/evidence/{sent.json()['created']}/files/{file['sha256']}"
    assert link in portal.text
    assert (await visitor.get(link)).content == content


async def test_the_same_file_through_both_instances_is_stored_once(web: Web, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    wid = (await web.start_quang_ngai()).workflow_id
    content = pdf_of(64 * 1024, b"cung-noi-dung")

    answers = await asyncio.gather(
        upload(a.bearer(AGENCY), wid, "ly-son-eoffice", "ban-a.pdf", content),
        upload(b.bearer(AGENCY), wid, "ly-son-dvctt", "ban-b.pdf", content),
    )

    assert [r.status_code for r in answers] == [201, 201]
    assert len({created_file(r)["sha256"] for r in answers}) == 1
    assert len(objects(a.ctx.files)) == 1


async def test_a_download_streams_in_chunks_through_the_app(web: Web, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    wid = (await web.start_quang_ngai()).workflow_id
    b.ctx.files.max_bytes = a.ctx.files.max_bytes = 6 * 1024 * 1024
    content = pdf_of(5 * 1024 * 1024 + 3, b"lon")
    file = created_file(await upload(a.bearer(AGENCY), wid, "ly-son-eoffice", "lon.pdf", content))
    token = users.issue_token(web.ctx.engine, STAFF)
    path, _, query = file["url"].partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the response ends
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await b.app(scope, receive, send)

    assert sent[0]["status"] == 200
    bodies = [m["body"] for m in sent[1:] if m["type"] == "http.response.body" and m["body"]]
    assert b"".join(bodies) == content
    assert len(bodies) >= 5 and max(len(body) for body in bodies) <= READ_CHUNK, "sent as it arrives, never whole"


async def test_a_refused_submission_releases_what_it_stored(web: Web, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    wid = (await web.start_quang_ngai()).workflow_id
    agency = b.bearer(AGENCY)
    assert (await upload(agency, wid, "ly-son-eoffice", "dau.pdf", pdf_of(4096, b"dau"))).status_code == 201
    kept = objects(a.ctx.files)

    refused = await upload(agency, wid, "ly-son-eoffice", "lai.pdf", pdf_of(4096, b"lan hai"))

    assert refused.status_code == 409, refused.text
    assert objects(a.ctx.files) == kept


async def test_the_orphan_sweep_removes_only_old_content_no_submission_uses(
    web: Web, pair: tuple[Instance, Instance], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    wid = (await web.start_quang_ngai()).workflow_id
    used = created_file(await upload(a.bearer(AGENCY), wid, "ly-son-eoffice", "dung.pdf", pdf_of(4096, b"dung")))
    store = a.ctx.files
    assert isinstance(store, S3Store)
    orphan = await store.save("bo-roi.pdf", _one(pdf_of(4096, b"bo roi")))  # as a timed-out request leaves it
    await asyncio.sleep(6)  # object stores keep whole seconds; a loaded machine may pause between the saves below
    recent = await store.save("moi.pdf", _one(pdf_of(4096, b"moi")))
    monkeypatch.setattr(uploads, "SWEEP_GRACE", timedelta(seconds=5))

    removed = await asyncio.to_thread(uploads.sweep, b.ctx)  # any instance may run it: one bucket, one database

    assert removed == [orphan.ref.sha256]
    keys = objects(store)
    assert any(used["sha256"] in k for k in keys) and any(recent.ref.sha256 in k for k in keys)
    assert not any(orphan.ref.sha256 in k for k in keys)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
