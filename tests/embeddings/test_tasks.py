"""The vector-sync job through a real Redis broker and a real dramatiq worker, and its debounce."""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
import redis
import redis.asyncio as aioredis
from dramatiq import Worker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from core.config import Settings, get_settings
from core.queue import configure_broker
from embeddings.schemas import EntityKind
from embeddings.tasks import enqueue_sync, pending_key, sync_vectors_job
from tests.embeddings.conftest import ENCODER, Entities

ENCODABLE = 7


class Processed(Middleware):
    """Counts the messages a worker finished, successfully or not."""

    def __init__(self) -> None:
        self.count = 0
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        with self._lock:
            self.count += 1
            if exception is not None:
                self.failures.append(exception)


@pytest.fixture
def broker(settings: Settings, monkeypatch: pytest.MonkeyPatch, entities: Entities) -> Iterator[RedisBroker]:
    """A broker under the test's Redis prefix; the job finds the test's servers in the environment,
    as a worker process started by `brobygger worker` does. Configured after the app (which binds
    the jobs to its own broker on start) has made the entities."""
    assert settings.database_url is not None and settings.redis_url is not None
    monkeypatch.setenv("BROBYGGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROBYGGER_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("BROBYGGER_REDIS_PREFIX", settings.redis_prefix)
    monkeypatch.setenv("BROBYGGER_ENCODER", ENCODER)
    get_settings.cache_clear()
    broker = configure_broker(settings.redis_url, settings.redis_prefix)
    # The API writes that made the entities queued syncs after their commits; start from a clean queue.
    pending = [pending_key(settings.redis_prefix, kind) for kind in EntityKind]
    client = redis.Redis.from_url(settings.redis_url)
    try:
        assert client.exists(*pending) > 0
        client.delete(*pending)
    finally:
        client.close()
    broker.flush_all()
    yield broker
    get_settings.cache_clear()


@pytest.fixture
async def redis_client(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    assert settings.redis_url is not None
    client = aioredis.from_url(settings.redis_url)
    yield client
    await client.aclose()


async def _wait_for(condition: Any) -> None:
    async with asyncio.timeout(30):
        while not await condition():  # noqa: ASYNC110 - polls the database and a worker thread
            await asyncio.sleep(0.05)


async def test_job_runs_in_a_worker_and_enqueues_are_debounced(
        broker: RedisBroker, redis_client: aioredis.Redis, settings: Settings, pool: asyncpg.Pool,
        entities: Entities) -> None:
    processed = Processed()
    broker.add_middleware(processed)
    sent = [await enqueue_sync(redis_client, settings.redis_prefix) for _ in range(3)]
    assert sent == [True, False, False]
    assert sync_vectors_job.actor.broker is broker

    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        async def vectors_stored() -> bool:
            count = await pool.fetchval("SELECT count(*) FROM text_vectors WHERE encoder_id = $1", ENCODER)
            return bool(count == ENCODABLE and processed.count == 1)

        await _wait_for(vectors_stored)
        assert processed.failures == []
        assert await redis_client.exists(pending_key(settings.redis_prefix, EntityKind.OPENING)) == 0

        # The job cleared its pending keys when it started: a later change sends a new job.
        assert await enqueue_sync(redis_client, settings.redis_prefix, ["opening"]) is True

        async def second_done() -> bool:
            return processed.count == 2

        await _wait_for(second_done)
        assert processed.failures == []
    finally:
        await asyncio.to_thread(worker.stop)
    count = await pool.fetchval("SELECT count(*) FROM text_vectors")
    assert count == ENCODABLE


async def test_pending_kinds_are_debounced_one_by_one(
        broker: RedisBroker, redis_client: aioredis.Redis, settings: Settings) -> None:
    assert await enqueue_sync(redis_client, settings.redis_prefix, ["opening"]) is True
    assert await enqueue_sync(redis_client, settings.redis_prefix, ["opening", "employer"]) is True
    assert await enqueue_sync(redis_client, settings.redis_prefix, ["employer"]) is False
    ttl = await redis_client.ttl(pending_key(settings.redis_prefix, EntityKind.EMPLOYER))
    assert 0 < ttl <= 600
    assert await redis_client.exists(pending_key(settings.redis_prefix, EntityKind.CITIZEN)) == 0


async def test_enqueue_fails_safe_when_redis_is_down(broker: RedisBroker, settings: Settings) -> None:
    unreachable = aioredis.from_url(f"unix://{settings.data_dir}/no-redis.sock", socket_connect_timeout=1)
    try:
        assert await enqueue_sync(unreachable, settings.redis_prefix) is False
    finally:
        await unreachable.aclose()


async def test_unknown_kind_is_refused_before_anything_is_sent(
        broker: RedisBroker, redis_client: aioredis.Redis, settings: Settings) -> None:
    with pytest.raises(ValueError, match="users"):
        await enqueue_sync(redis_client, settings.redis_prefix, ["users"])
