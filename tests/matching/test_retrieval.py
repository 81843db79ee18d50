"""Retrieval's taxonomy step: beyond the exact limit, openings come by the citizen's occupation, a related
ISCO group or an essential skill, in that order, and never from outside the coarse filter."""

import datetime as dt

import asyncpg
import pytest

from matching import repository
from tests.matching.conftest import FORKLIFT, WAREHOUSE_WORKER, World, warehouse_opening

OTHER_SKILL = "http://data.europa.eu/esco/skill/05bc7677-5a64-4e0c-ade3-0140348d4125"


@pytest.fixture
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _taxonomy_ids(pool: asyncpg.Pool, today: dt.date, *, occupations: list[str], skills: list[str],
                        taxonomy_k: int = 10) -> tuple[list[str], int]:
    async with pool.acquire() as conn:
        found = await repository.opening_candidates(
            conn, ["2650"], today, ["internship", "ordinary"], encoder_id="none", vector=None, near=(55.64, 12.47),
            occupation_uris=occupations, isco_groups=[], skill_uris=skills, every_up_to=0, exact_up_to=0,
            dense_k=0, taxonomy_k=taxonomy_k)
    return [str(item) for item in found.ids], found.eligible


async def test_taxonomy_step_finds_openings_by_occupation_then_essential_skill(
        world: World, pool: asyncpg.Pool, today: dt.date) -> None:
    employer = await world.employer(postcode="2650")
    by_occupation = await world.opening(employer, **warehouse_opening(skills=[]))
    by_skill = await world.opening(employer, **warehouse_opening(occupation_uri=None, title="Truckfører"))
    optional_skill = await world.opening(employer, **warehouse_opening(
        occupation_uri=None, title="Chauffør", skills=[{"uri": FORKLIFT, "essential": False}]))
    unrelated = await world.opening(employer, **warehouse_opening(occupation_uri=None, title="Kok", skills=[]))
    paused = await world.opening(employer, **warehouse_opening(status="paused"))

    ids, eligible = await _taxonomy_ids(pool, today, occupations=[WAREHOUSE_WORKER], skills=[FORKLIFT])

    assert eligible == 4  # the paused opening fails the coarse filter
    assert sorted(ids) == sorted([by_occupation["id"], by_skill["id"]])
    assert optional_skill["id"] not in ids and unrelated["id"] not in ids and paused["id"] not in ids
    first, _ = await _taxonomy_ids(pool, today, occupations=[WAREHOUSE_WORKER], skills=[FORKLIFT], taxonomy_k=1)
    assert first == [by_occupation["id"]]  # exact occupations rank before skill matches


async def test_essential_skills_column_follows_the_skills_json(world: World, pool: asyncpg.Pool) -> None:
    employer = await world.employer(postcode="2650")
    opening = await world.opening(employer, **warehouse_opening(skills=[
        {"uri": FORKLIFT, "essential": True}, {"text": "lagerstyring"},
        {"uri": OTHER_SKILL, "essential": False}]))
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT essential_skill_uris FROM openings WHERE id = $1", opening["id"])
        await conn.execute("UPDATE openings SET skills = '[]' WHERE id = $1", opening["id"])
        cleared = await conn.fetchval("SELECT essential_skill_uris FROM openings WHERE id = $1", opening["id"])
    assert stored == [FORKLIFT]
    assert cleared == []
