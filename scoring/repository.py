"""SQL for ranking models: the decision and placement history they learn from, the candidate pool that
negatives are sampled from, what the fairness audit groups by, the model registry and training runs."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

SUCCESSFUL_OUTCOMES = ("completed", "hired", "extended")

# ---------------------------------------------------------------------------------------------------
# History


async def decisions(conn: asyncpg.Connection, jobcentre_code: int | None) -> list[asyncpg.Record]:
    """Decided suggestions (accepted or declined), with the day of the decision."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT s.id, s.citizen_id, s.jobcentre_code, s.employer_id, s.opening_id, s.scheme, s.state,
                  (s.decided_at AT TIME ZONE 'Europe/Copenhagen')::date AS decided_on
           FROM suggestions s
           WHERE s.state IN ('accepted', 'declined') AND s.decided_at IS NOT NULL
             AND ($1::smallint IS NULL OR s.jobcentre_code = $1)
           ORDER BY s.decided_at, s.id""", jobcentre_code)
    return rows


async def placements(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every placement (all jobcentres: an employer's track record spans them), with the day its
    suggestion was decided when it came from one."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT p.id, p.citizen_id, p.jobcentre_code, p.employer_id, p.opening_id, p.suggestion_id, p.scheme,
                   p.start_date, p.end_date, p.outcome,
                   p.outcome IN {SUCCESSFUL_OUTCOMES} AS success,
                   (s.decided_at AT TIME ZONE 'Europe/Copenhagen')::date AS decided_on
            FROM placements p LEFT JOIN suggestions s ON s.id = p.suggestion_id
            ORDER BY p.start_date, p.id""")
    return rows


async def opening_ids(conn: asyncpg.Connection) -> list[uuid.UUID]:
    """Every opening, whatever its status today: in the past it may have been open."""
    rows = await conn.fetch("SELECT id FROM openings ORDER BY id")
    return [row["id"] for row in rows]


async def host_employer_ids(conn: asyncpg.Connection) -> list[uuid.UUID]:
    """Employers that take people without a posted opening (a scheme other than an ordinary job)."""
    rows = await conn.fetch(
        """SELECT id FROM employers WHERE schemes && ARRAY['internship', 'wage_subsidy', 'flexjob']::text[]
           ORDER BY id""")
    return [row["id"] for row in rows]


async def active_citizen_ids(conn: asyncpg.Connection, jobcentre_code: int | None) -> list[uuid.UUID]:
    rows = await conn.fetch(
        """SELECT id FROM citizens WHERE active AND ($1::smallint IS NULL OR jobcentre_code = $1) ORDER BY id""",
        jobcentre_code)
    return [row["id"] for row in rows]


async def open_placement_ids(conn: asyncpg.Connection, today: dt.date) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Open, unexpired openings of active employers, and host employers without an open opening."""
    openings = await conn.fetch(
        """SELECT o.id FROM openings o JOIN employers e ON e.id = o.employer_id
           WHERE o.status = 'open' AND (o.expires_on IS NULL OR o.expires_on >= $1)
             AND NOT (e.status = 'paused' AND (e.paused_until IS NULL OR e.paused_until > $1))
           ORDER BY o.id""", today)
    employers = await conn.fetch(
        """SELECT e.id FROM employers e
           WHERE e.schemes && ARRAY['internship', 'wage_subsidy', 'flexjob']::text[]
             AND NOT (e.status = 'paused' AND (e.paused_until IS NULL OR e.paused_until > $1))
             AND NOT EXISTS (SELECT 1 FROM openings o WHERE o.employer_id = e.id AND o.status = 'open'
                             AND (o.expires_on IS NULL OR o.expires_on >= $1))
           ORDER BY e.id""", today)
    return [row["id"] for row in openings], [row["id"] for row in employers]


async def citizen_groups(conn: asyncpg.Connection, citizen_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    """What the audit groups citizens by besides the audit attributes: target group and kommune."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT c.id, c.reference, c.jobcentre_code, c.target_group, j.name AS kommune
           FROM citizens c JOIN jobcentres j ON j.code = c.jobcentre_code WHERE c.id = ANY($1::uuid[])""",
        list(citizen_ids))
    return rows


async def employer_capacities(conn: asyncpg.Connection, employer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Places an employer offers: its stated capacity plus the slots of its open openings."""
    rows = await conn.fetch(
        """SELECT e.id, e.capacity + coalesce(sum(o.slots) FILTER (WHERE o.status = 'open'), 0) AS places
           FROM employers e LEFT JOIN openings o ON o.employer_id = e.id
           WHERE e.id = ANY($1::uuid[]) GROUP BY e.id""", list(employer_ids))
    return {row["id"]: int(row["places"]) for row in rows}


