"""Word and PDF versions of the plain-text seeds, laid out as offices lay them out (Nghị định 30/2020/NĐ-CP): the
issuer and number beside the motto and date in a header table, the text in Times New Roman, 'Nơi nhận' beside the
signer in a closing table. The PDF is the DOCX printed by LibreOffice, as an office would export it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from tests.conftest import skip_or_fail

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def seed(prefix: str) -> Path:
    return next(FIXTURES.glob(f"{prefix}_*.txt"))


def _blocks(text: str) -> list[str]:
    return [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]


def docx_of(text: str, path: Path) -> Path:
    """The seed's blank-line blocks as Word paragraphs; the 'Số' and date lines in a two-column header table, the
    closing ('Nơi nhận' list | title and name) in a two-column table, a page break after the first third."""
    blocks = _blocks(text)
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Liberation Serif"  # type: ignore[attr-defined]
    style.font.size = Pt(13)  # type: ignore[attr-defined]
    head = [b for b in blocks[:4] if b.startswith("Số") or ", ngày" in b]
    if len(head) == 2:
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = head[0]
        table.cell(0, 1).text = head[1]
        blocks = [b for b in blocks if b not in head]
    closing_at = next((i for i, b in enumerate(blocks) if b.startswith("Nơi nhận")), len(blocks))
    body, closing = blocks[:closing_at], blocks[closing_at:]
    for i, block in enumerate(body):
        for line in block.splitlines():
            paragraph = document.add_paragraph(line)
        if i == len(body) // 3:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    if closing:
        recipients = [b for b in closing if b.startswith(("Nơi nhận", "-"))]
        signer = [b for b in closing if b not in recipients]
        table = document.add_table(rows=1, cols=2)
        left, right = table.cell(0, 0), table.cell(0, 1)
        left.text = recipients[0]
        for line in recipients[1:]:
            left.add_paragraph(line)
        right.text = signer[0] if signer else ""
        for line in signer[1:]:
            right.add_paragraph(line)
    document.save(str(path))
    return path


def pdfs_of(docx_files: list[Path], out_dir: Path) -> list[Path]:
    """Print the DOCX files to PDF with LibreOffice in one run."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        skip_or_fail("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    assert soffice is not None
    profile = out_dir / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *map(str, docx_files),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return [out_dir / f"{path.stem}.pdf" for path in docx_files]
