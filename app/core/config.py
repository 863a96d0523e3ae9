from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[2]


# Public on purpose: refused outside development (see Settings).
DEFAULT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every setting is read from an environment variable `CAMKET_<NAME>` (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="CAMKET_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    database_url: str = f"sqlite:///{PROJECT_DIR / 'var' / 'camket.db'}"
    # Sync endpoints run in a pool of worker threads and each holds at most one connection, so a
    # pool as large as the thread pool can never make a request wait for a connection (DESIGN.md:
    # the default 5 + 10 pool served zero requests under 64 concurrent clients).
    worker_threads: Annotated[int, Field(ge=1, le=1000)] = 40
    db_pool_size: Annotated[int, Field(ge=1, le=1000)] = 40
    db_pool_timeout: Annotated[float, Field(gt=0)] = 30.0
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    log_level: str = "info"
    seed_dir: Path = PROJECT_DIR / "seed_data"

    # Signs access tokens. The default is public: the service refuses it outside development.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    access_token_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    # Failed sign-ins per username and client address within the window before 429.
    sign_in_max_failures: Annotated[int, Field(ge=1)] = 5
    sign_in_window_seconds: Annotated[int, Field(ge=1)] = 900
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    idempotency_hours: Annotated[int, Field(ge=1)] = 24
    # Dates and years a payload may name: from this day (the founding of the Communist Party of
    # Vietnam, 3 February 1930: nothing the service records is older) to the end of the year
    # this many years from today (plans look a few years ahead; 9999-12-31 is a typing mistake).
    min_date: date = date(1930, 2, 3)
    max_years_ahead: Annotated[int, Field(ge=0, le=100)] = 10

    # The suggested year-end grade (GET /evaluations/suggestion), from the unit's recruitment
    # achievement (admitted / target, %) and its commitments' outcomes:
    # excellent needs the achievement at least this high, and every commitment completed;
    grade_excellent_min_achievement: Annotated[float, Field(ge=0, le=1000)] = 100.0
    # good needs at least this, and no commitment left unfinished or failed;
    grade_good_min_achievement: Annotated[float, Field(ge=0, le=1000)] = 80.0
    # under this (or with a commitment not completed) the suggestion is not completed.
    grade_completed_min_achievement: Annotated[float, Field(ge=0, le=1000)] = 50.0

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.env != Environment.development and (
            self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
        ):
            raise ValueError(
                f"CAMKET_SECRET_KEY must be set when CAMKET_ENV={self.env.value} "
                "(the default key is public)"
            )
        if not (
            self.grade_completed_min_achievement
            <= self.grade_good_min_achievement
            <= self.grade_excellent_min_achievement
        ):
            raise ValueError(
                "CAMKET_GRADE_*_MIN_ACHIEVEMENT must rise from completed to good to excellent"
            )
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("CAMKET_SECRET_KEY must be at least 32 characters")
        return self


settings = Settings()
