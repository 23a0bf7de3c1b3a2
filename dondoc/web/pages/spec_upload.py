"""A spec file (YAML/JSON) uploaded on the new-conclusion page: every problem listed by field, or, when it is valid,
the confirmation page every start goes through. The confirmation carries the checked spec back signed (and for a
limited time), so what starts is exactly what was shown, without choosing the file again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml
from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dondoc import drafts, officers, unit_directory
from dondoc.gateway import AlreadyStarted
from dondoc.settings import Settings
from dondoc.spec_loader import SpecError, parse_spec, syntax_problem
from dondoc.web.context import AppContext
from dondoc.web.pages import new, starting
from dondoc.web.pages.common import Ctx, Staff, text
from dondoc.web.security import Principal
from dondoc.yaml_text import load_yaml
from models.spec import ConclusionSpec

router = APIRouter()

MAX_SPEC_BYTES = 1024 * 1024
CONFIRM_HOURS = 8  # a confirmation page older than this shows a stale picture of what starting does at once
_SALT = "dondoc-spec-file-start"


def read_spec(name: str, content: bytes, directory: Mapping[str, Mapping[str, Any]]) -> ConclusionSpec:
    if len(content) > MAX_SPEC_BYTES:
        raise SpecError([f"tệp quá lớn (tối đa {MAX_SPEC_BYTES // 1024} KB)"])
    try:
        source = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(["tệp không phải văn bản UTF-8"]) from None
    if not source.strip():
        raise SpecError(["tệp rỗng"])
    try:
        data = json.loads(source) if name.lower().endswith(".json") else load_yaml(source)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise SpecError([f"tệp {syntax_problem(error)}"]) from None
    return parse_spec(data, directory)


# ---------------------------------------------------------------- the checked spec, carried signed


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt=_SALT)


def seal(settings: Settings, name: str, spec: ConclusionSpec) -> str:
    """The checked spec (units completed from the directory) and its file name, signed and compressed."""
    return _serializer(settings).dumps({"name": name, "spec": spec.model_dump(mode="json", exclude_none=True)})


class Unsealed(ValueError):
    """A confirmation that cannot be used; the message says what to do, in Vietnamese."""


def unseal(settings: Settings, token: str) -> tuple[str, ConclusionSpec]:
    try:
        carried = _serializer(settings).loads(token, max_age=CONFIRM_HOURS * 3600)
        return str(carried["name"]), parse_spec(carried["spec"])
    except SignatureExpired:
        raise Unsealed(
            f"Trang xác nhận đã mở quá {CONFIRM_HOURS} giờ: tải tệp lên lại để xem những gì sẽ diễn ra lúc này."
        ) from None
    except (BadSignature, SpecError, KeyError, TypeError):
        raise Unsealed("Không đọc được nội dung cần xác nhận: tải tệp hồ sơ lên lại.") from None


# ---------------------------------------------------------------- routes


def _confirmation(
    settings: Settings, name: str, spec: ConclusionSpec, token: str | None = None
) -> starting.Confirmation:
    problems = []
    if drafts.placeholder_number(spec.number):
        problems.append(
            f"Số kết luận “{spec.number}” trong tệp là số tạm của bản chưa ban hành: sửa thành số chính thức của "
            "kết luận đã ký rồi tải tệp lên lại."
        )
    return starting.Confirmation(
        number=spec.number,
        action="/conclusions/upload/start",
        hidden={"sealed": token or seal(settings, name, spec)},
        back_url="/conclusions/new#upload",
        back_label="Quay lại trang đăng ký (chọn tệp khác)",
        kept="Tệp hồ sơ chỉ dùng để đăng ký, không được lưu kèm kết luận.",
        source=name,
        blockers=problems,
    )


async def _refused(
    request: Request, ctx: AppContext, who: Principal, info: dict[str, Any], message: str | None, code: int
) -> Response:
    return await run_in_threadpool(new.render, request, ctx, who, new.NewForm(), code, None, info, message)


@router.post("/conclusions/upload", include_in_schema=False)
async def upload(request: Request, ctx: Ctx, who: Staff) -> Response:
    """A spec file: its problems, or what starting it does at once with a button to confirm (nothing starts yet)."""
    data = await request.form()
    try:
        file = data.get("spec_file")
        if not isinstance(file, UploadFile) or not file.filename:
            info: dict[str, Any] = {"problems": ["Chọn một tệp hồ sơ kết luận (.yaml, .yml hoặc .json)."]}
            return await _refused(request, ctx, who, info, None, status.HTTP_422_UNPROCESSABLE_CONTENT)
        name = file.filename
        content = await file.read(MAX_SPEC_BYTES + 1)
    finally:
        await data.close()
    try:
        directory = await run_in_threadpool(unit_directory.defaults, ctx.engine)
        spec = read_spec(name, content, directory)
    except SpecError as error:
        info = {"name": name, "problems": error.problems}
        message = f"Tệp {name} chưa hợp lệ: {len(error.problems)} lỗi."
        return await _refused(request, ctx, who, info, message, status.HTTP_422_UNPROCESSABLE_CONTENT)
    page = _confirmation(ctx.settings, name, spec)
    page = await run_in_threadpool(starting.assess, ctx.engine, ctx.settings, page, spec, who.email)
    return starting.confirmation_page(request, who, page)


@router.post("/conclusions/upload/start", include_in_schema=False)
async def confirm(request: Request, ctx: Ctx, who: Staff) -> Response:
    """Start the spec the confirmation page showed; if something changed since (started meanwhile, an officer's
    account closed), the confirmation page again saying so."""
    token = text(await request.form(), "sealed")
    try:
        name, spec = unseal(ctx.settings, token)
    except Unsealed as error:
        info = {"problems": [str(error)]}
        return await _refused(request, ctx, who, info, str(error), status.HTTP_422_UNPROCESSABLE_CONTENT)
    page = _confirmation(ctx.settings, name, spec, token)
    page.spec = spec
    page.blockers += await run_in_threadpool(starting.blockers, ctx.engine, spec, who.email)
    if not page.blockers:
        try:
            workflow_id = await starting.start_follow_up(ctx, spec, who)
        except (AlreadyStarted, officers.OfficerError) as error:
            page.blockers.append(str(error).removeprefix("officers: "))
        else:
            return await starting.started(ctx, request, spec, workflow_id)
    return starting.confirmation_page(request, who, page)
