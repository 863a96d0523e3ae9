"""`camket`: run the service and manage its database, all from the same settings."""

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from alembic import command
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.access.scope import SYSTEM, Scope
from app.auth import service as auth
from app.auth.schemas import GrantIn, UserCreate
from app.core.config import settings
from app.core.db import alembic_config, engine, schema_problem
from app.core.errors import AppError
from app.core.logs import configure_logging, logging_config
from app.core.metrics import prepare_multiprocess_dir, remove_multiprocess_dir
from app.generate import GENERATE_STEPS, Scale, generate
from app.main import create_app
from app.models import Role, Unit
from app.recruitment import flows
from app.seed import load_seed
from app.webhooks import worker as webhook_worker

cli = typer.Typer(help="Cam Kết: party-building directive reporting API.", no_args_is_help=True)

QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"camket {version('camket')}")
        raise typer.Exit


@cli.callback()
def main_options(
    _version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = None,
) -> None:
    """Cam Kết: party-building directive reporting API."""


@contextmanager
def progress(quiet: bool, total: int | None) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr (a spinner when `total` is None) for a long command, advanced
    by calling the yielded function with the step starting; none with --quiet or when stderr
    is not a terminal (a log file or a pipe gets the results only)."""
    disabled = quiet or not sys.stderr.isatty()
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns.append(BarColumn())
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=disabled) as bar:
        task = bar.add_task("", total=total)
        started = False

        def step(name: str) -> None:
            nonlocal started
            bar.update(task, description=name, advance=1 if started else 0)
            started = True

        yield step
        bar.update(task, completed=total or 0)


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Upgrade the database schema (CAMKET_DATABASE_URL) to the given revision."""
    # Alembic's lines in the JSON format too (the container's log starts with them), not in
    # alembic.ini's plain one.
    configure_logging(settings.log_level)
    config = alembic_config()
    config.attributes["configure_logging"] = False
    command.upgrade(config, revision)


@cli.command()
def seed(
    directory: Annotated[
        Path | None, typer.Option(help="Folder of seed files (default: CAMKET_SEED_DIR).")
    ] = None,
) -> None:
    """Load the article's data. Idempotent: records are matched by their natural keys."""
    counts = load_seed(directory or settings.seed_dir)
    for name, (created, updated) in counts.items():
        typer.echo(f"{name}: {created} created, {updated} updated")


@cli.command("generate")
def generate_data(
    scale: Annotated[
        Scale, typer.Option(help="commune ~30 units, province ~10,000, country ~330,000.")
    ],
    seed: Annotated[int, typer.Option(help="The same seed gives the same data.")] = 1,
    first_year: Annotated[int, typer.Option(help="First year of records.")] = 2021,
    years: Annotated[int, typer.Option(min=1, max=20, help="Years of records.")] = 6,
    quiet: QuietOption = False,
) -> None:
    """Add a synthetic tree and its records (for benchmarks and trials, never production)."""
    with progress(quiet, len(GENERATE_STEPS)) as step:
        counts = generate(
            engine, scale=scale, seed=seed, first_year=first_year, years=years, on_step=step
        )
    for table, count in counts.items():
        typer.echo(f"{table}: {count} rows")


@cli.command("recount-flows")
def recount_flows(quiet: QuietOption = False) -> None:
    """Recompute the sums over the candidates that the reports read (stage flows, due days),
    from the candidates themselves. The API keeps them exact; this is for candidates written
    to the database some other way."""
    # One statement per table: a spinner with the time elapsed, no steps to count.
    with progress(quiet, None) as step, engine.begin() as connection:
        step("recounting the candidates' sums")
        counts = flows.rebuild_sums(connection)
    for table, rows in counts.items():
        typer.echo(f"{table}: {rows} rows")


@cli.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Sign-in name (lower case).")],
    full_name: Annotated[str, typer.Option(help="Full name.")],
    password: Annotated[
        str | None,
        typer.Option(
            help="Password; asked for (hidden, twice) when left out, which keeps it out of the "
            "shell's history."
        ),
    ] = None,
    role: Annotated[Role, typer.Option(help="Role of the grant.")] = Role.admin,
    unit: Annotated[
        str | None, typer.Option(help="Code of the unit whose subtree the role covers.")
    ] = None,
) -> None:
    """Create a user with one grant (by default the first admin)."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with Session(engine, expire_on_commit=False) as session:
        unit_id = None
        if unit is not None:
            # Codes are unique without regard to case (the unit's index on lower(code)).
            by_code = func.lower(col(Unit.code)) == unit.lower()
            found = session.execute(select(col(Unit.id)).where(by_code)).first()
            if found is None:
                raise typer.BadParameter(f"no unit with code {unit!r}", param_hint="--unit")
            unit_id = found[0]
        try:
            user_in = UserCreate(
                username=username,
                full_name=full_name,
                password=password,
                grants=[GrantIn(role=role, unit_id=unit_id)],
            )
            user = auth.create_user(session, scope=Scope(session, SYSTEM), user_in=user_in)
        except (ValidationError, AppError) as error:
            raise typer.BadParameter(str(error)) from error
    typer.echo(f"created user {user.username} (id {user.id}) as {role.value}")


@cli.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output).")
    ] = None,
) -> None:
    """Write the OpenAPI document (JSON), as `/openapi.json` serves it, for linters and client
    generators; it needs no database."""
    document = json.dumps(create_app().openapi(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")


def server_options(*, host: str, port: int) -> dict[str, Any]:
    """uvicorn's options for `camket serve` (the tests serve with the same)."""
    return {
        "host": host,
        "port": port,
        "log_level": settings.log_level,
        "access_log": False,  # the app logs one structured line per request itself
        # X-Forwarded-For is believed only from these peers (none by default: uvicorn's own
        # default trusts 127.0.0.1, whose clients could then pick their sign-in address).
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        # With --workers, uvicorn restarts a worker that has not answered its health check
        # within this many seconds; a new worker answers only once it has imported the app,
        # which took longer than uvicorn's default 5 s (and at times than 30 s) on a busy
        # machine, and the workers were restarted over and over, never serving.
        "timeout_worker_healthcheck": 60,
    }


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = settings.host,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = settings.port,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn, once the database's schema is at the latest migration."""
    try:
        with engine.connect() as connection:
            problem = schema_problem(connection)
    except SQLAlchemyError as error:
        problem = f"the database cannot be reached: {error.__cause__ or error}"
    if problem is not None:
        typer.echo(f"camket serve: refusing to start, {problem}.", err=True)
        raise typer.Exit(code=1)
    with Session(engine) as session:
        auth.warn_about_demo_accounts(session)
    # Several workers share their metrics through files (app/core/metrics.py).
    metrics_dir = prepare_multiprocess_dir(workers)
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            workers=workers,
            # JSON lines from every logger, uvicorn's own included (app/core/logs.py).
            log_config=logging_config(settings.log_level),
            **server_options(host=host, port=port),
        )
    finally:
        remove_multiprocess_dir(metrics_dir)


@cli.command()
def worker() -> None:
    """Deliver webhooks until stopped (Ctrl-C or SIGTERM). Run as many as needed, on as many
    machines: on PostgreSQL they share the work without delivering an attempt twice."""
    with engine.connect() as connection:
        problem = schema_problem(connection)
    if problem is not None:
        typer.echo(f"camket worker: refusing to start, {problem}.", err=True)
        raise typer.Exit(code=1)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo("camket worker: delivering webhooks (Ctrl-C to stop)")
    try:
        webhook_worker.run(stop)
    except KeyboardInterrupt:
        stop.set()


def main() -> None:
    cli()
