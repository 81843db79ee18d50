"""The `brobygger batch` commands (start a run and follow it with a progress bar, set a schedule) and
`brobygger scheduler` (starts scheduled runs and re-sends the steps of stalled ones)."""

import asyncio
import datetime as dt
import signal
import uuid
from typing import Annotated

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.runtime import infrastructure
from batch import service, tasks
from batch.scheduler import BatchScheduler
from batch.schemas import (
    DEFAULT_C,
    DEFAULT_K,
    MAX_C,
    MAX_K,
    MIN_C,
    MIN_K,
    BatchRun,
    BatchRunCreate,
    RunOrigin,
    ScheduleUpdate,
    Weekday,
)
from core.config import Settings, get_settings
from core.db import create_pool, open_pool, transaction
from core.errors import BrobyggerError
from core.queue import configure_broker
from users.schemas import OPERATOR

batch_app = typer.Typer(help="Weekly batch matching per jobcentre.", no_args_is_help=True)
console = Console(stderr=True)
POLL_SECONDS = 1.0
SUPERVISE_EVERY = 30


@batch_app.command("run")
def batch_run(
    jobcentre: Annotated[int, typer.Option(help="Kommune code of the jobcentre, e.g. 101.")],
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W48; this week when left out.")] = None,
    k: Annotated[int, typer.Option(min=MIN_K, max=MAX_K, help="Suggestions per citizen, at most.")] = DEFAULT_K,
    c: Annotated[float, typer.Option(min=MIN_C, max=MAX_C, help="Suggestions per free slot in the week.")] = DEFAULT_C,
    force: Annotated[bool, typer.Option(help="Run again although the week has a run.")] = False,
    inline: Annotated[bool, typer.Option(help="Do the work in this process instead of the workers.")] = False,
    shard_size: Annotated[int, typer.Option(min=1, max=100_000, help="Citizens per shard.")] = (
        service.DEFAULT_SHARD_SIZE),
    wait: Annotated[bool, typer.Option(help="Follow the run with a progress bar until it ends.")] = True,
) -> None:
    """Start (or find) the week's batch run for a jobcentre and follow it; exits 1 if it fails."""
    settings = get_settings()
    today = service.today_in_copenhagen()
    body = BatchRunCreate(jobcentre=jobcentre, week=week or service.week_of(today), k=k, c=c, force=force)
    with infrastructure(settings) as resolved:
        try:
            final = asyncio.run(_run(resolved, body, today=today, inline=inline, shard_size=shard_size, wait=wait))
        except BrobyggerError as error:
            console.print(f"[red]{error.detail}[/red]")
            raise typer.Exit(2) from error
    if final is not None and final.state == "failed":
        raise typer.Exit(1)


async def _run(settings: Settings, body: BatchRunCreate, *, today: dt.date, inline: bool, shard_size: int,
               wait: bool) -> BatchRun | None:
    async with open_pool(settings.database_url, max_size=4) as pool:
        async with transaction(pool) as conn:
            run, steps = await service.request_run(conn, OPERATOR, body, today=today, origin=RunOrigin.CLI,
                                                   shard_size=shard_size)
        if run.reused:
            console.print(f"jobcentre {run.jobcentre} already has run {run.id} for {run.week} ({run.state}); "
                          "--force runs it again")
        worker: asyncio.Task[None] | None = None
        if inline and steps:
            worker = asyncio.create_task(service.run_inline(pool, steps[0], encoder=settings.encoder))
        elif steps:
            assert settings.redis_url is not None
            configure_broker(settings.redis_url, settings.redis_prefix)
            await tasks.send_steps(steps)
        typer.echo(str(run.id))
        if not wait:
            return None
        final = await _follow(pool, run.id, worker, supervise=not inline)
        _print_report(final)
        return final


async def _follow(pool: asyncpg.Pool, run_id: uuid.UUID, worker: "asyncio.Task[None] | None", *,
                  supervise: bool) -> BatchRun:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        bar = progress.add_task("queued", total=None)
        polls = 0
        while True:
            async with pool.acquire() as conn:
                run = await service.get_run(conn, OPERATOR, run_id)
            progress.update(bar, description=run.stage or run.state, completed=run.progress.done,
                            total=run.progress.total or None)
            if run.state in ("done", "failed"):
                break
            if worker is not None and worker.done() and worker.exception() is not None:
                continue  # the failure is recorded; the next poll shows it
            polls += 1
            if supervise and polls % SUPERVISE_EVERY == 0:
                await tasks.send_after_commit(await service.supervise(pool))
            await asyncio.sleep(POLL_SECONDS)
    if worker is not None:
        await asyncio.gather(worker, return_exceptions=True)
    return run


