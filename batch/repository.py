"""SQL for weekly batch runs: runs and their state, shards, scored candidates, chosen suggestions, the
contact ledger shared across jobcentres, and schedules."""

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

_RUN_COLUMNS = """id, jobcentre_code, iso_week, attempt, k, c, shard_size, reference_date, origin, requested_by,
    state, stage, scorer_version, citizens_total, steps_total, steps_done, message, error, summary, timings,
    resends, created_at, queued_at, started_at, finished_at, progressed_at"""

# ---------------------------------------------------------------------------------------------------
# Reference data and citizens


async def jobcentre_exists(conn: asyncpg.Connection, code: int) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM jobcentres WHERE code = $1)", code))


async def postcode_points(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT postcode, latitude, longitude FROM postcodes ORDER BY postcode")
    return rows


async def active_citizen_ids(conn: asyncpg.Connection, jobcentre_code: int) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT id FROM citizens WHERE jobcentre_code = $1 AND active ORDER BY id",
                            jobcentre_code)
    return [row["id"] for row in rows]


async def citizen_reach(conn: asyncpg.Connection, jobcentre_code: int) -> list[asyncpg.Record]:
    """Per postcode of the jobcentre's active citizens: the longest commute any of them accepts."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT postcode, max(max_commute_km) AS max_commute_km FROM citizens
           WHERE jobcentre_code = $1 AND active GROUP BY postcode ORDER BY postcode""", jobcentre_code)
    return rows


# ---------------------------------------------------------------------------------------------------
# Runs


async def get_run(conn: asyncpg.Connection, run_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM batch_runs WHERE id = $1" + (" FOR UPDATE" if lock else ""), run_id)
    return row


async def get_run_for_week(conn: asyncpg.Connection, jobcentre_code: int, iso_week: str, *,
                           lock: bool = False) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM batch_runs WHERE jobcentre_code = $1 AND iso_week = $2"
        + (" FOR UPDATE" if lock else ""), jobcentre_code, iso_week)
    return row


async def list_runs(conn: asyncpg.Connection, jobcentre_code: int, limit: int) -> list[asyncpg.Record]:
    """The jobcentre's runs, the latest week first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {_RUN_COLUMNS} FROM batch_runs WHERE jobcentre_code = $1 ORDER BY iso_week DESC, queued_at DESC "
        "LIMIT $2", jobcentre_code, limit)
    return rows


async def insert_run(conn: asyncpg.Connection, *, jobcentre_code: int, iso_week: str, k: int, c: float,
                     shard_size: int, reference_date: dt.date, origin: str,
                     requested_by: uuid.UUID | None) -> asyncpg.Record | None:
    """A new queued run; None when the jobcentre already has one for the week (the unique key decides)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"""INSERT INTO batch_runs (jobcentre_code, iso_week, k, c, shard_size, reference_date, origin, requested_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (jobcentre_code, iso_week) DO NOTHING
            RETURNING {_RUN_COLUMNS}""",
        jobcentre_code, iso_week, k, c, shard_size, reference_date, origin, requested_by)
    return row


async def requeue_run(conn: asyncpg.Connection, run_id: uuid.UUID, *, k: int, c: float, shard_size: int,
                      reference_date: dt.date, origin: str, requested_by: uuid.UUID | None) -> asyncpg.Record:
    """Start a finished run again as a new attempt, dropping everything the last attempt wrote."""
    for table in ("batch_shards", "batch_candidates", "batch_suggestions", "batch_contact_ledger"):
        await conn.execute(f"DELETE FROM {table} WHERE run_id = $1", run_id)
    row: asyncpg.Record = await conn.fetchrow(
        f"""UPDATE batch_runs SET attempt = attempt + 1, state = 'queued', stage = NULL, k = $2, c = $3,
                   shard_size = $4, reference_date = $5, origin = $6, requested_by = $7, scorer_version = NULL,
                   citizens_total = NULL, steps_total = 0, steps_done = 0, message = NULL, error = NULL,
                   summary = NULL, timings = '{{}}', resends = 0, queued_at = now(), started_at = NULL,
                   finished_at = NULL, progressed_at = now()
            WHERE id = $1 RETURNING {_RUN_COLUMNS}""",
        run_id, k, c, shard_size, reference_date, origin, requested_by)
    return row


