"""Authorization matrix: every /api route × every kind of caller, enforced on the server.

The route list comes from `app.routes`, so a new route without a row here fails `test_every_api_route_has_a_row`.
Denied calls must answer 401 (nobody), 403 (wrong role, or another unit's target) or 404 (a conclusion or file the
caller may not see); allowed calls must succeed, so each allowed write gets a fresh target it can really change.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.routing import iter_route_contexts

from dondoc import drafts
from dondoc.spec_loader import parse_spec
from models import commands as c
from models.state import FileRef
from tests.web.api.test_api import PDF, env_today, pdf_part, small_spec
from tests.web.conftest import ADMIN, AGENCY, OTHER_AGENCY, OUTSIDER, STAFF, SUPERVISOR, Web

ANONYMOUS, BAD_TOKEN, BEARER = "anonymous", "bad_token", "bearer(staff)"
SIGNED_IN = ("admin", "staff", BEARER, "supervisor", "outsider", "agency", "other_agency")
ROLES = (ANONYMOUS, BAD_TOKEN, *SIGNED_IN)
STAFF_LIKE = {"admin", "staff", BEARER}
AGENCY_LIKE = {"admin", "agency"}
W = "/api/conclusions/{workflow_id}"


def expect(success: int, allowed: set[str] | tuple[str, ...], **denied: int) -> dict[str, int]:
    """The expected status per role: `success` for the allowed ones, 403 (or as given) for the others."""
    codes = {ANONYMOUS: 401, BAD_TOKEN: 401}
    for role in SIGNED_IN:
        codes[role] = success if role in allowed else denied.get(role, 403)
    return codes


EVERYONE = expect(200, SIGNED_IN)
WHO_SEES = expect(200, set(SIGNED_IN) - {"outsider"}, outsider=404)
FILE_READERS = expect(200, {"admin", "staff", BEARER, "supervisor", "agency"}, outsider=404, other_agency=404)
PUBLIC = {role: 200 for role in ROLES}
READERS = expect(200, {*STAFF_LIKE, "supervisor", "outsider"})  # registers and statistics: of what each may see


# ---------------------------------------------------------------- a conclusion with something to act on


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@dataclass
class Scenario:
    """The Quảng Ngãi example with evidence, a report and an extension request, plus spare targets for the
    allowed writes (each consumes its own, so every allowed call can really succeed)."""

    web: Web
    wid: str
    pdf: FileRef
    evidence: str = ""
    report: str = ""
    request: str = ""
    ly_son: list[str] = field(default_factory=lambda: ["ly-son-eoffice", "ly-son-thu-cong-vu"])
    actions: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    denied_action: str = "ly-son-cong-ttdt"  # never changed: the target of every denied action call
    lettered: tuple[str, str] | None = None  # a conclusion with a letter that went out, and the letter's key

    async def send(self, command: c.Command) -> str:
        """Apply `command`; the id of what it created."""
        result = await self.web.ctx.gateway.update(self.wid, command)
        return result.created or ""

    async def submitted_evidence(self) -> str:
        return await self.send(c.SubmitEvidence(actor=ADMIN, action_id=self.actions.pop(0), files=[self.pdf]))

    async def pending_request(self) -> str:
        command = c.RequestExtension(actor=ADMIN, action_id=self.actions.pop(0), requested_due="2099-01-01", reason="x")
        return await self.send(command)

    async def submitted_report(self) -> str:
        return await self.send(c.SubmitReport(actor=ADMIN, unit=self.units.pop(0), files=[self.pdf]))

    async def reopen_ly_son_report(self) -> None:
        """The agency may submit again once its report was returned."""
        state = await self.web.ctx.gateway.snapshot(self.wid)
        if state.units["ly-son"].report_status == "submitted":
            await self.send(c.ReviewReport(actor=STAFF, report_id=self.report, decision="reject", reason="Bổ sung"))

    async def sent_letter(self) -> tuple[str, str]:
        """A conclusion overdue since it started, and the key of its first letter (once it went out)."""
        if self.lettered is None:
            spec = await self.web.start_overdue()
            [letter, *_] = await self.web.letters_sent(spec.workflow_id)
            self.lettered = spec.workflow_id, letter.key
        return self.lettered

    async def fresh_conclusion(self) -> str:
        spec = parse_spec(small_spec(await env_today(self.web)))
        await self.web.ctx.gateway.start(spec, STAFF)
        await self.web.wait_projected(spec.workflow_id)
        return spec.workflow_id


async def scenario(web: Web) -> Scenario:
    spec = await web.start_quang_ngai()
    stored = await web.ctx.files.save("minh-chung.pdf", _one(PDF))
    s = Scenario(web, spec.workflow_id, stored.ref)
    s.actions = [a.id for a in spec.actions if a.unit != "ly-son"]
    s.units = [u.code for u in spec.units if u.code != "ly-son"]
    s.evidence = await s.send(c.SubmitEvidence(actor=AGENCY, action_id="ly-son-dvctt", files=[s.pdf]))
    s.report = await s.send(c.SubmitReport(actor=AGENCY, unit="ly-son", files=[s.pdf]))
    command = c.RequestExtension(actor=AGENCY, action_id="ly-son-chu-ky-so", requested_due="2099-01-01", reason="x")
    s.request = await s.send(command)
    assert (s.evidence, s.report, s.request) == ("ev-1", "rp-1", "ext-1")
    return s


# ---------------------------------------------------------------- the rows: (method, path) → expected, call

Call = tuple[str, dict[str, Any]]  # url, httpx keyword arguments
Build = Callable[[Scenario, str, bool], Awaitable[Call]]


def fixed(url: str, **kwargs: Any) -> Build:
    async def build(s: Scenario, role: str, allowed: bool) -> Call:
        return url.format(wid=s.wid, ev=s.evidence, rp=s.report), kwargs

    return build


async def start_call(s: Scenario, role: str, allowed: bool) -> Call:
    return "/api/conclusions", {"json": small_spec(await env_today(s.web))}


async def evidence_call(s: Scenario, role: str, allowed: bool) -> Call:
    action = s.denied_action if not allowed else s.ly_son.pop(0) if role == "agency" else s.actions.pop(0)
    return f"/api/conclusions/{s.wid}/actions/{action}/evidence", {"files": pdf_part(), "data": {"note": role}}


async def extension_call(s: Scenario, role: str, allowed: bool) -> Call:
    action = s.denied_action if not allowed else s.ly_son.pop(0) if role == "agency" else s.actions.pop(0)
    body = {"requested_due": "2099-01-01", "reason": "Chờ kinh phí"}
    return f"/api/conclusions/{s.wid}/actions/{action}/extension-requests", {"json": body}


async def report_call(s: Scenario, role: str, allowed: bool) -> Call:
    unit = "ly-son"
    if allowed and role == "agency":
        await s.reopen_ly_son_report()
    elif allowed:
        unit = s.units.pop(0)
    return f"/api/conclusions/{s.wid}/units/{unit}/reports", {"files": pdf_part()}


async def evidence_review_call(s: Scenario, role: str, allowed: bool) -> Call:
    evidence = await s.submitted_evidence() if allowed else s.evidence
    return f"/api/conclusions/{s.wid}/evidence/{evidence}/review", {"json": {"decision": "accept"}}


async def decision_call(s: Scenario, role: str, allowed: bool) -> Call:
    request = await s.pending_request() if allowed else s.request
    return f"/api/conclusions/{s.wid}/extension-requests/{request}/decision", {"json": {"approve": True}}


async def report_review_call(s: Scenario, role: str, allowed: bool) -> Call:
    report = await s.submitted_report() if allowed else s.report
    return f"/api/conclusions/{s.wid}/reports/{report}/review", {"json": {"decision": "accept"}}


def resolve_call(verb: str) -> Build:
    async def build(s: Scenario, role: str, allowed: bool) -> Call:
        action = s.actions.pop(0) if allowed else s.denied_action
        return f"/api/conclusions/{s.wid}/actions/{action}/{verb}", {"json": {"reason": "Công văn 5/TTr"}}

    return build


async def amend_call(s: Scenario, role: str, allowed: bool) -> Call:
    action_id = re.sub(r"[^a-z]+", "-", f"bo-sung-{role}").strip("-")
    body = {"id": action_id, "unit": "ly-son", "text": "Bổ sung", "due_in": {"days": 30}}
    return f"/api/conclusions/{s.wid}/actions", {"json": body}


async def letter_number_call(s: Scenario, role: str, allowed: bool) -> Call:
    workflow_id, key = await s.sent_letter() if allowed else (s.wid, f"{s.wid}/ly-son/urging/99")
    body = {"key": key, "number": f"{len(role)}/TTr-NV", "signed_on": (await env_today(s.web)).isoformat()}
    return f"/api/conclusions/{workflow_id}/letters/number", {"json": body}


async def withdraw_call(s: Scenario, role: str, allowed: bool) -> Call:
    workflow_id = await s.fresh_conclusion() if allowed else s.wid
    return f"/api/conclusions/{workflow_id}/withdraw", {"json": {"reason": "Hủy kết luận"}}


async def document_call(s: Scenario, role: str, allowed: bool) -> Call:
    """The conclusion as if started from an imported document (its draft keeps the stored file)."""
    if drafts.of_conclusion(s.web.ctx.engine, s.wid) is None:
        row = drafts.create(s.web.ctx.engine, STAFF, {"header": {}, "units": [], "actions": []}, None, s.pdf)
        drafts.mark_started(s.web.ctx.engine, row.id, STAFF, s.wid)
    return f"/api/conclusions/{s.wid}/document", {}


MATRIX: dict[tuple[str, str], tuple[dict[str, int], Build]] = {
    ("GET", "/api/docs"): (PUBLIC, fixed("/api/docs")),
    ("GET", "/api/me"): (EVERYONE, fixed("/api/me")),
    ("GET", "/api/conclusions"): (EVERYONE, fixed("/api/conclusions")),
    ("POST", "/api/conclusions"): (expect(201, STAFF_LIKE), start_call),
    ("GET", W): (WHO_SEES, fixed("/api/conclusions/{wid}")),
    ("GET", f"{W}/timeline"): (WHO_SEES, fixed("/api/conclusions/{wid}/timeline")),
    ("GET", f"{W}/document"): (WHO_SEES, document_call),
    ("GET", "/api/overdue"): (EVERYONE, fixed("/api/overdue")),
    ("GET", "/api/notifications"): (EVERYONE, fixed("/api/notifications")),
    ("GET", "/api/evidence/{evidence_id}/file"): (FILE_READERS, fixed("/api/evidence/{wid}.{ev}/file")),
    ("GET", "/api/reports/{report_id}/file"): (FILE_READERS, fixed("/api/reports/{wid}.{rp}/file")),
    ("POST", f"{W}/actions/{{action_id}}/evidence"): (expect(201, AGENCY_LIKE), evidence_call),
    ("POST", f"{W}/actions/{{action_id}}/extension-requests"): (expect(201, AGENCY_LIKE), extension_call),
    ("POST", f"{W}/units/{{unit}}/reports"): (expect(201, AGENCY_LIKE), report_call),
    ("POST", f"{W}/evidence/{{evidence_id}}/review"): (expect(200, STAFF_LIKE), evidence_review_call),
    ("POST", f"{W}/extension-requests/{{request_id}}/decision"): (expect(200, STAFF_LIKE), decision_call),
    ("POST", f"{W}/reports/{{report_id}}/review"): (expect(200, STAFF_LIKE), report_review_call),
    ("POST", f"{W}/actions/{{action_id}}/waive"): (expect(200, STAFF_LIKE), resolve_call("waive")),
    ("POST", f"{W}/actions/{{action_id}}/transfer"): (expect(200, STAFF_LIKE), resolve_call("transfer")),
    ("POST", f"{W}/actions"): (expect(201, STAFF_LIKE), amend_call),
    ("PUT", f"{W}/units/{{unit}}/contacts"): (
        expect(200, STAFF_LIKE),
        fixed("/api/conclusions/{wid}/units/so-xd/contacts", json={"contacts": ["moi@sxd.example.vn"]}),
    ),
    ("POST", f"{W}/withdraw"): (expect(200, STAFF_LIKE), withdraw_call),
    ("GET", f"{W}/units/{{unit}}/letters/{{step}}"): (
        expect(200, {*STAFF_LIKE, "supervisor"}, outsider=404),
        fixed("/api/conclusions/{wid}/units/ly-son/letters/urging"),
    ),
    ("POST", f"{W}/letters/number"): (expect(200, STAFF_LIKE), letter_number_call),
    ("GET", "/api/register"): (READERS, fixed("/api/register")),
    ("GET", "/api/register.xlsx"): (READERS, fixed("/api/register.xlsx?status=overdue")),
    ("GET", "/api/statistics"): (READERS, fixed("/api/statistics?kind=year&year=2026")),
    ("GET", "/api/statistics.xlsx"): (READERS, fixed("/api/statistics.xlsx?kind=quarter&year=2026&number=1")),
    ("GET", f"{W}/follow-up-report.docx"): (
        expect(200, {*STAFF_LIKE, "supervisor"}, outsider=404),
        fixed("/api/conclusions/{wid}/follow-up-report.docx"),
    ),
}


def api_routes(app: Any) -> set[tuple[str, str]]:
    routes = set()
    for route in iter_route_contexts(app.routes):
        if route.path and route.path.startswith("/api") and route.methods:
            routes |= {(method, route.path) for method in route.methods if method != "HEAD"}
    return routes


async def clients(web: Web) -> dict[str, httpx.AsyncClient]:
    anonymous = web.client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', (await anonymous.get("/login")).text)
    assert token
    anonymous.headers["X-CSRF-Token"] = token.group(1)  # a valid CSRF token does not make anyone signed in
    bad = web.client()
    bad.headers["Authorization"] = "Bearer dd_not-a-token"
    return {
        ANONYMOUS: anonymous,
        BAD_TOKEN: bad,
        "admin": await web.login(ADMIN),
        "staff": await web.login(STAFF),
        BEARER: web.bearer(STAFF),
        "supervisor": await web.login(SUPERVISOR),
        "outsider": await web.login(OUTSIDER),
        "agency": await web.login(AGENCY),
        "other_agency": await web.login(OTHER_AGENCY),
    }


# ---------------------------------------------------------------- the tests


async def test_every_api_route_has_a_row(web: Web) -> None:
    routes = api_routes(web.app)
    assert routes - MATRIX.keys() == set(), "routes without an authorization row"
    assert MATRIX.keys() - routes == set(), "rows for routes that do not exist"


async def test_the_authorization_matrix(web: Web) -> None:
    s = await scenario(web)
    who = await clients(web)
    wrong: list[str] = []
    for (method, _path), (expected, build) in MATRIX.items():
        for role in ROLES:
            url, kwargs = await build(s, role, expected[role] < 400)
            response = await who[role].request(method, url, **kwargs)
            if response.status_code != expected[role]:
                wrong.append(
                    f"{method} {url} as {role}: {response.status_code} ≠ {expected[role]} {response.text[:160]}"
                )
    assert not wrong, "\n".join(wrong)

    # the denied calls changed nothing they targeted
    state = await web.ctx.gateway.snapshot(s.wid)
    assert state.status == "active"
    assert state.actions[s.denied_action].status == "open"
    assert not [r for r in state.extension_requests if r.action_id == s.denied_action]
    assert state.units["so-xd"].contacts == ["moi@sxd.example.vn"]
    assert s.lettered is not None
    lettered = await web.ctx.gateway.snapshot(s.lettered[0])
    numbers = {ref.key: ref.number for unit in lettered.units.values() for ref in unit.letters}
    assert numbers[s.lettered[1]] == f"{len(BEARER)}/TTr-NV", "numbered by the allowed callers, the last one stays"


async def test_an_agency_without_a_unit_in_the_conclusion_cannot_reach_it(web: Web) -> None:
    staff = web.bearer(STAFF)
    spec = small_spec(await env_today(web))  # only ly-son: tra-bong's agency may not know it exists
    wid = (await staff.post("/api/conclusions", json=spec)).json()["workflow_id"]
    other = await web.login(OTHER_AGENCY)
    base = f"/api/conclusions/{wid}"
    for response in [
        await other.get(base),
        await other.get(f"{base}/timeline"),
        await other.post(f"{base}/actions/ly-son-a1/evidence", files=pdf_part()),
        await other.post(
            f"{base}/actions/ly-son-a1/extension-requests", json={"requested_due": "2099-01-01", "reason": "x"}
        ),
        await other.post(f"{base}/units/ly-son/reports", files=pdf_part()),
        await other.post(f"{base}/units/tra-bong/reports", files=pdf_part()),
    ]:
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == f"Không tìm thấy kết luận '{wid}'."
    assert (await other.get("/api/conclusions")).json() == []
    # a forbidden role learns nothing about the id either: 403 whether or not the conclusion exists
    supervisor = await web.login(OUTSIDER)
    for target in (wid, "kl-khong-co"):
        response = await supervisor.post(f"/api/conclusions/{target}/withdraw", json={"reason": "x"})
        assert response.status_code == 403, response.text


def page_routes(app: Any) -> set[tuple[str, str]]:
    """Every route outside the API, the static files and the login pages."""
    skip = (
        "/api",
        "/static",
        "/openapi.json",
        "/docs",
        "/login",
        "/logout",
        "/healthz",
        "/readyz",
    )  # public on purpose
    routes = set()
    for route in iter_route_contexts(app.routes):
        if route.path and route.methods and not route.path.startswith(skip):
            routes |= {(method, route.path) for method in route.methods if method != "HEAD"}
    return routes


def filled(path: str, wid: str) -> str:
    values = {
        "workflow_id": wid,
        "action_id": "ly-son-cong-ttdt",
        "evidence_id": "ev-1",
        "report_id": "rp-1",
        "request_id": "ext-1",
        "unit": "ly-son",
        "user_id": "1",
        "code": "ly-son",
        "document": "policy",
        "token": "khong-hop-le",
        "sha256": "0" * 64,
        "step": "urging",
        "schedule_id": "dondoc-file-sweep",
        "draft_id": "khong-co",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


async def test_every_page_route_refuses_who_may_not_use_it(web: Web) -> None:
    """Anonymous visitors never get a page; supervisors never change anything; agency users only use the portal.
    Every account, whatever its role, has its own page of emails (/account)."""
    spec = await web.start_quang_ngai()
    who = await clients(web)
    routes = page_routes(web.app)
    assert len(routes) > 30
    wrong: list[str] = []
    for method, path in sorted(routes):
        url = filled(path, spec.workflow_id)
        portal = path.startswith("/portal")
        own_account = path.startswith("/account")
        anonymous = await who[ANONYMOUS].request(method, url, data={"reason": "x"})
        if anonymous.status_code < 300 or (
            anonymous.status_code == 303 and not anonymous.headers["location"].startswith("/login")
        ):
            wrong.append(f"anonymous {method} {path} → {anonymous.status_code}")
        if method == "POST" and not portal and not own_account:
            for role in ("supervisor", "agency"):
                answer = await who[role].request(method, url, data={"reason": "x"})
                if answer.status_code != 403:
                    wrong.append(f"{role} {method} {path} → {answer.status_code}")
        if method == "GET" and not portal and not own_account and path != "/":
            answer = await who["agency"].get(url)
            if answer.status_code != 403:
                wrong.append(f"agency GET {path} → {answer.status_code}")
    assert wrong == []
    state = await web.ctx.gateway.snapshot(spec.workflow_id)
    assert state.evidence == [] and state.status == "active", "nothing was changed on the way"
