"""Pressing «Xác nhận bắt đầu theo dõi» on the confirmation page every start from the pages goes through, as a
browser posts it (the form's action and its hidden fields)."""

from __future__ import annotations

import html
import re

import httpx

_FORM = re.compile(r'<form method="post" action="([^"]+)" class="card" id="confirm">(.*?)</form>', re.DOTALL)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def offers_to_confirm(page: httpx.Response) -> bool:
    return _FORM.search(page.text) is not None and "Xác nhận bắt đầu theo dõi" in page.text


async def confirmation(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """The confirmation page an answer shows or sends the browser to."""
    if response.status_code == 303:
        return await client.get(response.headers["location"])
    return response


async def confirm(client: httpx.AsyncClient, page: httpx.Response) -> httpx.Response:
    form = _FORM.search(page.text)
    assert form is not None, f"the page offers no confirmation: {html.unescape(page.text)[-1500:]}"
    fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(form.group(2))}
    return await client.post(html.unescape(form.group(1)), data=fields)
