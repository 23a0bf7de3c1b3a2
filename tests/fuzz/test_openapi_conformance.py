"""schemathesis against the app's own /openapi.json, in-process, for each role: every generated request (positive and
negative) answers no server error, only statuses its operation documents, and bodies and content types matching the
document. Half the cases of an operation with path parameters carry the real ids of a conclusion with evidence, a
report and an extension request (the agency user's own unit and actions), so that they go past the 404s into the
rules and the workflow.

The cases are generated once, deterministically (derandomized hypothesis, fixed example counts), in a worker thread,
and sent as each role; each request runs on the test's event loop, where the Temporal worker runs too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dondoc import users
from tests.web.conftest import AGENCY, STAFF, SUPERVISOR, Web
from tests.web.test_authorization import scenario

ROLES = {"agency": AGENCY, "supervisor": SUPERVISOR, "staff": STAFF}  # staff last: its writes end the conclusion
MIN_CASES_PER_ROLE = 1000
EXAMPLES = {GenerationMode.POSITIVE: 32, GenerationMode.NEGATIVE: 12}  # per operation
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

Send = Callable[[httpx.Request], httpx.Response]


@dataclass
class Generated:
    case: Any
    path: dict[str, Any]  # the generated path parameters
    real: bool  # sent with the real ids instead


@dataclass
class Report:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # one per operation and kind of failure

    def text(self) -> str:
        return "\n\n".join(f"{key}\n{message}" for key, message in self.failures.items())


@functools.cache
def generated(document: str) -> list[Generated]:
    """Every case of every operation of the OpenAPI `document` (the same for every role)."""
    schema = schemathesis.openapi.from_dict(json.loads(document))
    cases: list[Generated] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            if mode == GenerationMode.NEGATIVE and not (operation.query or operation.headers or operation.body):
                continue  # nothing but free-text path ids: no invalid request to generate
            cases += generate(operation, mode, examples)
    return cases


def generate(operation: Any, mode: GenerationMode, examples: int) -> list[Generated]:
    found: list[Generated] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def one(case: Any, real: bool) -> None:
        path = dict(case.path_parameters or {})
        found.append(Generated(case, path, real and bool(path)))

    with contextlib.suppress(Unsatisfiable):  # negative mode, for an operation with nothing invalid to generate
        one()
    return found


def to_httpx(kwargs: dict[str, Any]) -> httpx.Request:
    """The case as schemathesis would send it with requests (multipart encoded and all), as an httpx request."""
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return httpx.Request(prepared.method or "GET", prepared.url or "", headers=dict(prepared.headers), content=body)


def run(cases: list[Generated], targets: Callable[[str], dict[str, str]], auth: dict[str, str], send: Send) -> Report:
    report = Report()
    for item in cases:
        case, operation = item.case, item.case.operation
        case.path_parameters = {**item.path, **targets(operation.path)} if item.real else dict(item.path)
        request = to_httpx(case.as_transport_kwargs(base_url="http://testserver", headers=auth))
        response = send(request)
        report.cases += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as failures:
            for failure in failures.exceptions:
                key = f"{operation.method.upper()} {operation.path}: {failure.title}"
                report.failures.setdefault(key, f"{request.method} {request.url}\n{failure.message}"[:1500])
    return report


def targets_of(wid: str, role: str) -> Callable[[str], dict[str, str]]:
    """The real ids for the path parameters of `path`."""

    def targets(path: str) -> dict[str, str]:
        ids = {
            "workflow_id": wid,
            "action_id": "ly-son-eoffice" if role != "staff" else "ly-son-thu-cong-vu",
            "unit": "ly-son",
            "evidence_id": f"{wid}.ev-1" if path.startswith("/api/evidence/") else "ev-1",
            "report_id": f"{wid}.rp-1" if path.startswith("/api/reports/") else "rp-1",
            "request_id": "ext-1",
            "step": "urging",
        }
        return {name: value for name, value in ids.items() if "{" + name + "}" in path}

    return targets


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_answer_is_one_the_openapi_document_declares(web: Web, role: str) -> None:
    s = await scenario(web)
    document = json.dumps(web.app.openapi(), sort_keys=True)  # type: ignore[attr-defined]
    cases = await asyncio.to_thread(generated, document)
    auth = {"Authorization": f"Bearer {users.issue_token(web.ctx.engine, ROLES[role])}"}
    loop = asyncio.get_running_loop()
    crashes: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        """The app, its crashes (answered 500) recorded with their traceback."""
        try:
            await web.app(scope, receive, send)  # type: ignore[operator]
        except Exception:
            crashes.append(traceback.format_exc())
            raise

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport) as client:

        def send(request: httpx.Request) -> httpx.Response:
            response = asyncio.run_coroutine_threadsafe(client.send(request), loop).result(timeout=120)
            response.read()
            return response

        report = await asyncio.to_thread(run, cases, targets_of(s.wid, role), auth, send)
    assert report.cases >= MIN_CASES_PER_ROLE, (report.cases, report.statuses)
    assert report.statuses[200] + report.statuses[201] > 50, report.statuses  # the real ids got through
    crashed = "\n".join(crashes[:3])
    assert not report.failures, f"{len(report.failures)} kinds of failure:\n\n{report.text()}\n\n{crashed}"
