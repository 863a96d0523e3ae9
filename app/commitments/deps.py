from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.core.i18n import t
from app.models import Commitment

CommitmentDep = Annotated[
    Commitment, Depends(loader("commitment_id", in_scope(Commitment, t("Commitment"))))
]
