"""The `brobygger worker` and `brobygger encode` commands: background jobs, and vectors in the foreground.

`worker` resolves the infrastructure (embedded servers unless URLs are configured), hands the resolved
URLs to its worker processes through the environment, and runs dramatiq's own process supervisor,
which stops the workers cleanly on SIGTERM or SIGINT.
"""

import asyncio
import logging
import os
import signal
import types
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from api.runtime import infrastructure
from core.config import Settings, get_settings
from core.db import open_pool
from core.queue import configure_broker
from embeddings import service as embeddings
from embeddings.schemas import EntityKind, KindReport
from embeddings.tasks import enqueue_sync
from taxonomy.encoders import get_encoder

# Modules that declare jobs; the worker processes import them after the broker is configured.
JOB_MODULES: tuple[str, ...] = ("embeddings.tasks", "batch.tasks", "scoring.tasks")

console = Console(stderr=True)
LOG_FORMAT = "[%(asctime)s] [PID %(process)d] [%(threadName)s] [%(name)s] [%(levelname)s] %(message)s"


def setup_broker() -> None:
    """dramatiq's broker hook in each worker process: `dramatiq api.worker:setup_broker <modules>`."""
    settings = get_settings()
    if settings.redis_url is None:
        raise RuntimeError("BROBYGGER_REDIS_URL is not set; start workers with `brobygger worker`")
    configure_broker(settings.redis_url, settings.redis_prefix)


def _interrupt(signum: int, frame: types.FrameType | None) -> None:
    raise KeyboardInterrupt


def worker(
    processes: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Threads per worker process.")] = 2,
) -> None:
    """Run background jobs (vector encoding) until stopped with Ctrl-C or SIGTERM."""
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    # Until dramatiq installs its handlers, SIGTERM unwinds like Ctrl-C so embedded servers stop.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = get_settings()
    # Workers inherit this stderr handler (dramatiq's own log pipe closes before the embedded servers
    # stop and log, hence --skip-logging below).
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    with infrastructure(settings) as resolved:
        assert resolved.database_url is not None and resolved.redis_url is not None
        os.environ["BROBYGGER_DATABASE_URL"] = resolved.database_url
        os.environ["BROBYGGER_REDIS_URL"] = resolved.redis_url
        # OpenMP threads of the encoders busy-wait by default, starving the other threads on small hosts.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        get_settings.cache_clear()  # forked workers must read the resolved URLs, not this cached copy
        configure_broker(resolved.redis_url, resolved.redis_prefix)
        # Catch up on whatever changed while no worker ran, or on a new encoder: a sync is cheap when
        # every vector is current.
        asyncio.run(_enqueue_catch_up(resolved))
        console.print(f"[bold]Brobygger worker[/bold]: {processes} process(es) × {threads} thread(s), "
                      f"encoder {resolved.encoder}")
        args = make_argument_parser().parse_args([
            f"{__name__}:setup_broker", *JOB_MODULES, "--processes", str(processes), "--threads", str(threads),
            "--skip-logging",
        ])
        code = dramatiq_main(args)
    if code:
        raise typer.Exit(code)


async def _enqueue_catch_up(settings: Settings) -> None:
    import redis.asyncio as aioredis

    assert settings.redis_url is not None
    client = aioredis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        await enqueue_sync(client, settings.redis_prefix)
    finally:
        await client.aclose()


def encode(
    kinds: Annotated[list[EntityKind] | None, typer.Option(
        "--kind", help="Entity kind to encode (repeatable); all kinds when left out.")] = None,
    encoder: Annotated[str | None, typer.Option(
        help="Encoder name or id; defaults to BROBYGGER_ENCODER.")] = None,
    prune: Annotated[bool, typer.Option(
        help="Afterwards delete the vectors of every other encoder.")] = False,
) -> None:
    """Encode changed entity texts now, in this process (the worker does the same in the background)."""
    settings = get_settings()
    with infrastructure(settings) as resolved:
        asyncio.run(_encode(resolved, kinds, encoder or resolved.encoder, prune))


async def _encode(settings: Settings, kinds: Sequence[EntityKind] | None, encoder_name: str,
                  prune: bool) -> None:
    with console.status(f"loading encoder {encoder_name}"):
        encoder = await asyncio.to_thread(get_encoder, encoder_name)
    async with open_pool(settings.database_url) as pool:
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      "encoded {task.fields[encoded]}", TimeElapsedColumn(), console=console) as progress:
            tasks: dict[EntityKind, TaskID] = {}

            def show(report: KindReport) -> None:
                if report.kind not in tasks:
                    tasks[report.kind] = progress.add_task(f"{report.kind}s", total=report.total, encoded=0)
                progress.update(tasks[report.kind], completed=report.examined, total=report.total,
                                encoded=report.encoded)

            report = await embeddings.sync_vectors(pool, encoder, kinds=kinds or list(EntityKind),
                                                   on_progress=show)
        table = Table("kind", "examined", "encoded", "unchanged", "no text", title=f"vectors: {encoder.id}")
        for part in report.kinds.values():
            table.add_row(part.kind.value, str(part.examined), str(part.encoded), str(part.unchanged),
                          str(part.empty))
        console.print(table)
        if prune:
            removed = await embeddings.prune_vectors(pool, encoder.id)
            console.print(f"{removed} vectors of other encoders (or of deleted entities) removed")

