"""A JSON cache in Redis that fails safe: when Redis is down or slow, reads miss and writes are skipped,
so requests still succeed, only slower. Entries are keyed by the data they were made from and expire."""

import json
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class Cache:
    def __init__(self, client: aioredis.Redis | None, prefix: str, *, ttl_seconds: int = 3600) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = ttl_seconds

    async def get(self, key: str) -> Any | None:
        if self._client is None:
            return None
        try:
            raw = await self._client.get(self._prefix + key)
        except (RedisError, OSError) as error:
            logger.warning("cache read skipped: %s", type(error).__name__)
            return None
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any) -> None:
        if self._client is None:
            return
        try:
            await self._client.set(self._prefix + key, json.dumps(value, separators=(",", ":")), ex=self._ttl)
        except (RedisError, OSError) as error:
            logger.warning("cache write skipped: %s", type(error).__name__)
