"""Drafts in SQL (SQLite and PostgreSQL): a save names the version it was made from, so of two saves made from the
same version only the first applies; a started draft is no longer edited; a placeholder number cannot start."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from dondoc import drafts, schema
from models.state import FileRef

FORM = {"header": {"number": "/KL-STTTT", "title": "Thanh tra trách nhiệm"}, "units": [{}], "actions": [{}]}


@pytest.fixture
def engine(database_url: str) -> Engine:
    made = create_engine(database_url)
    schema.upgrade(made)
    return made


def test_two_saves_from_the_same_version_the_second_is_a_conflict(engine: Engine) -> None:
    source = FileRef(name="kl.docx", sha256="a" * 64, size=10, content_type="application/pdf")
    row = drafts.create(engine, "an@tt.example.vn", FORM, {"number": "/KL-STTTT"}, source)
    assert row.version == 1 and drafts.references(engine, "a" * 64)
    first = {**FORM, "header": {"number": "12/KL-STTTT", "title": "Sửa lần một"}}
    saved = drafts.save(engine, row.id, "an@tt.example.vn", first, version=1)
    assert (saved.version, saved.number, saved.updated_by) == (2, "12/KL-STTTT", "an@tt.example.vn")
    with pytest.raises(drafts.DraftConflict) as conflict:
        drafts.save(engine, row.id, "binh@tt.example.vn", {**FORM, "header": {"title": "Sửa lần hai"}}, version=1)
    assert conflict.value.current.version == 2 and conflict.value.current.updated_by == "an@tt.example.vn"
    current = drafts.get(engine, row.id)
    assert current is not None and current.form["header"]["title"] == "Sửa lần một"
    assert [d.id for d in drafts.open_drafts(engine)] == [row.id]


def test_a_started_draft_is_kept_as_it_was(engine: Engine) -> None:
    row = drafts.create(engine, "an@tt.example.vn", FORM)
    drafts.mark_started(engine, row.id, "an@tt.example.vn", "kl-12-kl-stttt-2021")
    with pytest.raises(drafts.DraftStarted):
        drafts.save(engine, row.id, "an@tt.example.vn", FORM, version=2)
    with pytest.raises(drafts.DraftStarted):
        drafts.delete(engine, row.id, version=2)
    started = drafts.of_conclusion(engine, "kl-12-kl-stttt-2021")
    assert started is not None and started.id == row.id
    assert drafts.open_drafts(engine) == []


@pytest.mark.parametrize("number", ["", "/KL-STTTT", " /KL-TTr", "…/KL-TTr", ".../KL-TTr", "01/KL-…", "__/KL-TTr"])
def test_placeholder_numbers(number: str) -> None:
    assert drafts.placeholder_number(number)


@pytest.mark.parametrize("number", ["312/KL-Ttra", "45/KL-TTr", "123/KL-STTTT"])
def test_real_numbers(number: str) -> None:
    assert not drafts.placeholder_number(number)


def test_a_copy_marked_draft_starts_only_with_another_number(engine: Engine) -> None:
    row = drafts.create(engine, "an@tt.example.vn", FORM, {"number": "01/KL-TTr", "draft_copy": True})
    assert drafts.start_blockers(row, "01/KL-TTr") == [
        "Văn bản gốc ghi “DỰ THẢO”: chỉ bắt đầu theo dõi khi đã có số của kết luận đã ký ban hành."
    ]
    assert drafts.start_blockers(row, "17/KL-TTr") == []
