"""SQL for citizens."""

import uuid
from typing import Any

import asyncpg

CITIZEN_FIELDS = (
    "reference", "consultant_id", "postcode", "target_group", "skills", "experience", "education_level",
    "wishes", "max_commute_km", "hours_min", "hours_max", "limitations", "limitations_consent", "needs",
    "schemes", "active", "inferred_occupations", "inferred_skills",
)
_COLUMNS = "c.*, p.name AS city, p.latitude, p.longitude"
_FROM = "citizens c JOIN postcodes p ON p.postcode = c.postcode"
_INSERT = (
    f"INSERT INTO citizens (jobcentre_code, {', '.join(CITIZEN_FIELDS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(CITIZEN_FIELDS) + 2))}) RETURNING id"
)
_UPDATE = (
    "UPDATE citizens SET "
    + ", ".join(f"{field} = ${i}" for i, field in enumerate(CITIZEN_FIELDS, start=2))
    + ", updated_at = now() WHERE id = $1"
)


async def insert(conn: asyncpg.Connection, jobcentre_code: int, values: dict[str, Any]) -> uuid.UUID:
    citizen_id: uuid.UUID = await conn.fetchval(_INSERT, jobcentre_code, *(values[f] for f in CITIZEN_FIELDS))
    return citizen_id


async def update(conn: asyncpg.Connection, citizen_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(_UPDATE, citizen_id, *(values[f] for f in CITIZEN_FIELDS))


async def get(conn: asyncpg.Connection, citizen_id: uuid.UUID, jobcentre_code: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE c.id = $1 AND c.jobcentre_code = $2",
                               citizen_id, jobcentre_code)


async def get_id_by_reference(conn: asyncpg.Connection, jobcentre_code: int, reference: str) -> uuid.UUID | None:
    citizen_id: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM citizens WHERE jobcentre_code = $1 AND reference = $2", jobcentre_code, reference)
    return citizen_id


async def list_for_jobcentre(conn: asyncpg.Connection, jobcentre_code: int, *, after: uuid.UUID | None,
                             limit: int, consultant_id: uuid.UUID | None, active: bool | None,
                             reference: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM}
            WHERE c.jobcentre_code = $1 AND ($2::uuid IS NULL OR c.id > $2)
              AND ($3::uuid IS NULL OR c.consultant_id = $3) AND ($4::boolean IS NULL OR c.active = $4)
              AND ($5::text IS NULL OR c.reference = $5)
            ORDER BY c.id LIMIT $6""",
        jobcentre_code, after, consultant_id, active, reference, limit,
    )


async def delete(conn: asyncpg.Connection, citizen_id: uuid.UUID) -> None:
    """Erase the citizen; every table holding their data references them ON DELETE CASCADE."""
    await conn.execute("DELETE FROM citizens WHERE id = $1", citizen_id)


async def assign_unassigned(conn: asyncpg.Connection, jobcentre_code: int, consultant_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE citizens SET consultant_id = $2 WHERE jobcentre_code = $1 AND consultant_id IS NULL",
        jobcentre_code, consultant_id)
