"""Reading documents into dondoc: a conclusion (text, DOCX or PDF) into a draft for staff to review, and a follow-up
report into what each unit says it has done.

`import_conclusion(name, content)` extracts the text (`extract`), numbers its paragraphs (`text`), finds its
structure (`outline`), header and closing (`header`), units (`units`), actions (`actions`) and amounts (`amounts`),
reads tables of actions (`tables`), gives actions without a deadline the conclusion's general one or the policy
default, marked assumed (`deadlines`, `assumed`), and returns the draft with its warnings (`model`), or raises
`NotAConclusion` / `UnreadableDocument`. Word's list numbers are rebuilt from numbering.xml (`numbering`)."""

from __future__ import annotations

from dataclasses import dataclass

from dondoc.importer.assumed import DeadlinePolicy
from dondoc.importer.conclusion import parse_conclusion
from dondoc.importer.extract import SUFFIXES, UnreadableDocument, read_document
from dondoc.importer.model import ConclusionDraft, ImportWarning, NotAConclusion, WarningCode
from dondoc.importer.text import Paragraph, RawLine, paragraphs

__all__ = [
    "SUFFIXES",
    "ConclusionDraft",
    "DeadlinePolicy",
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


def _policy(policy: DeadlinePolicy | None) -> DeadlinePolicy:
    """The given policy, else this deployment's (DONDOC_IMPORT_DUE_DAYS, the holidays file)."""
    from dondoc.settings import get_settings

    return policy if policy is not None else DeadlinePolicy.from_settings(get_settings())


def import_conclusion(name: str, content: bytes, policy: DeadlinePolicy | None = None) -> Imported:
    found = read_document(name, content)
    return Imported(parse_conclusion(found, _policy(policy)), found)


def import_text(text: str, policy: DeadlinePolicy | None = None) -> Imported:
    found = paragraphs([RawLine(line) for line in text.splitlines()])
    return Imported(parse_conclusion(found, _policy(policy)), found)
