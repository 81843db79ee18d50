"""Real `brobygger worker` and `brobygger scheduler` processes on a Redis of the test's own, killed in the
middle of a run and started again empty: the queued jobs are lost, the workers reconnect, the supervisor
re-sends what is unfinished, and the run completes with exactly the suggestions of an undisturbed run.
A Redis that never comes back fails the run with a reason naming the unfinished shards. In no case is a
run `done` with shards missing."""

import asyncio
import datetime as dt
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from batch import service, tasks
from batch.schemas import BatchRunCreate
from batch.service import Step
from core.config import Settings
from tests.batch.conftest import THIS_WEEK, Jobcentre, populate
from tests.batch.processes import (
    DisposableRedis,
    assert_complete_and_reproducible,
    count,
    pids,
    run_state,
    start_scheduler,
    start_worker,
    stop,
    tail,
)

CITIZENS = 30
EMPLOYERS = 6
# The scheduler looks for stalled runs twice a second and re-sends a run's steps after 3 s without progress.
SUPERVISE_SECONDS = 0.5
STALE_SECONDS = 3
DEADLINE_SECONDS = 240


@pytest.fixture
def redis_server() -> Iterator[DisposableRedis]:
    # A short path of its own: a unix socket path may not be longer than 107 bytes.
    directory = Path(tempfile.mkdtemp(prefix="brobygger-redis-"))
    server = DisposableRedis(directory)
    server.start()
    yield server
    server.kill()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def settings(settings: Settings, redis_server: DisposableRedis) -> Settings:
    """The test's settings on its own Redis: the app, the workers and the scheduler all use it."""
    return settings.model_copy(update={"redis_url": redis_server.url})


async def _shards(pool: asyncpg.Pool, run_id: uuid.UUID) -> dict[tuple[str, int], asyncpg.Record]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT stage, shard_no, state, claims, claimed_by FROM batch_shards "
                                "WHERE run_id = $1", run_id)
    return {(row["stage"], row["shard_no"]): row for row in rows}


