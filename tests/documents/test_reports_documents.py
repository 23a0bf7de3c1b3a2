"""The follow-up report (DOCX) and the register and statistics workbooks (XLSX) as offices open them: re-read with
python-docx and openpyxl, and converted by LibreOffice (in CI) to PDF and CSV."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from activities.database import get_engine
from dondoc.refs import ref_order
from dondoc.reports import facts
from dondoc.reports.followup import Letterhead, SentLetter, follow_up_docx, follow_up_report
from dondoc.reports.period import Period
from dondoc.reports.register import RegisterFilter, register, register_xlsx
from dondoc.settings import Settings
from tests.conftest import skip_or_fail
from tests.reports import dataset

NOW = dataset.at(date(2026, 4, 6))
HEAD = Letterhead(
    parent="UBND tỉnh Quảng Ngãi",
    symbol="TTr-NV",
    place="Quảng Ngãi",
    signer_title="Chánh Thanh tra",
    signer_name="Nguyễn Văn Hùng",
    addressee="Chủ tịch UBND tỉnh Quảng Ngãi",
)


@pytest.fixture
def engine(settings: Settings, tmp_path: Path) -> Engine:
    engine = get_engine(f"sqlite:///{tmp_path / 'reports.sqlite3'}")
    dataset.build(engine)
    return engine


def _report(engine: Engine) -> bytes:
    mine = facts.load(engine, ["kl-a"])
    conclusion = mine[0].conclusion
    units = sorted(
        {f.unit.code: f.unit for f in mine}.values(),
        key=lambda u: min(ref_order(f.action.ref) for f in mine if f.unit.code == u.code),
    )
    letters = [SentLetter("ly-son", "Đôn đốc", dataset.at(date(2026, 2, 24)), 2, True, "15/TTr-NV", date(2026, 2, 24))]
    return follow_up_docx(follow_up_report(conclusion, units, mine, letters, HEAD, NOW))


def _soffice(tmp_path: Path, source: Path, target: str) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        skip_or_fail("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    assert soffice is not None
    profile = f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}"
    subprocess.run(
        [soffice, profile, "--headless", "--convert-to", target, "--outdir", str(tmp_path), str(source)],
        check=True,
        timeout=180,
        capture_output=True,
    )
    converted = source.with_suffix("." + target.split(":")[0])
    if not converted.exists() and source.suffix == ".xlsx":
        skip_or_fail("LibreOffice Calc is not installed: apt-get install libreoffice-calc-nogui")
    assert converted.exists() and converted.stat().st_size > 0
    return converted


def test_the_report_has_the_decree_layout_and_the_signature(engine: Engine) -> None:
    document = docx.Document(BytesIO(_report(engine)))
    header = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert (
        "UBND TỈNH QUẢNG NGÃI\nTHANH TRA TỈNH" in header[0][0] and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header[0][1]
    )
    assert header[1][0].strip() == "Số:        /BC-TTr-NV" and "V/v" not in header[1][0]
    assert header[1][1] == "Quảng Ngãi, ngày 06 tháng 4 năm 2026"  # NĐ 30/2020: no leading zero but for months 1, 2
    text = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in text and "Kính gửi: Chủ tịch UBND tỉnh Quảng Ngãi." in text
    assert "- Văn bản «Đôn đốc» số 15/TTr-NV ngày 24/02/2026, 2 nội dung." in text
    signature = [c.text for c in document.tables[-1].rows[0].cells]
    assert signature[0].startswith("Nơi nhận:") and "CHÁNH THANH TRA" in signature[1]
    assert "Nguyễn Văn Hùng" in signature[1]
    assert any(p.startswith("Đề nghị Chủ tịch UBND tỉnh Quảng Ngãi chỉ đạo UBND huyện Lý Sơn") for p in text)


def test_libreoffice_opens_the_report(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(_report(engine))
    text = " ".join(page.extract_text() or "" for page in PdfReader(_soffice(tmp_path, source, "pdf")).pages)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "BÁO CÁO" in text and "10/KL-TTr" in text
    assert "150.000.000" in text


def test_libreoffice_opens_the_register(engine: Engine, tmp_path: Path) -> None:
    lines = register(facts.load(engine, None), RegisterFilter(period=Period.quarter(2026, 1)), NOW)
    source = tmp_path / "so-theo-doi.xlsx"
    source.write_bytes(register_xlsx(lines, RegisterFilter(period=Period.quarter(2026, 1)), NOW))
    converted = _soffice(tmp_path, source, "csv:Text - txt - csv (StarCalc):44,34,76")
    rows = list(csv.reader(converted.read_text(encoding="utf-8").splitlines()))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "STT")
    assert len(rows) - header - 2 == 12  # the quarter's twelve actions and the total row
    assert rows[header + 1][2] == "01/12/2025"  # a date shown as a date
    assert rows[-1][1] == "Tổng cộng" and rows[-1][8] in ("150,000,000", "150.000.000")


def test_the_report_never_calls_an_assumed_deadline_missed(engine: Engine) -> None:
    from sqlmodel import Session, select

    from models.tables import ActionRow

    with Session(engine) as session:  # a4 is open past its due date: say the conclusion set none
        a4 = session.exec(select(ActionRow).where(ActionRow.action_id == "a4")).one()
        a4.due_assumed = True
        session.add(a4)
        session.commit()
    document = docx.Document(BytesIO(_report(engine)))
    rows = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    (a4_row,) = [r for r in rows if any("(hạn giả định)" in c for c in r)]
    assert any(c.startswith("Đã qua hạn giả định ") and "kết luận không nêu thời hạn" in c for c in a4_row), a4_row
    assert not any(c.startswith("Quá hạn") for c in a4_row)
