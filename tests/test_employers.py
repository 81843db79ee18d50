"""Employers over the API: registration, reads, changes, lists, and refusal of bad input."""

from typing import Any

import httpx
import pytest

from core.schemas import MAX_LONG_TEXT, MAX_SHORT_TEXT
from core.vocab import Role
from tests.conftest import Actor
from tests.factories import VALID_CVRS, employer_body, error_fields


@pytest.fixture
async def consultant(make_actor: Any) -> Actor:
    actor: Actor = await make_actor(Role.CONSULTANT, jobcentre=101)
    return actor


async def test_create_then_get_returns_the_stored_employer_with_its_place(
        client: httpx.AsyncClient, consultant: Actor) -> None:
    created = await client.post("/v1/employers", headers=consultant.headers,
                                json=employer_body(external_ref="crm-1", schemes=["ordinary", "internship"]))
    assert created.status_code == 201, created.text

    fetched = await client.get(f"/v1/employers/{created.json()['id']}", headers=consultant.headers)

    assert fetched.status_code == 200
    employer = fetched.json()
    assert employer == created.json()
    assert employer["external_ref"] == "crm-1"
    assert employer["cvr"] == "10150817"
    assert (employer["postcode"], employer["city"], employer["kommune_code"]) == ("2650", "Hvidovre", 153)
    assert employer["offers"]["mentor"] is True and employer["offers"]["reduced_hours"] is False
    assert employer["schemes"] == ["internship", "ordinary"]  # sorted and de-duplicated
    assert employer["status"] == "active"


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient, consultant: Actor) -> None:
    created = (await client.post("/v1/employers", headers=consultant.headers, json=employer_body())).json()

    patched = await client.patch(f"/v1/employers/{created['id']}", headers=consultant.headers,
                                 json={"capacity": 5, "offers": {"reduced_hours": True}})

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["capacity"] == 5
    assert body["offers"]["reduced_hours"] is True
    assert body["name"] == created["name"] and body["cvr"] == created["cvr"]
    assert body["updated_at"] >= created["updated_at"]


async def test_pausing_needs_status_paused(client: httpx.AsyncClient, consultant: Actor) -> None:
    employer_id = (await client.post("/v1/employers", headers=consultant.headers, json=employer_body())).json()["id"]

    refused = await client.patch(f"/v1/employers/{employer_id}", headers=consultant.headers,
                                 json={"paused_until": "2027-01-01"})
    paused = await client.patch(f"/v1/employers/{employer_id}", headers=consultant.headers,
                                json={"status": "paused", "paused_until": "2027-01-01"})

    assert refused.status_code == 422 and error_fields(refused) == ["paused_until"]
    assert paused.status_code == 200 and paused.json()["paused_until"] == "2027-01-01"


async def test_list_pages_through_every_employer_once_and_filters(client: httpx.AsyncClient,
                                                                  consultant: Actor) -> None:
    created = set()
    for index, cvr in enumerate(VALID_CVRS[:5]):
        body = employer_body(cvr=cvr, name=f"Virksomhed {index}", postcode="8000" if index % 2 else "2650",
                             status="paused" if index == 4 else "active")
        created.add((await client.post("/v1/employers", headers=consultant.headers, json=body)).json()["id"])

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/employers", headers=consultant.headers, params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    aarhus = (await client.get("/v1/employers", headers=consultant.headers, params={"postcode": "8000"})).json()
    paused = (await client.get("/v1/employers", headers=consultant.headers, params={"status": "paused"})).json()

    assert sorted(seen) == sorted(created)
    assert {item["postcode"] for item in aarhus["items"]} == {"8000"} and len(aarhus["items"]) == 2
    assert [item["name"] for item in paused["items"]] == ["Virksomhed 4"]


async def test_unknown_employer_is_404(client: httpx.AsyncClient, consultant: Actor) -> None:
    response = await client.get("/v1/employers/6f1c1fb4-9d5e-4a4e-9d0f-1f6a6b1e2c3d", headers=consultant.headers)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


