"""SQL shared by every domain: reference data lookups."""

import asyncpg

from core.geography import great_circle_km


async def postcode_exists(conn: asyncpg.Connection, postcode: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM postcodes WHERE postcode = $1)", postcode))


async def known_postcodes(conn: asyncpg.Connection) -> set[str]:
    return {row["postcode"] for row in await conn.fetch("SELECT postcode FROM postcodes")}


async def commute_km(conn: asyncpg.Connection, from_postcode: str, to_postcode: str) -> float | None:
    """Great-circle km between two postcodes' centres; None when either is unknown."""
    rows = await conn.fetch("SELECT postcode, latitude, longitude FROM postcodes WHERE postcode = ANY($1::text[])",
                            [from_postcode, to_postcode])
    points = {row["postcode"]: (row["latitude"], row["longitude"]) for row in rows}
    if from_postcode not in points or to_postcode not in points:
        return None
    return great_circle_km(*points[from_postcode], *points[to_postcode])
