"""The JSON API under /api (documented in docs/api.md; OpenAPI at /openapi.json).

Reads come from the SQL read model, limited to what the principal may see; changes go through workflow updates and
answer once the update (and its projection) finished, so the next read shows them. The routes live in:
`api_read` (reads and downloads), `api_submit` (registration and what agencies send), `api_manage` (staff decisions),
`api_letters` (a letter as DOCX, office numbers); shared checks in `api_common`, bodies in `api_models`.
"""

from __future__ import annotations

from fastapi import APIRouter

from dondoc.web import api_letters, api_manage, api_read, api_submit

router = APIRouter()
router.include_router(api_read.router)
router.include_router(api_submit.router)
router.include_router(api_manage.router)
router.include_router(api_letters.router)
