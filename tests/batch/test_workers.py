"""Real `brobygger worker` processes over Redis: a worker killed with SIGKILL in the middle of a run loses
nothing and duplicates nothing; its shard is retried and the run completes as an undisturbed one."""

import asyncio
import datetime as dt
import os
import signal
import time

import asyncpg

from batch import service, tasks
from batch.schemas import BatchRunCreate
from core.config import Settings
from tests.batch.conftest import THIS_WEEK, Jobcentre, populate
from tests.batch.processes import assert_complete_and_reproducible, count, pids, run_state, start_worker, stop

CITIZENS = 24
DEADLINE_SECONDS = 240


async def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings) -> None:
    await populate(jobcentre, citizens=CITIZENS, employers=6, slots=1)
    entities = CITIZENS + 2 * 6
    workers = [start_worker(settings), start_worker(settings)]
    try:
        # The workers first encode the new texts; wait for that, so every shard scores with the same vectors.
        deadline = time.monotonic() + DEADLINE_SECONDS
        while await count(pool, "SELECT count(*) FROM text_vectors") < entities:
            assert time.monotonic() < deadline, "the workers did not encode the texts in time"
            await asyncio.sleep(0.2)
        async with pool.acquire() as conn, conn.transaction():
            run, steps = await service.request_run(
                conn, jobcentre.admin.principal, BatchRunCreate(jobcentre=jobcentre.code, week=THIS_WEEK, k=2, c=2),
                today=service.today_in_copenhagen(), shard_size=1)
        await tasks.send_steps(steps)

        # Kill the worker that is in the middle of a shard, while the run has more to do.
        victim, shard = None, None
        while victim is None:
            assert time.monotonic() < deadline, "no shard was seen running"
            async with pool.acquire() as conn:
                running = await conn.fetch(
                    """SELECT stage, shard_no, claimed_by FROM batch_shards
                       WHERE run_id = $1 AND state = 'running'""", run.id)
            for row in running:
                pid = int(row["claimed_by"].rsplit(":", 1)[1])
                victim = next((worker for worker in workers if pid in pids(worker)), None)
                if victim is not None:
                    shard = (row["stage"], row["shard_no"])
                    break
            await asyncio.sleep(0.01)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        before = await count(pool, "SELECT steps_done FROM batch_runs WHERE id = $1", run.id)

        # The supervisor re-sends what the dead worker held once the run stops moving.
        while (state := await run_state(pool, run.id)) not in ("done", "failed"):
            assert time.monotonic() < deadline, f"the run did not finish: {state}"
            await tasks.send_steps(await service.supervise(pool, stale_after=dt.timedelta(seconds=2)))
            await asyncio.sleep(0.5)
    finally:
        for worker in workers:
            stop(worker)

    assert state == "done" and shard is not None
    async with pool.acquire() as conn:
        finished = await conn.fetchrow("SELECT steps_done, steps_total FROM batch_runs WHERE id = $1", run.id)
        retried = await conn.fetchrow("SELECT state, claims FROM batch_shards WHERE run_id = $1 AND stage = $2 "
                                      "AND shard_no = $3", run.id, *shard)
    assert before < finished["steps_total"] == finished["steps_done"] == 2 * CITIZENS + 1
    assert retried["state"] == "done" and retried["claims"] >= 2
    await assert_complete_and_reproducible(pool, settings, jobcentre, run.id)

