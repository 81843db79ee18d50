"""Matching with real text vectors: the HNSW index, approximate retrieval and text-similarity reasons."""

import asyncpg
import pytest

from core.config import Settings
from embeddings.service import sync_vectors
from matching import service
from taxonomy.encoders import get_encoder
from tests.embeddings.conftest import ENCODER
from tests.matching.conftest import World, warehouse_opening, warehouse_worker


@pytest.fixture
def encoded_settings(settings: Settings) -> Settings:
    settings.encoder = ENCODER
    return settings


@pytest.mark.parametrize("exact_search_limit", [5000, 3], ids=["exact-distances", "hnsw"])
async def test_approximate_retrieval_finds_the_relevant_openings(
        world: World, pool: asyncpg.Pool, encoded_settings: Settings, monkeypatch: pytest.MonkeyPatch,
        exact_search_limit: int) -> None:
    employer = await world.employer(postcode="2650")
    relevant = await world.opening(employer, **warehouse_opening(
        title="Lagermedarbejder med truck", description="Pluk, pak og truckkørsel på vores lager i Hvidovre."))
    for number in range(8):
        await world.opening(employer, title=f"Frisør {number}", description="Klipning og farvning af hår.",
                            occupation_uri=None, skills=[{"text": "hårfarvning"}], schemes=["ordinary"],
                            hours_min=20, hours_max=37, work_conditions=[])
    citizen = await world.citizen(**warehouse_worker(skills=[{"text": "truckcertifikat"}], experience=[
        {"title": "lagermedarbejder", "years": 4}], wishes={"text": "Arbejde på et lager med truck"}))
    await sync_vectors(pool, get_encoder(ENCODER))
    async with pool.acquire() as conn:
        indexes = {row["indexname"] for row in await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'text_vectors'")}
    assert {"text_vectors_opening_hnsw_384", "text_vectors_citizen_hnsw_384"} <= indexes
    monkeypatch.setattr(service, "EXACT_LIMIT", 3)
    monkeypatch.setattr(service, "EXACT_SEARCH_LIMIT", exact_search_limit)
    monkeypatch.setattr(service, "DENSE_K", 2)
    monkeypatch.setattr(service, "TAXONOMY_K", 1)

    ranked = await world.ranked(citizen)

    assert ranked["retrieval"] == "approximate"
    assert ranked["considered"] < 9
    assert ranked["items"][0]["opening"]["id"] == relevant["id"]
    stored = await world.client.get(f"/v1/suggestions/{ranked['items'][0]['suggestion_id']}",
                                    headers=world.consultant.headers)
    assert stored.json()["features"]["semantic_opening"] is not None  # the text similarity was used
    assert ranked["warnings"] == []
