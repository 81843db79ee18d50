"""sync_vectors against a real database and a real (small) encoder."""

import asyncio
import uuid

import asyncpg
import httpx
import numpy as np

from embeddings import repository, service
from embeddings.schemas import EntityKind, KindReport
from taxonomy.encoders import Encoder
from tests.embeddings.conftest import Entities

ENCODABLE = 7  # the fixture's entities minus the citizen without any profile text


async def test_first_sync_encodes_everything_and_second_nothing(
        pool: asyncpg.Pool, encoder: Encoder, entities: Entities) -> None:
    progress: list[KindReport] = []

    first = await service.sync_vectors(pool, encoder, on_progress=progress.append)
    second = await service.sync_vectors(pool, encoder)

    assert first.encoded == ENCODABLE
    assert first.kinds[EntityKind.CITIZEN].empty == 1
    assert first.kinds[EntityKind.OPENING].encoded == 3
    assert second.encoded == 0
    assert sum(part.unchanged for part in second.kinds.values()) == ENCODABLE
    assert second.examined == entities.count
    assert {report.kind for report in progress} == set(EntityKind)
    assert progress[-1].examined == progress[-1].total == 2  # employers come last


async def test_changing_a_title_reencodes_exactly_that_opening(
        pool: asyncpg.Pool, encoder: Encoder, entities: Entities, client: httpx.AsyncClient) -> None:
    await service.sync_vectors(pool, encoder)
    changed = entities.openings[1]
    async with pool.acquire() as conn:
        before = await repository.stored_hashes(conn, EntityKind.OPENING, encoder.id)

    response = await client.patch(f"/v1/openings/{changed}", json={"title": "Buschauffør"},
                                  headers=entities.headers)
    assert response.status_code == 200, response.text
    report = await service.sync_vectors(pool, encoder)

    assert report.encoded == 1
    assert report.kinds[EntityKind.OPENING].encoded == 1
    async with pool.acquire() as conn:
        after = await repository.stored_hashes(conn, EntityKind.OPENING, encoder.id)
    assert {opening for opening in after if after[opening] != before[opening]} == {changed}


async def test_other_encoder_gets_rows_of_its_own(
        pool: asyncpg.Pool, encoder: Encoder, other_encoder: Encoder, entities: Entities) -> None:
    await service.sync_vectors(pool, encoder)

    switched = await service.sync_vectors(pool, other_encoder)

    assert other_encoder.id != encoder.id
    assert switched.encoded == ENCODABLE
    counts = {(count.encoder_id, count.kind): count.vectors for count in await service.vector_counts(pool)}
    for used in (encoder.id, other_encoder.id):
        assert counts[(used, EntityKind.OPENING)] == 3
        assert counts[(used, EntityKind.CITIZEN)] == 2
    assert await service.prune_vectors(pool, other_encoder.id) == ENCODABLE
    assert {count.encoder_id for count in await service.vector_counts(pool)} == {other_encoder.id}


async def test_vectors_have_unit_length_and_the_encoder_dimension(
        pool: asyncpg.Pool, encoder: Encoder, entities: Entities) -> None:
    await service.sync_vectors(pool, encoder, kinds=["opening"])

    async with pool.acquire() as conn:
        vectors = await repository.fetch_vectors(conn, EntityKind.OPENING, encoder.id, entities.openings)
        dimensions = await conn.fetch("SELECT DISTINCT vector_dims(embedding) FROM text_vectors")
        others = await conn.fetchval("SELECT count(*) FROM text_vectors WHERE entity_kind <> 'opening'")

    assert set(vectors) == set(entities.openings)
    assert [row[0] for row in dimensions] == [encoder.dimension]
    for vector in vectors.values():
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    assert others == 0


async def test_erasing_a_citizen_removes_its_vectors(
        pool: asyncpg.Pool, encoder: Encoder, other_encoder: Encoder, entities: Entities,
        client: httpx.AsyncClient) -> None:
    await service.sync_vectors(pool, encoder, kinds=["citizen"])
    await service.sync_vectors(pool, other_encoder, kinds=["citizen"])
    erased = entities.citizens[0]

    response = await client.delete(f"/v1/citizens/{erased}", headers=entities.headers)

    assert response.status_code == 204, response.text
    async with pool.acquire() as conn:
        left = await conn.fetch("SELECT entity_id, encoder_id FROM text_vectors WHERE entity_kind = 'citizen'")
    assert {row["entity_id"] for row in left} == {entities.citizens[1]}
    assert len(left) == 2


async def test_a_profile_emptied_loses_its_vector(
        pool: asyncpg.Pool, encoder: Encoder, entities: Entities, client: httpx.AsyncClient) -> None:
    await service.sync_vectors(pool, encoder, kinds=["citizen"])
    emptied = entities.citizens[1]

    response = await client.patch(f"/v1/citizens/{emptied}", json={
        "skills": [], "experience": [], "wishes": {}, "education_level": None}, headers=entities.headers)
    assert response.status_code == 200, response.text
    report = await service.sync_vectors(pool, encoder, kinds=["citizen"])

    assert report.kinds[EntityKind.CITIZEN].empty == 2
    async with pool.acquire() as conn:
        left = await repository.stored_hashes(conn, EntityKind.CITIZEN, encoder.id)
    assert set(left) == {entities.citizens[0]}


async def test_concurrent_syncs_for_one_encoder_encode_each_text_once(
        pool: asyncpg.Pool, encoder: Encoder, entities: Entities) -> None:
    reports = await asyncio.gather(service.sync_vectors(pool, encoder, batch_size=2),
                                   service.sync_vectors(pool, encoder, batch_size=2))

    assert sorted(report.encoded for report in reports) == [0, ENCODABLE]


async def test_pages_never_read_sensitive_citizen_columns(pool: asyncpg.Pool, entities: Entities) -> None:
    async with pool.acquire() as conn:
        rows = await repository.fetch_page(conn, EntityKind.CITIZEN, "any-encoder", limit=2)
        rest = await repository.fetch_page(conn, EntityKind.CITIZEN, "any-encoder", after=rows[-1]["id"])

    assert len(rows) == 2 and len(rest) == 1
    assert {row["id"] for row in [*rows, *rest]} == set(entities.citizens)
    assert not {"reference", "postcode", "limitations", "needs"} & set(rows[0].keys())
    assert rows[0]["content_hash"] is None


async def test_unknown_kind_is_refused(pool: asyncpg.Pool, encoder: Encoder) -> None:
    try:
        await service.sync_vectors(pool, encoder, kinds=["citizen", "users"])
    except ValueError as error:
        assert "users" in str(error)
    else:
        raise AssertionError("an unknown kind was accepted")


def test_parse_kinds_orders_and_deduplicates() -> None:
    assert service.parse_kinds(["employer", "citizen", "employer"]) == (EntityKind.CITIZEN, EntityKind.EMPLOYER)
    assert service.parse_kinds(None) == tuple(EntityKind)
    assert uuid.UUID(int=0) == repository.FIRST_ID
