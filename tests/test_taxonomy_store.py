"""The taxonomy store in PostgreSQL, its loader, and taxonomy search over the API."""

import csv
from pathlib import Path

import asyncpg
import pytest

from api.app import create_app
from core.config import Settings
from core.vocab import Role
from taxonomy import package_data
from taxonomy import service as taxonomy
from taxonomy.service import TaxonomyNotLoadedError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


async def test_loaded_counts_match_the_package_data(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        counts = {table: await conn.fetchval(f"SELECT count(*) FROM {table}")
                  for table in ("occupations", "skills", "occupation_skills", "disco_titles")}
        version = await conn.fetchval("SELECT version FROM taxonomy_versions")
    assert counts["occupations"] == len(package_data.load_occupations()) == 3007
    assert counts["skills"] == len(package_data.load_skills())
    known = {occupation.uri for occupation in package_data.load_occupations()}
    assert counts["occupation_skills"] == sum(
        relation.occupation_uri in known for relation in package_data.load_occupation_skills())
    assert counts["disco_titles"] == len(package_data.load_disco_titles())
    assert version == package_data.data_version()


async def test_relations_match_the_esco_source_file(pool: asyncpg.Pool) -> None:
    with open(SHARED / "esco" / "occupations_en.csv", encoding="utf-8", newline="") as handle:
        occupations = {row["conceptUri"] for row in csv.DictReader(handle)}
    with open(SHARED / "esco" / "occupationSkillRelations.csv", encoding="utf-8", newline="") as handle:
        source = {(row["occupationUri"], row["skillUri"]): row["relationType"] for row in csv.DictReader(handle)
                  if row["occupationUri"] in occupations}  # ESCO lists a few relations of unlisted occupations
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT occupation_uri, skill_uri, relation FROM occupation_skills")
    stored = {(row["occupation_uri"], row["skill_uri"]): row["relation"] for row in rows}
    assert stored == source


async def test_danish_labels_are_stored(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        label = await conn.fetchval(
            "SELECT label_da FROM occupations WHERE label_en = 'carpenter'")
    assert label == "tømrer"


async def test_loading_twice_is_a_no_op_and_extra_languages_are_merged(pool: asyncpg.Pool, tmp_path: Path) -> None:
    async with pool.acquire() as conn:
        before = await conn.fetchval("SELECT loaded_at FROM taxonomy_versions")
    assert await taxonomy.load(pool) == package_data.data_version()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT loaded_at FROM taxonomy_versions") == before

    forklift = next(skill for skill in package_data.load_skills() if skill.label_en == "operate forklift")
    with open(tmp_path / "skills_da.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["conceptUri", "preferredLabel", "altLabels"])
        writer.writeheader()
        writer.writerow({"conceptUri": forklift.uri, "preferredLabel": "betjene gaffeltruck",
                         "altLabels": "køre truck\ntruckkørsel"})
    version = await taxonomy.load(pool, extra_labels_dir=tmp_path)
    assert version.endswith("+da")
    async with pool.acquire() as conn:
        labels = await conn.fetchval("SELECT extra_labels FROM skills WHERE uri = $1", forklift.uri)
    assert "betjene gaffeltruck" in labels


async def test_the_app_refuses_to_start_without_a_taxonomy(settings: Settings, pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE taxonomy_versions")
    app = create_app(settings)
    with pytest.raises(TaxonomyNotLoadedError, match="brobygger taxonomy load"):
        async with app.router.lifespan_context(app):
            pass


@pytest.mark.parametrize(("query", "expected_label"), [
    ("tømrer", "tømrer"),
    ("sosu-hjælper", "social- og sundhedshjælper"),
    ("carpenter", "tømrer"),
])
async def test_occupation_search_over_the_api(client, make_actor, query: str, expected_label: str) -> None:
    employer_user = await make_actor(Role.ADMIN)
    response = await client.get("/v1/taxonomy/occupations", params={"q": query, "limit": 5},
                                headers=employer_user.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0]["label"] == expected_label
    assert all(0 <= item["score"] <= 1 for item in items)
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)


async def test_skill_search_finds_forklift_from_danish(client, make_actor) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    response = await client.get("/v1/taxonomy/skills", params={"q": "truckcertifikat"}, headers=consultant.headers)
    assert response.status_code == 200
    assert "forklift" in " ".join(item["label"] for item in response.json()["items"][:3])


@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000])
async def test_bad_queries_are_4xx_naming_q(client, make_actor, query: str) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    response = await client.get("/v1/taxonomy/occupations", params={"q": query}, headers=consultant.headers)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "q"


async def test_mixed_scripts_are_answered(client, make_actor) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    response = await client.get("/v1/taxonomy/occupations", params={"q": "водитель chauffør 司机"},
                                headers=consultant.headers)
    assert response.status_code == 200


async def test_search_needs_a_credential(client) -> None:
    response = await client.get("/v1/taxonomy/occupations", params={"q": "tømrer"})
    assert response.status_code == 401