async def _run_row(pool: asyncpg.Pool, run_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row: asyncpg.Record = await conn.fetchrow(
            "SELECT state, stage, error, resends, steps_done, steps_total FROM batch_runs WHERE id = $1", run_id)
        return row


async def test_a_redis_restarted_empty_mid_run_loses_and_duplicates_nothing(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings, redis_server: DisposableRedis) -> None:
    await populate(jobcentre, citizens=CITIZENS, employers=EMPLOYERS, slots=1)
    logs = [settings.data_dir / "worker-1.log", settings.data_dir / "worker-2.log", settings.data_dir / "scheduler.log"]
    workers = [start_worker(settings, log=logs[0]), start_worker(settings, log=logs[1])]
    scheduler = start_scheduler(settings, supervise_seconds=SUPERVISE_SECONDS, stale_seconds=STALE_SECONDS,
                                log=logs[2])
    try:
        # The workers first encode the new texts; wait for that, so every shard scores with the same vectors.
        deadline = time.monotonic() + DEADLINE_SECONDS
        while await count(pool, "SELECT count(*) FROM text_vectors") < CITIZENS + 2 * EMPLOYERS:
            assert time.monotonic() < deadline, "the workers did not encode the texts in time"
            await asyncio.sleep(0.2)
        async with pool.acquire() as conn, conn.transaction():
            run, steps = await service.request_run(
                conn, jobcentre.admin.principal, BatchRunCreate(jobcentre=jobcentre.code, week=THIS_WEEK, k=2, c=2),
                today=service.today_in_copenhagen(), shard_size=1)
        await tasks.send_steps(steps)

        # Kill Redis once the scoring shards are under way, with most of them still waiting in its queue.
        while await count(pool, "SELECT count(*) FROM batch_shards WHERE run_id = $1 AND stage = 'scoring' "
                                "AND state = 'done'", run.id) < 2:
            assert time.monotonic() < deadline, f"no scoring shard finished: {await run_state(pool, run.id)}"
            await asyncio.sleep(0.02)
        redis_server.kill()
        waiting = {key for key, shard in (await _shards(pool, run.id)).items() if shard["state"] == "queued"}
        assert waiting, "every shard had started: nothing was lost with the queue"

        # Redis stays down until the supervisor has found the run stalled and failed to re-send its steps.
        while (await _run_row(pool, run.id))["resends"] == 0:
            assert time.monotonic() < deadline, "the supervisor never noticed the stalled run"
            await asyncio.sleep(0.1)
        redis_server.start()  # empty: it kept nothing on disk

        while (finished := await _run_row(pool, run.id))["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, f"the run did not finish: {dict(finished)}"
            await asyncio.sleep(0.2)
        alive = [process.poll() is None for process in [*workers, scheduler]]
        worker_pids = set().union(*(pids(worker) for worker in workers))
    finally:
        for process in [*workers, scheduler]:
            stop(process)

    report = "\n".join(tail(log) for log in logs)
    assert finished["state"] == "done", f"{finished['error']}\n{report}"
    assert alive == [True, True, True], report  # the workers and the scheduler rode out the outage
    assert finished["steps_done"] == finished["steps_total"] == 2 * CITIZENS + 1
    shards = await _shards(pool, run.id)
    assert sorted(shards) == sorted((stage, number) for stage in ("scoring", "explaining")
                                    for number in range(CITIZENS))
    assert all(shard["state"] == "done" for shard in shards.values())
    # The shards still queued at the kill (sent again by the supervisor, but for the one or two a worker
    # had fetched already) were done by the same worker processes, reconnected to the new Redis.
    assert {int(shards[key]["claimed_by"].rsplit(":", 1)[1]) for key in waiting} <= worker_pids
    await assert_complete_and_reproducible(pool, settings, jobcentre, run.id)


async def test_a_run_whose_redis_never_comes_back_fails_naming_the_unfinished_shards(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings, redis_server: DisposableRedis) -> None:
    await populate(jobcentre, citizens=3, employers=2)
    run = await jobcentre.run()
    run_id = uuid.UUID(run["id"])
    # The run starts and sends its scoring shards; no worker takes them before Redis dies with them.
    await tasks.send_steps(await service.execute(pool, Step("start", run_id, 1), encoder=settings.encoder,
                                                 worker="test"))
    redis_server.kill()

    log = settings.data_dir / "scheduler.log"
    scheduler = start_scheduler(settings, supervise_seconds=SUPERVISE_SECONDS, stale_seconds=1, log=log)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while (current := await _run_row(pool, run_id))["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, f"the run still waits: {dict(current)}\n{tail(log)}"
            assert scheduler.poll() is None, tail(log)
            await asyncio.sleep(0.2)
    finally:
        stop(scheduler)

    assert current["state"] == "failed", tail(log)
    assert "scoring shard 0 unfinished" in current["error"] and "Redis" in current["error"]
    assert current["steps_done"] < current["steps_total"]
    response = await jobcentre.client.get(f"/v1/batch-runs/{run_id}/suggestions",
                                          headers=jobcentre.consultants[0].headers)
    assert response.status_code == 409 and "failed" in response.json()["detail"]


@pytest.mark.usefixtures("cli_environment")
async def test_a_step_whose_next_steps_cannot_be_sent_keeps_its_work_for_the_supervisor(
        jobcentre: Jobcentre, pool: asyncpg.Pool, redis_server: DisposableRedis,
        caplog: pytest.LogCaptureFixture) -> None:
    await populate(jobcentre, citizens=2, employers=1)
    run = await jobcentre.run()
    redis_server.kill()

    # The start job as a worker thread runs it, with Redis gone before it can send the scoring shards: the
    # job neither fails (a retry would find its work done and send nothing) nor loses the shards.
    with caplog.at_level(logging.WARNING, logger="batch.tasks"):
        await tasks.start_batch_run(run["id"], run["attempt"])

    assert "1 batch step(s) of run" in caplog.text and "the supervisor will re-send them" in caplog.text
    current = await _run_row(pool, uuid.UUID(run["id"]))
    assert (current["state"], current["stage"], current["steps_done"]) == ("running", "scoring", 0)
    resent = await service.supervise(pool, stale_after=dt.timedelta(0))
    assert resent == [Step("shard", uuid.UUID(run["id"]), run["attempt"], "scoring", 0)]
