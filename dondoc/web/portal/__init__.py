"""The agency portal, for inspected units: their actions, evidence, extension requests and follow-up report.

Who may come in: agency accounts (their unit, every conclusion naming it) and link visitors (one unit of one
conclusion, from the signed link of a letter). Every change goes to the conclusion's workflow through the gateway;
uploads are streamed to the file store first and forgotten again when anything refuses them.
`access` (who is asking), `view` (what the portal shows), `links` (opening a signed link), `submissions` (the portal
page and what a unit sends), `downloads` (its files again).
"""

from __future__ import annotations

from fastapi import APIRouter

from dondoc.web.portal import downloads, links, submissions

router = APIRouter()
router.include_router(links.router)
router.include_router(submissions.router)
router.include_router(downloads.router)
