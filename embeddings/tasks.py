"""Worker jobs for text vectors: bring them up to date after entities change, without a storm of jobs.

Debounce: `enqueue_sync` sets a per-kind "pending" key in Redis (SET NX with a TTL) and sends a job
only for kinds whose key it set. While the key exists a job for that kind waits in the queue and has not
read any rows yet, so it will see the new change too; further calls add nothing. The job deletes its
keys as it starts, before reading, so a change committed after that sends a new job (which waits for
the running one: syncs for one encoder are serialised in the database). The TTL only matters when a
pending job is lost; then the next change after it expires sends a new job.
"""

import asyncio
import logging
from collections.abc import Iterable

import dramatiq.errors
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.config import get_settings
from core.db import open_pool
from core.queue import MINUTE_MS, job
from embeddings.schemas import EntityKind
from embeddings.service import parse_kinds, sync_vectors
from taxonomy.encoders import get_encoder

logger = logging.getLogger(__name__)

SYNC_QUEUE = "embeddings"
PENDING_TTL_SECONDS = 600


def pending_key(prefix: str, kind: EntityKind) -> str:
    return f"{prefix}embeddings:sync-pending:{kind.value}"


@job(queue_name=SYNC_QUEUE, time_limit=60 * MINUTE_MS)
async def sync_vectors_job(kinds: list[str] | None = None) -> None:
    """Encode the texts of `kinds` (all when None) that changed since their vectors were stored, with
    the configured encoder (`BROBYGGER_ENCODER`). Nothing changed: nothing is encoded or written."""
    settings = get_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("the worker needs BROBYGGER_DATABASE_URL and BROBYGGER_REDIS_URL; "
                           "start it with `brobygger worker`")
    selected = parse_kinds(kinds)
    await _clear_pending(settings.redis_url, settings.redis_prefix, selected)
    async with open_pool(settings.database_url, max_size=1) as pool:
        # Loading a model takes seconds of CPU the first time in a process; keep it off the loop.
        encoder = await asyncio.to_thread(get_encoder, settings.encoder)
        report = await sync_vectors(pool, encoder, kinds=selected)
    if report.encoded == 0:
        logger.info("vectors for %s already current (%d entities examined)", encoder.id, report.examined)


async def _clear_pending(redis_url: str, prefix: str, kinds: Iterable[EntityKind]) -> None:
    client = aioredis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        await client.delete(*(pending_key(prefix, kind) for kind in kinds))
    except RedisError as error:
        # The keys expire by themselves; until then changes rely on this job and the TTL.
        logger.warning("could not clear pending vector-sync keys: %s", error)
    finally:
        await client.aclose()


async def enqueue_sync(redis: aioredis.Redis, prefix: str, kinds: Iterable[str] | None = None) -> bool:
    """Ask the worker to update the vectors of `kinds` (all when None); call only after the commit
    that changed the texts. Returns whether a job was sent: False when one is already pending for
    every kind (see the module docstring), or when Redis is unreachable (logged; the change is then
    picked up by the next sync or by `brobygger encode`). Needs `core.queue.configure_broker`."""
    selected = parse_kinds(kinds)
    keys = [pending_key(prefix, kind) for kind in selected]
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, "1", nx=True, ex=PENDING_TTL_SECONDS)
            claimed = await pipe.execute()
        fresh = [kind.value for kind, was_set in zip(selected, claimed, strict=True) if was_set]
        if not fresh:
            return False
        try:
            await asyncio.to_thread(sync_vectors_job.send, fresh)
        except BaseException:
            await redis.delete(*(pending_key(prefix, EntityKind(kind)) for kind in fresh))
            raise
    except (RedisError, dramatiq.errors.BrokerError) as error:
        logger.warning("vector sync not enqueued (%s); run `brobygger encode` if this persists", error)
        return False
    return True
