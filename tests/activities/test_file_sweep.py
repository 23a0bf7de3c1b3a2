"""The orphan-file sweep: the projection indexes the files recorded submissions use; the sweep removes only old
content that neither a submission nor a draft's original document uses."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.file_sweep import sweep
from activities.projection import project
from dondoc import file_refs
from dondoc.storage import LocalStore, StoredFile
from models.draft_tables import ConclusionDraftRow
from models.tables import FileRefRow
from tests.activities.states import WID, history
from workflows.rules import projection

WEEK = timedelta(days=7)


def test_the_projection_indexes_every_file_of_evidence_and_reports(engine: Engine) -> None:
    state = history().last
    for part in projection.changes(state, 0, datetime.now(UTC)):
        project(engine, part)
    expected = {(f.sha256, WID, ev.id) for ev in state.evidence for f in ev.files}
    expected |= {(f.sha256, WID, rp.id) for rp in state.reports for f in rp.files}
    with Session(engine) as session:
        stored = {(r.sha256, r.workflow_id, r.owner) for r in session.exec(select(FileRefRow)).all()}
    assert expected and stored == expected
    assert all(file_refs.referenced(engine, sha256) for sha256, _, _ in expected)
    assert not file_refs.referenced(engine, "0" * 64)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def pdf(text: str) -> bytes:
    return b"%PDF-1.4\n" + text.encode() * 50 + b"\n%%EOF\n"


def age(stored: StoredFile, store: LocalStore, days: int) -> None:
    old = time.time() - days * 86400
    os.utime(store.path_of(stored.ref.sha256), (old, old))


async def test_the_sweep_removes_only_old_content_nothing_uses(engine: Engine, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "files", 10 * 1024 * 1024)
    used = await store.save("dung.pdf", _one(pdf("minh chung")))
    draft = await store.save("ket-luan.pdf", _one(pdf("van ban goc")))
    orphan = await store.save("bo-roi.pdf", _one(pdf("bo roi")))
    recent = await store.save("moi.pdf", _one(pdf("moi nop")))
    for stored in (used, draft, orphan):
        age(stored, store, 10)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(FileRefRow(sha256=used.ref.sha256, workflow_id="kl-1", owner="ev-1"))
        session.add(
            ConclusionDraftRow(
                id="d1", source_sha256=draft.ref.sha256, created_by="a", created_at=now, updated_by="a", updated_at=now
            )
        )
        session.commit()

    assert sweep(engine, store, WEEK) == [orphan.ref.sha256]
    assert store.open(orphan.ref.sha256) is None
    assert all(store.open(s.ref.sha256) is not None for s in (used, draft, recent))
