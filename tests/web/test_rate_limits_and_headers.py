"""Guessing is limited: failed sign-ins per account and per client address, refused portal links per address and
openings per link answer 429 with Retry-After and a Vietnamese page. Every response carries the security headers;
HSTS only over HTTPS."""

from __future__ import annotations

import re

import httpx

from dondoc import links
from dondoc.web.throttle import (
    LINK_OPENINGS_PER_TOKEN,
    LINK_REFUSALS_PER_IP,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_IP,
)
from tests.web.conftest import AGENCY, PASSWORD, STAFF, SUPERVISOR, Web
from tests.web.pages.test_pages import text_of


def from_address(web: Web, ip: str, base_url: str = "http://testserver") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=web.app, client=(ip, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=base_url, follow_redirects=False)


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return await client.post(
        "/login", data={"email": email, "password": password, "next": "/", "csrf_token": token.group(1)}
    )


def assert_limited(response: httpx.Response, phrase: str) -> None:
    assert response.status_code == 429, response.text[-400:]
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    assert phrase in text_of(response) and "vui lòng thử lại sau" in text_of(response)


# ---------------------------------------------------------------- sign-in


async def test_an_account_is_locked_for_a_while_after_repeated_failures_even_with_the_right_password(
    web: Web,
) -> None:
    failures = LOGIN_FAILURES_PER_ACCOUNT.limit.amount
    async with from_address(web, "10.0.0.1") as first, from_address(web, "10.0.0.2") as second:
        for n in range(failures):
            client = first if n % 2 else second  # from two addresses: the account's own counter
            assert (await sign_in(client, STAFF, "sai-mat-khau")).status_code == 401
        assert_limited(await sign_in(first, STAFF, PASSWORD), "Đăng nhập sai quá nhiều lần")
        assert_limited(await sign_in(second, STAFF.upper(), PASSWORD), "Đăng nhập sai quá nhiều lần")
        assert (await sign_in(first, SUPERVISOR, PASSWORD)).status_code == 303  # other accounts are not affected


async def test_an_address_is_limited_after_repeated_failures_over_many_accounts(web: Web) -> None:
    async with from_address(web, "10.0.0.3") as guesser, from_address(web, "10.0.0.4") as colleague:
        for n in range(LOGIN_FAILURES_PER_IP.limit.amount):
            assert (await sign_in(guesser, f"doan-{n}@example.vn", "sai")).status_code == 401
        assert_limited(await sign_in(guesser, AGENCY, PASSWORD), "Đăng nhập sai quá nhiều lần")
        assert (await sign_in(colleague, AGENCY, PASSWORD)).status_code == 303


# ---------------------------------------------------------------- portal links


async def test_refused_links_from_one_address_are_limited(web: Web) -> None:
    spec = await web.start_quang_ngai()
    good = links.issue(web.ctx.engine, web.ctx.settings.signing_key, spec.workflow_id, "ly-son", 60)
    async with from_address(web, "10.0.1.1") as guesser, from_address(web, "10.0.1.2") as unit:
        for n in range(LINK_REFUSALS_PER_IP.limit.amount):
            refused = await guesser.get(f"/portal/{good[:-4]}{n:04d}")
            assert refused.status_code != 429
        assert_limited(await guesser.get(f"/portal/{good}"), "Đường dẫn được mở quá nhiều lần")
        assert "Quá nhiều yêu cầu" in text_of(await guesser.get(f"/portal/{good}"))
        assert (await unit.get(f"/portal/{good}")).status_code == 303  # the unit's own address still gets in


async def test_one_link_opened_too_often_is_limited(web: Web) -> None:
    spec = await web.start_quang_ngai()
    good = links.issue(web.ctx.engine, web.ctx.settings.signing_key, spec.workflow_id, "ly-son", 60)
    async with from_address(web, "10.0.2.1") as client:
        for _ in range(LINK_OPENINGS_PER_TOKEN.limit.amount):
            assert (await client.get(f"/portal/{good}")).status_code == 303
        assert_limited(await client.get(f"/portal/{good}"), "Đường dẫn được mở quá nhiều lần")


# ---------------------------------------------------------------- headers


async def test_every_kind_of_response_carries_the_security_headers(web: Web) -> None:
    async with web.client() as anonymous, web.bearer(STAFF) as api:
        answers = [
            await anonymous.get("/login"),
            await anonymous.get("/khong-co-trang-nay"),
            await anonymous.get("/api/me"),
            await api.get("/api/conclusions"),
            await anonymous.get("/static/dondoc.css"),
        ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "strict-transport-security" not in answer.headers  # served over plain HTTP here


async def test_hsts_only_over_https(web: Web) -> None:
    async with from_address(web, "10.0.3.1", base_url="https://dondoc.example.vn") as secure:
        answer = await secure.get("/login")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
