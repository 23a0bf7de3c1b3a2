"""`dondoc import FILE [--out spec.yaml]`: the draft as a commented YAML spec, the warnings on stderr; a document that
is not a conclusion exits 2 with the reason."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dondoc.cli.main import app
from dondoc.yaml_text import load_yaml
from tests.importer.documents import seed


def test_import_writes_a_draft_spec_with_its_warnings(tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["import", str(seed("000")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 đơn vị, 8 kiến nghị" in result.output
    assert "Cảnh báo: Số kết luận để trống" in result.output
    text = out.read_text(encoding="utf-8")
    assert "# CẢNH BÁO:" in text and "#   issuer: đoạn 8" in text
    data = load_yaml(text)
    assert data["number"] == "/KL-STTTT" and data["issued_on"] == "CẦN ĐIỀN"
    assert data["signer"] == {"title": "Giám đốc", "name": "Vũ Trọng Quế"}
    assert [a["ref"] for a in data["actions"]][-2:] == ["2.1-4", "2.2-2"]


def test_import_refuses_a_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(seed("002"))])
    assert result.exit_code == 2
    assert "Đây là báo cáo, không phải kết luận thanh tra" in result.output
