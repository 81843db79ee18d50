"""SQL for matching: coarse eligibility filters, dense (pgvector) and taxonomy retrieval, the facts
of placements and citizens, and stored suggestions with their feedback.

The dense queries order by `embedding::vector(<dims>) <=> query`, the expression of the HNSW indexes
that `embeddings.repository.ensure_vector_index` builds per entity kind and dimension; `<dims>` is an
int from the encoder, never user input.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from core.db import json_text

# Placements still under way hold a slot: no outcome yet (or extended) and not ended.
_ACTIVE_PLACEMENT = "(pl.outcome IS NULL OR pl.outcome = 'extended') AND (pl.end_date IS NULL OR pl.end_date >= $2)"
# Suggestions that still claim a consultant's attention at the employer: contacted, or proposed lately
# (counted through the partial indexes of migration 0012, whose predicate this implies).
_OPEN_SUGGESTION = ("s.origin <> 'import' AND (s.state = 'contacted' OR (s.state = 'proposed' "
                    "AND s.updated_at > now() - interval '14 days'))")
_SUCCESS = "('completed', 'hired', 'extended')"
_EMPLOYER_ACTIVE = "NOT (e.status = 'paused' AND (e.paused_until IS NULL OR e.paused_until > $2))"

# ---------------------------------------------------------------------------------------------------
# Citizens


# What a citizen's profile (`matching.rows.citizen_profile`) is made from, with their text vector by the
# encoder whose id is the parameter named in `encoder`.
CITIZEN_FACTS = """c.id, c.jobcentre_code, c.reference, c.consultant_id, c.target_group, c.postcode,
    p.latitude, p.longitude, c.max_commute_km, c.hours_min, c.hours_max, c.active, c.schemes, c.limitations,
    c.needs, c.skills, c.experience, c.wishes, c.education_level, c.inferred_occupations, c.inferred_skills,
    c.updated_at, v.embedding"""
CITIZENS_WITH_VECTORS = """citizens c JOIN postcodes p ON p.postcode = c.postcode
    LEFT JOIN text_vectors v ON v.entity_kind = 'citizen' AND v.entity_id = c.id AND v.encoder_id = {encoder}"""


async def citizen_rows(conn: asyncpg.Connection, citizen_ids: Sequence[uuid.UUID], encoder_id: str,
                       jobcentre_code: int | None) -> list[asyncpg.Record]:
    """Citizens of one jobcentre (any, for None: internal work such as training) with their postcode's
    position and text vector (null until encoded)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {CITIZEN_FACTS} FROM {CITIZENS_WITH_VECTORS.format(encoder="$2")}
            WHERE c.id = ANY($1::uuid[]) AND ($3::smallint IS NULL OR c.jobcentre_code = $3)""",
        list(citizen_ids), encoder_id, jobcentre_code)
    return rows


async def citizen_ids_within_reach(conn: asyncpg.Connection, jobcentre_code: int, latitude: float,
                                   longitude: float, schemes: Sequence[str]) -> list[uuid.UUID]:
    """Active citizens of the jobcentre who share a scheme and live within their own max commute."""
    rows = await conn.fetch(
        """SELECT c.id FROM citizens c JOIN postcodes p ON p.postcode = c.postcode
           WHERE c.jobcentre_code = $1 AND c.active AND c.schemes && $4::text[]
             AND great_circle_km(p.latitude, p.longitude, $2, $3) <= c.max_commute_km
           ORDER BY c.id""",
        jobcentre_code, latitude, longitude, list(schemes))
    return [row["id"] for row in rows]


async def citizen_ids_dense(conn: asyncpg.Connection, dims: int, encoder_id: str, query: np.ndarray,
                            candidate_ids: Sequence[uuid.UUID], limit: int) -> list[uuid.UUID]:
    """The `limit` nearest citizens among `candidate_ids` by text vector (HNSW, iterative scan)."""
    await _ann_settings(conn)
    rows = await conn.fetch(
        f"""SELECT v.entity_id FROM text_vectors v
            WHERE v.entity_kind = 'citizen' AND vector_dims(v.embedding) = {int(dims)} AND v.encoder_id = $1
              AND v.entity_id = ANY($2::uuid[])
            ORDER BY v.embedding::vector({int(dims)}) <=> $3::vector({int(dims)}) LIMIT $4""",
        encoder_id, list(candidate_ids), query, limit)
    return [row["entity_id"] for row in rows]


async def nearest_among(conn: asyncpg.Connection, kind: str, encoder_id: str, query: np.ndarray,
                        entity_ids: Sequence[uuid.UUID], limit: int) -> list[uuid.UUID]:
    """The `limit` entities among `entity_ids` nearest the query vector, by exact cosine distance over
    the primary key (no HNSW: exact and fast while the id list is a few thousand)."""
    rows = await conn.fetch(
        """SELECT v.entity_id FROM text_vectors v
           WHERE v.entity_kind = $1 AND v.encoder_id = $2 AND v.entity_id = ANY($3::uuid[])
             AND vector_dims(v.embedding) = vector_dims($4::vector)
           ORDER BY v.embedding <=> $4::vector, v.entity_id LIMIT $5""",
        kind, encoder_id, list(entity_ids), query, limit)
    return [row["entity_id"] for row in rows]


async def nearest_by_distance(conn: asyncpg.Connection, citizen_ids: Sequence[uuid.UUID], latitude: float,
                              longitude: float, limit: int) -> list[uuid.UUID]:
    """The `limit` citizens among `citizen_ids` who live nearest the point (their postcode's centre), ties
    by id: what stands in for the nearest by text while an opening's text is not encoded."""
    rows = await conn.fetch(
        """SELECT c.id FROM citizens c JOIN postcodes p ON p.postcode = c.postcode WHERE c.id = ANY($1::uuid[])
           ORDER BY great_circle_km(p.latitude, p.longitude, $2, $3), c.id LIMIT $4""",
        list(citizen_ids), latitude, longitude, limit)
    return [row["id"] for row in rows]


async def citizen_ids_by_occupation(conn: asyncpg.Connection, candidate_ids: Sequence[uuid.UUID],
                                    occupation_uris: Sequence[str], limit: int) -> list[uuid.UUID]:
    """Citizens among `candidate_ids` who worked in, wish for, or were inferred to one of the occupations."""
    rows = await conn.fetch(
        """SELECT c.id FROM citizens c
           WHERE c.id = ANY($1::uuid[]) AND EXISTS (
               SELECT 1 FROM jsonb_array_elements(c.experience || c.inferred_occupations
                                                  || coalesce(c.wishes->'occupations', '[]')) AS item
               WHERE coalesce(item->>'occupation_uri', item->>'uri') = ANY($2::text[]))
           ORDER BY c.id LIMIT $3""",
        list(candidate_ids), list(occupation_uris), limit)
    return [row["id"] for row in rows]


# ---------------------------------------------------------------------------------------------------
# Openings and employers

# Paused employers are few: excluding their ids (a partial index) beats joining every employer.
_PAUSED_EMPLOYERS = """SELECT e.id FROM employers e
    WHERE e.status = 'paused' AND (e.paused_until IS NULL OR e.paused_until > $2)"""
_OPENING_FILTER = f"""
    o.status = 'open' AND (o.expires_on IS NULL OR o.expires_on >= $2) AND o.employer_id NOT IN ({_PAUSED_EMPLOYERS})
    AND o.schemes && $3::text[] AND o.postcode = ANY($1::text[])"""
# Only the area: to show the consultant what was excluded and why ($2 and $3 still typed for the plan).
_AREA_ONLY = "o.postcode = ANY($1::text[]) AND $2::date IS NOT NULL AND $3::text[] IS NOT NULL"


async def postcode_points(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch("SELECT postcode, latitude, longitude FROM postcodes")
    return rows


async def opening_ids(conn: asyncpg.Connection, postcodes: Sequence[str], today: dt.date,
                      schemes: Sequence[str], *, include_unavailable: bool = False) -> list[uuid.UUID]:
    """Openings in the postcodes; only open, unexpired ones of active employers with a shared scheme
    unless `include_unavailable` (to show the consultant what was excluded and why)."""
    where = _AREA_ONLY if include_unavailable else _OPENING_FILTER
    rows = await conn.fetch(
        f"SELECT o.id FROM openings o WHERE {where} ORDER BY o.id",
        list(postcodes), today, list(schemes))
    return [row["id"] for row in rows]


async def opening_ids_dense(conn: asyncpg.Connection, dims: int, encoder_id: str, query: np.ndarray,
                            postcodes: Sequence[str], today: dt.date, schemes: Sequence[str],
                            limit: int) -> list[uuid.UUID]:
    """The `limit` openings nearest the query vector among the coarse-eligible ones (HNSW, iterative scan)."""
    await _ann_settings(conn)
    rows = await conn.fetch(
        f"""SELECT o.id FROM text_vectors v
            JOIN openings o ON o.id = v.entity_id
            WHERE v.entity_kind = 'opening' AND vector_dims(v.embedding) = {int(dims)} AND v.encoder_id = $4
              AND {_OPENING_FILTER}
            ORDER BY v.embedding::vector({int(dims)}) <=> $5::vector({int(dims)}) LIMIT $6""",
        list(postcodes), today, list(schemes), encoder_id, query, limit)
    return [row["id"] for row in rows]


@dataclass(frozen=True)
class Candidates:
    """The openings (or citizens) a ranking scores: every coarse-eligible one when there are few, else the
    nearest by text (exact) and the taxonomy matches among them. `eligible` counts the coarse-eligible
    ones; beyond `exact_up_to` of them the nearest by text are left to `opening_ids_dense` (HNSW)."""

    ids: list[uuid.UUID]
    eligible: int


def _taxonomy_step(occupations: str, groups: str, skills: str) -> tuple[str, str]:
    """(condition, order) of the taxonomy step over `eligible el`: openings for the citizen's occupations,
    related ISCO groups (3 digits) or essential skills, given as text[] parameters; exact occupations
    first, then group matches."""
    return (f"""(el.occupation_uri = ANY({occupations}::text[]) OR left(occ.isco_group, 3) = ANY({groups}::text[])
                 OR el.essential_skill_uris && {skills}::text[])""",
            f"""(el.occupation_uri = ANY({occupations}::text[])) IS TRUE DESC,
                (left(occ.isco_group, 3) = ANY({groups}::text[])) IS TRUE DESC, el.id""")


async def opening_candidates(conn: asyncpg.Connection, postcodes: Sequence[str], today: dt.date,
                             schemes: Sequence[str], *, encoder_id: str, vector: np.ndarray | None,
                             near: tuple[float, float], occupation_uris: Sequence[str], isco_groups: Sequence[str],
                             skill_uris: Sequence[str], every_up_to: int, exact_up_to: int, dense_k: int,
                             taxonomy_k: int) -> Candidates:
    """One statement: the coarse filter (open, unexpired, employer not paused, shared scheme, in the
    postcodes), then every eligible opening (up to `every_up_to` of them) or the `dense_k` nearest by exact
    cosine distance (up to `exact_up_to`; without a `vector`, the `dense_k` nearest to `near` by distance)
    and the `taxonomy_k` best taxonomy matches."""
    match, order = _taxonomy_step("$6", "$7", "$8")
    row = await conn.fetchrow(
        f"""WITH eligible AS MATERIALIZED (
                SELECT o.id, coalesce(o.occupation_uri, o.inferred_occupations->0->>'uri') AS occupation_uri,
                       o.essential_skill_uris, o.postcode
                FROM openings o WHERE {_OPENING_FILTER}),
            size AS (SELECT count(*) AS n FROM eligible),
            every AS (SELECT el.id FROM eligible el WHERE (SELECT n FROM size) <= $9),
            dense AS (
                SELECT el.id FROM eligible el
                JOIN text_vectors v ON v.entity_kind = 'opening' AND v.entity_id = el.id AND v.encoder_id = $4
                WHERE $5::vector IS NOT NULL AND (SELECT n FROM size) > $9 AND (SELECT n FROM size) <= $10
                  AND vector_dims(v.embedding) = vector_dims($5::vector)
                ORDER BY v.embedding <=> $5::vector, el.id LIMIT $11),
            nearby AS (
                SELECT el.id FROM eligible el JOIN postcodes p ON p.postcode = el.postcode
                WHERE $5::vector IS NULL AND (SELECT n FROM size) > $9
                ORDER BY great_circle_km(p.latitude, p.longitude, $13, $14), el.id LIMIT $11),
            taxonomy AS (
                SELECT el.id FROM eligible el LEFT JOIN occupations occ ON occ.uri = el.occupation_uri
                WHERE (SELECT n FROM size) > $9 AND {match}
                ORDER BY {order} LIMIT $12)
            SELECT (SELECT n FROM size) AS eligible,
                   array(SELECT id FROM every UNION SELECT id FROM dense UNION SELECT id FROM nearby
                         UNION SELECT id FROM taxonomy ORDER BY 1) AS ids""",
        list(postcodes), today, list(schemes), encoder_id, vector, list(occupation_uris), list(isco_groups),
        list(skill_uris), every_up_to, exact_up_to, dense_k, taxonomy_k, near[0], near[1])
    assert row is not None
    return Candidates(ids=list(row["ids"]), eligible=row["eligible"])


async def opening_ids_by_taxonomy(conn: asyncpg.Connection, candidate_ids: Sequence[uuid.UUID],
                                  occupation_uris: Sequence[str], isco_groups: Sequence[str],
                                  skill_uris: Sequence[str], limit: int) -> list[uuid.UUID]:
    """Openings among `candidate_ids` for the citizen's occupations, related ISCO groups (3 digits) or
    essential skills, exact occupations first."""
    match, order = _taxonomy_step("$2", "$3", "$4")
    rows = await conn.fetch(
        f"""WITH eligible AS (
                SELECT o.id, coalesce(o.occupation_uri, o.inferred_occupations->0->>'uri') AS occupation_uri,
                       o.essential_skill_uris
                FROM openings o WHERE o.id = ANY($1::uuid[]))
            SELECT el.id FROM eligible el LEFT JOIN occupations occ ON occ.uri = el.occupation_uri
            WHERE {match} ORDER BY {order} LIMIT $5""",
        list(candidate_ids), list(occupation_uris), list(isco_groups), list(skill_uris), limit)
    return [row["id"] for row in rows]


async def employer_ids_without_openings(conn: asyncpg.Connection, postcodes: Sequence[str], today: dt.date,
                                        schemes: Sequence[str], *, near: tuple[float, float] | None = None,
                                        limit: int | None = None,
                                        include_unavailable: bool = False) -> list[uuid.UUID]:
    """Employers in the postcodes open to a shared scheme (other than an ordinary job) with no open
    opening; with `near` and `limit`, the `limit` nearest to that point."""
    latitude, longitude = near if near is not None else (None, None)
    active = "true" if include_unavailable else _EMPLOYER_ACTIVE
    rows = await conn.fetch(
        f"""SELECT e.id FROM employers e JOIN postcodes p ON p.postcode = e.postcode
            WHERE e.postcode = ANY($1::text[]) AND {active}
              AND e.schemes && array_remove($3::text[], 'ordinary')
              AND NOT EXISTS (SELECT 1 FROM openings o WHERE o.employer_id = e.id AND o.status = 'open'
                              AND (o.expires_on IS NULL OR o.expires_on >= $2))
            ORDER BY great_circle_km(p.latitude, p.longitude, $4::float8, $5::float8), e.id LIMIT $6::integer""",
        list(postcodes), today, list(schemes), latitude, longitude, limit)
    return [row["id"] for row in rows]


_EMPLOYER_COLUMNS = """
    e.id AS employer_id, e.name AS employer_name, e.status AS employer_status,
    e.paused_until AS employer_paused_until, e.available_from AS employer_available_from,
    e.industry AS employer_industry, e.offers_mentor, e.offers_reduced_hours, e.offers_flexible_hours,
    e.offers_gradual_start, e.accommodations"""
_EMPLOYER_VECTOR = """
    LEFT JOIN text_vectors ve ON ve.entity_kind = 'employer' AND ve.entity_id = e.id AND ve.encoder_id = $3"""

# Free slots, other citizens' open suggestions and the employer's track record ($2 is today; the
# citizen whose own suggestions do not count is given to the joins).
_TRACK = """
    coalesce(track.total, 0) AS past_placements, coalesce(track.successes, 0) AS past_successes"""
_OPENING_COUNTS = f"""
    o.slots - coalesce(active.n, 0) AS free_slots, coalesce(open.n, 0) AS others_open_suggestions, {_TRACK}"""
_EMPLOYER_COUNTS = f"""
    e.capacity - coalesce(active.n, 0) AS free_slots, coalesce(open.n, 0) AS others_open_suggestions, {_TRACK}"""


def _track_join(employer_id: str) -> str:
    return f"""
    LEFT JOIN LATERAL (
        SELECT count(*) AS total, count(*) FILTER (WHERE pl.outcome IN {_SUCCESS}) AS successes
        FROM placements pl WHERE pl.employer_id = {employer_id} AND pl.outcome IS NOT NULL
          AND NOT (pl.outcome = 'extended' AND pl.end_date IS NULL)) track ON true"""


def _opening_count_joins(citizen: str) -> str:
    return f"""
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM placements pl
                       WHERE pl.opening_id = o.id AND {_ACTIVE_PLACEMENT}) active ON true
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM suggestions s
                       WHERE s.opening_id = o.id AND {_OPEN_SUGGESTION}
                         AND s.citizen_id IS DISTINCT FROM {citizen}) open ON true
    {_track_join("o.employer_id")}"""


def _employer_count_joins(citizen: str) -> str:
    return f"""
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM placements pl
                       WHERE pl.employer_id = e.id AND pl.opening_id IS NULL AND {_ACTIVE_PLACEMENT}) active ON true
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM suggestions s
                       WHERE s.employer_id = e.id AND s.opening_id IS NULL AND {_OPEN_SUGGESTION}
                         AND s.citizen_id IS DISTINCT FROM {citizen}) open ON true
    {_track_join("e.id")}"""


# What rules, features and texts read about an opening and its employer, and about an employer as a
# placement without an opening (with the ISCO groups of the openings it has had); counts aside.
OPENING_FACTS = f"""
    o.id AS opening_id, o.title, o.schemes, o.postcode, p.name AS city, p.latitude, p.longitude,
    o.hours_min, o.hours_max, o.physical_demands, o.work_conditions,
    coalesce(o.occupation_uri, o.inferred_occupations->0->>'uri') AS occupation_uri,
    o.skills, o.inferred_skills, o.status, o.expires_on, o.start_date,
    greatest(o.updated_at, e.updated_at) AS changed_at, {_EMPLOYER_COLUMNS}"""
OPENINGS_WITH_EMPLOYERS = """
    openings o JOIN employers e ON e.id = o.employer_id JOIN postcodes p ON p.postcode = o.postcode"""
EMPLOYER_FACTS = f"""
    e.schemes, e.postcode, p.name AS city, p.latitude, p.longitude, e.physical_demands,
    e.updated_at AS changed_at, groups.isco_groups, {_EMPLOYER_COLUMNS}"""
EMPLOYERS_WITH_GROUPS = """
    employers e JOIN postcodes p ON p.postcode = e.postcode
    LEFT JOIN LATERAL (SELECT array_agg(DISTINCT occ.isco_group) AS isco_groups
                       FROM openings o JOIN occupations occ ON occ.uri = o.occupation_uri
                       WHERE o.employer_id = e.id) groups ON true"""


async def opening_rows(conn: asyncpg.Connection, opening_ids: Sequence[uuid.UUID], today: dt.date,
                       encoder_id: str | None, exclude_citizen: uuid.UUID | None) -> list[asyncpg.Record]:
    """Everything about each opening and its employer that rules, features and texts read; the vectors
    of `encoder_id` (none for None: the caller has them)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {OPENING_FACTS}, {_OPENING_COUNTS}, vo.embedding AS opening_vector, ve.embedding AS employer_vector
            FROM {OPENINGS_WITH_EMPLOYERS}
            LEFT JOIN text_vectors vo ON vo.entity_kind = 'opening' AND vo.entity_id = o.id AND vo.encoder_id = $3
            {_opening_count_joins("$4")} {_EMPLOYER_VECTOR}
            WHERE o.id = ANY($1::uuid[])""",
        list(opening_ids), today, encoder_id, exclude_citizen)
    return rows


async def employer_rows(conn: asyncpg.Connection, employer_ids: Sequence[uuid.UUID], today: dt.date,
                        encoder_id: str | None, exclude_citizen: uuid.UUID | None) -> list[asyncpg.Record]:
    """Employers as placements without an opening: their capacity, profile, the ISCO groups of the
    openings they have had and the vector of `encoder_id` (none for None)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {EMPLOYER_FACTS}, {_EMPLOYER_COUNTS}, ve.embedding AS employer_vector
            FROM {EMPLOYERS_WITH_GROUPS}
            {_employer_count_joins("$4")} {_EMPLOYER_VECTOR}
            WHERE e.id = ANY($1::uuid[])""",
        list(employer_ids), today, encoder_id, exclude_citizen)
    return rows


