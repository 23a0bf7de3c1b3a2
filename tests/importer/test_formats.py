"""The seeds as Word files (header and closing in tables, a page break) and as PDFs printed from them import to the
same draft as the plain text, and are refused for the same reason."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dondoc.importer import NotAConclusion, UnreadableDocument, import_conclusion
from dondoc.importer.extract import read_document
from tests.importer.documents import docx_of, pdfs_of, seed

SEEDS = ["000", "001", "002", "003", "004"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("documents")
    docx = {prefix: docx_of(seed(prefix).read_text(encoding="utf-8"), folder / f"{prefix}.docx") for prefix in SEEDS}
    pdf = dict(zip(SEEDS, pdfs_of(list(docx.values()), folder), strict=True))
    return {"docx": docx, "pdf": pdf}


def outcome(path: Path) -> Any:
    """What staff see of an import, without paragraph numbers (a PDF counts its paragraphs differently)."""
    try:
        draft = import_conclusion(path.name, path.read_bytes()).draft
    except NotAConclusion as refused:
        return ("refused", refused.looks_like, refused.cited_conclusion)
    found = [draft.signer_title, draft.signer_acting_for, draft.signer_name, draft.tracking_body, draft.decision]
    return (
        draft.spec_data(),
        [(w.code, w.message) for w in draft.warnings],
        [r.value for r in draft.recipients],
        [f.value if f else None for f in found],
        [(u.name, u.aliases, u.inspected) for u in draft.units],
    )


@pytest.mark.parametrize("prefix", SEEDS)
@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_the_same_document_as_docx_or_pdf_imports_the_same(
    made: dict[str, dict[str, Path]], kind: str, prefix: str
) -> None:
    assert outcome(made[kind][prefix]) == outcome(seed(prefix))


def test_pdf_places_carry_their_page(made: dict[str, dict[str, Path]]) -> None:
    draft = import_conclusion("000.pdf", made["pdf"]["000"].read_bytes()).draft
    assert draft.number is not None and draft.number.place.page == 1
    assert draft.signer_name is not None and (draft.signer_name.place.page or 0) >= 2


def test_unreadable_files_are_refused_with_a_reason() -> None:
    with pytest.raises(UnreadableDocument, match="Word cũ"):
        read_document("kl.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(UnreadableDocument, match="bị hỏng"):
        read_document("kl.docx", b"not a zip")
    with pytest.raises(UnreadableDocument):
        read_document("kl.pdf", b"%PDF-1.4 broken")
    with pytest.raises(UnreadableDocument, match="không có nội dung"):
        read_document("kl.txt", b"  \n\n ")


def wrapped(text: str, width: int) -> str:
    """The text as a plain-text copy of a PDF gives it: every line broken at `width`, no blank line anywhere."""
    lines = []
    for block in re.split(r"\n\s*\n", text):
        for line in block.strip().splitlines():
            lines += textwrap.wrap(line, width) or [""]
    return "\n".join(lines)


@pytest.mark.parametrize("prefix", SEEDS)
def test_text_hard_wrapped_without_blank_lines_imports_the_same(prefix: str, tmp_path: Path) -> None:
    path = tmp_path / f"{prefix}.txt"
    path.write_text(wrapped(seed(prefix).read_text(encoding="utf-8"), 72), encoding="utf-8")
    assert outcome(path) == outcome(seed(prefix))
