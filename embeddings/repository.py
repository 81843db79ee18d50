"""SQL for text vectors: entity pages with their stored hash, label lookups, upserts and cleanup."""

import uuid
from collections.abc import Iterable, Sequence

import asyncpg
import numpy as np

from embeddings.schemas import EntityKind, VectorCount
from embeddings.texts import Labels, References

# Keyset pagination starts below every id gen_random_uuid() can produce.
FIRST_ID = uuid.UUID(int=0)

# What each kind's text is built from, with the vector's stored hash for one encoder ($1).
# Citizens: never reference, postcode, limitations or needs.
_PAGES: dict[EntityKind, str] = {
    EntityKind.CITIZEN: """
        SELECT c.id, c.skills, c.experience, c.wishes, c.education_level, v.content_hash
        FROM citizens c
        LEFT JOIN text_vectors v
               ON v.entity_kind = 'citizen' AND v.entity_id = c.id AND v.encoder_id = $1
        WHERE c.id > $2 ORDER BY c.id LIMIT $3""",
    EntityKind.OPENING: """
        SELECT o.id, o.title, o.description, o.occupation_uri, o.skills, v.content_hash
        FROM openings o
        LEFT JOIN text_vectors v
               ON v.entity_kind = 'opening' AND v.entity_id = o.id AND v.encoder_id = $1
        WHERE o.id > $2 ORDER BY o.id LIMIT $3""",
    EntityKind.EMPLOYER: """
        SELECT e.id, e.name, e.industry, e.description, e.offers_mentor, e.offers_reduced_hours,
               e.offers_flexible_hours, e.offers_gradual_start, e.physical_demands, e.accommodations,
               v.content_hash
        FROM employers e
        LEFT JOIN text_vectors v
               ON v.entity_kind = 'employer' AND v.entity_id = e.id AND v.encoder_id = $1
        WHERE e.id > $2 ORDER BY e.id LIMIT $3""",
}

_COUNTS: dict[EntityKind, str] = {
    EntityKind.CITIZEN: "SELECT count(*) FROM citizens",
    EntityKind.OPENING: "SELECT count(*) FROM openings",
    EntityKind.EMPLOYER: "SELECT count(*) FROM employers",
}

# The entity row is locked FOR KEY SHARE while its vector is written: a concurrent delete either
# finishes first (no row, nothing inserted) or waits, and its trigger then removes the new vector.
_UPSERTS: dict[EntityKind, str] = {
    kind: f"""
        INSERT INTO text_vectors (entity_kind, entity_id, encoder_id, content_hash, embedding)
        SELECT '{kind.value}', t.id, $2::text, $3::text, $4::vector
        FROM {table} t WHERE t.id = $1
        FOR KEY SHARE
        ON CONFLICT (entity_kind, entity_id, encoder_id) DO UPDATE
        SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding, encoded_at = now()"""
    for kind, table in ((EntityKind.CITIZEN, "citizens"), (EntityKind.OPENING, "openings"),
                        (EntityKind.EMPLOYER, "employers"))
}


def _affected(status: str) -> int:
    """Rows affected, from a command status such as 'DELETE 3'."""
    return int(status.rsplit(" ", 1)[-1])


async def fetch_page(conn: asyncpg.Connection, kind: EntityKind, encoder_id: str, *,
                     after: uuid.UUID = FIRST_ID, limit: int = 500) -> list[asyncpg.Record]:
    """Up to `limit` entities with ids after `after`, each with `content_hash` (null without a vector)."""
    rows: list[asyncpg.Record] = await conn.fetch(_PAGES[kind], encoder_id, after, limit)
    return rows


async def count_entities(conn: asyncpg.Connection, kind: EntityKind) -> int:
    count: int = await conn.fetchval(_COUNTS[kind])
    return count


async def labels(conn: asyncpg.Connection, refs: References) -> Labels:
    """Labels for the referenced URIs: occupations in Danish where known, skills in English."""
    occupations: dict[str, str] = {}
    skills: dict[str, str] = {}
    if refs.occupations:
        rows = await conn.fetch(
            "SELECT uri, coalesce(label_da, label_en) AS label FROM occupations WHERE uri = ANY($1::text[])",
            sorted(refs.occupations))
        occupations = {row["uri"]: row["label"] for row in rows}
    if refs.skills:
        rows = await conn.fetch("SELECT uri, label_en AS label FROM skills WHERE uri = ANY($1::text[])",
                                sorted(refs.skills))
        skills = {row["uri"]: row["label"] for row in rows}
    return Labels(occupations=occupations, skills=skills)


async def upsert_vectors(conn: asyncpg.Connection, kind: EntityKind, encoder_id: str,
                         items: Sequence[tuple[uuid.UUID, str, np.ndarray]]) -> None:
    """Store (entity id, content hash, vector) rows; entities deleted meanwhile get none."""
    await conn.executemany(_UPSERTS[kind], [(entity_id, encoder_id, digest, vector)
                                            for entity_id, digest, vector in items])