# The facts of `opening_rows` / `employer_rows` with the counts left out: a placement's free slots are its
# slots (an opening's) or capacity (an employer's), and nothing else is counted.
_UNCOUNTED = "0 AS others_open_suggestions, 0 AS past_placements, 0 AS past_successes"
UNCOUNTED_OPENING_FACTS = f"{OPENING_FACTS}, o.slots AS free_slots, {_UNCOUNTED}"
UNCOUNTED_EMPLOYER_FACTS = f"{EMPLOYER_FACTS}, e.capacity AS free_slots, {_UNCOUNTED}"


async def uncounted_rows(conn: asyncpg.Connection, opening_ids: Sequence[uuid.UUID],
                         employer_ids: Sequence[uuid.UUID]) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """The openings' and the employers' rows as `opening_rows` and `employer_rows` read them, without vectors
    or counts, for a caller that read the counts itself (`placement_counts`)."""
    openings: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {UNCOUNTED_OPENING_FACTS} FROM {OPENINGS_WITH_EMPLOYERS} WHERE o.id = ANY($1::uuid[])",
        list(opening_ids)) if opening_ids else []
    employers: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {UNCOUNTED_EMPLOYER_FACTS} FROM {EMPLOYERS_WITH_GROUPS} WHERE e.id = ANY($1::uuid[])",
        list(employer_ids)) if employer_ids else []
    return openings, employers


