"""`dondoc files …`: the evidence and report store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dondoc.settings import get_settings
from dondoc.storage import open_store
from dondoc.storage.transfer import copy_folder

files_app = typer.Typer(help="Kho tệp minh chứng, báo cáo.", no_args_is_help=True)


@files_app.command(
    "copy-in",
    help="Chép mọi tệp của một kho cục bộ vào kho đang cấu hình (ví dụ S3), kiểm tra mã SHA-256 từng tệp; "
    "chạy lại được nhiều lần, tệp đã có thì bỏ qua.",
)
def copy_in(
    folder: Annotated[
        Path, typer.Argument(help="thư mục kho cục bộ cũ (DONDOC_STORAGE_DIR, mặc định <data dir>/files)")
    ],
) -> None:
    """Copy a local store folder into the configured store (moving a deployment to S3)."""
    if not folder.is_dir():
        typer.secho(f"Không có thư mục {folder}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    settings = get_settings()
    target = open_store(settings)
    if settings.storage_backend == "local" and folder.resolve() == settings.files_dir.resolve():
        typer.secho("Thư mục này chính là kho đang cấu hình; không có gì để chép.", fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(code=1)
    report = copy_folder(folder, target)
    typer.echo(f"Đã chép {report.copied} tệp; {report.present} tệp đã có sẵn trong kho ({settings.storage_backend}).")
    if report.damaged:
        for sha256 in report.damaged:
            typer.secho(
                f"Tệp hỏng (nội dung không khớp mã SHA-256), không chép: {sha256}", fg=typer.colors.RED, err=True
            )
        raise typer.Exit(code=2)
