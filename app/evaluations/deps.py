from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader, shared
from app.core.i18n import t
from app.models import CriteriaSet, Evaluation, ExcellenceCap

EvaluationDep = Annotated[
    Evaluation, Depends(loader("evaluation_id", in_scope(Evaluation, t("Evaluation"))))
]
CapDep = Annotated[ExcellenceCap, Depends(loader("cap_id", in_scope(ExcellenceCap, t("Cap"))))]
# Criteria sets are shared by the whole tree: every signed-in caller reads them.
CriteriaSetDep = Annotated[
    CriteriaSet, Depends(loader("criteria_set_id", shared(CriteriaSet, t("CriteriaSet"))))
]
