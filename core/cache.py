"""A cache of JSON texts in Redis that fails safe: when Redis is down or slow, reads miss and writes are
skipped, so requests still succeed, only slower. Entries are keyed by the data they were made from and
expire. Callers serialise (pydantic's `model_dump_json` and `model_validate_json` cost a fraction of a
round trip through Python objects)."""

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class Cache:
    def __init__(self, client: aioredis.Redis | None, prefix: str, *, ttl_seconds: int = 3600) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = ttl_seconds

    async def get(self, key: str) -> bytes | str | None:
        """The JSON text stored under the key (bytes, or str from a client that decodes responses), None
        when there is none or Redis does not answer."""
        if self._client is None:
            return None
        try:
            raw: bytes | str | None = await self._client.get(self._prefix + key)
        except (RedisError, OSError) as error:
            logger.warning("cache read skipped: %s", type(error).__name__)
            return None
        return raw

    async def set(self, key: str, text: str) -> None:
        if self._client is None:
            return
        try:
            await self._client.set(self._prefix + key, text, ex=self._ttl)
        except (RedisError, OSError) as error:
            logger.warning("cache write skipped: %s", type(error).__name__)
