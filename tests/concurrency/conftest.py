from collections.abc import Iterator

import httpx
import pytest

from app.models import Role
from tests.factories import make_principal


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    """An admin's client of the live server."""
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers, timeout=60) as client:
        yield client