# ---------------------------------------------------------------------------------------------------
# Registry

_VERSION_COLUMNS = """version, checksum, format_version, metrics, training, held_out_from, jobcentre_code,
    created_at, active, promoted_at"""


async def insert_version(conn: asyncpg.Connection, *, version: str, checksum: str, format_version: int,
                         artefact: str, metrics: dict[str, Any], training: dict[str, Any],
                         held_out_from: dt.date | None, jobcentre_code: int | None) -> None:
    await conn.execute(
        """INSERT INTO model_versions (version, checksum, format_version, artefact, metrics, training,
                                       held_out_from, jobcentre_code)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        version, checksum, format_version, artefact, metrics, training, held_out_from,
        jobcentre_code)


async def get_version(conn: asyncpg.Connection, version: str, *, with_artefact: bool = False) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_VERSION_COLUMNS}{', artefact' if with_artefact else ''} FROM model_versions WHERE version = $1",
        version)
    return row


async def active_version(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """The active model's version and checksum (one row by a unique index: cheap enough per request)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT version, checksum FROM model_versions WHERE active")
    return row


async def latest_version(conn: asyncpg.Connection) -> str | None:
    version: str | None = await conn.fetchval(
        "SELECT version FROM model_versions ORDER BY created_at DESC, version DESC LIMIT 1")
    return version


async def list_versions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {_VERSION_COLUMNS} FROM model_versions ORDER BY created_at DESC, version DESC")
    return rows


async def lock_registry(conn: asyncpg.Connection) -> None:
    """Serialise changes of the active model (promote, rollback) for the rest of the transaction."""
    await conn.execute("LOCK TABLE model_versions IN SHARE ROW EXCLUSIVE MODE")


async def activate(conn: asyncpg.Connection, version: str | None) -> None:
    """Make `version` the only active model (None: none, so the packaged default serves)."""
    await conn.execute("UPDATE model_versions SET active = false WHERE active AND version IS DISTINCT FROM $1",
                       version)
    if version is not None:
        await conn.execute(
            "UPDATE model_versions SET active = true, promoted_at = now() WHERE version = $1 AND NOT active", version)


async def add_event(conn: asyncpg.Connection, *, version: str, action: str, previous_version: str | None,
                    forced: bool = False, detail: dict[str, Any] | None = None) -> None:
    await conn.execute(
        """INSERT INTO model_events (version, action, previous_version, forced, detail)
           VALUES ($1, $2, $3, $4, $5)""",
        version, action, previous_version, forced, detail or {})


async def events(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT version, action, previous_version, forced, detail, at FROM model_events ORDER BY id DESC LIMIT $1",
        limit)
    return rows


# ---------------------------------------------------------------------------------------------------
# Training runs

_RUN_COLUMNS = "id, jobcentre_code, state, stage, progress, version, error, requested_at, started_at, finished_at"


async def create_run(conn: asyncpg.Connection, jobcentre_code: int | None) -> uuid.UUID:
    run_id: uuid.UUID = await conn.fetchval(
        "INSERT INTO model_training_runs (jobcentre_code) VALUES ($1) RETURNING id", jobcentre_code)
    return run_id


async def start_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> bool:
    """queued -> running; False when the run is not queued (already taken, finished or unknown)."""
    status: str = await conn.execute(
        """UPDATE model_training_runs SET state = 'running', stage = 'starting', started_at = now()
           WHERE id = $1 AND state = 'queued'""", run_id)
    return status.endswith(" 1")


async def report_progress(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str, progress: float) -> None:
    await conn.execute(
        "UPDATE model_training_runs SET stage = $2, progress = $3 WHERE id = $1 AND state = 'running'",
        run_id, stage, min(1.0, max(0.0, progress)))


async def finish_run(conn: asyncpg.Connection, run_id: uuid.UUID, version: str) -> None:
    await conn.execute(
        """UPDATE model_training_runs SET state = 'done', stage = 'done', progress = 1, version = $2,
                  finished_at = now() WHERE id = $1 AND state = 'running'""", run_id, version)


async def fail_run(conn: asyncpg.Connection, run_id: uuid.UUID, error: str) -> None:
    await conn.execute(
        """UPDATE model_training_runs SET state = 'failed', error = $2, finished_at = now()
           WHERE id = $1 AND state IN ('queued', 'running')""", run_id, error[:2000])


async def get_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM model_training_runs WHERE id = $1", run_id)
    return row


async def list_runs(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {_RUN_COLUMNS} FROM model_training_runs ORDER BY requested_at DESC LIMIT $1", limit)
    return rows
