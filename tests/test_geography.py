"""Commute distances between Danish postcodes (great-circle between postcode centres)."""

import asyncpg
import pytest

from core import repository
from core.geography import great_circle_km


def test_great_circle_of_known_points() -> None:
    # Copenhagen City Hall Square to Aarhus Town Hall: 156 km as the crow flies.
    assert great_circle_km(55.6761, 12.5683, 56.1527, 10.2039) == pytest.approx(156.5, abs=1.5)
    assert great_circle_km(55.0, 10.0, 55.0, 10.0) == 0.0


@pytest.mark.parametrize(("origin", "destination", "low", "high"), [
    ("1050", "8000", 150, 165),   # København K → Aarhus C
    ("2200", "2100", 1, 5),       # København N → København Ø
    ("6700", "9000", 180, 230),   # Esbjerg → Aalborg
    ("3700", "1050", 125, 165),   # Rønne (Bornholm) → København K; the source centre lies off the coast
])
async def test_commute_between_postcodes(pool: asyncpg.Pool, origin: str, destination: str, low: float,
                                         high: float) -> None:
    async with pool.acquire() as conn:
        there = await repository.commute_km(conn, origin, destination)
        back = await repository.commute_km(conn, destination, origin)
    assert there is not None and low <= there <= high
    assert back == pytest.approx(there)


async def test_unknown_postcode_has_no_distance(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await repository.commute_km(conn, "0000", "1050") is None


async def test_west_coast_postcodes_lie_on_land(pool: asyncpg.Pool) -> None:
    # The source puts some west-coast postcode centres at sea; they are moved ashore (tools/build_geo_data.py).
    async with pool.acquire() as conn:
        westernmost = await conn.fetchval("SELECT min(longitude) FROM postcodes")
        ringkobing_to_herning = await repository.commute_km(conn, "6950", "7400")
    assert westernmost >= 8.07
    assert ringkobing_to_herning is not None and ringkobing_to_herning < 50
