"""Resolves the configuration into running infrastructure: embedded servers where no URL is set."""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from core.config import Settings
from core.db import open_pool
from core.embedded import EmbeddedPostgres, EmbeddedRedis
from core.migrate import upgrade
from taxonomy import service as taxonomy

logger = logging.getLogger(__name__)


@contextmanager
def infrastructure(settings: Settings, *, migrate: bool = True) -> Iterator[Settings]:
    """Yield settings whose database and Redis URLs point at running servers.

    Embedded servers are started in the data dir when no URL is configured, migrated, and stopped
    when the block ends. External servers are used as they are.
    """
    with ExitStack() as stack:
        resolved = settings.model_copy()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.embedded_database:
            postgres = stack.enter_context(EmbeddedPostgres(settings.data_dir))
            resolved.database_url = postgres.start()
        if settings.embedded_redis:
            redis_server = stack.enter_context(EmbeddedRedis(settings.data_dir))
            resolved.redis_url = redis_server.start()
        if migrate and settings.embedded_database:
            assert resolved.database_url is not None
            upgrade(resolved.database_url)
            asyncio.run(_load_taxonomy(resolved.database_url))
        yield resolved


async def _load_taxonomy(database_url: str) -> None:
    """The embedded default loads the packaged taxonomy (a no-op when this version is loaded)."""
    async with open_pool(database_url, max_size=1) as pool:
        await taxonomy.load(pool)
