"""Demo-ready defaults for `brobygger serve --demo`: demo users with printed tokens, and demo data."""

import datetime as dt
import logging

from core.config import Settings
from core.db import create_pool, transaction
from core.vocab import Role
from users import service as users

logger = logging.getLogger(__name__)

DEMO_JOBCENTRE = 101  # Københavns Kommune


async def ensure_demo(settings: Settings) -> None:
    """Create demo users on an empty database and write their credentials to `<data_dir>/demo-tokens.txt`."""
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        async with transaction(pool) as conn:
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users)"):
                return
            config = users.TokenConfig(settings.token_secret.get_secret_value(), dt.timedelta(days=30))
            lines = []
            for role, name in ((Role.CONSULTANT, "Demo konsulent"), (Role.JOBCENTRE_ADMIN, "Demo jobcenterleder"),
                               (Role.ADMIN, "Demo driftsansvarlig")):
                jobcentre = DEMO_JOBCENTRE if role is not Role.ADMIN else None
                principal = await users.create_user(conn, name=name, role=role, jobcentre_code=jobcentre)
                lines.append(f"{role.value}: {users.issue_token(principal, config)}")
        path = settings.data_dir / "demo-tokens.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)
        logger.info("demo users created; their bearer tokens are in %s", path)
    finally:
        await pool.close()
