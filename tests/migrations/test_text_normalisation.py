"""The migration to NFC text and case-insensitive unit codes, on data stored before it."""

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.cli import alembic_config
from tests.conftest import DATABASE_URL
from tests.factories import make_directive, make_person, make_unit

BEFORE = "027a1c98d13d"
NAME = "Đảng bộ xã Hương Sơn"


@pytest.fixture
def before_migration(engine: Engine) -> Iterator[Any]:
    """Steps the schema back to the revision before (records are written through today's API
    first); head again afterwards, whatever happened."""
    config = alembic_config(DATABASE_URL)
    try:
        yield lambda: command.downgrade(config, BEFORE) or config
    finally:
        command.upgrade(config, "head")


def test_stored_text_is_normalised_to_nfc(
    client: TestClient, engine: Engine, before_migration: Any
) -> None:
    nfd = unicodedata.normalize("NFD", NAME)
    unit = make_unit(client)
    person = make_person(client)
    directive = make_directive(client, mottos=["Trên trước, dưới sau"])
    config = before_migration()
    with engine.begin() as connection:
        connection.execute(text("UPDATE unit SET name = :n"), {"n": nfd})
        connection.execute(text("UPDATE person SET full_name = :n"), {"n": nfd})
        connection.execute(
            text("UPDATE directive SET mottos = :m"),
            {"m": '["' + unicodedata.normalize("NFD", "Trên trước, dưới sau") + '"]'},
        )
    command.upgrade(config, "head")
    assert client.get(f"/api/v1/units/{unit['id']}").json()["name"] == NAME
    assert client.get(f"/api/v1/people/{person['id']}").json()["full_name"] == NAME
    mottos = client.get(f"/api/v1/directives/{directive['id']}").json()["mottos"]
    assert mottos == ["Trên trước, dưới sau"]
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version FROM unit")).scalar()
    assert version == 1  # the text reads the same: no new version for clients to fetch


def test_unit_codes_colliding_by_case_stop_the_upgrade_with_their_list(
    client: TestClient, engine: Engine, before_migration: Any
) -> None:
    first = make_unit(client, code="ab-1")
    second = make_unit(client, code="X-2")
    config = before_migration()
    with engine.begin() as connection:
        connection.execute(text("UPDATE unit SET code = 'AB-1' WHERE id = :i"), {"i": second["id"]})
    with pytest.raises(RuntimeError, match=r"unit\.code") as failure:
        command.upgrade(config, "head")
    assert f"'ab-1' (id {first['id']})" in str(failure.value)
    assert f"'AB-1' (id {second['id']})" in str(failure.value)
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT code FROM unit ORDER BY id")).scalars().all()
    assert codes == ["ab-1", "AB-1"]  # nothing renamed behind the operator's back
    with engine.begin() as connection:
        connection.execute(text("UPDATE unit SET code = 'X-2' WHERE id = :i"), {"i": second["id"]})
