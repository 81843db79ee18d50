"""Assembles the FastAPI application: lifespan (pool, Redis), routers, error handlers, metrics."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from api import errors, system
from batch.endpoints import router as batch_router
from citizens.endpoints import router as citizens_router
from core.config import Settings, get_settings
from core.db import create_pool
from core.memory import settle
from core.queue import configure_broker
from embeddings import repository as embeddings_repository
from employers.endpoints import router as employers_router
from matching.endpoints import router as matching_router
from matching.index import MatchingIndexes
from placements.endpoints import router as placements_router
from taxonomy import snapshot as taxonomy_snapshot
from taxonomy.encoders import encoder_id
from taxonomy.endpoints import router as taxonomy_router
from taxonomy.service import NormaliserProvider, require_loaded
from web import install as install_pages

DESCRIPTION = """
Brobygger helps company consultants (*virksomhedskonsulenter*) at Danish jobcentres find concrete
workplaces for citizens and citizens for employers' openings.

**Authentication**: `Authorization: Bearer <token>` with a JWT from `brobygger token create`, or an
employer API key. Roles: `consultant` and `jobcentre_admin` (one jobcentre), `employer` (one employer),
`admin`. Citizens are visible only to staff of their own jobcentre, and every access is audited.

**Errors** always have the shape `{"error": code, "detail": text, "fields": [{"field", "message"}]}`.

This service uses the ESCO classification of the European Commission.
"""


def create_app(settings: Settings) -> FastAPI:
    """The app for a resolved configuration (database and Redis URLs already set)."""
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("create_app needs database_url and redis_url; the CLI starts embedded servers")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert settings.database_url is not None and settings.redis_url is not None
        # A request's matrix products are small and requests run side by side: BLAS threads waiting
        # between them burnt as much CPU again as the work (measured: 37 vs 78 ms a suggestion).
        threadpool_limits(limits=1, user_api="blas")
        app.state.pool = await create_pool(settings.database_url, min_size=settings.db_pool_min,
                                           max_size=settings.db_pool_max)
        app.state.redis = aioredis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        configure_broker(settings.redis_url, settings.redis_prefix)
        async with app.state.pool.acquire() as conn:
            await require_loaded(conn)
            await taxonomy_snapshot.current(conn)  # built now rather than by the first ranking
            encoder = encoder_id(settings.encoder)
            dims = await embeddings_repository.dimension(conn, encoder)
            if dims is not None:
                app.state.vector_dims[encoder] = dims
            await app.state.opening_indexes.get(encoder, dims).refresh(conn)
        settle()
        app.state.normaliser.start()
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.pool.close()

    app = FastAPI(title="Brobygger", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.vector_dims = {}
    app.state.opening_indexes = MatchingIndexes()
    app.state.normaliser = NormaliserProvider(
        encoder_name=settings.encoder if settings.taxonomy_dense else None,
        cache_dir=settings.data_dir / "cache" / "normaliser")
    errors.install(app)
    system.install_metrics(app)
    app.include_router(system.router)
    app.include_router(employers_router)
    app.include_router(citizens_router)
    app.include_router(placements_router)
    app.include_router(taxonomy_router)
    app.include_router(matching_router)
    app.include_router(batch_router)
    install_pages(app)
    return app


def app_from_environment() -> FastAPI:
    """The app of each of `brobygger serve --workers N`'s processes: the settings come from the
    environment, where serve has put the URLs of the servers it resolved."""
    return create_app(get_settings())
