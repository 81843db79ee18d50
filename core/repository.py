"""SQL shared by every domain: reference data lookups."""

import asyncpg


async def postcode_exists(conn: asyncpg.Connection, postcode: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM postcodes WHERE postcode = $1)", postcode))


async def known_postcodes(conn: asyncpg.Connection) -> set[str]:
    return {row["postcode"] for row in await conn.fetch("SELECT postcode FROM postcodes")}
