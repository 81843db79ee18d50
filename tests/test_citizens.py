"""Citizens over the API: registration within the caller's jobcentre, changes, lists and bad input."""

from typing import Any

import httpx
import pytest

from core.schemas import MAX_LONG_TEXT
from core.vocab import SCHEMES_BY_TARGET_GROUP, Role, TargetGroup
from tests.conftest import Actor
from tests.factories import citizen_body, error_fields


@pytest.fixture
async def consultant(make_actor: Any) -> Actor:
    actor: Actor = await make_actor(Role.CONSULTANT, jobcentre=101)
    return actor


async def register(client: httpx.AsyncClient, actor: Actor, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/citizens", headers=actor.headers, json=citizen_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("target_group", list(TargetGroup))
async def test_schemes_default_to_what_the_target_group_allows(client: httpx.AsyncClient, consultant: Actor,
                                                               target_group: TargetGroup) -> None:
    citizen = await register(client, consultant, target_group=target_group.value)

    assert citizen["schemes"] == sorted(SCHEMES_BY_TARGET_GROUP[target_group])
    assert ("flexjob" in citizen["schemes"]) == (target_group is TargetGroup.LEDIGHEDSYDELSE)


async def test_citizen_is_registered_in_the_callers_jobcentre(client: httpx.AsyncClient, consultant: Actor) -> None:
    citizen = await register(client, consultant, consultant_id=str(consultant.principal.user_id))

    fetched = await client.get(f"/v1/citizens/{citizen['id']}", headers=consultant.headers)

    assert fetched.status_code == 200
    assert fetched.json() == citizen
    assert citizen["jobcentre_code"] == 101
    assert citizen["consultant_id"] == str(consultant.principal.user_id)
    assert (citizen["postcode"], citizen["city"]) == ("2200", "København N")
    assert citizen["limitations"] == ["no_heavy_lifting"] and citizen["limitations_consent"] is True


async def test_same_reference_may_be_used_by_another_jobcentre(client: httpx.AsyncClient, consultant: Actor,
                                                               make_actor: Any) -> None:
    aarhus = await make_actor(Role.CONSULTANT, jobcentre=751)
    first = await register(client, consultant, reference="CASE-1")
    second = await register(client, aarhus, reference="CASE-1")

    assert first["id"] != second["id"]
    assert (first["jobcentre_code"], second["jobcentre_code"]) == (101, 751)


async def test_changing_target_group_re_derives_schemes(client: httpx.AsyncClient, consultant: Actor) -> None:
    citizen = await register(client, consultant, target_group="kontanthjaelp")

    response = await client.patch(f"/v1/citizens/{citizen['id']}", headers=consultant.headers,
                                  json={"target_group": "ledighedsydelse"})

    assert response.status_code == 200, response.text
    assert response.json()["schemes"] == ["flexjob", "internship"]
    assert response.json()["reference"] == citizen["reference"]


async def test_withdrawing_consent_requires_dropping_the_limitations(client: httpx.AsyncClient,
                                                                     consultant: Actor) -> None:
    citizen = await register(client, consultant)

    refused = await client.patch(f"/v1/citizens/{citizen['id']}", headers=consultant.headers,
                                 json={"limitations_consent": False})
    withdrawn = await client.patch(f"/v1/citizens/{citizen['id']}", headers=consultant.headers,
                                   json={"limitations_consent": False, "limitations": []})

    assert refused.status_code == 422 and error_fields(refused) == ["limitations"]
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["limitations"], withdrawn.json()["limitations_consent"]) == ([], False)


async def test_list_filters_by_reference_consultant_and_active(client: httpx.AsyncClient, consultant: Actor) -> None:
    mine = await register(client, consultant, reference="CASE-1", consultant_id=str(consultant.principal.user_id))
    inactive = await register(client, consultant, reference="CASE-2", active=False)
    await register(client, consultant, reference="CASE-3")

    by_reference = (await client.get("/v1/citizens", headers=consultant.headers,
                                     params={"reference": "CASE-2"})).json()
    by_consultant = (await client.get("/v1/citizens", headers=consultant.headers,
                                      params={"consultant": str(consultant.principal.user_id)})).json()
    inactive_only = (await client.get("/v1/citizens", headers=consultant.headers, params={"active": "false"})).json()
    page = (await client.get("/v1/citizens", headers=consultant.headers, params={"limit": 2})).json()
    rest = (await client.get("/v1/citizens", headers=consultant.headers,
                             params={"limit": 2, "cursor": page["next_cursor"]})).json()

    assert [item["id"] for item in by_reference["items"]] == [inactive["id"]]
    assert [item["id"] for item in by_consultant["items"]] == [mine["id"]]
    assert [item["id"] for item in inactive_only["items"]] == [inactive["id"]]
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None