@dataclass(frozen=True)
class PlacementCounts:
    """What changes with every suggestion and placement, for placements whose other facts the caller holds
    (the service's index): per opening, and per employer as a placement without an opening, the placements
    under way and other citizens' open suggestions; per employer, its past placements and their successes.
    An id that is not listed counts zero."""

    active_by_opening: dict[uuid.UUID, int]
    active_by_employer: dict[uuid.UUID, int]
    open_by_opening: dict[uuid.UUID, int]
    open_by_employer: dict[uuid.UUID, int]
    track_by_employer: dict[uuid.UUID, tuple[int, int]]


# The parts of `placement_counts`, by the code its rows carry.
_COUNT_PARTS = ("active_by_opening", "active_by_employer", "open_by_opening", "open_by_employer")


async def placement_counts(conn: asyncpg.Connection, opening_ids: Sequence[uuid.UUID],
                           employer_ids: Sequence[uuid.UUID], track_employer_ids: Sequence[uuid.UUID],
                           today: dt.date, exclude_citizen: uuid.UUID | None) -> PlacementCounts:
    """The counts of `opening_rows` / `employer_rows` that change with every suggestion and placement, for
    the openings and the employers as placements without one (`exclude_citizen`: whose own suggestions do
    not count), and the track record of `track_employer_ids`. One statement that reads only the placements
    and suggestions of those ids and returns only the ids that count anything."""
    rows = await conn.fetch(
        f"""SELECT 0 AS part, pl.opening_id AS id, count(*) AS n, 0::bigint AS successes FROM placements pl
                WHERE pl.opening_id = ANY($1::uuid[]) AND {_ACTIVE_PLACEMENT} GROUP BY pl.opening_id
            UNION ALL
            SELECT 1, pl.employer_id, count(*), 0 FROM placements pl
                WHERE pl.employer_id = ANY($4::uuid[]) AND pl.opening_id IS NULL AND {_ACTIVE_PLACEMENT}
                GROUP BY pl.employer_id
            UNION ALL
            SELECT 2, s.opening_id, count(*), 0 FROM suggestions s
                WHERE s.opening_id = ANY($1::uuid[]) AND {_OPEN_SUGGESTION} AND s.citizen_id IS DISTINCT FROM $3
                GROUP BY s.opening_id
            UNION ALL
            SELECT 3, s.employer_id, count(*), 0 FROM suggestions s
                WHERE s.employer_id = ANY($4::uuid[]) AND s.opening_id IS NULL AND {_OPEN_SUGGESTION}
                  AND s.citizen_id IS DISTINCT FROM $3
                GROUP BY s.employer_id
            UNION ALL
            SELECT 4, pl.employer_id, count(*), count(*) FILTER (WHERE pl.outcome IN {_SUCCESS}) FROM placements pl
                WHERE pl.employer_id = ANY($5::uuid[]) AND pl.outcome IS NOT NULL
                  AND NOT (pl.outcome = 'extended' AND pl.end_date IS NULL)
                GROUP BY pl.employer_id""",
        list(opening_ids), today, exclude_citizen, list(employer_ids), list(track_employer_ids))
    parts: dict[str, dict[uuid.UUID, int]] = {name: {} for name in _COUNT_PARTS}
    track: dict[uuid.UUID, tuple[int, int]] = {}
    for part, entity_id, count, successes in rows:
        if part == len(_COUNT_PARTS):
            track[entity_id] = (count, successes)
        else:
            parts[_COUNT_PARTS[part]][entity_id] = count
    return PlacementCounts(**parts, track_by_employer=track)


