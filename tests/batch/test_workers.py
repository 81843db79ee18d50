"""Real `brobygger worker` processes over Redis: a worker killed with SIGKILL in the middle of a run loses
nothing and duplicates nothing; its shard is retried and the run completes as an undisturbed one."""

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from batch import service, tasks
from batch.schemas import BatchRunCreate
from core.config import Settings
from tests.batch.conftest import THIS_WEEK, Jobcentre, populate, run_steps
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
CITIZENS = 24
DEADLINE_SECONDS = 240


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    assert settings.database_url is not None and settings.redis_url is not None
    environment = {**os.environ, "BROBYGGER_ENVIRONMENT": "test", "BROBYGGER_TOKEN_SECRET": TEST_SECRET,
                   "BROBYGGER_DATABASE_URL": settings.database_url, "BROBYGGER_REDIS_URL": settings.redis_url,
                   "BROBYGGER_REDIS_PREFIX": settings.redis_prefix, "BROBYGGER_DATA_DIR": str(settings.data_dir),
                   "BROBYGGER_ENCODER": settings.encoder, "OMP_WAIT_POLICY": "passive"}
    return subprocess.Popen([sys.executable, "-c", "from api.cli import main; main()", "worker", "--processes", "1",
                             "--threads", "1"], cwd=ROOT, env=environment, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _pids(process: subprocess.Popen[bytes]) -> set[int]:
    try:
        parent = psutil.Process(process.pid)
        return {process.pid} | {child.pid for child in parent.children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


async def _snapshot(pool: asyncpg.Pool, run_id: uuid.UUID) -> list[tuple[Any, ...]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT citizen_id, employer_id, opening_id, scheme, rank, round(score::numeric, 6) AS score,
                      explanation IS NOT NULL AS explained
               FROM batch_suggestions WHERE run_id = $1 ORDER BY citizen_id, rank""", run_id)
    return [tuple(row) for row in rows]


async def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings) -> None:
    await populate(jobcentre, citizens=CITIZENS, employers=6, slots=1)
    entities = CITIZENS + 2 * 6
    workers = [_start_worker(settings), _start_worker(settings)]
    try:
        # The workers first encode the new texts; wait for that, so every shard scores with the same vectors.
        deadline = time.monotonic() + DEADLINE_SECONDS
        while await _count(pool, "SELECT count(*) FROM text_vectors") < entities:
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
                victim = next((worker for worker in workers if pid in _pids(worker)), None)
                if victim is not None:
                    shard = (row["stage"], row["shard_no"])
                    break
            await asyncio.sleep(0.01)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        before = await _count(pool, "SELECT steps_done FROM batch_runs WHERE id = $1", run.id)

        # The supervisor re-sends what the dead worker held once the run stops moving.
        while (state := await _state(pool, run.id)) not in ("done", "failed"):
            assert time.monotonic() < deadline, f"the run did not finish: {state}"
            await tasks.send_steps(await service.supervise(pool, stale_after=dt.timedelta(seconds=2)))
            await asyncio.sleep(0.5)
    finally:
        for worker in workers:
            _stop(worker)

    assert state == "done" and shard is not None
    async with pool.acquire() as conn:
        finished = await conn.fetchrow("SELECT steps_done, steps_total FROM batch_runs WHERE id = $1", run.id)
        retried = await conn.fetchrow("SELECT state, claims FROM batch_shards WHERE run_id = $1 AND stage = $2 "
                                      "AND shard_no = $3", run.id, *shard)
    assert before < finished["steps_total"] == finished["steps_done"] == 2 * CITIZENS + 1
    assert retried["state"] == "done" and retried["claims"] >= 2
    survived = await _snapshot(pool, run.id)
    assert survived and all(row[-1] for row in survived)
    assert len({row[:3] for row in survived}) == len(survived)

    # The same run started again, undisturbed, in this process: exactly the same suggestions.
    rerun = await jobcentre.run(k=2, c=2, force=True)
    await run_steps(pool, settings, rerun)
    assert await _snapshot(pool, run.id) == survived


async def _count(pool: asyncpg.Pool, query: str, *args: Any) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(query, *args) or 0)


async def _state(pool: asyncpg.Pool, run_id: uuid.UUID) -> str:
    async with pool.acquire() as conn:
        state: str = await conn.fetchval("SELECT state FROM batch_runs WHERE id = $1", run_id)
        return state
