"""The JSON API under /api, for scripts and other systems (documented in docs/api.md; OpenAPI at /openapi.json).

Reads come from the SQL read model, limited to what the principal may see; changes go through workflow updates and
answer once the update (and its projection) finished, so the next read shows them. The routes live in:
`read` (reads and downloads), `submit` (registration and what agencies send), `manage` (staff decisions),
`letters` (a letter as DOCX, office numbers); shared checks in `common`, bodies in `schemas`.
"""

from __future__ import annotations

from fastapi import APIRouter

from dondoc.web.api import documents, letters, manage, read, reports, submit
from dondoc.web.api.errors import EVERY_ROUTE

router = APIRouter(responses=EVERY_ROUTE)  # every route: 401 and 503; each adds its own
router.include_router(read.router)
router.include_router(documents.router)  # the conclusion's own document, as imported
router.include_router(submit.router)
router.include_router(manage.router)
router.include_router(letters.router)
router.include_router(reports.router)  # register, statistics, follow-up report
