"""Request-scoped dependencies: the unit of work (one transaction per request) and the caller."""

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.cache import Cache
from core.config import Settings
from core.errors import Unauthorized
from embeddings import repository as embeddings_repository
from embeddings.tasks import enqueue_sync
from matching.service import Engine
from scoring.service import active_scorer
from taxonomy.encoders import encoder_id
from taxonomy.normaliser import Normaliser
from taxonomy.service import NormaliserProvider
from users import service as users
from users.schemas import Principal

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

bearer = HTTPBearer(auto_error=False, description="A JWT from `brobygger token create` or an employer API key.")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def unit_of_work(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """The request's transaction: committed when the handler returns, rolled back when it raises."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        yield conn


# scope="function": commit before the response is sent, so a failed commit is never reported as success.
Conn = Annotated[asyncpg.Connection, Depends(unit_of_work, scope="function")]


async def current_principal(
    conn: Conn, request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("send 'Authorization: Bearer <token or API key>'")
    settings = get_settings(request)
    config = users.TokenConfig(settings.token_secret.get_secret_value(),
                               dt.timedelta(hours=settings.token_ttl_hours))
    return await users.authenticate(conn, credentials.credentials, config)


Caller = Annotated[Principal, Depends(current_principal)]


async def current_normaliser(request: Request) -> Normaliser:
    """The taxonomy normaliser, for inferring codes from free text on writes."""
    provider: NormaliserProvider = request.app.state.normaliser
    return await provider.get()


NormaliserDep = Annotated[Normaliser, Depends(current_normaliser)]


def encode_after_commit(request: Request, background: BackgroundTasks, *kinds: str) -> None:
    """Queue re-encoding of changed entity texts; background tasks run after the response, so after
    the unit of work has committed. A Redis outage only delays encoding (see embeddings.tasks)."""
    settings = get_settings(request)
    background.add_task(enqueue_sync, request.app.state.redis, settings.redis_prefix, list(kinds))


async def match_engine(conn: Conn, request: Request) -> Engine:
    """What the matching engine ranks with for this request: the configured encoder's vectors, the
    active scorer, the fail-safe Redis cache, today's date (Copenhagen time) and the process's index of
    openings for retrieval."""
    settings = get_settings(request)
    encoder = encoder_id(settings.encoder)
    dims: dict[str, int] = request.app.state.vector_dims
    if encoder not in dims:
        found = await embeddings_repository.dimension(conn, encoder)
        if found is not None:
            dims[encoder] = found
    return Engine(encoder_id=encoder, dims=dims.get(encoder), scorer=await active_scorer(conn),
                  cache=Cache(request.app.state.redis, f"{settings.redis_prefix}cache:"),
                  today=dt.datetime.now(COPENHAGEN).date(),
                  index=request.app.state.opening_indexes.get(encoder, dims.get(encoder)))


MatchEngine = Annotated[Engine, Depends(match_engine)]
