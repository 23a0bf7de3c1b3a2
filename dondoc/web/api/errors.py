"""What the API's error answers look like, for the OpenAPI document: every route declares the statuses it can answer
with these bodies (the handlers in `dondoc/web/app.py` write them; docs/api.md, "Errors", explains when)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str = Field(description="what went wrong, in Vietnamese, to show as is")


class Problem(BaseModel):
    field: str = Field(description="the parameter, header or body field, dotted: `due_in.days`")
    message: str = Field(description="in Vietnamese")


class InvalidOut(ErrorOut):
    errors: list[Problem | str] = Field(
        default_factory=list,
        description="one entry per problem: `{field, message}` for parameters, headers and JSON bodies; a line "
        "naming its field for a conclusion spec or an added action (`units[0].contacts: thiếu trường bắt buộc`); "
        "absent for a refused upload",
    )


_WHEN: dict[int, tuple[str, type[BaseModel]]] = {
    400: ("the body cannot be read: malformed JSON, not UTF-8, or a broken multipart form", ErrorOut),
    401: ("not signed in, or the bearer token is unknown or revoked", ErrorOut),
    403: ("the role may not call this route, another unit's target, a view-only link, or no CSRF token", ErrorOut),
    404: ("no such conclusion (or not yours to see), or no such target in it", ErrorOut),
    409: ("refused by the rules, or the conclusion has ended (the message says why)", ErrorOut),
    413: ("the request body is larger than allowed", ErrorOut),
    422: ("a parameter, header or body is invalid: `errors` names each field", InvalidOut),
    503: ("the database or Temporal does not answer now: retry after `Retry-After` seconds", ErrorOut),
}

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def answers(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for these error statuses; `described` overrides a description (`e409="…"`)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        text, model = _WHEN[code]
        entry: dict[str, Any] = {"model": model, "description": described.get(f"e{code}", text)}
        if code == 503:
            entry["headers"] = RETRY_AFTER
        out[code] = entry
    return out


EVERY_ROUTE = answers(401, 503)  # on the API router: authentication and outages
READ = answers(404, 422)  # a read of one conclusion's target
CHANGE = answers(400, 403, 404, 409, 413, 422)  # a change of a conclusion (JSON body)
UPLOAD = answers(400, 403, 404, 409, 413, 422)  # a change with files (multipart body)


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with its default 422 body (a list of pydantic errors, which this API never answers)
    replaced by the one the app's handler writes, on routes that did not declare their own."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        default = "#/components/schemas/HTTPValidationError"
        ours = {"$ref": "#/components/schemas/InvalidOut"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for media in operation.get("responses", {}).get("422", {}).get("content", {}).values():
                    if media.get("schema", {}).get("$ref") == default:
                        media["schema"] = ours
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "InvalidOut" not in components:  # no route of ours declared it: add it and what it uses
            components.update(InvalidOut.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
            components["InvalidOut"] = {
                k: v
                for k, v in InvalidOut.model_json_schema(ref_template="#/components/schemas/{model}").items()
                if k != "$defs"
            }
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema
