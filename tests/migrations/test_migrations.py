"""Models and migrations agree, and every migration can be undone, on the test database."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from app.cli import alembic_config
from tests.conftest import DATABASE_URL


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_check_downgrade_upgrade(engine: Engine) -> None:
    config = alembic_config(DATABASE_URL)
    command.upgrade(config, "head")
    command.check(config)
    assert _differences(engine) == []
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    assert _differences(engine) == []