async def start_run(conn: asyncpg.Connection, run_id: uuid.UUID, *, scorer_version: str, citizens_total: int,
                    steps_total: int) -> None:
    await conn.execute(
        """UPDATE batch_runs SET state = 'running', stage = 'scoring', scorer_version = $2, citizens_total = $3,
                  steps_total = $4, started_at = now(), progressed_at = now(),
                  timings = timings || jsonb_build_object('scoring', now())
           WHERE id = $1""", run_id, scorer_version, citizens_total, steps_total)


async def advance(conn: asyncpg.Connection, run_id: uuid.UUID) -> asyncpg.Record:
    """Count one finished step; returns the run's steps done and total after it."""
    row: asyncpg.Record = await conn.fetchrow(
        """UPDATE batch_runs SET steps_done = steps_done + 1, progressed_at = now(), resends = 0
           WHERE id = $1 RETURNING steps_done, steps_total""", run_id)
    return row


async def set_stage(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str) -> None:
    await conn.execute(
        """UPDATE batch_runs SET stage = $2, progressed_at = now(),
                  timings = timings || jsonb_build_object($2::text, now())
           WHERE id = $1""", run_id, stage)


async def set_summary(conn: asyncpg.Connection, run_id: uuid.UUID, summary: dict[str, Any]) -> None:
    await conn.execute("UPDATE batch_runs SET summary = $2::jsonb WHERE id = $1", run_id, summary)


async def finish_run(conn: asyncpg.Connection, run_id: uuid.UUID, *, summary: dict[str, Any],
                     message: str | None, steps_total: int | None = None) -> None:
    """Done: every step counted (an empty run has none), stage cleared, summary set."""
    await conn.execute(
        """UPDATE batch_runs SET state = 'done', stage = NULL, summary = $2::jsonb, message = $3,
                  steps_total = coalesce($4, steps_total), steps_done = coalesce($4, steps_total),
                  started_at = coalesce(started_at, now()), finished_at = now(), progressed_at = now(),
                  timings = timings || jsonb_build_object('done', now())
           WHERE id = $1""", run_id, summary, message, steps_total)


async def fail_run(conn: asyncpg.Connection, run_id: uuid.UUID, error: str) -> None:
    await conn.execute(
        """UPDATE batch_runs SET state = 'failed', stage = NULL, error = $2, finished_at = now(),
                  progressed_at = now(), timings = timings || jsonb_build_object('failed', now())
           WHERE id = $1 AND state IN ('queued', 'running')""", run_id, error)


async def stalled_runs(conn: asyncpg.Connection, stale_after: dt.timedelta) -> list[asyncpg.Record]:
    """Queued or running runs that have not moved for `stale_after`, locked (others skip them)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {_RUN_COLUMNS} FROM batch_runs
            WHERE state IN ('queued', 'running') AND progressed_at < now() - $1::interval
            ORDER BY progressed_at FOR UPDATE SKIP LOCKED""", stale_after)
    return rows


async def note_resend(conn: asyncpg.Connection, run_id: uuid.UUID) -> None:
    await conn.execute("UPDATE batch_runs SET resends = resends + 1, progressed_at = now() WHERE id = $1", run_id)


# ---------------------------------------------------------------------------------------------------
# Shards


async def insert_shards(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str,
                        chunks: Sequence[Sequence[uuid.UUID]]) -> None:
    await conn.executemany(
        "INSERT INTO batch_shards (run_id, stage, shard_no, citizen_ids) VALUES ($1, $2, $3, $4::uuid[])",
        [(run_id, stage, number, list(chunk)) for number, chunk in enumerate(chunks)])


async def shard_citizens(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str) -> list[list[uuid.UUID]]:
    rows = await conn.fetch(
        "SELECT citizen_ids FROM batch_shards WHERE run_id = $1 AND stage = $2 ORDER BY shard_no", run_id, stage)
    return [list(row["citizen_ids"]) for row in rows]


