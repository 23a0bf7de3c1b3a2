"""Leaving the embedded default: a local store folder copied into an S3 bucket by `dondoc files copy-in`, each
file checked against its SHA-256 name, safe to run again."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dondoc.cli.main import app
from dondoc.settings import get_settings
from dondoc.storage import LocalStore, S3Store
from dondoc.storage.transfer import copy_folder
from tests.storage.conftest import LIMIT, chunks_of
from tests.storage.test_stores import pdf, read_back
from tests.support.s3 import KEY_ID, REGION, SECRET, S3Server


async def old_store(root: Path) -> tuple[LocalStore, list[str]]:
    local = LocalStore(root, LIMIT)
    saved = [await local.save(f"tep-{n}.pdf", chunks_of(pdf(5000 + n, str(n).encode()))) for n in range(3)]
    return local, [s.ref.sha256 for s in saved]


async def test_every_file_is_copied_once_and_a_damaged_one_is_reported_not_copied(
    tmp_path: Path, s3_server: S3Server
) -> None:
    local, shas = await old_store(tmp_path / "files")
    local.path_of(shas[2]).write_bytes(b"hong")  # damaged on disk
    target = s3_server.store(s3_server.new_bucket(), tmp_path / "spool", LIMIT)

    first = copy_folder(local.root, target)
    again = copy_folder(local.root, target)

    assert (first.copied, first.present, first.damaged) == (2, 0, [shas[2]])
    assert (again.copied, again.present, again.damaged) == (0, 2, [shas[2]])
    for sha256 in shas[:2]:
        assert read_back(target, sha256) == read_back(local, sha256)
    assert target.open(shas[2]) is None
    assert not list((tmp_path / "spool").iterdir()), "no temp copy left"


async def test_the_command_copies_into_the_configured_bucket(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, shas = await old_store(tmp_path / "old-files")
    bucket = s3_server.new_bucket()
    for name, value in {
        "DATA_DIR": str(tmp_path / "data"),
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server.endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": KEY_ID,
        "S3_SECRET_ACCESS_KEY": SECRET,
        "S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(f"DONDOC_{name}", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["files", "copy-in", str(local.root)])
        store = S3Store(s3_server.client(), bucket, "", LIMIT, tmp_path / "spool")
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert "Đã chép 3 tệp; 0 tệp đã có sẵn trong kho (s3)." in result.output
    assert all(read_back(store, sha256) == read_back(local, sha256) for sha256 in shas)
    missing = CliRunner().invoke(app, ["files", "copy-in", str(tmp_path / "khong-co")])
    assert missing.exit_code == 1 and "Không có thư mục" in missing.output
