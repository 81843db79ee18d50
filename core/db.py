"""The connection pool: one per process, with JSON and pgvector codecs registered on every connection."""

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
import orjson
from pgvector.asyncpg import register_vector

from core.errors import Conflict

T = TypeVar("T")

Connection = asyncpg.Connection
Pool = asyncpg.Pool


def json_text(value: Any) -> str:
    """JSON text for a json/jsonb parameter (orjson: several times faster than the standard library; NaN
    becomes null, which PostgreSQL accepts where it refuses NaN)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("jsonb", "json"):
        await conn.set_type_codec(name, encoder=json_text, decoder=orjson.loads, schema="pg_catalog")
    await register_vector(conn)


async def create_pool(database_url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn=database_url, min_size=min_size, max_size=max_size, init=_init_connection,
        command_timeout=60, server_settings={"application_name": "brobygger"},
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that commits when the block ends without error."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def record_to_dict(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


@asynccontextmanager
async def open_pool(database_url: str | None, *, max_size: int = 2) -> AsyncIterator[asyncpg.Pool]:
    """A small pool for a command or job, closed when the block ends."""
    if database_url is None:
        raise ValueError("no database URL: resolve the infrastructure first (api.runtime.infrastructure)")
    pool = await create_pool(database_url, min_size=1, max_size=max_size)
    try:
        yield pool
    finally:
        await pool.close()


async def unique_or_conflict(conn: asyncpg.Connection, statement: Awaitable[T], *, field: str,
                             message: str) -> T:
    """Run a write in a savepoint; a unique violation becomes a 409 naming the field, the transaction lives on."""
    try:
        async with conn.transaction():
            return await statement
    except asyncpg.UniqueViolationError as error:
        raise Conflict(f"{field}: {message}", fields=[{"field": field, "message": message}]) from error
