"""Reading documents into dondoc: a conclusion (text, DOCX or PDF) into a draft for staff to review, and a follow-up
report into what each unit says it has done.

`import_conclusion(name, content)` extracts the text (`extract`), numbers its paragraphs (`text`), finds its
structure (`outline`), header and closing (`header`), units (`units`), actions (`actions`) and amounts (`amounts`),
and returns the draft with its warnings (`model`), or raises `NotAConclusion` / `UnreadableDocument`."""

from __future__ import annotations

from dataclasses import dataclass

from dondoc.importer.conclusion import parse_conclusion
from dondoc.importer.extract import SUFFIXES, UnreadableDocument, read_document
from dondoc.importer.model import ConclusionDraft, ImportWarning, NotAConclusion, WarningCode
from dondoc.importer.text import Paragraph, RawLine, paragraphs

__all__ = [
    "SUFFIXES",
    "ConclusionDraft",
    "ImportWarning",
    "Imported",
    "NotAConclusion",
    "Paragraph",
    "UnreadableDocument",
    "WarningCode",
    "import_conclusion",
    "import_text",
]


@dataclass(frozen=True)
class Imported:
    draft: ConclusionDraft
    paragraphs: list[Paragraph]  # the document's text as numbered paragraphs, shown beside the fields


def import_conclusion(name: str, content: bytes) -> Imported:
    found = read_document(name, content)
    return Imported(parse_conclusion(found), found)


def import_text(text: str) -> Imported:
    found = paragraphs([RawLine(line) for line in text.splitlines()])
    return Imported(parse_conclusion(found), found)