async def claim_shard(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str, shard_no: int,
                      worker: str) -> asyncpg.Record | None:
    """Mark an unfinished shard running and count the claim; None when it is done, failed or unknown."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """UPDATE batch_shards SET state = 'running', claims = claims + 1, claimed_by = $4,
                  started_at = now(), error = NULL
           WHERE run_id = $1 AND stage = $2 AND shard_no = $3 AND state IN ('queued', 'running')
           RETURNING citizen_ids, claims""", run_id, stage, shard_no, worker)
    return row


async def complete_shard(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str, shard_no: int) -> bool:
    """Mark the shard done; False when another execution finished it first."""
    updated = await conn.fetchval(
        """UPDATE batch_shards SET state = 'done', finished_at = now()
           WHERE run_id = $1 AND stage = $2 AND shard_no = $3 AND state = 'running' RETURNING true""",
        run_id, stage, shard_no)
    return bool(updated)


async def fail_shard(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str, shard_no: int, error: str) -> None:
    await conn.execute(
        """UPDATE batch_shards SET state = 'failed', error = $4, finished_at = now()
           WHERE run_id = $1 AND stage = $2 AND shard_no = $3 AND state <> 'done'""",
        run_id, stage, shard_no, error)


async def unfinished_shards(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str) -> list[int]:
    rows = await conn.fetch(
        """SELECT shard_no FROM batch_shards WHERE run_id = $1 AND stage = $2 AND state IN ('queued', 'running')
           ORDER BY shard_no""", run_id, stage)
    return [row["shard_no"] for row in rows]


async def shards_not_done(conn: asyncpg.Connection, run_id: uuid.UUID, stage: str) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM batch_shards WHERE run_id = $1 AND stage = $2 AND state <> 'done'", run_id, stage)
    return count


# ---------------------------------------------------------------------------------------------------
# Candidates


async def replace_candidates(conn: asyncpg.Connection, run_id: uuid.UUID, shard_no: int,
                             rows: Sequence[tuple[Any, ...]]) -> None:
    """The shard's candidates: (citizen, employer, opening, scheme, score, free slots), replacing any a
    crashed execution of the same shard left."""
    await conn.execute("DELETE FROM batch_candidates WHERE run_id = $1 AND shard_no = $2", run_id, shard_no)
    if rows:
        await conn.copy_records_to_table(
            "batch_candidates", records=[(run_id, shard_no, *row) for row in rows],
            columns=["run_id", "shard_no", "citizen_id", "employer_id", "opening_id", "scheme", "score",
                     "free_slots"])


async def run_candidates(conn: asyncpg.Connection, run_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT citizen_id, employer_id, opening_id, scheme, score, free_slots FROM batch_candidates
           WHERE run_id = $1 ORDER BY citizen_id, employer_id, opening_id NULLS FIRST""", run_id)
    return rows


# ---------------------------------------------------------------------------------------------------
# Contact ledger (shared across jobcentres)


async def lock_ledger(conn: asyncpg.Connection, iso_week: str) -> None:
    """Serialise assignments of the same week, so two jobcentres never both take the last room."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('brobygger.batch_ledger'), hashtext($1))", iso_week)


async def ledger_contacts(conn: asyncpg.Connection, iso_week: str, run_id: uuid.UUID) -> list[asyncpg.Record]:
    """Suggestions other runs of the week already sent to each placement."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT employer_id, opening_id, sum(contacts)::int AS contacts FROM batch_contact_ledger
           WHERE iso_week = $1 AND run_id <> $2 GROUP BY employer_id, opening_id""", iso_week, run_id)
    return rows


async def replace_ledger(conn: asyncpg.Connection, run_id: uuid.UUID, iso_week: str, jobcentre_code: int,
                         rows: Sequence[tuple[uuid.UUID, uuid.UUID | None, int]]) -> None:
    await conn.execute("DELETE FROM batch_contact_ledger WHERE run_id = $1", run_id)
    if rows:
        await conn.executemany(
            """INSERT INTO batch_contact_ledger (iso_week, run_id, jobcentre_code, employer_id, opening_id, contacts)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(iso_week, run_id, jobcentre_code, employer, opening, contacts) for employer, opening, contacts in rows])


# ---------------------------------------------------------------------------------------------------
# Suggestions


async def replace_suggestions(conn: asyncpg.Connection, run_id: uuid.UUID, scorer_version: str,
                              rows: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, str, float, int]]) -> None:
    """The assignment's choice: (citizen, employer, opening, scheme, score, rank), filed under each
    citizen's consultant; explanations follow from the explaining shards."""
    await conn.execute("DELETE FROM batch_suggestions WHERE run_id = $1", run_id)
    if not rows:
        return
    await conn.execute(
        """INSERT INTO batch_suggestions (run_id, citizen_id, consultant_id, employer_id, opening_id, scheme, score,
                                          rank, scorer_version)
           SELECT $1, t.citizen_id, c.consultant_id, t.employer_id, t.opening_id, t.scheme, t.score, t.rank, $2
           FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::float8[], $8::smallint[])
                AS t(citizen_id, employer_id, opening_id, scheme, score, rank)
           JOIN citizens c ON c.id = t.citizen_id""",
        run_id, scorer_version, [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows],
        [row[3] for row in rows], [row[4] for row in rows], [row[5] for row in rows])


