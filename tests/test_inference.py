"""Codes inferred from free text on write, kept apart from the codes a person set; unknown URIs refused."""

from core.vocab import Role
from tests.factories import citizen_body, employer_body, opening_body

FORKLIFT = "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"
WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"


async def _employer(client, headers) -> str:
    response = await client.post("/v1/employers", json=employer_body(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_opening_without_codes_gets_inferred_codes(client, make_actor) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    employer_id = await _employer(client, consultant.headers)
    body = opening_body(title="tømrer", skills=[{"text": "forklift", "essential": True}])
    response = await client.post(f"/v1/employers/{employer_id}/openings", json=body, headers=consultant.headers)
    assert response.status_code == 201, response.text
    opening = response.json()
    assert opening["occupation_uri"] is None
    assert opening["inferred_occupations"][0]["label"] == "tømrer"
    assert opening["inferred_occupations"][0]["from"] == "tømrer"
    assert FORKLIFT in {code["uri"] for code in opening["inferred_skills"]}
    assert opening["skills"] == [{"uri": None, "text": "forklift", "essential": True}]


async def test_codes_a_person_set_are_not_inferred(client, make_actor) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    employer_id = await _employer(client, consultant.headers)
    body = opening_body(title="Lagermedarbejder", occupation_uri=WAREHOUSE_WORKER,
                        skills=[{"uri": FORKLIFT, "essential": True}])
    response = await client.post(f"/v1/employers/{employer_id}/openings", json=body, headers=consultant.headers)
    assert response.status_code == 201, response.text
    assert response.json()["inferred_occupations"] == []
    assert response.json()["inferred_skills"] == []


async def test_citizen_free_text_experience_gets_inferred_occupations(client, make_actor) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    body = citizen_body(experience=[{"title": "sosu-hjælper", "years": 4}], skills=[])
    response = await client.post("/v1/citizens", json=body, headers=consultant.headers)
    assert response.status_code == 201, response.text
    labels = [code["label"] for code in response.json()["inferred_occupations"]]
    assert labels[0] == "social- og sundhedshjælper"


async def test_unknown_esco_uris_are_refused_naming_the_field(client, make_actor, pool) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    employer_id = await _employer(client, consultant.headers)
    unknown = "http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000"
    response = await client.post(f"/v1/employers/{employer_id}/openings",
                                 json=opening_body(occupation_uri=unknown), headers=consultant.headers)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "occupation_uri"
    response = await client.post("/v1/citizens", headers=consultant.headers, json=citizen_body(
        skills=[{"uri": "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"}]))
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "skills"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM openings") == 0
        assert await conn.fetchval("SELECT count(*) FROM citizens") == 0
