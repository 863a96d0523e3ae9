import ipaddress
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    # The base URL clients reach the API at, as the OpenAPI document's `servers` states it
    # (e.g. `https://camket.example.vn`); the default `/` means "where the document was read".
    public_url: str = "/"
    seed_dir: Path = PROJECT_DIR / "seed_data"

    # Signs access tokens. The default is public: the service refuses it outside development.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    access_token_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    # Failed sign-ins within the window before sign-in answers 429, counted two ways so that
    # spreading guesses over many usernames (password spraying) or over many addresses buys no
    # more tries. Per username, from all addresses together: 5 leaves room for a person's typing
    # mistakes and is far under the 100 that NIST SP 800-63B §5.2.2 allows; the price, accepted
    # in issue 11, is that anyone can keep an account locked by failing 5 times per window.
    # Per address, across usernames: 20, because the staff of one office may all sign in from
    # one address (a committee's NAT), while a sprayer gets 20 guesses per window from it.
    sign_in_max_failures_per_username: Annotated[int, Field(ge=1)] = 5
    sign_in_max_failures_per_address: Annotated[int, Field(ge=1)] = 20
    sign_in_window_seconds: Annotated[int, Field(ge=1)] = 900
    # Peers (IP addresses or networks, comma-separated, or "*") whose X-Forwarded-For and
    # X-Forwarded-Proto `camket serve` believes. Empty: none, so the address sign-in limits count
    # is the one the connection came from; set it to the reverse proxy's address when there is
    # one, or every client is counted as the proxy (uvicorn's own default trusts 127.0.0.1, which
    # let any local client pick the address it is counted against).
    forwarded_allow_ips: str = ""
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    # The language of problem texts for a request whose Accept-Language names neither `vi` nor
    # `en`: Vietnamese, the language of the committees who use the service (a script that sends
    # no header, e.g. curl, gets Vietnamese too; it can ask for English with the header).
    default_language: Literal["vi", "en"] = "vi"
    idempotency_hours: Annotated[int, Field(ge=1)] = 24
    # Bulk imports (app/imports): larger files answer 413; files above the second size run as
    # a background job (GET /imports/{id}) instead of while the client waits.
    import_max_bytes: Annotated[int, Field(ge=1024)] = 50 * 1_048_576
    import_background_bytes: Annotated[int, Field(ge=0)] = 1_048_576
    # Dates and years a payload may name: from this day (the founding of the Communist Party of
    # Vietnam, 3 February 1930: nothing the service records is older) to the end of the year
    # this many years from today (plans look a few years ahead; 9999-12-31 is a typing mistake).
    min_date: date = date(1930, 2, 3)
    max_years_ahead: Annotated[int, Field(ge=0, le=100)] = 10

    # The validity of an awareness-course certificate, which FACTS-2025.md leaves unverified
    # (app/rules/admission.py): a setting, not law.
    course_valid_years: Annotated[int, Field(ge=1, le=50)] = 5

    # The suggested year-end grade (GET /evaluations/suggestion), from the unit's recruitment
    # achievement (admitted / target, %) and its commitments' outcomes:
    # excellent needs the achievement at least this high, and every commitment completed;
    grade_excellent_min_achievement: Annotated[float, Field(ge=0, le=1000)] = 100.0
    # good needs at least this, and no commitment left unfinished or failed;
    grade_good_min_achievement: Annotated[float, Field(ge=0, le=1000)] = 80.0
    # under this (or with a commitment not completed) the suggestion is not completed.
    grade_completed_min_achievement: Annotated[float, Field(ge=0, le=1000)] = 50.0

    # The cap on excellent grades among a superior's children, as a percentage of those rated
    # good or better, under Regulation 366-QĐ/TW: FACTS-2025.md leaves it unverified for party
    # organisations (verified for civil servants, Decree 335/2025), so it is a setting
    # (app/rules/evaluation.py) and the default of a cap a superior records.
    evaluation_excellent_cap_percent: Annotated[int, Field(ge=0, le=100)] = 20

    # Approvals (app/approvals/): a submission is on time within this many days after its
    # period ends. No source in FACTS-2025.md sets such a deadline: Cam Kết's default, a
    # setting, never presented as a rule of the Party.
    approval_due_days: Annotated[int, Field(ge=0, le=366)] = 30
    # Entry of a period's figures closes this many days after the period ends (DHIS2's
    # "expiry days"), unless a lock exception covers the unit; unset (the default): entry
    # stays open until an approval locks it.
    approval_entry_closes_days: Annotated[int | None, Field(ge=0, le=3660)] = None

    # Operations (README "Operations"). GET /metrics in Prometheus' format; when a token is set,
    # scrapers must send it as `Authorization: Bearer` (or keep /metrics off the public proxy).
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None
    # Origins (comma-separated, e.g. `https://app.example.vn`) whose browser scripts may call
    # the API; none by default (same-origin only). `*` allows any origin.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Responses at least this large are gzip-compressed for clients that accept it.
    gzip_min_bytes: Annotated[int, Field(ge=0)] = 1000

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    # Webhooks (app/webhooks/). Hosts a subscription's URL may name, comma-separated (exact,
    # or `*.example.org` for its subdomains); empty: any host. Whatever the list, a URL whose
    # host is or resolves to a private, loopback, link-local or otherwise non-public address is
    # refused unless `webhook_allow_private` (a receiver on the operator's own network).
    webhook_allowed_hosts: str = ""
    webhook_allow_private: bool = False
    # Each phase of an HTTP delivery (connect, write, read) gives up after this many seconds.
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    # A failed attempt is retried after base × 2^(attempts - 1) seconds, at most the cap, until
    # the delivery has had this many attempts; then it has failed (redeliver it by hand).
    webhook_max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    webhook_retry_base_seconds: Annotated[float, Field(gt=0)] = 30.0
    webhook_retry_cap_seconds: Annotated[float, Field(gt=0)] = 6 * 3600.0
    # A subscription whose attempts failed this many times in a row is disabled.
    webhook_disable_after_failures: Annotated[int, Field(ge=1)] = 20
    # How often a worker with nothing to do looks again.
    webhook_poll_seconds: Annotated[float, Field(gt=0, le=3600)] = 5.0
    # Deliver from a thread of `camket serve` itself. Unset: on with SQLite (the embedded
    # default, one process), off with PostgreSQL, where `camket worker` processes deliver.
    webhook_in_process_worker: bool | None = None

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        # uvicorn takes an entry it cannot parse as a literal host name that never matches, so a
        # typo would silently trust no proxy: refuse it here instead.
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return "*"
        for entry in entries:
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                raise ValueError(
                    f"CAMKET_FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or network "
                    "(or use * alone to trust every peer)"
                ) from None
        return ",".join(entries)

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
