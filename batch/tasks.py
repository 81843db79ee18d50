"""Worker jobs for weekly batch runs: one job per step (start, a shard, the assignment), carrying only
ids. A job runs its step through batch.service, then sends the steps that follow it, after the step's
transaction has committed. A job that fails is retried by the queue; on its last try the run is
marked failed with the reason before the error is raised again.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from typing import Any

import dramatiq.errors
from dramatiq.middleware import CurrentMessage
from redis.exceptions import RedisError

from batch import service
from batch.service import Step
from core.config import get_settings
from core.db import open_pool
from core.queue import MINUTE_MS, SECOND_MS, job

logger = logging.getLogger(__name__)

BATCH_QUEUE = "batch"
MAX_RETRIES = 2
JOB_OPTIONS: dict[str, Any] = {"max_retries": MAX_RETRIES, "min_backoff": SECOND_MS, "max_backoff": 30 * SECOND_MS,
                               "time_limit": 60 * MINUTE_MS}


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _last_try() -> bool:
    message = CurrentMessage.get_current_message()
    return message is None or int(message.options.get("retries", 0)) >= MAX_RETRIES


async def _run(step: Step) -> None:
    settings = get_settings()
    if settings.database_url is None:
        raise RuntimeError("the worker needs BROBYGGER_DATABASE_URL; start it with `brobygger worker`")
    async with open_pool(settings.database_url, max_size=2) as pool:
        try:
            following = await service.execute(pool, step, encoder=settings.encoder, worker=_worker_name())
        except service.StepFailed as error:
            await service.fail_step(pool, step, service.describe(error))
            return
        except Exception as error:
            if _last_try():
                await service.fail_step(pool, step, service.describe(error))
            raise
    # The step's work is committed: raising now would only retry a step that finds its work done and
    # sends nothing, so steps lost with an unreachable Redis are left to the supervisor.
    await send_after_commit(following)


@job(queue_name=BATCH_QUEUE, **JOB_OPTIONS)
async def start_batch_run(run_id: str, attempt: int) -> None:
    """Shard the jobcentre's active citizens and send the scoring shards (or finish an empty run)."""
    await _run(Step("start", uuid.UUID(run_id), attempt))


@job(queue_name=BATCH_QUEUE, **JOB_OPTIONS)
async def run_batch_shard(run_id: str, attempt: int, stage: str, shard_no: int) -> None:
    """Score (or explain) one shard of citizens; the last scoring shard sends the assignment."""
    await _run(Step("shard", uuid.UUID(run_id), attempt, stage, shard_no))


@job(queue_name=BATCH_QUEUE, **JOB_OPTIONS)
async def assign_batch_run(run_id: str, attempt: int) -> None:
    """Choose the run's suggestions under the capacity constraints and send the explaining shards."""
    await _run(Step("assign", uuid.UUID(run_id), attempt))


def _send(step: Step) -> None:
    if step.kind == "start":
        start_batch_run.send(str(step.run_id), step.attempt)
    elif step.kind == "assign":
        assign_batch_run.send(str(step.run_id), step.attempt)
    else:
        assert step.stage is not None and step.shard_no is not None
        run_batch_shard.send(str(step.run_id), step.attempt, step.stage, step.shard_no)


async def send_steps(steps: Sequence[Step]) -> None:
    """Enqueue steps (call only after the transaction that made them committed)."""
    for step in steps:
        await asyncio.to_thread(_send, step)


async def send_after_commit(steps: Sequence[Step]) -> None:
    """Enqueue, but never fail the request or job that already committed the steps' work. A step not
    sent is picked up by the supervisor (`brobygger scheduler`) once the run looks stalled."""
    try:
        await send_steps(steps)
    except (RedisError, dramatiq.errors.BrokerError, OSError) as error:
        logger.warning("%d batch step(s) of run %s not enqueued (%s: %s); the supervisor will re-send them",
                       len(steps), steps[0].run_id, type(error).__name__, error)
