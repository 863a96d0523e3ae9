from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.models import Evaluation, ExcellenceCap

EvaluationDep = Annotated[
    Evaluation, Depends(loader("evaluation_id", in_scope(Evaluation, "Evaluation")))
]
CapDep = Annotated[ExcellenceCap, Depends(loader("cap_id", in_scope(ExcellenceCap, "Cap")))]
