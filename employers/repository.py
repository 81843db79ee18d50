"""SQL for employers and openings."""

import uuid
from typing import Any

import asyncpg

_EMPLOYER_COLUMNS = """
    e.*, p.name AS city, p.kommune_code, p.latitude, p.longitude
"""
_EMPLOYER_FROM = "employers e JOIN postcodes p ON p.postcode = e.postcode"

_OPENING_COLUMNS = """
    o.*, e.name AS employer_name, p.name AS city, p.kommune_code, p.latitude, p.longitude
"""
_OPENING_FROM = """openings o JOIN employers e ON e.id = o.employer_id JOIN postcodes p ON p.postcode = o.postcode"""

EMPLOYER_FIELDS = (
    "external_ref", "cvr", "name", "industry", "address", "postcode", "description", "offers_mentor",
    "offers_reduced_hours", "offers_flexible_hours", "offers_gradual_start", "physical_demands",
    "accommodations", "contact", "schemes", "capacity", "available_from", "status", "paused_until",
)
OPENING_FIELDS = (
    "external_ref", "title", "description", "occupation_uri", "skills", "schemes", "hours_min", "hours_max",
    "slots", "postcode", "physical_demands", "work_conditions", "start_date", "expires_on", "status",
    "inferred_occupations", "inferred_skills",
)


def _insert_sql(table: str, fields: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    columns = extra + fields
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING id"


def _update_sql(table: str, fields: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{field} = ${i}" for i, field in enumerate(fields, start=2))
    return f"UPDATE {table} SET {assignments}, updated_at = now() WHERE id = $1"


_INSERT_EMPLOYER = _insert_sql("employers", EMPLOYER_FIELDS)
_UPDATE_EMPLOYER = _update_sql("employers", EMPLOYER_FIELDS)
_INSERT_OPENING = _insert_sql("openings", OPENING_FIELDS, extra=("employer_id",))
_UPDATE_OPENING = _update_sql("openings", OPENING_FIELDS)


async def insert_employer(conn: asyncpg.Connection, values: dict[str, Any]) -> uuid.UUID:
    employer_id: uuid.UUID = await conn.fetchval(_INSERT_EMPLOYER, *(values[f] for f in EMPLOYER_FIELDS))
    return employer_id


async def update_employer(conn: asyncpg.Connection, employer_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(_UPDATE_EMPLOYER, employer_id, *(values[f] for f in EMPLOYER_FIELDS))


async def get_employer(conn: asyncpg.Connection, employer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_EMPLOYER_COLUMNS} FROM {_EMPLOYER_FROM} WHERE e.id = $1", employer_id)


async def get_employer_id_by_ref(conn: asyncpg.Connection, external_ref: str) -> uuid.UUID | None:
    employer_id: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM employers WHERE external_ref = $1", external_ref)
    return employer_id


async def list_employers(conn: asyncpg.Connection, *, after: uuid.UUID | None, limit: int,
                         only_id: uuid.UUID | None = None, postcode: str | None = None,
                         status: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_EMPLOYER_COLUMNS} FROM {_EMPLOYER_FROM}
            WHERE ($1::uuid IS NULL OR e.id > $1) AND ($2::uuid IS NULL OR e.id = $2)
              AND ($3::text IS NULL OR e.postcode = $3) AND ($4::text IS NULL OR e.status = $4)
            ORDER BY e.id LIMIT $5""",
        after, only_id, postcode, status, limit,
    )


async def insert_opening(conn: asyncpg.Connection, employer_id: uuid.UUID, values: dict[str, Any]) -> uuid.UUID:
    opening_id: uuid.UUID = await conn.fetchval(
        _INSERT_OPENING, employer_id, *(values[f] for f in OPENING_FIELDS))
    return opening_id


async def update_opening(conn: asyncpg.Connection, opening_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(_UPDATE_OPENING, opening_id, *(values[f] for f in OPENING_FIELDS))


async def get_opening(conn: asyncpg.Connection, opening_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_OPENING_COLUMNS} FROM {_OPENING_FROM} WHERE o.id = $1", opening_id)


async def get_opening_by_ref(conn: asyncpg.Connection, external_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, employer_id FROM openings WHERE external_ref = $1", external_ref)


async def list_openings(conn: asyncpg.Connection, *, after: uuid.UUID | None, limit: int,
                        employer_id: uuid.UUID | None, status: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_OPENING_COLUMNS} FROM {_OPENING_FROM}
            WHERE ($1::uuid IS NULL OR o.id > $1) AND ($2::uuid IS NULL OR o.employer_id = $2)
              AND ($3::text IS NULL OR o.status = $3)
            ORDER BY o.id LIMIT $4""",
        after, employer_id, status, limit,
    )