def _print_report(run: BatchRun) -> None:
    if run.state == "failed":
        console.print(f"[red]run {run.id} failed[/red]: {run.error}")
        return
    console.print(f"run {run.id} for jobcentre {run.jobcentre}, {run.week}: {run.state}"
                  + (f" — {run.message}" if run.message else ""))
    if run.summary is None or run.summary.assigned is None or run.summary.top_k is None:
        return
    table = Table("", "capacity-aware", "plain top-k", title=f"k={run.k}, c={run.c}")
    for label, name in (("total score", "total_score"), ("suggestions", "suggestions"),
                        ("citizens with a suggestion", "citizens_with_suggestion"),
                        ("max per employer", "max_per_employer"), ("Gini per employer", "gini_per_employer"),
                        ("placements over capacity", "placements_over_capacity")):
        table.add_row(label, str(getattr(run.summary.assigned, name)), str(getattr(run.summary.top_k, name)))
    console.print(table)
    seconds = ", ".join(f"{stage} {value:.1f} s" for stage, value in run.timings.seconds_by_stage.items())
    console.print(f"{run.summary.citizens} citizens, {run.summary.candidates} candidates; {seconds}")


@batch_app.command("schedule")
def batch_schedule(
    jobcentre: Annotated[int, typer.Option(help="Kommune code of the jobcentre.")],
    weekday: Annotated[Weekday, typer.Option(help="Day the weekly run starts.")] = Weekday.MON,
    time: Annotated[str, typer.Option(help="Time of day (Copenhagen), HH:MM.")] = "06:00",
    k: Annotated[int, typer.Option(min=MIN_K, max=MAX_K)] = DEFAULT_K,
    c: Annotated[float, typer.Option(min=MIN_C, max=MAX_C)] = DEFAULT_C,
    enabled: Annotated[bool, typer.Option(help="--no-enabled stops the weekly runs.")] = True,
) -> None:
    """Set when a jobcentre's weekly run starts (`brobygger scheduler` starts it)."""
    try:
        at = dt.time.fromisoformat(time)
    except ValueError:
        raise typer.BadParameter("use HH:MM, e.g. 06:00", param_hint="--time") from None
    settings = get_settings()

    async def put(resolved: Settings) -> str:
        async with open_pool(resolved.database_url, max_size=1) as pool, transaction(pool) as conn:
            schedule = await service.put_schedule(conn, OPERATOR, jobcentre, ScheduleUpdate(
                weekday=weekday, time=at, k=k, c=c, enabled=enabled), dt.datetime.now(service.COPENHAGEN))
        return f"next run {schedule.next_run_at:%A %d.%m.%Y %H:%M}" if schedule.next_run_at else "disabled"

    with infrastructure(settings) as resolved:
        try:
            console.print(f"jobcentre {jobcentre}: {asyncio.run(put(resolved))}")
        except BrobyggerError as error:
            console.print(f"[red]{error.detail}[/red]")
            raise typer.Exit(2) from error


def scheduler(
    supervise_seconds: Annotated[float, typer.Option(min=0.5, help="How often to look for stalled runs.")] = 30,
    stale_seconds: Annotated[float, typer.Option(min=1, help="A run without progress this long is re-sent.")] = (
        service.STALE_AFTER.total_seconds()),
) -> None:
    """Start each jobcentre's weekly batch run on its schedule, and re-send the steps of stalled runs."""
    settings = get_settings()
    with infrastructure(settings) as resolved:
        assert resolved.database_url is not None and resolved.redis_url is not None
        configure_broker(resolved.redis_url, resolved.redis_prefix)
        asyncio.run(_schedule_forever(resolved.database_url, dt.timedelta(seconds=stale_seconds), supervise_seconds))


async def _schedule_forever(database_url: str, stale_after: dt.timedelta, supervise_seconds: float) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    batch_scheduler = BatchScheduler(pool, stale_after=stale_after, supervise_seconds=supervise_seconds)
    try:
        await batch_scheduler.start()
        jobs = [job for job in batch_scheduler.scheduler.get_jobs() if job.id.startswith("batch-run:")]
        console.print(f"[bold]Brobygger scheduler[/bold]: {len(jobs)} weekly batch schedule(s)")
        await stop.wait()
    finally:
        batch_scheduler.shutdown()
        await pool.close()
