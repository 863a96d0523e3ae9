"""A client generated from the OpenAPI document by openapi-python-client, on a short tour of a
live server: what a client developer does first. It keeps the document generator-clean: a
change that breaks generation, an operation id or a declared response fails here.

The client is generated once per session, with the project's own configuration
(`openapi-python-client.yaml`, which names the package).
"""

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from app.models import Role
from tests.factories import PASSWORD, make_principal

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "camket_client"


@pytest.fixture(scope="session")
def camket_client(app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    document = folder / "openapi.json"
    document.write_text(json.dumps(app.openapi()), encoding="utf-8")
    config_file = ConfigFile.load_from_path(ROOT / "openapi-python-client.yaml")
    config_file.post_hooks = []  # formatting the generated code is no part of the test
    config = Config.from_sources(
        config_file,
        MetaType.NONE,
        document,
        "utf-8",
        overwrite=True,
        output_path=folder / PACKAGE,
    )
    problems = generate(config=config)
    assert not problems, [f"{p.header}: {p.detail}" for p in problems]
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_tours_the_api(camket_client: ModuleType, live_server: str) -> None:
    api = module(camket_client, "api")
    models = module(camket_client, "models")
    token_op = module(api, "auth.auth_token")
    units_create = module(api, "units.units_create")
    units_list = module(api, "units.units_list")
    units_get = module(api, "units.units_get")
    report_op = module(api, "reports.reports_recruitment")
    make_principal("tour", Role.admin, None)

    anonymous = camket_client.Client(base_url=live_server, raise_on_unexpected_status=True)
    signed_in = token_op.sync_detailed(
        client=anonymous, body=models.BodySignIn(username="tour", password=PASSWORD)
    )
    assert signed_in.status_code == 200
    assert signed_in.headers["X-Request-ID"]
    token = signed_in.parsed
    assert isinstance(token, models.Token)

    client = camket_client.AuthenticatedClient(
        base_url=live_server, token=token.access_token, raise_on_unexpected_status=True
    )
    body = models.UnitCreate(
        code="TOUR-1", name="Tỉnh ủy Vĩnh Phúc", kind=models.UnitKind.PROVINCE_COMMITTEE
    )
    created = units_create.sync_detailed(client=client, body=body, idempotency_key="tour-unit-1")
    assert created.status_code == 201
    unit = created.parsed
    assert isinstance(unit, models.UnitPublic)
    assert created.headers["Location"].endswith(f"/api/v1/units/{unit.id}")
    # A retry with the same key replays the first answer, and creates nothing.
    again = units_create.sync_detailed(client=client, body=body, idempotency_key="tour-unit-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.id == unit.id

    page = units_list.sync(client=client)
    assert isinstance(page, models.PageUnitPublic)
    assert [u.code for u in page.items] == ["TOUR-1"]
    fetched = units_get.sync_detailed(client=client, unit_id=unit.id)
    assert fetched.headers["ETag"] == created.headers["ETag"]

    report = report_op.sync(client=client, root_id=unit.id)
    assert isinstance(report, models.RecruitmentReport)
    assert report.root_id == unit.id

    # openapi-python-client 0.29 types an operation by the first media type of its 200 (JSON);
    # a file comes through the same client's HTTP session, authenticated like the rest.
    csv = client.get_httpx_client().get(
        "/api/v1/reports/recruitment", params={"root_id": unit.id, "format": "csv"}
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())
    assert "TOUR-1" in csv.content.decode("utf-8-sig") or unit.name in csv.text