BAD_EMPLOYERS: dict[str, tuple[dict[str, Any], str]] = {
    "wrong type": (employer_body(capacity="many"), "capacity"),
    "unknown postcode": (employer_body(postcode="0001"), "postcode"),
    "malformed postcode": (employer_body(postcode="26500"), "postcode"),
    "invalid CVR check digit": (employer_body(cvr="10150818"), "cvr"),
    "CVR with letters": (employer_body(cvr="1015081X"), "cvr"),
    "CVR in full-width digits": (employer_body(cvr="１０１５０８１７"), "cvr"),
    "negative capacity": (employer_body(capacity=-1), "capacity"),
    "unknown scheme": (employer_body(schemes=["ordinary", "apprenticeship"]), "schemes.1"),
    "oversized description": (employer_body(description="x" * (MAX_LONG_TEXT + 1)), "description"),
    "oversized name": (employer_body(name="x" * (MAX_SHORT_TEXT + 1)), "name"),
    "empty name": (employer_body(name="   "), "name"),
    "CPR number in description": (employer_body(description="Kontakt 010190-1234 for info"), "description"),
    "unknown field": (employer_body(ceo="Jens Hansen"), "ceo"),
    "unknown offer": (employer_body(offers={"free_lunch": True}), "offers.free_lunch"),
    "bad contact email": (employer_body(contact={"name": "Mette", "email": "not-an-email"}), "contact.email"),
    "NUL character in name": (employer_body(name="Hansen\x00Lager"), "name"),
    "paused_until while active": (employer_body(paused_until="2027-01-01"), "paused_until"),
}


@pytest.mark.parametrize(("body", "field"), list(BAD_EMPLOYERS.values()), ids=list(BAD_EMPLOYERS))
async def test_bad_employer_is_refused_naming_the_field(client: httpx.AsyncClient, consultant: Actor,
                                                        count_rows: Any, body: dict[str, Any], field: str) -> None:
    response = await client.post("/v1/employers", headers=consultant.headers, json=body)

    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert await count_rows("employers") == 0


async def test_malformed_json_is_a_422_about_the_body(client: httpx.AsyncClient, consultant: Actor,
                                                      count_rows: Any) -> None:
    response = await client.post("/v1/employers", headers=consultant.headers | {"content-type": "application/json"},
                                 content=b'{"cvr": "10150817", ')

    assert response.status_code == 422
    assert error_fields(response) == ["body"]
    assert await count_rows("employers") == 0


async def test_duplicate_external_ref_is_409_and_stores_nothing(client: httpx.AsyncClient, consultant: Actor,
                                                                count_rows: Any) -> None:
    first = await client.post("/v1/employers", headers=consultant.headers, json=employer_body(external_ref="crm-7"))
    assert first.status_code == 201

    second = await client.post("/v1/employers", headers=consultant.headers,
                               json=employer_body(external_ref="crm-7", cvr=VALID_CVRS[1]))

    assert second.status_code == 409
    assert second.json()["error"] == "conflict"
    assert error_fields(second) == ["external_ref"]
    assert await count_rows("employers") == 1


BAD_PATCHES: dict[str, tuple[dict[str, Any], str]] = {
    "invalid CVR": ({"cvr": "12345678"}, "cvr"),
    "unknown postcode": ({"postcode": "0001"}, "postcode"),
    "null for a required field": ({"name": None}, "name"),
    "unknown field": ({"employees": 40}, "employees"),
    "capacity too large": ({"capacity": 1001}, "capacity"),
}


@pytest.mark.parametrize(("patch", "field"), list(BAD_PATCHES.values()), ids=list(BAD_PATCHES))
async def test_bad_patch_is_refused_and_changes_nothing(client: httpx.AsyncClient, consultant: Actor,
                                                        patch: dict[str, Any], field: str) -> None:
    created = (await client.post("/v1/employers", headers=consultant.headers, json=employer_body())).json()

    response = await client.patch(f"/v1/employers/{created['id']}", headers=consultant.headers, json=patch)

    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    after = (await client.get(f"/v1/employers/{created['id']}", headers=consultant.headers)).json()
    assert after == created


async def test_patch_to_a_used_external_ref_is_409(client: httpx.AsyncClient, consultant: Actor) -> None:
    await client.post("/v1/employers", headers=consultant.headers, json=employer_body(external_ref="crm-1"))
    other = (await client.post("/v1/employers", headers=consultant.headers,
                               json=employer_body(external_ref="crm-2", cvr=VALID_CVRS[1]))).json()

    response = await client.patch(f"/v1/employers/{other['id']}", headers=consultant.headers,
                                  json={"external_ref": "crm-1"})

    assert response.status_code == 409
    assert error_fields(response) == ["external_ref"]
    after = (await client.get(f"/v1/employers/{other['id']}", headers=consultant.headers)).json()
    assert after["external_ref"] == "crm-2"
