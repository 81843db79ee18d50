"""The in-memory taxonomy snapshot: built once per loaded version and kept out of the garbage collector's
way (its objects live as long as the process)."""

import gc

import asyncpg

from taxonomy import snapshot


async def test_snapshot_is_built_once_and_frozen_out_of_collections(pool: asyncpg.Pool) -> None:
    snapshot._cache.clear()
    frozen_before = gc.get_freeze_count()
    async with pool.acquire() as conn:
        first = await snapshot.current(conn)
        second = await snapshot.current(conn)
    assert first is second
    assert len(first.occupation_isco) > 3000 and len(first.essential_skills) > 1000
    # Every label and skill set of the snapshot now sits in the permanent generation.
    assert gc.get_freeze_count() - frozen_before >= len(first.occupation_isco) + len(first.essential_skills)
