"""Openings over the API: posting with the employer's defaults, changes, lists, and refusal of bad input."""

from typing import Any

import httpx
import pytest

from core.schemas import MAX_SHORT_TEXT
from core.vocab import Role
from tests.conftest import Actor
from tests.factories import VALID_CVRS, employer_body, error_fields, opening_body

OCCUPATION = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"  # warehouse worker


@pytest.fixture
async def consultant(make_actor: Any) -> Actor:
    actor: Actor = await make_actor(Role.CONSULTANT, jobcentre=101)
    return actor


@pytest.fixture
async def employer_id(client: httpx.AsyncClient, consultant: Actor) -> str:
    response = await client.post("/v1/employers", headers=consultant.headers,
                                 json=employer_body(postcode="2650", offers={"physical_demands": "high"}))
    assert response.status_code == 201
    return str(response.json()["id"])


async def post_opening(client: httpx.AsyncClient, actor: Actor, employer_id: str, **overrides: Any) -> httpx.Response:
    return await client.post(f"/v1/employers/{employer_id}/openings", headers=actor.headers,
                             json=opening_body(**overrides))


async def test_opening_takes_postcode_and_physical_demands_from_its_employer(
        client: httpx.AsyncClient, consultant: Actor, employer_id: str) -> None:
    response = await post_opening(client, consultant, employer_id, occupation_uri=OCCUPATION)

    assert response.status_code == 201, response.text
    opening = response.json()
    assert opening["employer_id"] == employer_id
    assert opening["employer_name"] == "Hansen Lager & Logistik ApS"
    assert (opening["postcode"], opening["city"]) == ("2650", "Hvidovre")
    assert opening["physical_demands"] == "high"
    assert opening["occupation_uri"] == OCCUPATION
    assert opening["skills"] == [{"uri": None, "text": "truckcertifikat", "essential": True}]
    fetched = await client.get(f"/v1/openings/{opening['id']}", headers=consultant.headers)
    assert fetched.json() == opening


async def test_opening_can_override_the_employers_place(client: httpx.AsyncClient, consultant: Actor,
                                                        employer_id: str) -> None:
    response = await post_opening(client, consultant, employer_id, postcode="8000", physical_demands="low")

    assert response.status_code == 201
    assert (response.json()["postcode"], response.json()["city"], response.json()["physical_demands"]) == (
        "8000", "Aarhus C", "low")


async def test_patch_fills_and_changes_only_what_is_sent(client: httpx.AsyncClient, consultant: Actor,
                                                         employer_id: str) -> None:
    opening = (await post_opening(client, consultant, employer_id)).json()

    response = await client.patch(f"/v1/openings/{opening['id']}", headers=consultant.headers,
                                  json={"status": "filled", "slots": 0})

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["slots"]) == ("filled", 0)
    assert response.json()["title"] == opening["title"]
    assert response.json()["hours_min"] == opening["hours_min"]


async def test_list_filters_by_employer_and_status_and_pages(client: httpx.AsyncClient, consultant: Actor,
                                                             employer_id: str) -> None:
    other = (await client.post("/v1/employers", headers=consultant.headers,
                               json=employer_body(cvr=VALID_CVRS[1], name="Anden"))).json()["id"]
    mine = {(await post_opening(client, consultant, employer_id, title=f"Stilling {index}")).json()["id"]
            for index in range(3)}
    closed = (await post_opening(client, consultant, employer_id, status="closed")).json()["id"]
    theirs = (await post_opening(client, consultant, other)).json()["id"]

    open_mine = (await client.get("/v1/openings", headers=consultant.headers,
                                  params={"employer": employer_id, "status": "open"})).json()
    first = (await client.get("/v1/openings", headers=consultant.headers, params={"limit": 3})).json()
    rest = (await client.get("/v1/openings", headers=consultant.headers,
                             params={"limit": 3, "cursor": first["next_cursor"]})).json()

    assert {item["id"] for item in open_mine["items"]} == mine
    assert first["next_cursor"] is not None and rest["next_cursor"] is None
    assert {item["id"] for item in first["items"] + rest["items"]} == mine | {closed, theirs}


async def test_opening_for_unknown_employer_is_404(client: httpx.AsyncClient, consultant: Actor,
                                                   count_rows: Any) -> None:
    response = await post_opening(client, consultant, "6f1c1fb4-9d5e-4a4e-9d0f-1f6a6b1e2c3d")

    assert response.status_code == 404
    assert await count_rows("openings") == 0


BAD_OPENINGS: dict[str, tuple[dict[str, Any], str]] = {
    "hours_min above hours_max": (opening_body(hours_min=30, hours_max=20), "hours_min"),
    "negative slots": (opening_body(slots=-1), "slots"),
    "hours above a week's maximum": (opening_body(hours_max=61), "hours_max"),
    "wrong type": (opening_body(slots="two"), "slots"),
    "unknown scheme": (opening_body(schemes=["volunteering"]), "schemes.0"),
    "no scheme": (opening_body(schemes=[]), "schemes"),
    "unknown work condition": (opening_body(work_conditions=["underwater"]), "work_conditions.0"),
    "unknown postcode": (opening_body(postcode="0001"), "postcode"),
    "not an ESCO occupation": (opening_body(occupation_uri="http://example.com/job/1"), "occupation_uri"),
    "skill without uri or text": (opening_body(skills=[{"essential": True}]), "skills.0"),
    "expires before it starts": (opening_body(start_date="2027-02-01", expires_on="2027-01-01"), "expires_on"),
    "oversized title": (opening_body(title="x" * (MAX_SHORT_TEXT + 1)), "title"),
    "CPR number in description": (opening_body(description="Spørg efter 3112991234"), "description"),
    "unknown field": (opening_body(salary=30000), "salary"),
}


@pytest.mark.parametrize(("body", "field"), list(BAD_OPENINGS.values()), ids=list(BAD_OPENINGS))
async def test_bad_opening_is_refused_naming_the_field(client: httpx.AsyncClient, consultant: Actor,
                                                       employer_id: str, count_rows: Any,
                                                       body: dict[str, Any], field: str) -> None:
    response = await client.post(f"/v1/employers/{employer_id}/openings", headers=consultant.headers, json=body)

    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert await count_rows("openings") == 0


async def test_duplicate_external_ref_is_409(client: httpx.AsyncClient, consultant: Actor, employer_id: str,
                                             count_rows: Any) -> None:
    assert (await post_opening(client, consultant, employer_id, external_ref="job-1")).status_code == 201

    response = await post_opening(client, consultant, employer_id, external_ref="job-1", title="Anden")

    assert response.status_code == 409
    assert error_fields(response) == ["external_ref"]
    assert await count_rows("openings") == 1


@pytest.mark.parametrize(("patch", "field"), [
    ({"hours_min": 38}, "hours_min"),  # the stored hours_max is 37
    ({"slots": -3}, "slots"),
    ({"schemes": []}, "schemes"),
    ({"postcode": "0001"}, "postcode"),
    ({"status": "archived"}, "status"),
], ids=["hours_min above stored hours_max", "negative slots", "no scheme", "unknown postcode", "unknown status"])
async def test_bad_patch_changes_nothing(client: httpx.AsyncClient, consultant: Actor, employer_id: str,
                                         patch: dict[str, Any], field: str) -> None:
    opening = (await post_opening(client, consultant, employer_id)).json()

    response = await client.patch(f"/v1/openings/{opening['id']}", headers=consultant.headers, json=patch)

    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert (await client.get(f"/v1/openings/{opening['id']}", headers=consultant.headers)).json() == opening