BAD_CITIZENS: dict[str, tuple[dict[str, Any], str]] = {
    "CPR number as reference": (citizen_body(reference="010190-1234"), "reference"),
    "CPR digits as reference": (citizen_body(reference="0101901234"), "reference"),
    "CPR inside reference": (citizen_body(reference="BRG-0101901234"), "reference"),
    "reference with spaces": (citizen_body(reference="BRG 2026"), "reference"),
    "unknown target group": (citizen_body(target_group="pension"), "target_group"),
    "flexjob without ledighedsydelse": (citizen_body(schemes=["flexjob"]), "schemes"),
    "limitations without consent": (citizen_body(limitations_consent=False), "limitations"),
    "unknown limitation": (citizen_body(limitations=["allergic_to_mondays"]), "limitations.0"),
    "hours_min above hours_max": (citizen_body(hours_min=30, hours_max=10), "hours_min"),
    "wrong type": (citizen_body(hours_min="some"), "hours_min"),
    "commute of zero km": (citizen_body(max_commute_km=0), "max_commute_km"),
    "unknown postcode": (citizen_body(postcode="0001"), "postcode"),
    "unknown need": (citizen_body(needs=["massage"]), "needs.0"),
    "unknown education level": (citizen_body(education_level="kindergarten"), "education_level"),
    "experience without title": (citizen_body(experience=[{"years": 2}]), "experience.0"),
    "oversized wishes": (citizen_body(wishes={"text": "x" * (MAX_LONG_TEXT + 1)}), "wishes.text"),
    "CPR number in a skill": (citizen_body(skills=[{"text": "cpr 010190-1234"}]), "skills.0.text"),
    "unknown field": (citizen_body(cpr="0101901234"), "cpr"),
    "another jobcentre": (citizen_body(jobcentre_code=751), "jobcentre_code"),
    "consultant of no jobcentre": (citizen_body(consultant_id="6f1c1fb4-9d5e-4a4e-9d0f-1f6a6b1e2c3d"),
                                   "consultant_id"),
}


@pytest.mark.parametrize(("body", "field"), list(BAD_CITIZENS.values()), ids=list(BAD_CITIZENS))
async def test_bad_citizen_is_refused_naming_the_field(client: httpx.AsyncClient, consultant: Actor,
                                                       count_rows: Any, body: dict[str, Any], field: str) -> None:
    response = await client.post("/v1/citizens", headers=consultant.headers, json=body)

    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert await count_rows("citizens") == 0
    assert await count_rows("audit_log") == 0


async def test_duplicate_reference_in_a_jobcentre_is_409(client: httpx.AsyncClient, consultant: Actor,
                                                         count_rows: Any) -> None:
    await register(client, consultant, reference="CASE-1")

    response = await client.post("/v1/citizens", headers=consultant.headers,
                                 json=citizen_body(reference="CASE-1", postcode="8000"))

    assert response.status_code == 409
    assert error_fields(response) == ["reference"]
    assert await count_rows("citizens") == 1


async def test_consultant_of_another_jobcentre_cannot_be_assigned(client: httpx.AsyncClient, consultant: Actor,
                                                                  make_actor: Any, count_rows: Any) -> None:
    aarhus = await make_actor(Role.CONSULTANT, jobcentre=751)

    response = await client.post("/v1/citizens", headers=consultant.headers,
                                 json=citizen_body(consultant_id=str(aarhus.principal.user_id)))

    assert response.status_code == 422
    assert error_fields(response) == ["consultant_id"]
    assert await count_rows("citizens") == 0


@pytest.mark.parametrize(("patch", "field"), [
    ({"schemes": ["flexjob"]}, "schemes"),
    ({"hours_min": 31}, "hours_min"),  # the stored hours_max is 30
    ({"reference": "3112991234"}, "reference"),
    ({"postcode": "0001"}, "postcode"),
    ({"limitations": ["no_driving"], "limitations_consent": False}, "limitations"),
    ({"favourite_colour": "blue"}, "favourite_colour"),
], ids=["flexjob", "hours_min above stored hours_max", "CPR reference", "unknown postcode",
        "limitations without consent", "unknown field"])
async def test_bad_patch_changes_nothing(client: httpx.AsyncClient, consultant: Actor,
                                         patch: dict[str, Any], field: str) -> None:
    citizen = await register(client, consultant)

    response = await client.patch(f"/v1/citizens/{citizen['id']}", headers=consultant.headers, json=patch)

    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert (await client.get(f"/v1/citizens/{citizen['id']}", headers=consultant.headers)).json() == citizen


async def test_patch_to_a_used_reference_is_409(client: httpx.AsyncClient, consultant: Actor) -> None:
    await register(client, consultant, reference="CASE-1")
    other = await register(client, consultant, reference="CASE-2")

    response = await client.patch(f"/v1/citizens/{other['id']}", headers=consultant.headers,
                                  json={"reference": "CASE-1"})

    assert response.status_code == 409
    assert error_fields(response) == ["reference"]
    assert (await client.get(f"/v1/citizens/{other['id']}", headers=consultant.headers)).json() == other
