"""SQL for users and API keys."""

import uuid

import asyncpg


async def insert_user(conn: asyncpg.Connection, *, name: str, role: str, email: str | None,
                      jobcentre_code: int | None, employer_id: uuid.UUID | None,
                      password_hash: str | None = None) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO users (name, role, email, jobcentre_code, employer_id, password_hash)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        name, role, email, jobcentre_code, employer_id, password_hash,
    )


async def get_active_user(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM users WHERE id = $1 AND active", user_id)


async def get_active_user_by_email(conn: asyncpg.Connection, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM users WHERE lower(email) = lower($1) AND active", email)


async def set_password_hash(conn: asyncpg.Connection, user_id: uuid.UUID, password_hash: str) -> bool:
    status: str = await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)
    return status == "UPDATE 1"


async def insert_api_key(conn: asyncpg.Connection, user_id: uuid.UUID, key_hash: str, prefix: str) -> None:
    await conn.execute("INSERT INTO api_keys (user_id, key_hash, prefix) VALUES ($1, $2, $3)",
                       user_id, key_hash, prefix)


async def get_user_by_api_key(conn: asyncpg.Connection, key_hash: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT u.* FROM api_keys k JOIN users u ON u.id = k.user_id
           WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.active""",
        key_hash,
    )


async def jobcentre_exists(conn: asyncpg.Connection, code: int) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM jobcentres WHERE code = $1)", code))


async def employer_exists(conn: asyncpg.Connection, employer_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM employers WHERE id = $1)", employer_id))


async def consultant_in_jobcentre(conn: asyncpg.Connection, user_id: uuid.UUID, jobcentre_code: int) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND jobcentre_code = $2
                          AND role IN ('consultant', 'jobcentre_admin'))""",
        user_id, jobcentre_code,
    ))
