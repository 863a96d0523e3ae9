from fastapi import APIRouter, Depends

from app.access.deps import get_principal
from app.approvals.router import exceptions as lock_exceptions_router
from app.approvals.router import router as approvals_router
from app.audit.router import router as audit_router
from app.auth.router import auth as auth_router
from app.auth.router import keys as keys_router
from app.auth.router import users as users_router
from app.commitments.router import router as commitments_router
from app.core.errors import problem_responses
from app.directives.router import router as directives_router
from app.disciplines.router import router as disciplines_router
from app.evaluations.criteria_router import router as criteria_router
from app.evaluations.router import caps as caps_router
from app.evaluations.router import router as evaluations_router
from app.imports.router import router as imports_router
from app.meta.router import router as meta_router
from app.people.router import router as people_router
from app.recruitment.router import progress as recruitment_progress_router
from app.recruitment.router import router as recruitment_router
from app.reorganisations.router import lineage as lineage_router
from app.reorganisations.router import router as reorganisations_router
from app.reports.router import router as reports_router
from app.reports.router import scorecards as scorecards_router
from app.rules.router import router as rules_router
from app.sync.router import router as sync_router
from app.units.router import router as units_router
from app.webhooks.router import router as webhooks_router

# Every operation can answer a malformed request or a payload problem, and 503 while the
# database is unavailable or every connection is busy; documented once here.
api_router = APIRouter(prefix="/api/v1", responses=problem_responses(400, 413, 422, 503))
# Signing in is the only operation open to anonymous callers; /auth/me and /auth/password
# authenticate themselves.
api_router.include_router(auth_router)

protected = APIRouter(dependencies=[Depends(get_principal)], responses=problem_responses(401))
for router in (
    units_router,
    lineage_router,
    reorganisations_router,
    directives_router,
    people_router,
    commitments_router,
    recruitment_router,
    recruitment_progress_router,
    evaluations_router,
    disciplines_router,
    approvals_router,
    reports_router,
    scorecards_router,
    imports_router,
    meta_router,
    rules_router,
    users_router,
    keys_router,
    audit_router,
    webhooks_router,
    sync_router,
):
    protected.include_router(router)
# Collections that once lived under another collection's path, where a template could not tell
# `/evaluations/caps/{cap_id}` from `/evaluations/{evaluation_id}/proposal`: each has a path of
# its own now, and the old one still answers for existing clients, left out of the document.
for router, path, old_path in (
    (criteria_router, "/criteria-sets", "/evaluations/criteria-sets"),
    (caps_router, "/evaluation-caps", "/evaluations/caps"),
    (lock_exceptions_router, "/lock-exceptions", "/approvals/exceptions"),
):
    protected.include_router(router, prefix=path)
    protected.include_router(router, prefix=old_path, include_in_schema=False, deprecated=True)
api_router.include_router(protected)
