"""Demo-ready defaults for `brobygger serve --demo`: demo users with tokens and web passwords, and demo data."""

import datetime as dt
import logging
import secrets
from pathlib import Path
from typing import Any

import asyncpg

from api.deps import COPENHAGEN
from citizens import repository as citizens
from core.config import Settings
from core.db import open_pool, transaction
from core.importing import ImportKind, import_file
from core.vocab import Role
from demo.generator import generate
from users import service as users
from users.schemas import OPERATOR, Principal

logger = logging.getLogger(__name__)

DEMO_JOBCENTRES = (101, 751)  # Københavns and Aarhus Kommune
DEMO_CITIZENS = 2000
DEMO_EMPLOYERS = 400
DEMO_SEED = 1
DEMO_EMAIL_DOMAIN = "demo.brobygger.dk"


def _password() -> str:
    # Random per demo database, written only to the 0600 credentials file: a demo left reachable on a
    # network does not open with a password from the documentation.
    return secrets.token_urlsafe(12)


async def ensure_demo(settings: Settings) -> None:
    """On an empty database: demo users (tokens in `<data_dir>/demo-tokens.txt`) and generated demo data."""
    async with open_pool(settings.database_url) as pool:
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users)"):
                return
        await _load_demo_data(pool, settings)
        await _create_demo_users(pool, settings)


async def _load_demo_data(pool: asyncpg.Pool, settings: Settings) -> None:
    out_dir = settings.data_dir / "demo-data"
    logger.info("generating demo data into %s", out_dir)
    # Dated from today, as the engine matches (openings open and unexpired, a year of history behind).
    generate(out_dir, jobcentres=DEMO_JOBCENTRES, citizens=DEMO_CITIZENS, employers=DEMO_EMPLOYERS, seed=DEMO_SEED,
             reference_date=dt.datetime.now(COPENHAGEN).date())
    for kind in (ImportKind.EMPLOYERS, ImportKind.OPENINGS, ImportKind.CITIZENS, ImportKind.DECISIONS,
                 ImportKind.PLACEMENTS):
        report = await import_file(pool, kind, out_dir / f"{kind.value}.jsonl", OPERATOR)
        logger.info("demo %s: %d written, %d rejected", kind, report.written, len(report.rejected))


async def _create_demo_users(pool: asyncpg.Pool, settings: Settings) -> None:
    config = users.TokenConfig(settings.token_secret.get_secret_value(), dt.timedelta(days=30))
    lines = ["# Bearer tokens for the API (paste into /docs -> Authorize)"]
    sign_ins = ["", "# Web sign-in at /log-ind: email and password"]

    async def create(conn: asyncpg.Connection, label: str, email_name: str, **user: Any) -> Principal:
        email, password = f"{email_name}@{DEMO_EMAIL_DOMAIN}", _password()
        principal = await users.create_user(conn, email=email, password=password, **user)
        sign_ins.append(f"{label}: {email} {password}")
        return principal

    async with transaction(pool) as conn:
        for jobcentre in DEMO_JOBCENTRES:
            consultant = await create(conn, f"consultant ({jobcentre})", f"konsulent.{jobcentre}",
                                      name=f"Demo konsulent {jobcentre}", role=Role.CONSULTANT,
                                      jobcentre_code=jobcentre)
            await citizens.assign_unassigned(conn, jobcentre, consultant.user_id)
            lines.append(f"consultant ({jobcentre}): {users.issue_token(consultant, config)}")
        admin = await create(conn, f"jobcentre_admin ({DEMO_JOBCENTRES[0]})", f"jobcenterleder.{DEMO_JOBCENTRES[0]}",
                             name="Demo jobcenterleder", role=Role.JOBCENTRE_ADMIN, jobcentre_code=DEMO_JOBCENTRES[0])
        lines.append(f"jobcentre_admin ({DEMO_JOBCENTRES[0]}): {users.issue_token(admin, config)}")
        operator = await create(conn, "admin", "drift", name="Demo driftsansvarlig", role=Role.ADMIN)
        lines.append(f"admin: {users.issue_token(operator, config)}")
        employer_id = await conn.fetchval("SELECT id FROM employers ORDER BY external_ref LIMIT 1")
        if employer_id is not None:
            employer = await create(conn, "employer", "virksomhed", name="Demo arbejdsgiver", role=Role.EMPLOYER,
                                    employer_id=employer_id)
            lines.append(f"employer ({employer_id}): {await users.create_api_key(conn, employer)}")
    path = demo_credentials_path(settings)
    path.write_text("\n".join(lines + sign_ins) + "\n", encoding="utf-8")
    path.chmod(0o600)
    logger.info("demo users created; their bearer tokens and web passwords are in %s", path)


def demo_credentials_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-tokens.txt"


def demo_sign_ins(settings: Settings) -> list[str]:
    """The web sign-in lines of the demo credentials file (empty for a demo older than the web pages)."""
    path = demo_credentials_path(settings)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    marker = next((number for number, line in enumerate(lines) if line.startswith("# Web sign-in")), None)
    return [] if marker is None else [line for line in lines[marker + 1:] if line.strip()]