async def opening_for_candidates(conn: asyncpg.Connection, opening_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT o.id, o.employer_id, o.schemes, p.latitude, p.longitude,
                  coalesce(o.occupation_uri, o.inferred_occupations->0->>'uri') AS occupation_uri
           FROM openings o JOIN postcodes p ON p.postcode = o.postcode WHERE o.id = $1""", opening_id)
    return row


async def _ann_settings(conn: asyncpg.Connection) -> None:
    """Let HNSW scans keep going past ef_search until enough rows pass the filters (pgvector 0.8)."""
    await conn.execute("SET LOCAL hnsw.ef_search = 100; SET LOCAL hnsw.iterative_scan = relaxed_order")


# ---------------------------------------------------------------------------------------------------
# Stored suggestions

_SUGGESTION_COLUMNS = """id, citizen_id, jobcentre_code, employer_id, opening_id, scheme, origin, score,
    commute_km, features, reasons, warnings, scorer_version, input_hash, state, reason_code, note, decided_at,
    created_at, updated_at"""


async def store_suggestions(conn: asyncpg.Connection,
                            rows: Sequence[dict[str, Any]]) -> dict[tuple[Any, ...], uuid.UUID]:
    """Upsert one suggestion per pair; a pair the consultant has acted on keeps its frozen snapshot.
    Returns the id per (citizen, employer, opening, scheme)."""
    stored = await conn.fetch(
        """INSERT INTO suggestions AS s (citizen_id, jobcentre_code, employer_id, opening_id, scheme, origin,
                                         score, commute_km, features, reasons, warnings, scorer_version,
                                         input_hash)
           SELECT c, j, e, o, sc, orig, score, km, f::jsonb, r::jsonb, w::jsonb, v, h
           FROM unnest($1::uuid[], $2::smallint[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::float8[],
                       $8::real[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                AS t(c, j, e, o, sc, orig, score, km, f, r, w, v, h)
           ON CONFLICT (citizen_id, employer_id, opening_id, scheme) DO UPDATE
           SET score = EXCLUDED.score, commute_km = EXCLUDED.commute_km, features = EXCLUDED.features,
               reasons = EXCLUDED.reasons, warnings = EXCLUDED.warnings, scorer_version = EXCLUDED.scorer_version,
               input_hash = EXCLUDED.input_hash, updated_at = now()
           WHERE s.state = 'proposed'
           RETURNING id, citizen_id, employer_id, opening_id, scheme""",
        [row["citizen_id"] for row in rows], [row["jobcentre_code"] for row in rows],
        [row["employer_id"] for row in rows], [row["opening_id"] for row in rows],
        [row["scheme"] for row in rows], [row["origin"] for row in rows], [row["score"] for row in rows],
        [row["commute_km"] for row in rows], [json_text(row["features"]) for row in rows],
        [json_text(row["reasons"]) for row in rows], [json_text(row["warnings"]) for row in rows],
        [row["scorer_version"] for row in rows], [row["input_hash"] for row in rows])
    ids = {(r["citizen_id"], r["employer_id"], r["opening_id"], r["scheme"]): r["id"] for r in stored}
    missing = [row for row in rows if (row["citizen_id"], row["employer_id"], row["opening_id"], row["scheme"])
               not in ids]
    if missing:  # pairs already acted on: the upsert left them alone and returned nothing
        existing = await conn.fetch(
            """SELECT s.id, s.citizen_id, s.employer_id, s.opening_id, s.scheme FROM suggestions s
               JOIN unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS k(citizen_id, employer_id,
                                                                               opening_id, scheme)
                 ON s.citizen_id = k.citizen_id AND s.employer_id = k.employer_id AND s.scheme = k.scheme
                AND s.opening_id IS NOT DISTINCT FROM k.opening_id""",
            [row["citizen_id"] for row in missing], [row["employer_id"] for row in missing],
            [row["opening_id"] for row in missing], [row["scheme"] for row in missing])
        ids.update({(r["citizen_id"], r["employer_id"], r["opening_id"], r["scheme"]): r["id"] for r in existing})
    return ids


async def decided_pairs(conn: asyncpg.Connection, citizen_ids: Sequence[uuid.UUID]) -> dict[
        tuple[uuid.UUID, uuid.UUID, uuid.UUID | None], tuple[str, uuid.UUID]]:
    """(citizen, employer, opening) -> (state, suggestion id) for pairs beyond 'proposed'."""
    rows = await conn.fetch(
        """SELECT id, citizen_id, employer_id, opening_id, state FROM suggestions
           WHERE citizen_id = ANY($1::uuid[]) AND state <> 'proposed'""", list(citizen_ids))
    return {(row["citizen_id"], row["employer_id"], row["opening_id"]): (row["state"], row["id"]) for row in rows}


async def get_suggestion(conn: asyncpg.Connection, suggestion_id: uuid.UUID,
                         jobcentre_code: int, *, lock: bool = False) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE id = $1 AND jobcentre_code = $2"
        + (" FOR UPDATE" if lock else ""), suggestion_id, jobcentre_code)
    return row


async def set_state(conn: asyncpg.Connection, suggestion_id: uuid.UUID, *, from_state: str, to_state: str,
                    reason_code: str | None, note: str | None, actor_id: uuid.UUID) -> None:
    """Move a suggestion to `to_state` and log the event; the database refuses an illegal transition."""
    await conn.execute(
        """UPDATE suggestions SET state = $2, reason_code = coalesce($3, reason_code), note = coalesce($4, note),
                  decided_at = CASE WHEN $2 IN ('accepted', 'declined') THEN now() END, updated_at = now()
           WHERE id = $1""", suggestion_id, to_state, reason_code, note)
    await conn.execute(
        """INSERT INTO suggestion_events (suggestion_id, from_state, to_state, reason_code, note, actor_id)
           VALUES ($1, $2, $3, $4, $5, $6)""", suggestion_id, from_state, to_state, reason_code, note, actor_id)


async def suggestion_events(conn: asyncpg.Connection, suggestion_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT from_state, to_state, reason_code, note, at FROM suggestion_events
           WHERE suggestion_id = $1 ORDER BY id""", suggestion_id)
    return rows


async def generations(conn: asyncpg.Connection) -> dict[str, int]:
    """The generation of every scope (see cache_generations in migrations 0003 and 0010): any write to
    openings, employers, placements, citizens, vectors, decisions or the taxonomy moves one."""
    rows = await conn.fetch("SELECT scope, generation FROM cache_generations")
    return {row["scope"]: row["generation"] for row in rows}


def data_version(generations: dict[str, int]) -> str:
    """The generations as one string, for cache keys."""
    return ",".join(f"{scope}:{generation}" for scope, generation in sorted(generations.items()))
