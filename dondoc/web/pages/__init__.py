"""The staff pages, for inspectorate staff, administrators and supervisors (read-only).

`overview` (dashboard, lists, overdue, notifications), `new` (registering a conclusion) and `preview`, `drafts`,
`spec_upload`, `originals` (the imported document), `starting` (the confirmation every start goes through), `conclusion`
(one conclusion), `actions` (staff decisions from forms), `letters` (letters as DOCX, office numbers), `links` (a unit's portal links), `review` (the
review queue), `admin` (users, directory, policy, calendar); what they share in `common`.

Every route says who may use it: staff and admins change things; supervisors read what they supervise; agency users
belong in the portal (403 here, the dashboard sends them there); anonymous visitors are sent to /login.
"""

from __future__ import annotations

from fastapi import APIRouter

from dondoc.web.pages import (
    account,
    actions,
    admin,
    conclusion,
    drafts,
    letters,
    links,
    new,
    originals,
    overview,
    registers,
    report_import,
    review,
    spec_upload,
)

router = APIRouter()
router.include_router(new.router)  # /conclusions/new before /conclusions/{workflow_id}
router.include_router(spec_upload.router)  # /conclusions/upload, /conclusions/upload/start
router.include_router(drafts.router)  # /conclusions/import, /drafts/…
router.include_router(originals.router)  # /drafts/{draft_id}/document, /conclusions/{workflow_id}/document
router.include_router(report_import.router)  # /conclusions/{workflow_id}/report-import
router.include_router(conclusion.router)
router.include_router(actions.router)
router.include_router(letters.router)
router.include_router(links.router)
router.include_router(review.router)
router.include_router(admin.router)
router.include_router(account.router)  # the signed-in account's emails
router.include_router(overview.router)
router.include_router(registers.router)  # register, statistics, follow-up report
