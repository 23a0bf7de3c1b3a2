"""`dondoc import FILE [--out spec.yaml]`: read a conclusion (text, DOCX or PDF) into a draft spec to review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dondoc.importer import NotAConclusion, UnreadableDocument, import_conclusion
from dondoc.importer.draft_yaml import draft_yaml


def import_command(
    file: Annotated[Path, typer.Argument(help="kết luận thanh tra: tệp .docx, .pdf (có lớp chữ) hoặc .txt")],
    out: Annotated[Path | None, typer.Option("--out", help="ghi bản nháp YAML vào tệp này")] = None,
) -> None:
    """Đọc một kết luận thanh tra thành bản nháp hồ sơ (YAML) để cán bộ kiểm tra, sửa rồi mới bắt đầu theo dõi."""
    try:
        imported = import_conclusion(file.name, file.read_bytes())
    except OSError as error:
        typer.secho(f"Không đọc được tệp {file}: {error.strerror}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    except (NotAConclusion, UnreadableDocument) as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    draft = imported.draft
    text = draft_yaml(draft, file.name)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"Đã ghi bản nháp vào {out}: {len(draft.units)} đơn vị, {len(draft.actions)} kiến nghị.", err=True)
    for warning in draft.warnings:
        where = f" [{warning.place.label()}]" if warning.place else ""
        typer.secho(f"Cảnh báo: {warning.message}{where}", fg=typer.colors.YELLOW, err=True)
