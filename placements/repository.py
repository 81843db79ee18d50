"""SQL for placements, and for the suggestions that the imported history of decisions becomes."""

import datetime as dt
import uuid
from typing import Any

import asyncpg

PLACEMENT_FIELDS = (
    "external_ref", "citizen_id", "jobcentre_code", "employer_id", "opening_id", "suggestion_id", "scheme",
    "start_date", "end_date", "outcome", "outcome_reason",
)
_INSERT = (
    f"INSERT INTO placements ({', '.join(PLACEMENT_FIELDS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(PLACEMENT_FIELDS) + 1))}) RETURNING id"
)
_REPLACE = (
    "UPDATE placements SET "
    + ", ".join(f"{field} = ${i}" for i, field in enumerate(PLACEMENT_FIELDS, start=2))
    + ", updated_at = now() WHERE id = $1"
)


async def insert(conn: asyncpg.Connection, values: dict[str, Any]) -> uuid.UUID:
    placement_id: uuid.UUID = await conn.fetchval(_INSERT, *(values[f] for f in PLACEMENT_FIELDS))
    return placement_id


async def replace(conn: asyncpg.Connection, placement_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Import: overwrite every field of the placement."""
    await conn.execute(_REPLACE, placement_id, *(values[f] for f in PLACEMENT_FIELDS))


async def update_ending(conn: asyncpg.Connection, placement_id: uuid.UUID, *, end_date: dt.date | None,
                        outcome: str | None, outcome_reason: str | None) -> None:
    await conn.execute(
        """UPDATE placements SET end_date = $2, outcome = $3, outcome_reason = $4, updated_at = now()
           WHERE id = $1""",
        placement_id, end_date, outcome, outcome_reason)


async def get(conn: asyncpg.Connection, placement_id: uuid.UUID, jobcentre_code: int, *,
              for_update: bool = False) -> asyncpg.Record | None:
    """The placement if it belongs to the jobcentre; `for_update` locks it for the rest of the transaction."""
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT * FROM placements WHERE id = $1 AND jobcentre_code = $2{lock}",
                               placement_id, jobcentre_code)


async def get_by_ref(conn: asyncpg.Connection, external_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM placements WHERE external_ref = $1 FOR UPDATE", external_ref)


async def list_for_jobcentre(conn: asyncpg.Connection, jobcentre_code: int, *, after: uuid.UUID | None,
                             limit: int, citizen_id: uuid.UUID | None,
                             employer_id: uuid.UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM placements
           WHERE jobcentre_code = $1 AND ($2::uuid IS NULL OR id > $2)
             AND ($3::uuid IS NULL OR citizen_id = $3) AND ($4::uuid IS NULL OR employer_id = $4)
           ORDER BY id LIMIT $5""",
        jobcentre_code, after, citizen_id, employer_id, limit)


async def citizen_in_jobcentre(conn: asyncpg.Connection, citizen_id: uuid.UUID,
                               jobcentre_code: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, jobcentre_code, target_group FROM citizens WHERE id = $1 AND jobcentre_code = $2",
        citizen_id, jobcentre_code)


async def citizen_by_reference(conn: asyncpg.Connection, jobcentre_code: int,
                               reference: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, jobcentre_code, target_group FROM citizens WHERE jobcentre_code = $1 AND reference = $2",
        jobcentre_code, reference)


async def employer_exists(conn: asyncpg.Connection, employer_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM employers WHERE id = $1)", employer_id))


async def get_opening(conn: asyncpg.Connection, opening_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, employer_id, schemes FROM openings WHERE id = $1", opening_id)


async def get_suggestion(conn: asyncpg.Connection, suggestion_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, citizen_id, employer_id, opening_id, state FROM suggestions WHERE id = $1", suggestion_id)


async def get_suggestion_by_ref(conn: asyncpg.Connection, external_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, citizen_id, jobcentre_code, employer_id, opening_id, state FROM suggestions
           WHERE external_ref = $1 FOR UPDATE""",
        external_ref)


SUGGESTION_IMPORT_FIELDS = (
    "external_ref", "citizen_id", "jobcentre_code", "employer_id", "opening_id", "scheme", "state", "reason_code",
    "decided_at",
)


async def insert_decided_suggestion(conn: asyncpg.Connection, values: dict[str, Any]) -> uuid.UUID:
    """An imported decision, inserted in its final state: the transition trigger only guards updates."""
    suggestion_id: uuid.UUID = await conn.fetchval(
        """INSERT INTO suggestions (external_ref, citizen_id, jobcentre_code, employer_id, opening_id, scheme,
                                    state, reason_code, decided_at, origin, scorer_version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'import', 'import') RETURNING id""",
        *(values[f] for f in SUGGESTION_IMPORT_FIELDS))
    return suggestion_id


async def replace_decided_suggestion(conn: asyncpg.Connection, suggestion_id: uuid.UUID,
                                     values: dict[str, Any]) -> None:
    await conn.execute(
        """UPDATE suggestions SET external_ref = $2, citizen_id = $3, jobcentre_code = $4, employer_id = $5,
                  opening_id = $6, scheme = $7, state = $8, reason_code = $9, decided_at = $10, updated_at = now()
           WHERE id = $1""",
        suggestion_id, *(values[f] for f in SUGGESTION_IMPORT_FIELDS))
