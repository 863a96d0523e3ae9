from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.models import Commitment

CommitmentDep = Annotated[
    Commitment, Depends(loader("commitment_id", in_scope(Commitment, "Commitment")))
]
