"""Numbers drawn by Word's list numbering (not typed) come out as the reader sees them: "III.", "1.", "2.1.", "a)",
bullets, counted per list and level with Word's restarts, so references are read from them as from typed numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from hypothesis import given, settings
from hypothesis import strategies as st

from dondoc.importer import import_conclusion, import_text
from dondoc.importer.extract import read_document
from dondoc.importer.numbering import WordNumbering, bullet_mark, format_number
from tests.importer.documents import pdfs_of
from tests.importer.test_structures import CONCLUSION
from tests.importer.word_lists import Lvl, add_instance, add_list, docx_with_word_numbering, numbered


def texts(document: DocxDocument, path: Path) -> list[str]:
    document.save(str(path))
    return [p.text for p in read_document(path.name, path.read_bytes())]


@pytest.fixture(scope="module")
def word_numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return docx_with_word_numbering(CONCLUSION, tmp_path_factory.mktemp("numbering") / "kl-45.docx")


def test_a_conclusion_numbered_by_word_reads_like_the_typed_one(word_numbered: Path) -> None:
    imported = import_conclusion(word_numbered.name, word_numbered.read_bytes())
    shown = [p.text for p in imported.paragraphs]
    assert "III. KIẾN NGHỊ BIỆN PHÁP XỬ LÝ" in shown
    assert "1. Chi sai chế độ 120.000.000 đồng." in shown  # level 2 restarts under each section
    assert any(t.startswith("2. Yêu cầu UBND huyện Trà Bồng") for t in shown)
    assert any(t.startswith("c) Chấn chỉnh công tác quản lý") for t in shown)
    assert "- UBND huyện Lý Sơn;" in shown  # the Nơi nhận list is a list of its own
    typed = import_text(CONCLUSION).draft
    assert imported.draft.spec_data() == typed.spec_data()
    assert [a.ref for a in imported.draft.actions][:4] == ["III.1.a", "III.1.b", "III.1.c-1", "III.1.c-2"]
    assert [r.value for r in imported.draft.recipients] == [r.value for r in typed.recipients]


def test_libreoffice_draws_the_same_numbers(word_numbered: Path, tmp_path: Path) -> None:
    """Printed to PDF by another renderer, the numbers it draws give the same draft as the ones reconstructed."""
    (pdf,) = pdfs_of([word_numbered], tmp_path)
    from_pdf = import_conclusion(pdf.name, pdf.read_bytes()).draft
    from_docx = import_conclusion(word_numbered.name, word_numbered.read_bytes()).draft
    assert from_pdf.spec_data() == from_docx.spec_data()


def test_formats_start_values_and_multilevel_text(tmp_path: Path) -> None:
    document = Document()
    add_list(
        document,
        70,
        [Lvl("decimal", "%1."), Lvl("decimal", "%1.%2."), Lvl("lowerLetter", "%3)"), Lvl("lowerRoman", "(%4)")],
    )
    add_list(document, 71, [Lvl("upperLetter", "%1.", start=3), Lvl("decimalZero", "%2/")])
    add_instance(document, 70, 70)
    add_instance(document, 71, 71)
    for text, num, level in [
        ("Một.", 70, 0),
        ("Một chấm một.", 70, 1),
        ("Chữ a.", 70, 2),
        ("Chữ b.", 70, 2),
        ("La mã i.", 70, 3),
        ("La mã ii.", 70, 3),
        ("Một chấm hai.", 70, 1),
        ("Chữ a lại.", 70, 2),
        ("Hai.", 70, 0),
        ("Hai chấm một.", 70, 1),
        ("Chữ C.", 71, 0),
        ("Số 01.", 71, 1),
        ("Chữ D.", 71, 0),
    ]:
        numbered(document.add_paragraph(text), num, level)
    assert texts(document, tmp_path / "formats.docx") == [
        "1. Một.",
        "1.1. Một chấm một.",
        "a) Chữ a.",
        "b) Chữ b.",
        "(i) La mã i.",
        "(ii) La mã ii.",
        "1.2. Một chấm hai.",
        "a) Chữ a lại.",  # a deeper level restarts when a level above it is used
        "2. Hai.",
        "2.1. Hai chấm một.",
        "C. Chữ C.",
        "01/ Số 01.",
        "D. Chữ D.",
    ]


def test_lists_sharing_a_definition_continue_and_a_restart_override_starts_again(tmp_path: Path) -> None:
    document = Document()
    add_list(document, 72, [Lvl("decimal", "%1.")])
    add_instance(document, 80, 72)
    add_instance(document, 81, 72)  # another instance of the same list: numbering continues
    add_instance(document, 82, 72, starts={0: 1})  # "Restart at 1"
    numbered(document.add_paragraph("Đầu tiên"), 80, 0)
    numbered(document.add_paragraph("Thứ hai"), 80, 0)
    document.add_paragraph("Một đoạn không đánh số ở giữa không làm đếm lại.")
    numbered(document.add_paragraph("Thứ ba"), 81, 0)
    numbered(document.add_paragraph("Bắt đầu lại"), 82, 0)
    numbered(document.add_paragraph("Tiếp theo"), 82, 0)
    assert texts(document, tmp_path / "restart.docx") == [
        "1. Đầu tiên",
        "2. Thứ hai",
        "Một đoạn không đánh số ở giữa không làm đếm lại.",
        "3. Thứ ba",
        "1. Bắt đầu lại",
        "2. Tiếp theo",
    ]


def test_a_level_that_never_restarts_keeps_counting(tmp_path: Path) -> None:
    """w:lvlRestart 0, as Word saves "Restart list after: (none)" (LibreOffice ignores it and restarts)."""
    document = Document()
    add_list(document, 73, [Lvl("upperRoman", "%1."), Lvl("decimal", "%2.", restart=0)])
    add_instance(document, 73, 73)
    for text, level in [("Phần", 0), ("Điểm", 1), ("Điểm", 1), ("Phần", 0), ("Điểm", 1)]:
        numbered(document.add_paragraph(text), 73, level)
    assert texts(document, tmp_path / "norestart.docx") == ["I. Phần", "1. Điểm", "2. Điểm", "II. Phần", "3. Điểm"]


def test_numbering_from_a_style_and_a_paragraph_that_turns_it_off(tmp_path: Path) -> None:
    document = Document()  # python-docx's template binds "List Number" and "List Bullet" to lists
    document.add_paragraph("Rà soát hồ sơ;", style="List Number")
    document.add_paragraph("Báo cáo kết quả.", style="List Number")
    off = document.add_paragraph("Không đánh số dù cùng kiểu.", style="List Number")
    numbered(off, 0, 0)  # numId 0: this paragraph has no number
    document.add_paragraph("Gạch đầu dòng", style="List Bullet")
    shown = texts(document, tmp_path / "styles.docx")
    assert shown[:3] == ["1. Rà soát hồ sơ;", "2. Báo cáo kết quả.", "Không đánh số dù cùng kiểu."]
    assert shown[3] == "• Gạch đầu dòng"


def test_headings_bound_to_a_list_take_the_level_that_names_their_style(tmp_path: Path) -> None:
    """Heading styles carry a numId without a level; each level of the list names the style it numbers."""
    document = Document()
    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="75"><w:multiLevelType w:val="multilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:pStyle w:val="Heading1"/>'
        '<w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading2"/>'
        '<w:lvlText w:val="%2."/></w:lvl></w:abstractNum>'
    )
    numbering.find(qn("w:num")).addprevious(abstract)
    add_instance(document, 75, 75)
    for name in ("Heading 1", "Heading 2"):
        document.styles[name].element.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = 75
    document.add_paragraph("KẾT QUẢ KIỂM TRA", style="Heading 1")
    document.add_paragraph("Về quản lý kinh phí.", style="Heading 2")
    document.add_paragraph("Về công tác kế toán.", style="Heading 2")
    document.add_paragraph("KIẾN NGHỊ", style="Heading 1")
    document.add_paragraph("Yêu cầu UBND huyện Lý Sơn thu hồi tiền.", style="Heading 2")
    assert texts(document, tmp_path / "headings.docx") == [
        "I. KẾT QUẢ KIỂM TRA",
        "1. Về quản lý kinh phí.",
        "2. Về công tác kế toán.",
        "II. KIẾN NGHỊ",
        "1. Yêu cầu UBND huyện Lý Sơn thu hồi tiền.",
    ]


def test_table_cells_numbered_by_word(tmp_path: Path) -> None:
    """The STT column of a table is often Word numbering in otherwise empty cells."""
    document = Document()
    add_list(document, 74, [Lvl("decimal", "%1.")])
    add_instance(document, 74, 74)
    table = document.add_table(rows=2, cols=2)
    for row, text in zip(table.rows, ["Thu hồi tiền", "Kiểm điểm"], strict=True):
        numbered(row.cells[0].paragraphs[0], 74, 0)
        row.cells[1].text = text
    assert texts(document, tmp_path / "cells.docx") == ["1.", "Thu hồi tiền", "2.", "Kiểm điểm"]


def test_number_formats_and_bullet_glyphs() -> None:
    assert [format_number(n, "lowerLetter") for n in (1, 26, 27, 28)] == ["a", "z", "aa", "bb"]
    assert [format_number(n, "upperRoman") for n in (4, 9, 14, 40, 1994)] == ["IV", "IX", "XIV", "XL", "MCMXCIV"]
    assert format_number(7, "ordinalText") == "7"  # a format Vietnamese documents do not use: decimal
    assert [bullet_mark(c) for c in ("\uf0b7", "\uf0a7", "o", "-", "\uf02d", "➢")] == ["•", "▪", "○", "-", "-", "•"]


LEVELS = st.builds(
    Lvl,
    fmt=st.sampled_from(["decimal", "lowerLetter", "upperRoman", "bullet", "none", "decimalZero", "chicago", ""]),
    text=st.sampled_from(["%1.", "%1.%2.", "%2)", "%9", "", "-", "\uf0b7", "%1.%2.%3.%4.", "Điều %1."]),
    start=st.integers(0, 30),
    restart=st.none() | st.integers(0, 3),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(LEVELS, min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 9)), max_size=30),
    st.dictionaries(st.integers(0, 4), st.integers(0, 5), max_size=2),
)
def test_any_numbering_definition_labels_or_leaves_alone(
    levels: list[Lvl], uses: list[tuple[int, int]], starts: dict[int, int]
) -> None:
    """Whatever a numbering.xml holds (levels missing, unknown formats, undefined lists), every paragraph gets a label
    or none, never an error."""
    document = Document()
    add_list(document, 60, levels)
    add_instance(document, 61, 60)
    add_instance(document, 62, 60, starts)
    paragraphs = [numbered(document.add_paragraph("Nội dung"), (0, 61, 62, 63)[num], level) for num, level in uses]
    ours = document.part.numbering_part.element.xpath('w:abstractNum[@w:abstractNumId="60"]')[0]
    ours.append(parse_xml(f'<w:lvl {nsdecls("w")} w:ilvl="12"><w:lvlText w:val="%1"/></w:lvl>'))  # Word never writes it
    paragraphs.append(numbered(document.add_paragraph("Ngoài"), 61, 12))
    numbering = WordNumbering(document)
    for paragraph in paragraphs:
        label = numbering.label(paragraph)
        assert label is None or (label == label.strip() != "" and re.search("%[1-9]", label) is None)