async def suggestions_of(conn: asyncpg.Connection, run_id: uuid.UUID,
                         citizen_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, citizen_id, employer_id, opening_id, scheme, score FROM batch_suggestions
           WHERE run_id = $1 AND citizen_id = ANY($2::uuid[]) ORDER BY citizen_id, rank""",
        run_id, list(citizen_ids))
    return rows


async def set_explanations(conn: asyncpg.Connection,
                           rows: Sequence[tuple[uuid.UUID, float, str, list[Any], list[Any]]]) -> None:
    """(suggestion id, commute km, explanation, reasons, warnings); rewriting them is harmless."""
    if not rows:
        return
    await conn.execute(
        """UPDATE batch_suggestions s SET commute_km = t.km, explanation = t.text, reasons = t.reasons::jsonb,
                  warnings = t.warnings::jsonb
           FROM unnest($1::uuid[], $2::real[], $3::text[], $4::text[], $5::text[]) AS t(id, km, text, reasons, warnings)
           WHERE s.id = t.id""",
        [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows],
        [json.dumps(row[3]) for row in rows], [json.dumps(row[4]) for row in rows])


_SUGGESTION_VIEW = """
    SELECT s.id, s.citizen_id, c.reference AS citizen_reference, s.consultant_id, u.name AS consultant_name,
           s.rank, s.score, s.employer_id, e.name AS employer_name, p.name AS city, s.opening_id,
           o.title AS opening_title, s.scheme, s.commute_km, s.explanation, s.reasons, s.warnings, s.scorer_version
    FROM batch_suggestions s
    JOIN citizens c ON c.id = s.citizen_id
    JOIN employers e ON e.id = s.employer_id
    LEFT JOIN openings o ON o.id = s.opening_id
    JOIN postcodes p ON p.postcode = coalesce(o.postcode, e.postcode)
    LEFT JOIN users u ON u.id = s.consultant_id"""


async def list_suggestions(conn: asyncpg.Connection, run_id: uuid.UUID, *, consultant_id: uuid.UUID | None,
                           after: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    """One page (limit + 1 rows, to tell whether another follows), by id."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""{_SUGGESTION_VIEW}
            WHERE s.run_id = $1 AND ($2::uuid IS NULL OR s.consultant_id = $2) AND ($3::uuid IS NULL OR s.id > $3)
            ORDER BY s.id LIMIT $4""", run_id, consultant_id, after, limit + 1)
    return rows


async def export_suggestions(conn: asyncpg.Connection, run_id: uuid.UUID, *,
                             consultant_id: uuid.UUID | None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""{_SUGGESTION_VIEW}
            WHERE s.run_id = $1 AND ($2::uuid IS NULL OR s.consultant_id = $2)
            ORDER BY u.name NULLS LAST, c.reference, s.rank""", run_id, consultant_id)
    return rows


async def count_suggestions(conn: asyncpg.Connection, run_id: uuid.UUID) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM batch_suggestions WHERE run_id = $1", run_id)
    return count


async def unexplained_suggestions(conn: asyncpg.Connection, run_id: uuid.UUID) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM batch_suggestions WHERE run_id = $1 AND explanation IS NULL", run_id)
    return count


# ---------------------------------------------------------------------------------------------------
# Schedules


async def upsert_schedule(conn: asyncpg.Connection, jobcentre_code: int, *, weekday: int, at_time: dt.time,
                          k: int, c: float, enabled: bool) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        """INSERT INTO batch_schedules (jobcentre_code, weekday, at_time, k, c, enabled) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (jobcentre_code) DO UPDATE SET weekday = EXCLUDED.weekday, at_time = EXCLUDED.at_time,
               k = EXCLUDED.k, c = EXCLUDED.c, enabled = EXCLUDED.enabled, updated_at = now()
           RETURNING jobcentre_code, weekday, at_time, k, c, enabled""",
        jobcentre_code, weekday, at_time, k, c, enabled)
    return row


async def get_schedule(conn: asyncpg.Connection, jobcentre_code: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT jobcentre_code, weekday, at_time, k, c, enabled FROM batch_schedules WHERE jobcentre_code = $1",
        jobcentre_code)
    return row


async def enabled_schedules(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT jobcentre_code, weekday, at_time, k, c, enabled FROM batch_schedules WHERE enabled
           ORDER BY jobcentre_code""")
    return rows
