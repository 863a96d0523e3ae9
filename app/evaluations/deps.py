from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader, shared
from app.models import CriteriaSet, Evaluation, ExcellenceCap

EvaluationDep = Annotated[
    Evaluation, Depends(loader("evaluation_id", in_scope(Evaluation, "Evaluation")))
]
CapDep = Annotated[ExcellenceCap, Depends(loader("cap_id", in_scope(ExcellenceCap, "Cap")))]
# Criteria sets are shared by the whole tree: every signed-in caller reads them.
CriteriaSetDep = Annotated[
    CriteriaSet, Depends(loader("criteria_set_id", shared(CriteriaSet, "CriteriaSet")))
]
