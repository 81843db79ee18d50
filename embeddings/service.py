"""Bringing stored vectors up to date with the entities' texts, for one encoder at a time.

A text is encoded only when no vector for (entity, encoder) exists or the stored content hash differs
from the current text's; switching encoder means running a sync with the new one (its vectors are new
rows; the old encoder's stay until `prune_vectors`). Encoding runs in a worker thread, never on the
event loop.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import asyncpg
import numpy as np

from embeddings import repository
from embeddings.schemas import ALL_KINDS, EntityKind, KindReport, SyncReport, VectorCount
from embeddings.texts import content_hash, entity_text, references
from taxonomy.encoders import Encoder

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
# Kinds the matching engine searches by nearest neighbour (HNSW); employers are only looked up.
INDEXED_KINDS = (EntityKind.OPENING, EntityKind.CITIZEN)

ProgressCallback = Callable[[KindReport], None]


@dataclass(frozen=True)
class _Stale:
    entity_id: uuid.UUID
    text: str
    digest: str


def parse_kinds(kinds: Iterable[str] | None) -> tuple[EntityKind, ...]:
    """The kinds named, in canonical order and without repeats; all kinds for None.

    Raises ValueError for a name that is not an entity kind.
    """
    if kinds is None:
        return ALL_KINDS
    wanted = {EntityKind(kind) for kind in kinds}
    return tuple(kind for kind in ALL_KINDS if kind in wanted)


async def sync_vectors(pool: asyncpg.Pool, encoder: Encoder, *, kinds: Iterable[str] = ALL_KINDS,
                       batch_size: int = 256, on_progress: ProgressCallback | None = None) -> SyncReport:
    """Encode every entity text of `kinds` that has no current vector for `encoder`, and store it.

    Syncs for the same encoder are serialised by a database lock; one connection is held throughout.
    `on_progress` gets the kind's running report after each page and each encoded batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    selected = parse_kinds(kinds)
    report = SyncReport(encoder_id=encoder.id, dimension=encoder.dimension, kinds={})
    async with pool.acquire() as conn:
        await repository.lock_encoder(conn, encoder.id)
        try:
            for kind in selected:
                report.kinds[kind] = await _sync_kind(conn, encoder, kind, batch_size, on_progress)
                if kind in INDEXED_KINDS and report.kinds[kind].total:
                    await repository.ensure_vector_index(conn, kind, encoder.dimension)
        finally:
            await repository.unlock_encoder(conn, encoder.id)
    logger.info("vectors for %s: %s", encoder.id, ", ".join(
        f"{kind}: {part.encoded} encoded, {part.unchanged} unchanged" for kind, part in report.kinds.items()))
    return report


async def _sync_kind(conn: asyncpg.Connection, encoder: Encoder, kind: EntityKind, batch_size: int,
                     on_progress: ProgressCallback | None) -> KindReport:
    report = KindReport(kind=kind, total=await repository.count_entities(conn, kind))
    stale: list[_Stale] = []
    emptied: list[uuid.UUID] = []

    def progress() -> None:
        if on_progress is not None:
            on_progress(report.model_copy())

    after = repository.FIRST_ID
    while rows := await repository.fetch_page(conn, kind, encoder.id, after=after, limit=PAGE_SIZE):
        after = rows[-1]["id"]
        labels = await repository.labels(conn, references(kind, rows))
        for row in rows:
            report.examined += 1
            text = entity_text(kind, row, labels)
            if not text:
                report.empty += 1
                if row["content_hash"] is not None:
                    emptied.append(row["id"])
                continue
            digest = content_hash(text, encoder.id)
            if digest == row["content_hash"]:
                report.unchanged += 1
                continue
            stale.append(_Stale(row["id"], text, digest))
            if len(stale) >= batch_size:
                report.encoded += await _encode_and_store(conn, encoder, kind, stale)
                stale = []
                progress()
        progress()
    if stale:
        report.encoded += await _encode_and_store(conn, encoder, kind, stale)
    if emptied:
        await repository.delete_vectors(conn, kind, encoder.id, emptied)
    report.total = max(report.total, report.examined)
    progress()
    return report


async def _encode_and_store(conn: asyncpg.Connection, encoder: Encoder, kind: EntityKind,
                            stale: list[_Stale]) -> int:
    texts = [item.text for item in stale]
    vectors: np.ndarray = await asyncio.to_thread(encoder.encode, texts, kind="passage")
    if vectors.shape != (len(texts), encoder.dimension):
        raise RuntimeError(f"encoder {encoder.id} returned shape {vectors.shape} for {len(texts)} texts "
                           f"of dimension {encoder.dimension}")
    await repository.upsert_vectors(conn, kind, encoder.id, [
        (item.entity_id, item.digest, vector) for item, vector in zip(stale, vectors, strict=True)])
    return len(stale)


async def prune_vectors(pool: asyncpg.Pool, keep_encoder_id: str) -> int:
    """Delete the vectors of every other encoder, and any whose entity is gone; returns how many."""
    async with pool.acquire() as conn, conn.transaction():
        return await repository.delete_other_encoders(conn, keep_encoder_id) + await repository.delete_orphans(conn)


async def vector_counts(pool: asyncpg.Pool) -> list[VectorCount]:
    async with pool.acquire() as conn:
        return await repository.vector_counts(conn)
