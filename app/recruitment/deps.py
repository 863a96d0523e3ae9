from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.core.i18n import t
from app.models import Candidate, RecruitmentOutcome, RecruitmentTarget

CandidateDep = Annotated[
    Candidate, Depends(loader("candidate_id", in_scope(Candidate, t("Candidate"))))
]
OutcomeDep = Annotated[
    RecruitmentOutcome, Depends(loader("outcome_id", in_scope(RecruitmentOutcome, t("Outcome"))))
]
TargetDep = Annotated[
    RecruitmentTarget, Depends(loader("target_id", in_scope(RecruitmentTarget, t("Target"))))
]
