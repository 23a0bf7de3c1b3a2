"""The OpenAPI document tells the truth about errors: every /api operation declares 401 and 503, every declared 422
is the app's own body, and a body that cannot be read answers 400 as docs/api.md says (schemathesis in tests/fuzz
checks every answer against the document)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import AGENCY, STAFF, Web


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]


async def test_every_operation_declares_its_errors_with_the_bodies_the_app_writes(web: Web) -> None:
    async with web.client() as client:
        document = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    invalid = document["components"]["schemas"]["InvalidOut"]
    assert set(invalid["properties"]) == {"detail", "errors"} and invalid["required"] == ["detail"]
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert {"401", "503"} <= set(responses), (method, path)
        assert "Retry-After" in responses["503"]["headers"]
        if "422" in responses:
            schema = responses["422"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/InvalidOut"}, (method, path)
        if method in ("POST", "PUT"):
            assert {"400", "403", "413", "422"} <= set(responses), (method, path)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b'{"reason": "x"', "application/json"), (b'\xff\xfe{"reason": 1}', "application/json")],
    ids=["malformed-json", "not-utf-8"],
)
async def test_an_unreadable_json_body_is_400(web: Web, content: bytes, content_type: str) -> None:
    spec = await web.start_quang_ngai()
    async with web.bearer(STAFF) as staff:
        answer = await staff.post(
            f"/api/conclusions/{spec.workflow_id}/withdraw", content=content, headers={"content-type": content_type}
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("Không đọc được nội dung gửi lên")


async def test_a_broken_multipart_upload_is_400(web: Web) -> None:
    spec = await web.start_quang_ngai()
    async with web.bearer(AGENCY) as agency:
        answer = await agency.post(
            f"/api/conclusions/{spec.workflow_id}/actions/ly-son-eoffice/evidence",
            content=b"--b\r\nA header line without its colon\r\n\r\n%PDF\r\n--b--\r\n",
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
    assert answer.status_code == 400, answer.text
    assert (
        answer.json()["detail"]
        == "Không đọc được nội dung gửi lên: JSON sai cú pháp, không phải UTF-8 hoặc biểu mẫu multipart hỏng."
    )


async def test_a_well_formed_json_body_with_wrong_content_is_422_naming_the_field(web: Web) -> None:
    spec = await web.start_quang_ngai()
    async with web.bearer(STAFF) as staff:
        answer = await staff.post(f"/api/conclusions/{spec.workflow_id}/withdraw", json={"reason": 5, "x": 1})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"reason", "x"}
