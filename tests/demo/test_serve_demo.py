"""`brobygger serve --demo`: demo users and demo data, dated from today so that the openings are live."""

import datetime as dt

import asyncpg

from api.demo import demo_credentials_path, ensure_demo
from core.config import Settings


async def test_the_demo_database_is_dated_from_today(settings: Settings, pool: asyncpg.Pool) -> None:
    await ensure_demo(settings)

    async with pool.acquire() as conn:
        openings = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE expires_on IS NULL OR expires_on >= current_date) AS unexpired,
                      count(*) AS open FROM openings WHERE status = 'open'""")
        decided = await conn.fetchrow(
            "SELECT min(decided_at) AS first, max(decided_at) AS last FROM suggestions WHERE origin = 'import'")
        users = await conn.fetchval("SELECT count(*) FROM users")
    today = dt.date.today()
    # Dated from a fixed day in January 2026, 561 of 679 open openings had expired by December.
    assert openings["unexpired"] >= 0.8 * openings["open"] > 0
    assert decided["last"].date() <= today + dt.timedelta(days=1)  # a year of history up to today
    assert decided["first"].date() >= today - dt.timedelta(days=400)
    assert users >= 5 and demo_credentials_path(settings).exists()
