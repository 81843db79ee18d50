"""The audit log: who read or changed which citizen's data, and when. Never the data itself."""

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from users.schemas import Principal


async def record(conn: asyncpg.Connection, principal: Principal, action: str,
                 citizen_ids: Sequence[uuid.UUID], *, jobcentre_code: int | None = None,
                 detail: dict[str, Any] | None = None) -> None:
    """One row per citizen touched, in the caller's transaction."""
    if not citizen_ids:
        return
    await conn.execute(
        """INSERT INTO audit_log (actor_id, actor_role, action, citizen_id, jobcentre_code, detail)
           SELECT $1, $2, $3, citizen_id, $5, $6 FROM unnest($4::uuid[]) AS citizen_id""",
        principal.user_id, principal.role.value, action, list(citizen_ids), jobcentre_code, detail or {},
    )


async def forget_citizen(conn: asyncpg.Connection, citizen_id: uuid.UUID) -> None:
    """On erasure: keep that access happened, drop which citizen it concerned."""
    await conn.execute("UPDATE audit_log SET citizen_id = NULL WHERE citizen_id = $1", citizen_id)


async def entries_for(conn: asyncpg.Connection, citizen_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM audit_log WHERE citizen_id = $1 ORDER BY id", citizen_id)


async def record_erasure(conn: asyncpg.Connection, principal: Principal, jobcentre_code: int) -> None:
    """That a citizen was erased, by whom and when; deliberately not which citizen."""
    await conn.execute(
        """INSERT INTO audit_log (actor_id, actor_role, action, citizen_id, jobcentre_code)
           VALUES ($1, $2, 'erase', NULL, $3)""",
        principal.user_id, principal.role.value, jobcentre_code,
    )