async def delete_vectors(conn: asyncpg.Connection, kind: EntityKind, encoder_id: str,
                         entity_ids: Iterable[uuid.UUID]) -> int:
    status = await conn.execute(
        "DELETE FROM text_vectors WHERE entity_kind = $1 AND encoder_id = $2 AND entity_id = ANY($3::uuid[])",
        kind.value, encoder_id, list(entity_ids))
    return _affected(status)


async def delete_other_encoders(conn: asyncpg.Connection, keep_encoder_id: str) -> int:
    """Delete every vector not made by `keep_encoder_id`; returns how many."""
    status = await conn.execute("DELETE FROM text_vectors WHERE encoder_id <> $1", keep_encoder_id)
    return _affected(status)


async def delete_orphans(conn: asyncpg.Connection) -> int:
    """Delete vectors whose entity no longer exists (the delete triggers normally see to this)."""
    status = await conn.execute("""
        DELETE FROM text_vectors v WHERE NOT CASE v.entity_kind
            WHEN 'citizen' THEN EXISTS (SELECT 1 FROM citizens c WHERE c.id = v.entity_id)
            WHEN 'opening' THEN EXISTS (SELECT 1 FROM openings o WHERE o.id = v.entity_id)
            WHEN 'employer' THEN EXISTS (SELECT 1 FROM employers e WHERE e.id = v.entity_id)
        END""")
    return _affected(status)


async def vector_counts(conn: asyncpg.Connection) -> list[VectorCount]:
    rows = await conn.fetch("""
        SELECT encoder_id, entity_kind, count(*) AS vectors FROM text_vectors
        GROUP BY encoder_id, entity_kind ORDER BY encoder_id, entity_kind""")
    return [VectorCount(encoder_id=row["encoder_id"], kind=row["entity_kind"], vectors=row["vectors"])
            for row in rows]


async def fetch_vectors(conn: asyncpg.Connection, kind: EntityKind, encoder_id: str,
                        entity_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, np.ndarray]:
    """Stored vectors of the given entities for one encoder (entities without one are left out)."""
    rows = await conn.fetch(
        """SELECT entity_id, embedding FROM text_vectors
           WHERE entity_kind = $1 AND encoder_id = $2 AND entity_id = ANY($3::uuid[])""",
        kind.value, encoder_id, list(entity_ids))
    return {row["entity_id"]: row["embedding"].to_numpy().astype(np.float32, copy=False) for row in rows}


async def stored_hashes(conn: asyncpg.Connection, kind: EntityKind,
                        encoder_id: str) -> dict[uuid.UUID, str]:
    rows = await conn.fetch(
        "SELECT entity_id, content_hash FROM text_vectors WHERE entity_kind = $1 AND encoder_id = $2",
        kind.value, encoder_id)
    return {row["entity_id"]: row["content_hash"] for row in rows}


async def lock_encoder(conn: asyncpg.Connection, encoder_id: str) -> None:
    """Wait for this session's lock on one encoder's vectors, so two syncs for it never interleave.

    Without it a slow sync could overwrite the vector of a newer text (written by a later sync) with
    the vector of the text it read earlier. Released by `unlock_encoder`, or when the session ends
    (asyncpg's pool reset unlocks all advisory locks on release).
    """
    await conn.execute("SELECT pg_advisory_lock(hashtextextended('text_vectors:' || $1, 0))", encoder_id)


async def unlock_encoder(conn: asyncpg.Connection, encoder_id: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock(hashtextextended('text_vectors:' || $1, 0))", encoder_id)



async def dimension(conn: asyncpg.Connection, encoder_id: str) -> int | None:
    """The dimension of the encoder's stored vectors (None before any is stored)."""
    dims: int | None = await conn.fetchval(
        "SELECT vector_dims(embedding) FROM text_vectors WHERE encoder_id = $1 LIMIT 1", encoder_id)
    return dims


async def ensure_vector_index(conn: asyncpg.Connection, kind: EntityKind, dims: int) -> bool:
    """Build the HNSW index the matching engine's nearest-neighbour queries use for one kind and vector
    dimension, unless it exists; True when it was built. The query must repeat its expression and
    predicate (see matching.repository)."""
    name = f"text_vectors_{kind.value}_hnsw_{int(dims)}"
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name)
    if exists:
        return False
    await conn.execute(
        f"""CREATE INDEX IF NOT EXISTS {name} ON text_vectors
            USING hnsw ((embedding::vector({int(dims)})) vector_cosine_ops)
            WHERE entity_kind = '{kind.value}' AND vector_dims(embedding) = {int(dims)}""")
    return True
