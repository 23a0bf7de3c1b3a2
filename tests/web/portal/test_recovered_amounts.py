"""The amount a unit says it recovered, typed on the portal's evidence form: a decimal amount is refused beside the
field and nothing is stored (it was once read as a hundred times more); whole đồng however written go through."""

from __future__ import annotations

import html

from models import commands as c
from tests.web.conftest import Web
from tests.web.portal.test_evidence_for_several_actions import FIRST, evidence_rows, stored_files
from tests.web.portal.test_evidence_for_several_actions import updates as updates  # the fixture, shared
from tests.web.portal.test_portal import evidence_url, main_of, open_link, pdf


async def test_a_decimal_amount_is_refused_beside_the_field_and_nothing_is_stored(
    web: Web, updates: list[c.Command]
) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)
    files_before = stored_files(web)

    refused = await client.post(
        evidence_url(wid, FIRST), files=pdf(), data={"note": "Biên lai nộp tiền", "recovered_vnd": "15.000.000,50"}
    )
    assert refused.status_code == 422
    body = main_of(html.unescape(refused.text))
    error = body.split(f'id="{wid}--{FIRST}--evidence-recovered_vnd-error"', 1)[1].split("</", 1)[0]
    assert "Số tiền đã thu hồi phải là số nguyên đồng, ví dụ 15.000.000" in error
    assert 'value="15.000.000,50"' in body, "what was typed is shown again"
    assert updates == [] and evidence_rows(web, wid) == []
    assert stored_files(web) == files_before, "the refused submission's file is not kept"


async def test_whole_dong_with_separators_and_currency_are_recorded_as_typed(
    web: Web, updates: list[c.Command]
) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    client = await open_link(web, wid)

    sent = await client.post(evidence_url(wid, FIRST), files=pdf(), data={"recovered_vnd": "15.000.000 đồng"})
    assert sent.status_code == 200, main_of(sent.text)[-1500:]
    assert [u.recovered_vnd for u in updates if isinstance(u, c.SubmitEvidence)] == [15_000_000]
    assert [e.recovered_vnd for e in evidence_rows(web, wid)] == [15_000_000]
