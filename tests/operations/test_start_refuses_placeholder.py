"""`dondoc start` refuses a placeholder number, as the pages and the API do, before anything is started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dondoc.cli.main import app
from dondoc.settings import Settings
from tests.rules.factories import spec_dict


@pytest.mark.parametrize("number", ["…/KL-TTr", "/KL-STTTT", "01/KL-…"])
def test_dondoc_start_tu_choi_so_tam(tmp_path: Path, settings: Settings, number: str) -> None:
    path = tmp_path / "kl.json"
    path.write_text(json.dumps({**spec_dict(), "number": number}, default=str), encoding="utf-8")
    result = CliRunner().invoke(app, ["start", str(path)])
    assert result.exit_code != 0
    assert f"number: Số kết luận “{number}” là số tạm của bản chưa ban hành" in result.output
    assert "Traceback" not in result.output
