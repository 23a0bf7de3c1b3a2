"""The `dondoc` command: run the embedded default, a worker, and start or inspect conclusions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from alembic import command
from sqlalchemy import create_engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.database import get_engine
from dondoc import drafts, officers, schema, unit_directory
from dondoc import users as accounts
from dondoc.cli.files import files_app
from dondoc.cli.importing import import_command
from dondoc.devserver import DevServer
from dondoc.gateway import AlreadyStarted, Gateway, NotFound, Unavailable
from dondoc.logs import configure, get_logger
from dondoc.settings import Settings, get_settings
from dondoc.snapshot_view import snapshot_json, snapshot_text
from dondoc.spec_loader import SpecError, load_spec
from dondoc.temporal_client import connect, register_search_attributes
from models.labels import CONCLUSION_STATUS, VN
from models.state import ConclusionState
from models.tables import ConclusionRow
from models.web_tables import Role, User
from worker import run_worker

FIRST_ADMIN = "admin@dondoc.example.vn"
app = typer.Typer(help="dondoc — theo dõi, đôn đốc việc thực hiện kết luận thanh tra.", no_args_is_help=True)
T = TypeVar("T")


def _run(factory: Callable[[], Awaitable[T]]) -> None:
    """Run a command that talks to Temporal, then leave without interpreter teardown.

    The Temporal client's native threads can outlive the event loop and abort the interpreter while it finalizes
    (temporalio/sdk-python#300), so once the command is done the process exits at once with its code.
    """

    async def main() -> T:
        return await factory()

    code = 0
    try:
        asyncio.run(main())
    except typer.Exit as stop:
        code = stop.exit_code
    except KeyboardInterrupt:
        code = 130
    tracing = sys.modules.get("dondoc.tracing")
    if tracing is not None:  # spans still batched would be lost to os._exit
        tracing.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


async def _client(settings: Settings) -> Client:
    try:
        return await connect(settings)
    except RuntimeError as error:
        raise _fail(
            f"Không kết nối được máy chủ Temporal tại {settings.effective_temporal_address}: {error}\n"
            "Hãy chạy 'make up' (hoặc 'dondoc up') trước, hoặc đặt DONDOC_TEMPORAL_ADDRESS."
        ) from None


async def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


@app.command()
def up() -> None:
    """Chạy toàn bộ trên một máy: máy chủ Temporal, worker, trang web và hộp thư thử (Ctrl-C để dừng)."""
    settings = get_settings()
    configure(settings)
    _upgrade_schema(settings)  # the embedded default migrates itself; production runs `dondoc db upgrade` as a job
    _run(lambda: _up(settings))


async def _up(settings: Settings) -> None:
    log = get_logger(component="up")
    stop = await _stop_on_signals()
    async with contextlib.AsyncExitStack() as stack:
        if settings.temporal_address:
            client = await _client(settings)
            await register_search_attributes(client)
            log.info("temporal_external", address=settings.temporal_address)
        else:
            await stack.enter_async_context(DevServer(settings))
            log.info(
                "temporal_dev_server_started",
                address=settings.effective_temporal_address,
                ui=f"http://127.0.0.1:{settings.temporal_ui_port}",
                db=str(settings.data_dir / "temporal.sqlite3"),
            )
        if not settings.smtp_host:
            from dondoc.smtp_sink import start_sink  # the `embedded` extra: not in the production image

            sink = await start_sink(settings.mail_sink_dir, "127.0.0.1", settings.sink_port)
            stack.callback(sink.close)
            log.info("smtp_sink_started", port=settings.sink_port, folder=str(settings.mail_sink_dir))
        typer.echo(_first_login(settings))
        typer.echo(
            f"dondoc đang chạy: http://{settings.http_host}:{settings.http_port} · Temporal UI: "
            f"http://127.0.0.1:{settings.temporal_ui_port} · thư lưu tại {settings.mail_sink_dir}/ · Ctrl-C để dừng.\n"
            "Bắt đầu theo dõi một kết luận: .venv/bin/dondoc start examples/quang-ngai-312-KL-Ttra.yaml"
        )
        from dondoc.web.server import serve  # the web stack loads only for the commands that serve it

        await asyncio.gather(run_worker(settings, stop), serve(settings, stop))
    log.info("stopped")


def _first_login(settings: Settings) -> str:
    """On first start, an admin account with a one-time password (kept in the data dir, readable by root only)."""
    engine = get_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        has_admin = session.exec(select(User).where(User.role == Role.admin)).first() is not None
    password_file = settings.data_dir / "admin-password.txt"
    if not has_admin:
        password = secrets.token_urlsafe(12)
        accounts.add_user(engine, FIRST_ADMIN, Role.admin, password, full_name="Quản trị")
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
    if password_file.exists():
        return (
            f"Đăng nhập lần đầu: {FIRST_ADMIN} / mật khẩu trong {password_file}. Thêm người dùng: "
            ".venv/bin/dondoc users add EMAIL --role staff --password …"
        )
    return "Thêm người dùng: .venv/bin/dondoc users add EMAIL --role staff|agency|supervisor|admin [--unit MÃ]"


@app.command()
def api() -> None:
    """Chỉ chạy trang web và API (với máy chủ Temporal ở DONDOC_TEMPORAL_ADDRESS)."""
    settings = get_settings()
    configure(settings)

    async def main() -> None:
        from dondoc.ops import serve_ops
        from dondoc.web.server import serve

        stop = await _stop_on_signals()
        with _refusing_another_schema():
            await asyncio.gather(serve(settings, stop), serve_ops(settings, stop))

    _run(main)


@contextlib.contextmanager
def _refusing_another_schema() -> Iterator[None]:
    """A production process on a database at another schema revision stops with what to do, not a traceback."""
    try:
        yield
    except schema.SchemaMismatch as error:
        raise _fail(str(error)) from None


def _upgrade_schema(settings: Settings) -> str:
    """Migrate to the newest revision with an engine of its own (get_engine only checks in production)."""
    if settings.sqlalchemy_url.startswith("sqlite:///"):  # the embedded default's first start: no data dir yet
        Path(settings.sqlalchemy_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        schema.upgrade(engine)
        return schema.check(engine)
    finally:
        engine.dispose()


users_app = typer.Typer(help="Người dùng và mã truy cập API.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="email đăng nhập")],
    role: Annotated[str, typer.Option(help="admin | staff | agency | supervisor")],
    unit: Annotated[str | None, typer.Option(help="mã đơn vị (bắt buộc với agency)")] = None,
    password: Annotated[str | None, typer.Option(help="mật khẩu (bỏ trống: tạo ngẫu nhiên và in ra)")] = None,
    name: Annotated[str, typer.Option(help="họ và tên")] = "",
) -> None:
    """Thêm người dùng."""
    settings = get_settings()
    secret = password or secrets.token_urlsafe(12)
    try:
        user = accounts.add_user(get_engine(settings.sqlalchemy_url), email, role, secret, unit, name)
    except accounts.UserError as error:
        raise _fail(str(error)) from None
    typer.echo(f"Đã thêm {user.email} ({user.role}{', đơn vị ' + user.unit if user.unit else ''}).")
    if password is None:
        typer.echo(f"Mật khẩu: {secret}")


@users_app.command("token")
def users_token(email: Annotated[str, typer.Argument(help="email của người dùng")]) -> None:
    """In một mã truy cập API mới của người dùng (chỉ hiện một lần)."""
    settings = get_settings()
    try:
        typer.echo(accounts.issue_token(get_engine(settings.sqlalchemy_url), email))
    except accounts.UserError as error:
        raise _fail(str(error)) from None


db_app = typer.Typer(help="Cơ sở dữ liệu: phiên bản lược đồ (migration).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(files_app, name="files")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Nâng lược đồ cơ sở dữ liệu lên phiên bản mới nhất (job chạy một lần trước khi triển khai; 'dondoc up' tự làm)."""
    settings = get_settings()
    configure(settings)
    typer.echo(f"Lược đồ cơ sở dữ liệu ở phiên bản {_upgrade_schema(settings)}.")


@db_app.command("check")
def db_check() -> None:
    """Kiểm tra lược đồ cơ sở dữ liệu đúng phiên bản chương trình này cần (mã thoát 1 nếu không)."""
    settings = get_settings()
    engine = create_engine(settings.sqlalchemy_url)
    try:
        revision = schema.check(engine)
    except schema.SchemaMismatch as error:
        raise _fail(str(error)) from None
    finally:
        engine.dispose()
    typer.echo(f"Lược đồ cơ sở dữ liệu ở phiên bản {revision}, đúng phiên bản chương trình cần.")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Argument(help="nội dung thay đổi (tiếng Anh, dùng làm tên tệp)")],
) -> None:
    """Cho lập trình viên: tạo bản migration mới từ khác biệt giữa mô hình và phiên bản mới nhất."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/schema.sqlite3")
        schema.upgrade(engine)
        with engine.begin() as connection:
            command.revision(schema.config(connection), message=message, autogenerate=True)
    typer.echo(f"Đã tạo bản migration mới trong {schema.MIGRATIONS / 'versions'}; đọc lại trước khi commit.")


@app.command()
def worker() -> None:
    """Chỉ chạy worker (với máy chủ Temporal ở DONDOC_TEMPORAL_ADDRESS)."""
    settings = get_settings()
    configure(settings)

    async def main() -> None:
        stop = await _stop_on_signals()
        with _refusing_another_schema():
            await run_worker(settings, stop)

    _run(main)


def _directory(settings: Settings) -> dict[str, dict[str, Any]]:
    return unit_directory.defaults(get_engine(settings.sqlalchemy_url))


app.command(name="import")(import_command)


@app.command()
def check(file: Annotated[Path, typer.Argument(help="tệp YAML/JSON mô tả kết luận")]) -> None:
    """Kiểm tra tệp hồ sơ kết luận mà không bắt đầu theo dõi (đơn vị chỉ có mã được tra trong danh bạ)."""
    try:
        spec = load_spec(file, _directory(get_settings()))
    except SpecError as error:
        raise _fail(str(error)) from None
    typer.echo(
        f"Hợp lệ: KL {spec.number}, {len(spec.units)} đơn vị, {len(spec.actions)} kiến nghị → {spec.workflow_id}"
    )


@app.command()
def start(
    file: Annotated[Path, typer.Argument(help="tệp YAML/JSON mô tả kết luận")],
    actor: Annotated[str, typer.Option(help="người đăng ký")] = "cli",
) -> None:
    """Bắt đầu theo dõi một kết luận; in mã theo dõi."""
    settings = get_settings()
    try:
        spec = load_spec(file, _directory(settings))
        if (placeholder := drafts.placeholder_problem(spec.number)) is not None:
            raise SpecError([f"number: {placeholder}"])
        if spec.officers:  # named officers must be staff accounts (the web app also defaults them to its user)
            spec = officers.assign(get_engine(settings.sqlalchemy_url), spec, actor)
    except (SpecError, officers.OfficerError) as error:
        raise _fail(str(error)) from None

    async def main() -> None:
        gateway = Gateway(await _client(settings), settings.task_queue, settings.follow_up_options)
        try:
            await gateway.start(spec, actor)
        except AlreadyStarted as error:
            raise _fail(str(error)) from None
        typer.echo(spec.workflow_id)

    _run(main)


@app.command()
def status(
    workflow_id: Annotated[str, typer.Argument(help="mã theo dõi, ví dụ kl-312-kl-ttra-2018")],
    as_json: Annotated[bool, typer.Option("--json", help="in JSON")] = False,
) -> None:
    """Xem tình hình thực hiện một kết luận."""
    settings = get_settings()

    async def main() -> None:
        client = await _client(settings)
        try:
            state = await client.get_workflow_handle(workflow_id).query("snapshot", result_type=ConclusionState)
        except RPCError as error:
            raise _fail(f"Không tìm thấy kết luận '{workflow_id}': {error.message}") from None
        if state is None:
            raise _fail(f"Kết luận '{workflow_id}' đang khởi tạo; thử lại sau giây lát.")
        now = datetime.now(UTC)
        if as_json:
            typer.echo(json.dumps(snapshot_json(state, now), ensure_ascii=False, indent=2))
        else:
            typer.echo(snapshot_text(state, now))

    _run(main)


@app.command(name="list")
def list_conclusions(
    as_json: Annotated[bool, typer.Option("--json", help="in JSON")] = False,
) -> None:
    """Liệt kê các kết luận cùng số kiến nghị quá hạn."""
    settings = get_settings()
    with Session(get_engine(settings.sqlalchemy_url)) as session:
        rows = session.exec(select(ConclusionRow).order_by(col(ConclusionRow.issued_on).desc())).all()
    if as_json:
        payload: list[dict[str, Any]] = [
            {
                "workflow_id": r.workflow_id,
                "number": r.number,
                "status": r.status,
                "actions": r.action_count,
                "open_actions": r.open_actions,
                "overdue_actions": r.overdue_actions,
                "next_deadline": r.next_deadline.isoformat() if r.next_deadline else None,
            }
            for r in rows
        ]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("Chưa có kết luận nào được theo dõi.")
        return
    typer.echo(
        f"{'Mã theo dõi':32} {'Số KL':16} {'Trạng thái':22} {'Kiến nghị':>9} {'Còn mở':>7} {'Quá hạn':>8}  Hạn tới"
    )
    for r in rows:
        deadline = r.next_deadline.astimezone(VN).strftime("%d/%m/%Y") if r.next_deadline else "—"
        label = CONCLUSION_STATUS.get(r.status, r.status)  # type: ignore[call-overload]
        typer.echo(
            f"{r.workflow_id:32} {r.number:16} {label:22} {r.action_count:>9} {r.open_actions:>7} "
            f"{r.overdue_actions:>8}  {deadline}"
        )


@app.command()
def reproject(
    workflow_ids: Annotated[
        list[str] | None, typer.Argument(help="mã theo dõi; bỏ trống: mọi kết luận còn đang chạy")
    ] = None,
) -> None:
    """Ghi lại vào cơ sở dữ liệu toàn bộ dữ liệu của các kết luận đang theo dõi (sau khi nâng cấp thêm cột)."""
    settings = get_settings()
    ids, every = workflow_ids or [], not workflow_ids
    if every:  # closed ones too: a follow-up that ended may still be sending its last letters
        with Session(get_engine(settings.sqlalchemy_url)) as session:
            ids = list(session.exec(select(ConclusionRow.workflow_id).order_by(col(ConclusionRow.workflow_id))).all())
    if not ids:
        typer.echo("Chưa có kết luận nào được theo dõi.")
        return

    async def main() -> None:
        gateway = Gateway(await _client(settings), settings.task_queue)
        failed = 0
        for workflow_id in ids:
            try:
                parts = await gateway.reproject(workflow_id)
            except NotFound as error:
                failed += 0 if every else 1  # asked for all: one that ended keeps its rows as last written
                typer.echo(f"{workflow_id}: {error}")
                continue
            except Unavailable as error:
                failed += 1
                typer.echo(f"{workflow_id}: {error}")
                continue
            typer.echo(f"{workflow_id}: đã ghi lại ({parts} lần ghi)")
        if failed:
            raise _fail(f"{failed}/{len(ids)} kết luận chưa ghi lại được; chạy lại lệnh cho các kết luận này.")

    _run(main)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
